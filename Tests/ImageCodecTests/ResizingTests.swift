// Resizing and cropping equal torchvision's Resize / CenterCrop on PIL images, pixel for pixel.

import Foundation
import ImageCodec
import Testing
import TestSupport

@Suite struct ResizingTests {
    /// `transforms.Resize(N)` (with and without `CenterCrop(N)`): photos, an upscaled PNG, and
    /// random noise at sizes from 1 to 400; every value must equal PIL's.
    @Test func resizeMatchesPIL() throws {
        let goldens = try ImageGoldens.load()
        #expect(goldens.resize.count >= 20)
        var sources: [String: RGBImage] = [:]
        for entry in goldens.resize {
            let source = try sources[entry.source] ?? readImage(path: try goldens.sourcePath(entry.source))
            sources[entry.source] = source
            var image = resizeShorterSide(source, to: entry.size)
            if entry.crop { image = centerCrop(image, size: entry.size) }
            let label = "\(entry.source) Resize(\(entry.size))\(entry.crop ? " + CenterCrop" : "")"
            try #require(image.width == entry.width && image.height == entry.height,
                         "\(label): \(image.width) x \(image.height), PIL \(entry.width) x \(entry.height)")
            let difference = byteDifference(quantize(image.pixels), try ImageGoldens.bytes(entry.bytes))
            #expect(difference.differing == 0,
                    "\(label): \(difference.differing) values differ from PIL, by up to \(difference.largest)")
        }
    }

    /// `CenterCrop(N)` alone: halfway offsets round to even, sides shorter than N are padded with black.
    @Test func centerCropMatchesTorchvision() throws {
        let goldens = try ImageGoldens.load()
        for entry in goldens.crop {
            let image = centerCrop(try readImage(path: try goldens.sourcePath(entry.source)), size: entry.size)
            #expect(image.width == entry.size && image.height == entry.size)
            let difference = byteDifference(quantize(image.pixels), try ImageGoldens.bytes(entry.bytes))
            #expect(difference.differing == 0, "\(entry.source) CenterCrop(\(entry.size)): \(difference.differing) values differ")
        }
    }

    @Test func outputSizesFollowTorchvision() {
        #expect(shorterSideSize(width: 729, height: 512, to: 256) == (364, 256))
        #expect(shorterSideSize(width: 512, height: 517, to: 256) == (256, 258))
        #expect(shorterSideSize(width: 300, height: 300, to: 1024) == (1024, 1024))
        #expect(shorterSideSize(width: 97, height: 61, to: 1) == (1, 1))
    }

    @Test func sizeZeroOrSameSizeKeepsTheImage() {
        let image = sampleImage()
        #expect(resizeShorterSide(image, to: 0) == image)
        #expect(resizeShorterSide(image, to: min(image.width, image.height)) == image)
        let square = sampleImage(width: 9, height: 9)
        #expect(centerCrop(square, size: 9) == square)
    }

    /// Values between the 8-bit levels (16-bit sources) are rounded to the nearest level first.
    @Test func resizeQuantisesTo8BitFirst() {
        let fine = RGBImage(width: 4, height: 2, pixels: (0 ..< 24).map { Float($0) / 65535 * 700 })
        let coarse = RGBImage(width: 4, height: 2, pixels: quantize(fine.pixels).map { Float($0) / 255 })
        #expect(resizeBilinear(fine, width: 3, height: 5) == resizeBilinear(coarse, width: 3, height: 5))
    }
}
