// Every command's images through the one pipeline equal, byte for byte, the formula each command
// computed on its own before the pipeline existed: encoder, AdaIN (one style, a weighted sum, or per
// region), alpha blend, decoder, crop, colour preservation, written by ImageCodec.

import Foundation
import ImageCodec
@testable import StyleReports
import StyleTransfer
import Testing
import TensorCore
import TestSupport

@Suite struct PipelineEquivalenceTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("equivalence-\(UUID().uuidString)")
    let size = 64

    func stylizer() throws -> Stylizer {
        try #require(goldenStylizer, "the golden weights in .goldens/network/ do not load")
    }

    /// The stylization written out step by step from the library's primitives, as `stylize`,
    /// `sweep` and `compare-norms` each did before they shared ``StylizationPipeline``.
    func reference(content: String, styles: [String], weights: [Float]?, mask: SpatialMask?, alpha: Float,
                   preserveColor: ColorPreservation) throws -> Data {
        let stylizer = try stylizer()
        let sizing = ImageSizing(size: size)
        let contentImage = try sizing.load(path: content)
        let contentInput = preserveColor == .luminance ? luminanceImage(contentImage) : contentImage
        let f = stylizer.encode(contentInput)
        let styleFeatures = try styles.map { path in
            let image = try sizing.load(path: path)
            let input = switch preserveColor {
            case .none: image
            case .coral: coral(source: image, target: contentImage)
            case .luminance: matchLuminance(image, to: contentImage)
            }
            return stylizer.encode(input)
        }
        let t: Tensor
        if let mask {
            let regions = try mask.regionWeights(styleCount: styles.count, contentWidth: contentImage.width, contentHeight: contentImage.height,
                                                 featureWidth: f.width, featureHeight: f.height)
            t = try regionAdaptiveInstanceNormalization(content: f, styles: styleFeatures, regions: regions)
        } else if styles.count == 1 {
            t = adaptiveInstanceNormalization(content: f, style: styleFeatures[0])
        } else {
            let normalized = try normalizedInterpolationWeights(weights ?? styles.map { _ in 1 }, styleCount: styles.count)
            t = interpolatedAdaptiveInstanceNormalization(content: f, styles: styleFeatures, weights: normalized)
        }
        var image = Stylizer.image(from: stylizer.decoder.decode(blend(t, f, alpha: alpha)), width: contentImage.width, height: contentImage.height)
        if preserveColor == .luminance { image = recombineLuminance(image, chromaFrom: contentImage) }
        return try written(image)
    }

    func written(_ image: RGBImage) throws -> Data {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let path = temp.appendingPathComponent("reference-\(UUID().uuidString).png").path
        try writeImage(image, path: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// A sweep of each grid kind, with colour preservation on the plain grid: every cell's PNG.
    @Test(arguments: [SweepGrid.styles, .interpolation, .bilinear, .masks])
    func sweepCellsEqualTheFormula(grid: SweepGrid) throws {
        let styles = grid == .bilinear
            ? ["style/mondrian.jpg", "style/sketch.png", "style/asheville.jpg", "style/brushstrokes.jpg"]
            : ["style/mondrian.jpg", "style/sketch.png"]
        let configuration = SweepConfiguration(
            grid: grid, contents: [sharedImage("content/cornell.jpg")], styles: styles.map(sharedImage),
            masks: grid == .masks ? [TestPaths.repoRoot.appendingPathComponent("Masks/halves_512.png").path] : [],
            stretchMask: true, steps: 3, alphas: grid == .styles ? [0.5, 1] : [0.75],
            preserveColors: grid == .styles ? [.none, .coral, .luminance] : [.none], contentSize: size, styleSize: size,
            models: try #require(goldenModels), folder: temp.appendingPathComponent("\(grid)").path, overwrite: false,
            toolVersion: "test", rowsPerSheet: 6)
        let manifest = try runSweep(configuration, stylizer: try stylizer())
        for cell in manifest.cells {
            let controls = cell.controls(stretchMask: true, maskMode: .auto)
            let expected = try reference(content: cell.content, styles: cell.styles, weights: cell.weights, mask: controls.mask,
                                         alpha: cell.alpha, preserveColor: controls.preserveColor)
            #expect(try bytes(configuration.folder + "/" + cell.output) == expected, "\(grid): \(cell.output)")
        }
    }

    /// `stylize` over a folder of styles: each pair as `Stylizer.stylize(content:style:alpha:)`.
    @Test func stylizeTasksEqualThePlainPipeline() throws {
        let stylizer = try stylizer()
        let styleFolder = temp.appendingPathComponent("styles")
        try FileManager.default.createDirectory(at: styleFolder, withIntermediateDirectories: true)
        for name in ["mondrian.jpg", "sketch.png"] {
            try FileManager.default.copyItem(atPath: sharedImage("style/" + name), toPath: styleFolder.appendingPathComponent(name).path)
        }
        let output = temp.appendingPathComponent("out/").path
        let tasks = try StylizationTask.plan(
            content: sharedImage("content/cornell.jpg"), controls: StyleControls(styles: [styleFolder.path], alpha: 0.6), output: output)
        let sizing = ImageSizing(size: size)
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: sizing)
        #expect(try StylizationRunner(pipeline: pipeline).run(tasks) { _ in } == 0)
        #expect(tasks.count == 2)
        for task in tasks {
            let plain = try stylizer.stylize(content: sizing.load(path: task.content), style: sizing.load(path: task.controls.styles[0]), alpha: 0.6)
            #expect(try bytes(task.output) == written(plain), "\(task.output)")
        }
    }

    /// `compare-norms`: IN and AdaIN cells as `g(IN(f(c)))` and `g(AdaIN(f(c), f(s)))`, and the
    /// AdaIN interpolation as the weighted sum, each decoded and cropped.
    @Test func normComparisonCellsEqualTheFormula() throws {
        let stylizer = try stylizer()
        let styles = ["style/mondrian.jpg", "style/sketch.png"].map(sharedImage)
        let configuration = NormComparisonConfiguration(
            contents: [sharedImage("content/cornell.jpg")], styles: styles, contentSize: 32, styleSize: 32,
            models: try #require(goldenModels), folder: temp.appendingPathComponent("norms").path, overwrite: false,
            toolVersion: "test", learning: CINLearningOptions(iterations: 1, learningRate: 0.05), loadCIN: nil, saveCIN: nil,
            interpolationSteps: 3)
        let manifest = try runNormComparison(configuration, stylizer: stylizer)
        let sizing = ImageSizing(size: 32)
        let content = try sizing.load(path: sharedImage("content/cornell.jpg"))
        let f = stylizer.encode(content)
        let s = try styles.map { stylizer.encode(try sizing.load(path: $0)) }
        func decoded(_ t: Tensor) throws -> Data {
            try written(Stylizer.image(from: stylizer.decoder.decode(t), width: content.width, height: content.height))
        }
        for cell in manifest.cells where cell.method != .conditional {
            let t = cell.method == .instance
                ? ConditionalInstanceNorm.instanceNormalization(channels: f.channels).apply(f, style: 0)
                : adaptiveInstanceNormalization(content: f, style: s[cell.style!])
            #expect(try bytes(configuration.folder + "/" + cell.output) == decoded(t), "\(cell.output)")
        }
        for cell in manifest.interpolation where cell.method == .adaptive {
            let w = cell.weight!
            let t = interpolatedAdaptiveInstanceNormalization(content: f, styles: s, weights: [1 - w, w])
            #expect(try bytes(configuration.folder + "/" + cell.output) == decoded(t), "\(cell.output)")
        }
    }
}
