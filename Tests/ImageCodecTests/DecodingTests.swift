// Reading: JPEG pixels equal Pillow's, PNG variants equal numpy's values from the raw samples.

import Foundation
import ImageCodec
import Testing
import TestSupport

@Suite struct DecodingTests {
    /// Every JPEG of content/ and style/ (and sketch.png) decodes to PIL's `convert("RGB")` bytes.
    @Test func sharedImagesMatchPIL() throws {
        let goldens = try ImageGoldens.load()
        #expect(goldens.decode.count >= 27)
        for entry in goldens.decode {
            let image = try readImage(path: try goldens.sourcePath(entry.source))
            #expect(image.width == entry.width && image.height == entry.height, "\(entry.source): size")
            let ours = quantize(image.pixels)
            if let reference = entry.bytes {
                let difference = byteDifference(ours, try ImageGoldens.bytes(reference))
                #expect(difference.differing == 0,
                        "\(entry.source): \(difference.differing) values differ from PIL, by up to \(difference.largest)")
            }
            #expect(crc32(ours) == entry.crc32, "\(entry.source): decoded bytes differ from PIL's (CRC-32)")
        }
    }

    /// The values are exactly ToTensor's: byte / 255 in float32.
    @Test func valuesAreToTensorDivisions() throws {
        let goldens = try ImageGoldens.load()
        let entry = try #require(goldens.decode.first { $0.source == "content/cornell.jpg" })
        let image = try readImage(path: try goldens.sourcePath(entry.source))
        let expected = try ImageGoldens.bytes(try #require(entry.bytes)).map { Float($0) / 255 }
        #expect(image.pixels == expected)
    }

    /// Greyscale and CMYK JPEGs convert to RGB as PIL converts them; progressive 4:2:2 decodes alike.
    @Test func syntheticJPEGsMatchPIL() throws {
        let goldens = try ImageGoldens.load()
        #expect(Set(goldens.jpeg.map(\.mode)) == ["L", "CMYK", "RGB"])
        for entry in goldens.jpeg {
            let image = try readImage(path: try ImageGoldens.url(entry.file).path)
            #expect(image.width == entry.width && image.height == entry.height, "\(entry.file): size")
            let difference = byteDifference(quantize(image.pixels), try ImageGoldens.bytes(entry.bytes))
            #expect(difference.differing == 0,
                    "\(entry.file) (\(entry.mode)): \(difference.differing) values differ from PIL, by up to \(difference.largest)")
        }
    }

    /// 1 to 16 bits, grey, grey+alpha, palette with tRNS, RGB(A), colour key, Adam7, gAMA chunks:
    /// the raw samples over 255 or 65535, alpha composited on white, no gamma conversion.
    @Test func pngVariantsMatchRawSamples() throws {
        let goldens = try ImageGoldens.load()
        #expect(goldens.png.count >= 14)
        for entry in goldens.png {
            let image = try readImage(path: try ImageGoldens.url(entry.file).path)
            #expect(image.width == entry.width && image.height == entry.height, "\(entry.file): size")
            let expected = try readFloats(try ImageGoldens.url(entry.expected))
            let worst = maxAbsDifference(image.pixels, expected)
            #expect(worst.value == 0, "\(entry.file): largest difference \(worst.value) at \(worst.index)")
        }
    }

    /// The format comes from the signature: a PNG named .jpg reads as a PNG.
    @Test func formatComesFromContentNotExtension() throws {
        try withTemporaryFolder { folder in
            let png = TestPaths.sharedImages.appendingPathComponent("style/sketch.png")
            let renamed = folder.appendingPathComponent("sketch.jpg")
            try FileManager.default.copyItem(at: png, to: renamed)
            #expect(try readImage(path: renamed.path) == readImage(path: png.path))
        }
    }
}
