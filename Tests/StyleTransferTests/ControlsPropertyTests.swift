// Properties of style interpolation, masks, colour preservation and the feature cache that need no reference.

import Dispatch
import Foundation
import ImageCodec
@testable import StyleTransfer
import Synchronization
import Testing
import TensorCore
import TestSupport

@Suite struct ControlsPropertyTests {
    let content = ControlsGoldens.shared("content/blonde_girl.jpg")  // 600 x 800, as mask.png
    let a = ControlsGoldens.shared("style/woman_with_hat_matisse.jpg")
    let b = ControlsGoldens.shared("style/sketch.png")
    let mask = ControlsGoldens.shared("mask/mask.png")
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-controls-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    func pipeline(cache: EncodingCache = EncodingCache()) throws -> StylizationPipeline {
        StylizationPipeline(stylizer: try ControlsGoldens.stylizer(), contentSizing: ImageSizing(size: 64),
                           styleSizing: ImageSizing(size: 64), styleCache: cache)
    }

    // MARK: - Reductions to simpler cases, bit for bit

    @Test func weightsOneAndZeroEqualTheSingleStyle() throws {
        let pipeline = try pipeline()
        let single = try pipeline.stylize(content: content, controls: StyleControls(styles: [a], alpha: 0.7))
        let mixed = try pipeline.stylize(content: content, controls: StyleControls(styles: [a, b], weights: [1, 0], alpha: 0.7))
        #expect(mixed == single)
        let plain = try ControlsGoldens.stylizer().stylize(
            content: try ImageSizing(size: 64).load(path: content), style: try ImageSizing(size: 64).load(path: a), alpha: 0.7)
        #expect(single == plain, "one style through the controls must be the plain pipeline")
    }

    @Test func softMaskOfZerosAndOnesEqualsTheBinaryMask() throws {
        let pipeline = try pipeline()
        let binary = try pipeline.stylize(content: content, controls: StyleControls(styles: [a, b], mask: SpatialMask(paths: [mask], mode: .binary)))
        let soft = try pipeline.stylize(content: content, controls: StyleControls(styles: [a, b], mask: SpatialMask(paths: [mask], mode: .soft)))
        #expect(soft == binary)
        let auto = try pipeline.stylize(content: content, controls: StyleControls(styles: [a, b], mask: SpatialMask(paths: [mask])))
        #expect(auto == binary, "one mask with two styles is binary by default")
    }

    /// Label maps put black first, binary masks white first: a two-level label map with the styles
    /// swapped is the binary mask.
    @Test func labelMapWithTwoLevelsEqualsTheBinaryMask() throws {
        let pipeline = try pipeline()
        let binary = try pipeline.stylize(content: content, controls: StyleControls(styles: [a, b], mask: SpatialMask(paths: [mask], mode: .binary)))
        let labels = try pipeline.stylize(content: content, controls: StyleControls(styles: [b, a], mask: SpatialMask(paths: [mask], mode: .labels)))
        #expect(labels == binary)
    }

    /// Two masks, one per style, that are each other's complement: the binary mask again.
    @Test func oneMaskPerStyleEqualsTheBinaryMask() throws {
        let image = try readImage(path: mask)
        let inverse = temp.appendingPathComponent("inverse.png").path
        try writeImage(RGBImage(width: image.width, height: image.height, pixels: image.pixels.map { 1 - $0 }), path: inverse)
        let pipeline = try pipeline()
        let binary = try pipeline.stylize(content: content, controls: StyleControls(styles: [a, b], mask: SpatialMask(paths: [mask])))
        let perStyle = try pipeline.stylize(content: content, controls: StyleControls(styles: [a, b], mask: SpatialMask(paths: [mask, inverse])))
        #expect(perStyle == binary)
    }

    @Test(arguments: ["interpolation", "mask", "coral"])
    func alphaZeroDecodesTheContent(kind: String) throws {
        let controls = switch kind {
        case "interpolation": StyleControls(styles: [a, b], weights: [1, 3], alpha: 0)
        case "mask": StyleControls(styles: [a, b], mask: SpatialMask(paths: [mask]), alpha: 0)
        default: StyleControls(styles: [a], preserveColor: .coral, alpha: 0)
        }
        let output = try pipeline().stylize(content: content, controls: controls)
        let stylizer = try ControlsGoldens.stylizer()
        let reconstruction = stylizer.decoder.decode(stylizer.encode(try ImageSizing(size: 64).load(path: content)))
        #expect(output.pixels == ControlsGoldens.cropped(reconstruction, width: output.width, height: output.height))
    }

    // MARK: - The feature cache

    @Test func eachStyleIsEncodedOnceAcrossCalls() throws {
        let cache = EncodingCache()
        let pipeline = try pipeline(cache: cache)
        _ = try pipeline.stylize(content: content, controls: StyleControls(styles: [a, b], weights: [1, 3]))
        _ = try pipeline.stylize(content: content, controls: StyleControls(styles: [b]))
        _ = try pipeline.stylize(content: content, controls: StyleControls(styles: [a, b], mask: SpatialMask(paths: [mask])))
        #expect(cache.statistics == EncodingCache.Statistics(hits: 3, misses: 2))
        // Another stylizer given the same cache reuses it; colour preservation is another encoding.
        _ = try self.pipeline(cache: cache).stylize(content: content, controls: StyleControls(styles: [a]))
        _ = try pipeline.stylize(content: content, controls: StyleControls(styles: [a], preserveColor: .coral))
        #expect(cache.statistics == EncodingCache.Statistics(hits: 4, misses: 3))
    }

    @Test func concurrentRequestsForOneKeyEncodeOnce() throws {
        let cache = EncodingCache()
        let key = EncodingCache.Key(image: try ImageIdentity(path: a, sizing: ImageSizing(size: 64), role: .style), transform: .none)
        let encodings = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let encoding = cache.encoding(for: key) { _ in
                encodings.withLock { $0 += 1 }
                Thread.sleep(forTimeInterval: 0.05)
                return Encoding(features: Tensor(shape: [1, 1, 1, 1], values: [42]), statistics: nil, width: 8, height: 8)
            }
            #expect(encoding.features.values == [42])
        }
        #expect(encodings.withLock { $0 } == 1)
        #expect(cache.statistics == EncodingCache.Statistics(hits: 7, misses: 1))
    }

    let zeroEncoding = Encoding(features: Tensor(zeros: [1, 1, 1, 1]), statistics: nil, width: 8, height: 8)

    @Test func capacityDropsTheOldestEncoding() throws {
        let cache = EncodingCache(capacity: 1)
        let keyA = EncodingCache.Key(image: try ImageIdentity(path: a, sizing: ImageSizing(size: 64), role: .style), transform: .none)
        let keyB = EncodingCache.Key(image: try ImageIdentity(path: b, sizing: ImageSizing(size: 64), role: .style), transform: .none)
        for key in [keyA, keyA, keyB, keyA] { _ = cache.encoding(for: key) { _ in zeroEncoding } }
        #expect(cache.statistics == EncodingCache.Statistics(hits: 1, misses: 3))
        cache.removeAll()
        _ = cache.encoding(for: keyA) { _ in zeroEncoding }
        #expect(cache.statistics.misses == 4)
    }

    @Test func aChangedFileHasAnotherIdentity() throws {
        let path = temp.appendingPathComponent("style.png").path
        try writeImage(MaskShape.halves.image(width: 16, height: 16), path: path)
        let before = try ImageIdentity(path: path, sizing: ImageSizing(size: 64), role: .style)
        #expect(try ImageIdentity(path: path, sizing: ImageSizing(size: 64), role: .style) == before)
        #expect(try ImageIdentity(path: path, sizing: ImageSizing(size: 32), role: .style) != before)
        try writeImage(MaskShape.ellipse.image(width: 16, height: 20), path: path)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 10)], ofItemAtPath: path)
        #expect(try ImageIdentity(path: path, sizing: ImageSizing(size: 64), role: .style) != before)
    }

    // MARK: - Colour preservation

    @Test func matrixPowersOfASymmetricPositiveDefiniteMatrix() {
        let m = Matrix3(rows: [[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 2]])
        let root = m.symmetricPower(0.5)
        let inverseRoot = m.symmetricPower(-0.5)
        for (product, expected) in [(root * root, m), (root * inverseRoot, Matrix3.identity), (m * m.inverse, Matrix3.identity)] {
            for i in 0 ..< 3 {
                for j in 0 ..< 3 { #expect(abs(product[i, j] - expected[i, j]) < 1e-12) }
            }
        }
    }

    @Test func coralGivesTheTargetsMeanColour() throws {
        let target = try ImageSizing(size: 64).load(path: content)
        let result = coral(source: try ImageSizing(size: 64).load(path: a), target: target)
        func means(_ image: RGBImage) -> [Double] {
            let plane = image.width * image.height
            return (0 ..< 3).map { c in image.pixels[c * plane ..< (c + 1) * plane].reduce(0.0) { $0 + Double($1) } / Double(plane) }
        }
        for (x, y) in zip(means(result), means(target)) { #expect(abs(x - y) < 1e-5) }
    }

    @Test func luminanceHelpersKeepWhatTheyShould() throws {
        let contentImage = try ImageSizing(size: 64).load(path: content)
        // Recombining an image's own luminance with its chroma gives it back.
        let same = recombineLuminance(contentImage, chromaFrom: contentImage)
        #expect(maxAbsDifference(same.pixels, contentImage.pixels).value < 1e-5)
        // The matched style luminance has the content's mean and standard deviation.
        let matched = matchLuminance(try ImageSizing(size: 64).load(path: a), to: contentImage)
        func statistics(_ values: [Double]) -> (Double, Double) {
            let mean = values.reduce(0, +) / Double(values.count)
            return (mean, (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot())
        }
        let (m1, s1) = statistics(luma(matched))
        let (m2, s2) = statistics(luma(contentImage))
        #expect(abs(m1 - m2) < 1e-5 && abs(s1 - s2) < 1e-5)
    }

    // MARK: - Masks

    @Test(arguments: [MaskShape.halves, .ellipse, .bands(3), .bands(5), .radial])
    func generatedMasksReadBackExactly(shape: MaskShape) throws {
        let image = shape.image(width: 40, height: 30)
        let path = temp.appendingPathComponent("mask.png").path
        try writeImage(image, path: path)
        #expect(try readImage(path: path) == image)
        let levels = Set(image.pixels)
        switch shape {
        case .halves, .ellipse: #expect(levels == [0, 1])
        case .bands(let count): #expect(levels.count == count && levels.min() == 0 && levels.max() == 1)
        case .radial: #expect(levels.count > 2 && levels.min() == 0 && levels.max() == 1)
        }
    }

    @Test func generatedBandsAreALabelMap() throws {
        let regions = try SpatialMask(paths: ["bands.png"]).regionWeights(
            images: [.floats(MaskShape.bands(3).image(width: 48, height: 48))], styleCount: 3, featureWidth: 6, featureHeight: 6)
        // Two feature rows per band, top band first.
        for r in 0 ..< 3 {
            let rows = (0 ..< 6).filter { y in regions.values[(r * 6 + y) * 6] == 1 }
            #expect(rows == [2 * r, 2 * r + 1])
        }
    }

    @Test func aMaskOfAnotherSizeIsResizedByNearestNeighbour() throws {
        func weights(_ shape: MaskShape, width: Int, height: Int) throws -> RegionWeights {
            let path = temp.appendingPathComponent("\(width).png").path
            try writeImage(shape.image(width: width, height: height), path: path)
            return try SpatialMask(paths: [path]).regionWeights(styleCount: 2, contentWidth: 96, contentHeight: 128, featureWidth: 12, featureHeight: 16)
        }
        #expect(try weights(.halves, width: 30, height: 40) == weights(.halves, width: 300, height: 400))
        // Feature (i, j) takes mask pixel (floor(i * 40 / 16), floor(j * 30 / 12)).
        let fromSmall = try weights(.ellipse, width: 30, height: 40)
        let image = MaskShape.ellipse.image(width: 30, height: 40)
        for i in 0 ..< 16 {
            for j in 0 ..< 12 {
                #expect(fromSmall.values[i * 12 + j] == image.pixels[(i * 40 / 16) * 30 + j * 30 / 12])
                #expect(fromSmall.values[192 + i * 12 + j] == 1 - fromSmall.values[i * 12 + j])
            }
        }
    }

    @Test func aMaskOfAnotherAspectRatioIsStretchedOnlyWhenAsked() throws {
        let square = temp.appendingPathComponent("square.png").path
        try writeImage(MaskShape.halves.image(width: 100, height: 100), path: square)
        var message = ""
        do {
            _ = try SpatialMask(paths: [square]).regionWeights(styleCount: 2, contentWidth: 96, contentHeight: 128, featureWidth: 12, featureHeight: 16)
        } catch { message = error.description }
        #expect(message.contains("--mask") && message.contains("aspect ratio") && message.contains("--stretch-mask"), "\(message)")
        let stretched = try SpatialMask(paths: [square], stretch: true).regionWeights(
            styleCount: 2, contentWidth: 96, contentHeight: 128, featureWidth: 12, featureHeight: 16)
        #expect(stretched.values[0] == 1 && stretched.values[11] == 0)
    }

    @Test func positionsNoMaskCoversKeepTheContentFeature() throws {
        let content = Tensor(shape: [1, 2, 2, 3], values: [1, 2, 3, 4, 5, 6, -1, 0, 1, 2, 3, 5])
        let style = Tensor(shape: [1, 2, 2, 2], values: [0, 1, 2, 3, 7, 7, 8, 9])
        // One style on the left two columns, nothing on the right one.
        let regions = RegionWeights(regions: 1, width: 3, height: 2, values: [1, 1, 0, 1, 1, 0])
        let t = try regionAdaptiveInstanceNormalization(content: content, styles: [style], regions: regions)
        #expect(t[0, 0, 0, 2] == 3 && t[0, 0, 1, 2] == 6 && t[0, 1, 0, 2] == 1 && t[0, 1, 1, 2] == 5)
        #expect(t[0, 0, 0, 0] != 1)
    }
}
