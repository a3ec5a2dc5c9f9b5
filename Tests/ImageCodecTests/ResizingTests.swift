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
            var image = try resizeShorterSide(source, to: entry.size)
            if entry.crop { image = try centerCrop(image, size: entry.size) }
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
            let image = try centerCrop( readImage(path: try goldens.sourcePath(entry.source)), size: entry.size)
            #expect(image.width == entry.size && image.height == entry.size)
            let difference = byteDifference(quantize(image.pixels), try ImageGoldens.bytes(entry.bytes))
            #expect(difference.differing == 0, "\(entry.source) CenterCrop(\(entry.size)): \(difference.differing) values differ")
        }
    }

    @Test func outputSizesFollowTorchvision() throws {
        #expect(try sizes(shorterSideSize(width: 729, height: 512, to: 256)) == [364, 256])
        #expect(try sizes(shorterSideSize(width: 512, height: 517, to: 256)) == [256, 258])
        #expect(try sizes(shorterSideSize(width: 300, height: 300, to: 1024)) == [1024, 1024])
        #expect(try sizes(shorterSideSize(width: 97, height: 61, to: 1)) == [1, 1])
    }

    @Test func sizeZeroOrSameSizeKeepsTheImage() throws {
        let image = sampleImage()
        #expect(try resizeShorterSide(image, to: 0) == image)
        #expect(try resizeShorterSide(image, to: min(image.width, image.height)) == image)
        let square = sampleImage(width: 9, height: 9)
        #expect(try centerCrop(square, size: 9) == square)
    }

    /// `--content-size=9223372036854775807` wrapped `size * long` and crashed: every size is now
    /// refused before any allocation when the result would exceed the pixel limit.
    @Test func hugeSizesAreRefusedWithoutOverflow() {
        let image = sampleImage(width: 45, height: 31)
        let limit = ImageLimits.standard.maxPixels
        for size in [Int.max, Int.max / 45, 1 << 32, 13378] {
            let expected = ImageCodecError.outputTooLarge(width: 45, height: 31, request: "to a shorter side of \(size)", limit: limit)
            #expect(throws: expected) { try shorterSideSize(width: 45, height: 31, to: size) }
            #expect(throws: expected) { try resizeShorterSide(image, to: size) }
            let crop = ImageCodecError.outputTooLarge(width: 45, height: 31, request: "to a centre square of \(size) x \(size)", limit: limit)
            #expect(throws: crop) { try centerCrop(image, size: size) }
        }
        for (width, height) in [(Int.max, Int.max), (Int.max, 1), (1 << 32, 1 << 32), (13378, 13378)] {
            let expected = ImageCodecError.outputTooLarge(width: 45, height: 31, request: "to \(width) x \(height)", limit: limit)
            #expect(throws: expected) { try resizeBilinear(image, width: width, height: height) }
        }
        #expect(ImageCodecError.outputTooLarge(width: 45, height: 31, request: "to a shorter side of 99999", limit: 100).description
            == "cannot resize or crop a 45 x 31 image to a shorter side of 99999: the result would have more than the limit of 100 pixels; "
            + "use a smaller size, or raise the limit with STYLECTL_MAX_IMAGE_PIXELS")
        // Just within a small limit: 20 x 29 = 580 pixels.
        #expect(throws: Never.self) { try resizeShorterSide(image, to: 20, limits: ImageLimits(maxPixels: 580)) }
        #expect(throws: ImageCodecError.outputTooLarge(width: 45, height: 31, request: "to a shorter side of 20", limit: 579)) {
            try resizeShorterSide(image, to: 20, limits: ImageLimits(maxPixels: 579))
        }
    }

    @Test func nonPositiveSizesAreRefused() {
        let image = sampleImage(width: 45, height: 31)
        #expect(throws: ImageCodecError.invalidOutputSize(width: 45, height: 31, request: "to a shorter side of -3")) {
            try resizeShorterSide(image, to: -3)
        }
        #expect(throws: ImageCodecError.invalidOutputSize(width: 45, height: 31, request: "to 0 x 5")) {
            try resizeBilinear(image, width: 0, height: 5)
        }
        #expect(throws: ImageCodecError.invalidOutputSize(width: 45, height: 31, request: "to a centre square of 0 x 0")) {
            try centerCrop(image, size: 0)
        }
        #expect(throws: ImageCodecError.invalidOutputSize(width: 0, height: 31, request: "to a shorter side of 5")) {
            try shorterSideSize(width: 0, height: 31, to: 5)
        }
    }

    /// Values between the 8-bit levels (16-bit sources) are rounded to the nearest level first.
    @Test func resizeQuantisesTo8BitFirst() throws {
        let fine = RGBImage(width: 4, height: 2, pixels: (0 ..< 24).map { Float($0) / 65535 * 700 })
        let coarse = RGBImage(width: 4, height: 2, pixels: quantize(fine.pixels).map { Float($0) / 255 })
        #expect(try resizeBilinear(fine, width: 3, height: 5) == resizeBilinear(coarse, width: 3, height: 5))
    }
}

/// A (width, height) pair as an array, which #expect can compare.
private func sizes(_ size: (width: Int, height: Int)) -> [Int] {
    [size.width, size.height]
}
