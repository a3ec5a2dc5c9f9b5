// 8-bit images (RGB8Image): read without a float copy, written row by row to the same bytes as the
// float writer, atomically; crops as floats equal the float image's.

import Foundation
import ImageCodec
import Testing
import TestSupport

@Suite struct EightBitImageTests {
    /// The 8-bit reader gives the float reader's values for every JPEG and 8-bit opaque PNG, and
    /// nil (not rounded samples) for 16-bit and transparent PNGs.
    @Test func readingBytesEqualsReadingFloats() throws {
        let goldens = try ImageGoldens.load()
        var read: [String] = []
        for png in goldens.png {
            let path = try ImageGoldens.url(png.file).path
            guard let bytes = try readImageBytes(path: path) else { continue }
            read.append(png.file)
            let floats = try readImage(path: path)
            #expect(bytes.image == floats, "\(png.file)")
        }
        #expect(read == ["png/rgb8_gamma.png", "png/rgb8_interlaced.png", "png/grey1.png", "png/grey8.png"])
        for name in ["content/cornell.jpg", "style/sketch.png"] {
            let path = TestPaths.sharedImages.appendingPathComponent(name).path
            let bytes = try #require(try readImageBytes(path: path))
            let floats = try readImage(path: path)
            #expect(bytes.image == floats, "\(name)")
            // A crop as floats is the float image's crop.
            let crop = bytes.floats(x: 17, y: 5, width: 40, height: 23)
            for c in 0 ..< 3 {
                for y in 0 ..< 23 {
                    for x in 0 ..< 40 where crop.pixels[(c * 23 + y) * 40 + x] != floats.pixels[(c * floats.height + y + 5) * floats.width + x + 17] {
                        Issue.record("\(name): crop differs at channel \(c), (\(x), \(y))")
                        return
                    }
                }
            }
        }
        #expect(throws: ImageCodecError.fileNotFound(path: "/nonexistent/x.png")) { try readImageBytes(path: "/nonexistent/x.png") }
    }

    /// The header says which files the 8-bit reader reads (the decoder decides: 16 bits, an alpha
    /// channel or a tRNS chunk give nil) and their size, for every golden PNG and JPEG; a PNG whose
    /// chunks before its first IDAT run past the 64 KB read is not known to read as bytes.
    @Test func theHeaderSaysWhatTheEightBitReaderReads() throws {
        let goldens = try ImageGoldens.load()
        var paths = try goldens.png.map { try ImageGoldens.url($0.file).path } + goldens.jpeg.map { try ImageGoldens.url($0.file).path }
        paths += ["content/cornell.jpg", "style/sketch.png", "mask/mask.png"].map { TestPaths.sharedImages.appendingPathComponent($0).path }
        for path in paths {
            let header = try readImageHeader(path: path)
            let bytes = try readImageBytes(path: path)
            #expect(header.readsAsBytes == (bytes != nil), "\(path)")
            let image = try readImage(path: path)
            #expect(header.width == image.width && header.height == image.height, "\(path)")
        }
        // rgb8_gamma.png (37 x 23) with a 70,000-byte text chunk after its IHDR, before its IDAT.
        var bytes = try ImageGoldens.bytes("png/rgb8_gamma.png")
        let text = Array("tEXt".utf8) + Array("Comment".utf8) + [0] + [UInt8](repeating: 0x61, count: 70_000)
        bytes.insert(contentsOf: LimitTests.bigEndian(UInt32(text.count - 4)) + text + LimitTests.bigEndian(crc32(text)), at: 33)
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("long.png").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(try readImageBytes(path: path) != nil)
            let header = try readImageHeader(path: path)
            #expect(header.width == 37 && header.height == 23 && !header.readsAsBytes)
        }
    }

    /// `init(exactly:)` keeps an image whose values are 8-bit samples' and refuses one that is not.
    @Test func exactBytesOnlyForEightBitValues() {
        let image = sampleImage()
        #expect(RGB8Image(exactly: image)?.image == image)
        var pixels = image.pixels
        pixels[7] += 0.25 / 255
        #expect(RGB8Image(exactly: RGBImage(width: image.width, height: image.height, pixels: pixels)) == nil)
    }

    /// Writing the bytes of an image gives the file writing the float image gives, byte for byte,
    /// as PNG and as JPEG (values outside [0, 1] and between levels included).
    @Test(arguments: ["out.png", "out.jpg"])
    func bytesWriteTheFloatWritersFile(name: String) throws {
        let base = sampleImage(width: 67, height: 45)
        let pixels = base.pixels.enumerated().map { i, v in i % 11 == 0 ? v * 1.3 - 0.1 : v + 0.37 / 255 }
        let image = RGBImage(width: base.width, height: base.height, pixels: pixels)
        try withTemporaryFolder { folder in
            let (floats, bytes) = (folder.appendingPathComponent("floats-" + name).path, folder.appendingPathComponent(name).path)
            try writeImage(image, path: floats)
            try writeImage(RGB8Image(quantizing: image), path: bytes)
            let (written, reference) = (try Data(contentsOf: URL(fileURLWithPath: bytes)), try Data(contentsOf: URL(fileURLWithPath: floats)))
            #expect(written.count > 100 && written == reference)
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == ["floats-" + name, name])
        }
    }

    /// A write that fails leaves nothing: an image too wide for JPEG fails inside libjpeg after the
    /// temporary file was made, a destination that is a folder fails at the rename; the folder holds
    /// what it held before, the existing file is unchanged. Bad extensions and qualities are refused first.
    @Test func aFailedWriteLeavesNoFile() throws {
        try withTemporaryFolder { folder in
            let existing = folder.appendingPathComponent("wide.jpg").path
            try Data("old".utf8).write(to: URL(fileURLWithPath: existing))
            let wide = RGB8Image(width: 65_501, height: 2)
            let error = #expect(throws: ImageCodecError.self) { try writeImage(wide, path: existing) }
            #expect(error?.description.contains("libjpeg: Maximum supported image dimension is 65500 pixels") == true, "\(String(describing: error))")
            #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) == Data("old".utf8))

            let taken = folder.appendingPathComponent("taken.png")
            try FileManager.default.createDirectory(at: taken, withIntermediateDirectories: false)
            try Data("inside".utf8).write(to: taken.appendingPathComponent("keep"))
            #expect(throws: ImageCodecError.self) { try writeImage(RGB8Image(width: 8, height: 8), path: taken.path) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: taken.path) == ["keep"])

            #expect(throws: ImageCodecError.unsupportedOutputExtension(path: folder.path + "/x.gif", extension: "gif")) {
                try writeImage(RGB8Image(width: 8, height: 8), path: folder.path + "/x.gif")
            }
            #expect(throws: ImageCodecError.invalidJPEGQuality(path: folder.path + "/x.jpg", quality: 0)) {
                try writeImage(RGB8Image(width: 8, height: 8), path: folder.path + "/x.jpg", jpegQuality: 0)
            }
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == ["wide.jpg", "taken.png"])
        }
    }

    /// The truncated level is what truncatedToLevels stores, read back by quantize.
    @Test func truncatedLevelsAgree() {
        let values: [Float] = [-1, 0, 0.5 / 255, 1 / 255, 0.3, 0.999, 1, 2, .nan, .infinity, -.infinity]
        let image = truncatedToLevels(RGBImage(width: values.count, height: 1, pixels: values + values + values))
        #expect(quantize(image.pixels) == (values + values + values).map(truncatedLevel))
        #expect(values.map(truncatedLevel) == [0, 0, 0, 1, 76, 254, 255, 255, 0, 255, 0])
    }
}
