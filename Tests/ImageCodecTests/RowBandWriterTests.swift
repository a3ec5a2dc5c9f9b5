// RowBandWriter: a PNG or JPEG written band of rows by band of rows is the file the whole-image
// writers write, byte for byte; a write abandoned or failed leaves neither the file nor a
// temporary file.

import Foundation
import ImageCodec
import Testing
import TestSupport

@Suite struct RowBandWriterTests {
    /// Writes `image` to `path` in bands of the given heights (repeated until the image's rows are done).
    static func writeInBands(_ image: RGB8Image, path: String, heights: [Int], jpegQuality: Int = 95) throws {
        let writer = try RowBandWriter(path: path, width: image.width, height: image.height, jpegQuality: jpegQuality)
        var (top, k) = (0, 0)
        while top < image.height {
            let rows = min(heights[k % heights.count], image.height - top)
            try image.samples[3 * image.width * top ..< 3 * image.width * (top + rows)].withUnsafeBufferPointer { try writer.write(rows: $0) }
            top += rows
            k += 1
        }
        #expect(writer.rowsWritten == image.height)
        try writer.finish()
    }

    /// At odd sizes (a single row and column included), PNG and JPEG written in bands of 1, 2, 7
    /// and 13 rows give the bytes the float writer gives (libpng's simplified
    /// `png_image_write_to_memory`, libjpeg into memory) and the bytes writer's (all rows as one band).
    @Test(arguments: ["out.png", "out.jpg", "out.JPEG"])
    func bandsWriteTheWholeImageWritersFile(name: String) throws {
        for (width, height) in [(67, 45), (1, 1), (1, 29), (131, 1), (253, 97)] {
            let base = sampleImage(width: width, height: height)
            let pixels = base.pixels.enumerated().map { i, v in i % 11 == 0 ? v * 1.3 - 0.1 : v + 0.37 / 255 }
            let image = RGBImage(width: width, height: height, pixels: pixels)
            let bytes = RGB8Image(quantizing: image)
            try withTemporaryFolder { folder in
                let (floats, whole, bands) = (folder.appendingPathComponent("floats-" + name).path, folder.appendingPathComponent("whole-" + name).path,
                                              folder.appendingPathComponent(name).path)
                try writeImage(image, path: floats, jpegQuality: 83)
                try writeImage(bytes, path: whole, jpegQuality: 83)
                try Self.writeInBands(bytes, path: bands, heights: [1, 2, 7, 13], jpegQuality: 83)
                let reference = try Data(contentsOf: URL(fileURLWithPath: floats))
                #expect(reference.count > 60)  // a 1 x 1 PNG is 82 bytes
                #expect(try Data(contentsOf: URL(fileURLWithPath: bands)) == reference, "\(width)x\(height) \(name)")
                #expect(try Data(contentsOf: URL(fileURLWithPath: whole)) == reference, "\(width)x\(height) \(name)")
                #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == ["floats-" + name, "whole-" + name, name])
            }
        }
    }

    /// A writer cancelled, or dropped without ``RowBandWriter/finish()``, after some rows removes
    /// its temporary file and leaves an existing file as it was; while it writes, the temporary
    /// file (named `.NAME.<pid>-<random>.tmp`) is beside the path and the path is untouched.
    @Test(arguments: ["out.png", "out.jpg"])
    func anAbandonedWriteLeavesNoFile(name: String) throws {
        let image = RGB8Image(quantizing: sampleImage(width: 64, height: 40))
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent(name).path
            try Data("old".utf8).write(to: URL(fileURLWithPath: path))
            let writer = try RowBandWriter(path: path, width: 64, height: 40)
            try image.samples[0 ..< 3 * 64 * 10].withUnsafeBufferPointer { try writer.write(rows: $0) }
            let during = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            #expect(during.count == 2 && during[0].hasPrefix(".\(name).\(getpid())-") && during[0].hasSuffix(".tmp") && during[1] == name, "\(during)")
            writer.cancel()
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [name])
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("old".utf8))
            let error = #expect(throws: ImageCodecError.self) {
                try image.samples.withUnsafeBufferPointer { try writer.write(rows: $0) }
            }
            #expect(error?.description.contains("the writer was cancelled or has finished") == true, "\(String(describing: error))")
            #expect(throws: ImageCodecError.self) { try writer.finish() }

            do {
                let dropped = try RowBandWriter(path: path, width: 64, height: 40)
                try image.samples[0 ..< 3 * 64 * 3].withUnsafeBufferPointer { try dropped.write(rows: $0) }
                #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 2)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [name])
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("old".utf8))
        }
    }

    /// A signal handler's ``AtomicWriteGate/closeForExit()`` removes the temporary file of a writer
    /// between its creation and its rename (rows are still being computed), wherever it is, and
    /// leaves the path as it was; the writer's later rows go nowhere.
    @Test func closingTheGateRemovesAWritersTemporaryFile() throws {
        let image = RGB8Image(quantizing: sampleImage(width: 32, height: 20))
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("out.png").path
            try Data("old".utf8).write(to: URL(fileURLWithPath: path))
            let gate = AtomicWriteGate()
            let writer = try RowBandWriter(path: path, width: 32, height: 20, gate: gate)
            try image.samples[0 ..< 3 * 32 * 8].withUnsafeBufferPointer { try writer.write(rows: $0) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 2)
            gate.closeForExit()
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.png"])
            try image.samples[3 * 32 * 8 ..< 3 * 32 * 16].withUnsafeBufferPointer { try writer.write(rows: $0) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.png"])
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("old".utf8))
            writer.cancel()  // its finish() would wait at the closed gate for ever
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.png"])
        }
    }

    /// Wrong rows fail in words and remove the temporary file: too few rows at the end, more rows
    /// than the height, a part of a row; a size the format cannot hold (a JPEG side above 65500)
    /// fails when the writer is made; a destination that is a folder fails at the rename. The
    /// folder holds what it held before; bad extensions and qualities are refused before any file is made.
    @Test func wrongRowsAndFailedWritesLeaveNoFile() throws {
        let image = RGB8Image(quantizing: sampleImage(width: 16, height: 12))
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("out.png").path
            func expectNothingWritten() throws {
                #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "taken.jpg" } == [])
            }
            let short = try RowBandWriter(path: path, width: 16, height: 12)
            try image.samples[0 ..< 3 * 16 * 5].withUnsafeBufferPointer { try short.write(rows: $0) }
            #expect(throws: ImageCodecError.encodingFailed(path: path, reason: "only 5 of the image's 12 rows were written")) { try short.finish() }
            try expectNothingWritten()

            let long = try RowBandWriter(path: path, width: 16, height: 12)
            try image.samples[0 ..< 3 * 16 * 5].withUnsafeBufferPointer { try long.write(rows: $0) }
            #expect(throws: ImageCodecError.encodingFailed(path: path, reason: "12 rows given after 5 of the image's 12")) {
                try image.samples.withUnsafeBufferPointer { try long.write(rows: $0) }
            }
            try expectNothingWritten()

            let partial = try RowBandWriter(path: path, width: 16, height: 12)
            #expect(throws: ImageCodecError.encodingFailed(path: path, reason: "50 bytes are not whole rows of 16 pixels")) {
                try image.samples[0 ..< 50].withUnsafeBufferPointer { try partial.write(rows: $0) }
            }
            try expectNothingWritten()

            let wide = folder.appendingPathComponent("wide.jpg").path
            let error = #expect(throws: ImageCodecError.self) { try RowBandWriter(path: wide, width: 65_501, height: 2) }
            #expect(error?.description.contains("libjpeg: Maximum supported image dimension is 65500 pixels") == true, "\(String(describing: error))")
            try expectNothingWritten()

            let taken = folder.appendingPathComponent("taken.jpg")
            try FileManager.default.createDirectory(at: taken, withIntermediateDirectories: false)
            #expect(throws: ImageCodecError.self) { try Self.writeInBands(image, path: taken.path, heights: [5]) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: taken.path) == [])
            try expectNothingWritten()

            #expect(throws: ImageCodecError.unsupportedOutputExtension(path: folder.path + "/x.gif", extension: "gif")) {
                try RowBandWriter(path: folder.path + "/x.gif", width: 8, height: 8)
            }
            #expect(throws: ImageCodecError.invalidJPEGQuality(path: folder.path + "/x.jpg", quality: 101)) {
                try RowBandWriter(path: folder.path + "/x.jpg", width: 8, height: 8, jpegQuality: 101)
            }
            #expect(throws: ImageCodecError.encodingFailed(path: path, reason: "an image of 0 x 8 pixels cannot be written")) {
                try RowBandWriter(path: path, width: 0, height: 8)
            }
            try expectNothingWritten()
        }
    }
}
