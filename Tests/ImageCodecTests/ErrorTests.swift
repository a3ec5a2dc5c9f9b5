// Every failure gives the right ImageCodecError, a message naming the file, and no stray files.

import Foundation
import ImageCodec
import Testing
import TestSupport

@Suite struct ErrorTests {
    @Test func missingFile() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("nothing.jpg").path
            let error = readError(path)
            #expect(error == .fileNotFound(path: path))
            #expect(error?.description.contains(path) == true)
            let inside = folder.appendingPathComponent("nothing.jpg/deeper.png").path
            #expect(readError(inside) == .fileNotFound(path: inside))
        }
    }

    @Test func textFileNamedPNG() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("notes.png").path
            try "just some text\n".write(toFile: path, atomically: false, encoding: .utf8)
            let error = readError(path)
            #expect(error == .notAnImage(path: path))
            #expect(error?.description.contains(path) == true)
        }
    }

    @Test func emptyFile() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("empty.jpg").path
            try Data().write(to: URL(fileURLWithPath: path))
            let error = readError(path)
            #expect(error == .emptyFile(path: path))
            #expect(error?.description.contains(path) == true)
        }
    }

    @Test func folderIsUnreadable() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("looks.png").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            guard case .unreadable(let reported, _)? = readError(path) else {
                Issue.record("expected .unreadable for a folder")
                return
            }
            #expect(reported == path)
        }
    }

    /// The first half of a real JPEG is an error, not an image with a grey bottom half.
    @Test(arguments: ["content/cornell.jpg", "content/modern.jpg"])  // baseline and progressive
    func truncatedJPEG(source: String) throws {
        let bytes = try Data(contentsOf: TestPaths.sharedImages.appendingPathComponent(source))
        try withTemporaryFolder { folder in
            for (name, data) in [("half.jpg", bytes.prefix(bytes.count / 2)), ("header.jpg", bytes.prefix(400)),
                                 ("signature.jpg", bytes.prefix(3)), ("no-end.jpg", bytes.dropLast(2))] {
                let path = folder.appendingPathComponent(name).path
                try Data(data).write(to: URL(fileURLWithPath: path))
                let error = readError(path)
                guard case .corruptJPEG(let reported, let reason)? = error else {
                    Issue.record("\(source) \(name): expected .corruptJPEG, got \(String(describing: error))")
                    continue
                }
                #expect(reported == path && error!.description.contains(path))
                #expect(!reason.isEmpty)
            }
        }
    }

    @Test func corruptJPEGData() throws {
        var bytes = [UInt8](try Data(contentsOf: TestPaths.sharedImages.appendingPathComponent("content/brad_pitt.jpg")))
        for i in stride(from: bytes.count / 2, to: bytes.count / 2 + 400, by: 7) { bytes[i] = 0xFF }
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("corrupt.jpg").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            guard case .corruptJPEG(path, _)? = readError(path) else {
                Issue.record("expected .corruptJPEG, got \(String(describing: readError(path)))")
                return
            }
        }
    }

    @Test func truncatedOrCorruptPNG() throws {
        let bytes = [UInt8](try Data(contentsOf: TestPaths.sharedImages.appendingPathComponent("style/sketch.png")))
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x55  // inside IDAT: the CRC no longer matches
        try withTemporaryFolder { folder in
            for (name, data) in [("half.png", Array(bytes.prefix(bytes.count / 2))), ("header.png", Array(bytes.prefix(30))),
                                 ("no-end.png", Array(bytes.dropLast(12))), ("flipped.png", flipped)] {
                let path = folder.appendingPathComponent(name).path
                try Data(data).write(to: URL(fileURLWithPath: path))
                let error = readError(path)
                guard case .corruptPNG(let reported, let reason)? = error else {
                    Issue.record("\(name): expected .corruptPNG, got \(String(describing: error))")
                    continue
                }
                #expect(reported == path && error!.description.contains(path))
                #expect(!reason.isEmpty)
            }
        }
    }

    @Test func zeroSizedPNG() throws {
        var bytes = try ImageGoldens.bytes(try ImageGoldens.load().noise)
        bytes.replaceSubrange(16 ..< 20, with: [0, 0, 0, 0])  // IHDR width
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("zero.png").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let error = readError(path)
            #expect(error == .emptyImage(path: path))
            #expect(error?.description.contains(path) == true)
        }
    }

    /// A JPEG whose frame header (SOF) declares 0 rows.
    @Test func zeroSizedJPEG() throws {
        var bytes = [UInt8](try Data(contentsOf: TestPaths.sharedImages.appendingPathComponent("content/brad_pitt.jpg")))
        var offset = 2  // after SOI: marker segments FF xx, then a big-endian length
        while !(0xC0 ... 0xC2).contains(bytes[offset + 1]) {
            offset += 2 + (Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]))
        }
        bytes.replaceSubrange(offset + 5 ..< offset + 7, with: [0, 0])  // after length and precision
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("zero.jpg").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(readError(path) == .emptyImage(path: path))
        }
    }

    @Test func unsupportedOutputExtension() throws {
        try withTemporaryFolder { folder in
            for (name, ext) in [("out.bmp", "bmp"), ("out", ""), ("out.png.tiff", "tiff")] {
                let path = folder.appendingPathComponent(name).path
                let error = writeError(sampleImage(), path)
                #expect(error == .unsupportedOutputExtension(path: path, extension: ext))
                #expect(error?.description.contains(path) == true)
            }
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(left.isEmpty)
        }
    }

    @Test func invalidJPEGQuality() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("out.jpg").path
            #expect(writeError(sampleImage(), path, jpegQuality: 0) == .invalidJPEGQuality(path: path, quality: 0))
            #expect(writeError(sampleImage(), path, jpegQuality: 101) == .invalidJPEGQuality(path: path, quality: 101))
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(left.isEmpty)
        }
    }

    // Encoding happens in memory before the temporary file is created, so an encoder failure
    // cannot leave a file behind; the failures below happen after the encoding.
    @Test func writingIntoAMissingFolderLeavesNothing() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("missing/out.png").path
            guard case .writeFailed(path, _)? = writeError(sampleImage(), path) else {
                Issue.record("expected .writeFailed")
                return
            }
            #expect(writeError(sampleImage(), path)?.description.contains(path) == true)
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(left.isEmpty)
        }
    }

    /// The rename fails (a folder has the output's name) after the temporary file was written:
    /// the temporary file is removed and the folder is untouched.
    @Test func failedRenameRemovesTheTemporaryFile() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("taken.png").path
            try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
            guard case .writeFailed(path, _)? = writeError(sampleImage(), path) else {
                Issue.record("expected .writeFailed")
                return
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["taken.png"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["inside"])
        }
    }
}
