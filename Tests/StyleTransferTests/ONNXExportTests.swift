// `stylectl export --onnx`: ONNX Runtime running the exported graph gives stylize's image (the
// paper's images at 64 px, seeded golden weights), the file reads back with the network's weights,
// and bad sizes and output paths are refused before anything is written.

import Checkpoints
import Foundation
import ImageCodec
import TensorCore
import Testing
@testable import StyleTransfer
import TestSupport

@Suite(.serialized) struct ONNXExportTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-onnx-export-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    static func stylizer() throws -> Stylizer {
        try Stylizer(models: ModelFiles(vgg: TestPaths.golden("network/vgg_legacy.pth").path,
                                        decoder: TestPaths.golden("network/decoder_legacy.pth").path))
    }

    static func shared(_ relativePath: String) -> String { TestPaths.sharedImages.appendingPathComponent(relativePath).path }

    /// The largest difference allowed between ONNX Runtime's values and the pipeline's before
    /// quantisation: 4.5 times the 2.2e-6 measured (float32 rounding in a different order through
    /// 18 convolutions); the biased variance instead of the unbiased gives up to 1.6e-4 here.
    static let valueTolerance: Float = 1e-5

    /// How ONNX Runtime's 8-bit image compares with the pipeline's (`stylectl stylize`'s).
    struct Agreement: CustomStringConvertible {
        var withinOneLevel: Double
        var identical: Double
        var worst: Int
        /// The largest difference of the values before quantisation (the pipeline's clamped to [0, 1]).
        var largestDifference: Float
        var description: String {
            String(format: "%.4f%% within 1 level, %.4f%% identical, worst %d levels, largest difference %.3g before quantisation",
                   100 * withinOneLevel, 100 * identical, worst, largestDifference)
        }
    }

    /// Stylizes `content` with `style` through ``StylizationPipeline`` and through ONNX Runtime on
    /// the exported `model`, fed the same sized images, and compares the values before quantisation
    /// and the 8-bit levels, ONNX Runtime's taken to levels as the model writes them (the seed's truncated).
    func agreement(model: String, content: String, style: String, contentSizing: ImageSizing, styleSizing: ImageSizing,
                   alpha: Float, stylizer: Stylizer) throws -> Agreement {
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: contentSizing, styleSizing: styleSizing)
        let stylization = try pipeline.stylize(content: content, controls: StyleControls(styles: [style], alpha: alpha), measuring: false)
        let expected = stylizer.image(from: try #require(stylization.decoded), width: stylization.image.width, height: stylization.image.height)
        let contentImage = try contentSizing.load(path: content)
        let styleImage = try styleSizing.load(path: style)
        let contentRaw = temp.appendingPathComponent("content.f32"), styleRaw = temp.appendingPathComponent("style.f32")
        let outputRaw = temp.appendingPathComponent("output.f32")
        try contentImage.pixels.withUnsafeBytes { try Data($0).write(to: contentRaw) }
        try styleImage.pixels.withUnsafeBytes { try Data($0).write(to: styleRaw) }
        let result = try CheckONNXScript.run([
            "run", model, "--content", contentRaw.path, "\(contentImage.height)", "\(contentImage.width)",
            "--style", styleRaw.path, "\(styleImage.height)", "\(styleImage.width)", "--alpha", "\(alpha)", "--output", outputRaw.path,
        ]) as? [String: Any]
        #expect(result?["shape"] as? [Int] == [1, 3, contentImage.height, contentImage.width])
        let values = try readFloats(outputRaw)
        let largest = maxAbsDifference(values, expected.pixels.map { min(max($0, 0), 1) }).value
        let onnxImage = RGBImage(width: contentImage.width, height: contentImage.height, pixels: values)
        let actual = quantize((stylizer.variant.conventions.outputLevels == .truncated ? truncatedToLevels(onnxImage) : onnxImage).pixels)
        let reference = quantize(stylization.image.pixels)
        try #require(actual.count == reference.count)
        var close = 0, same = 0, worst = 0
        for (a, b) in zip(actual, reference) {
            let d = abs(Int(a) - Int(b))
            if d <= 1 { close += 1 }
            if d == 0 { same += 1 }
            worst = max(worst, d)
        }
        return Agreement(withinOneLevel: Double(close) / Double(reference.count), identical: Double(same) / Double(reference.count), worst: worst,
                         largestDifference: largest)
    }

    /// A fixed-size graph of each model gives `stylize`'s image from the same files: pytorch-AdaIN's,
    /// the seed's (torchvision VGG-19 with zero padding and floor pooling, ImageNet normalisation,
    /// std + 1e-8) and the Torch release's (biased statistics), each exported with its conventions.
    @Test(arguments: [
        ("network/vgg_legacy.pth", "network/decoder_legacy.pth", "style/woman_with_hat_matisse.jpg", Float(1)),
        ("variants/seed_vgg19.pth", "variants/seed_decoder.pth", "style/sketch.png", 0.8),
        ("variants/torch_vgg_normalised.t7", "variants/torch_decoder.t7", "style/sketch.png", 0.8),
    ])
    func aFixedSizeGraphOfEachModelGivesStylizesImage(vgg: String, decoder: String, style: String, alpha: Float) throws {
        let stylizer = try Stylizer(models: ModelFiles(vgg: TestPaths.golden(vgg).path, decoder: TestPaths.golden(decoder).path))
        let model = temp.appendingPathComponent("\(stylizer.variant.rawValue)-fixed64.onnx").path
        try ONNXExport.write(stylizer, size: .fixed(64), producerVersion: "test", to: model)
        let square = ImageSizing(size: 64, crop: true)
        let result = try agreement(model: model, content: Self.shared("content/cornell.jpg"), style: Self.shared(style),
                                   contentSizing: square, styleSizing: square, alpha: alpha, stylizer: stylizer)
        print("ONNX export, \(stylizer.variant.rawValue), fixed 64x64, alpha \(alpha): \(result)")
        #expect(result.withinOneLevel >= 0.99, "\(result)")
        #expect(result.largestDifference <= Self.valueTolerance, "\(result)")
    }

    /// One dynamic graph at two sizes: sides that are not multiples of 8 (ceil-mode pooling, the
    /// crop), a style of another size than the content's, and an alpha blend.
    @Test func aDynamicGraphGivesStylizesImageAtTwoSizes() throws {
        let stylizer = try Self.stylizer()
        let model = temp.appendingPathComponent("dynamic.onnx").path
        try ONNXExport.write(stylizer, size: .dynamic, producerVersion: "test", to: model)
        let runs: [(content: String, style: String, contentSize: Int, styleSize: Int, alpha: Float)] = [
            ("content/sailboat.jpg", "style/sketch.png", 64, 72, 1),
            ("content/avril.jpg", "style/brushstrokes.jpg", 75, 57, 0.6),
        ]
        for run in runs {
            let result = try agreement(model: model, content: Self.shared(run.content), style: Self.shared(run.style),
                                       contentSizing: ImageSizing(size: run.contentSize), styleSizing: ImageSizing(size: run.styleSize),
                                       alpha: run.alpha, stylizer: stylizer)
            print("ONNX export, dynamic, content \(run.content) at \(run.contentSize), style at \(run.styleSize), alpha \(run.alpha): \(result)")
            #expect(result.withinOneLevel >= 0.99, "\(run.content): \(result)")
            #expect(result.largestDifference <= Self.valueTolerance, "\(run.content): \(result)")
        }
    }

    /// The conventions the builder takes, as other model variants would give them: pytorch-AdaIN's;
    /// the Torch release's statistics (biased variance, the style's std without epsilon); the
    /// seed's statistics (unbiased std + 1e-8) and its ImageNet normalisation. (Zero padding and
    /// floor pooling, which TensorCore does not run, are checked on the graph's nodes only.)
    static let tinyConventions: [(String, AdaINStatistics, EncoderInput)] = [
        ("pytorch-adain", .pytorchAdaIN, .image),
        ("torch statistics", .torch, .image),
        ("seed statistics and normalisation", .seed, .imageNet),
    ]

    /// Per-channel mean and std of (1, C, H, W) features by `convention`, in Double: the test's
    /// own reference of the statistics.
    static func statistics(_ x: Tensor, _ convention: StandardDeviationConvention) -> (mean: [Float], std: [Float]) {
        let count = x.height * x.width
        var means: [Float] = [], stds: [Float] = []
        for c in 0 ..< x.channels {
            let plane = x.values[c * count ..< (c + 1) * count].map(Double.init)
            let mean = plane.reduce(0, +) / Double(count)
            let squares = plane.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            let variance = squares / Double(convention.unbiased ? count - 1 : count)
            let std = switch (convention.eps, convention.epsAddedToStd) {
            case (0, _): variance.squareRoot()
            case (let eps, true): variance.squareRoot() + Double(eps)
            case (let eps, false): (variance + Double(eps)).squareRoot()
            }
            means.append(Float(mean))
            stds.append(Float(std))
        }
        return (means, stds)
    }

    /// A tiny seeded network (two poolings, two upsamplings, weights of order 1) whose features
    /// AdaIN changes a lot: ONNX Runtime's output equals the Swift network's with the test's AdaIN
    /// (for pytorch-AdaIN's conventions, the library's own), blend, crop and normalisation to
    /// within float32 rounding, for sides that are not multiples of 4 (ceil pooling, the crop).
    /// The golden network's decoder damps its input (there the biased variance instead of the
    /// unbiased would still agree within 1 level); here it moves the output by 1.5e-4, 150 times
    /// the tolerance of 1e-6, which is 17 times the largest difference measured (6e-8, float32 rounding).
    @Test(arguments: tinyConventions)
    func aTinyNetworksGraphComputesWhatTheSwiftNetworkComputes(name: String, statistics: AdaINStatistics, input: EncoderInput) throws {
        var random = SeededRandom(seed: 11)
        func weight(_ out: Int, _ inChannels: Int) -> Tensor {
            Tensor(shape: [out, inChannels, 3, 3], values: (0 ..< out * inChannels * 9).map { _ in random.uniform() / Float(inChannels) })
        }
        func bias(_ count: Int) -> [Float] { (0 ..< count).map { _ in 0.1 * random.uniform() } }
        var encoderChain = TinyChain(), decoderChain = TinyChain()
        encoderChain.convolution(weight: weight(4, 3), bias: bias(4), relu: true)
        encoderChain.maxPool()
        encoderChain.convolution(weight: weight(6, 4), bias: bias(6), relu: true)
        encoderChain.maxPool()
        encoderChain.convolution(weight: weight(8, 6), bias: bias(8), relu: true)
        decoderChain.convolution(weight: weight(6, 8), bias: bias(6), relu: true)
        decoderChain.upsample()
        decoderChain.convolution(weight: weight(4, 6), bias: bias(4), relu: true)
        decoderChain.upsample()
        decoderChain.convolution(weight: weight(3, 4), bias: bias(3), relu: false)
        let encoder = try NetworkLayers(encoderChain.table, weights: encoderChain.weights, network: "tiny encoder")
        let decoder = try NetworkLayers(decoderChain.table, weights: decoderChain.weights, network: "tiny decoder")

        let content = Tensor(shape: [1, 3, 13, 10], values: (0 ..< 390).map { _ in random.unit() })
        let style = Tensor(shape: [1, 3, 9, 11], values: (0 ..< 297).map { _ in 0.5 * random.unit() })
        let alpha: Float = 0.75
        var normalization: (mean: [Float], std: [Float])?
        if case .normalized(let mean, let std) = input { normalization = (mean, std) }
        func normalized(_ image: Tensor) -> Tensor {
            guard let n = normalization else { return image }
            let plane = image.height * image.width
            return Tensor(shape: image.shape, values: image.values.indices.map { i in (image.values[i] - n.mean[i / plane]) / n.std[i / plane] })
        }
        let encode = Sequential(inputChannels: 3, layers: encoder.layers), decode = Sequential(inputChannels: 8, layers: decoder.layers)
        let contentFeature = try encode.forward(normalized(content)), styleFeature = try encode.forward(normalized(style))
        let contentStatistics = Self.statistics(contentFeature, statistics.content)
        let styleStatistics = Self.statistics(styleFeature, statistics.style)
        let adain = statistics == .pytorchAdaIN
            ? adaptiveInstanceNormalization(content: contentFeature, style: styleFeature)
            : renormalizeChannels(contentFeature, mean: contentStatistics.mean, std: contentStatistics.std,
                                  targetMean: styleStatistics.mean, targetStd: styleStatistics.std)
        if statistics == .pytorchAdaIN {
            #expect(Self.statistics(contentFeature, .pytorchAdaIN).std == calcMeanStd(contentFeature).std, "the test's statistics are the library's")
        }
        let target = blend(adain, contentFeature, alpha: alpha)
        let image = Stylizer.image(from: try decode.forward(target), width: 10, height: 13).pixels
        let expected = image.indices.map { i in
            let value = normalization.map { image[i] * $0.std[i / 130] + $0.mean[i / 130] } ?? image[i]
            return min(max(value, 0), 1)
        }

        let path = temp.appendingPathComponent("tiny.onnx").path
        let model = StylizationGraphBuilder(size: .dynamic, statistics: statistics, input: input).model(encoder: encoder, decoder: decoder, producerVersion: "test")
        try writeONNXModel(model, path: path)
        let contentRaw = temp.appendingPathComponent("content.f32"), styleRaw = temp.appendingPathComponent("style.f32")
        let outputRaw = temp.appendingPathComponent("output.f32")
        try content.values.withUnsafeBytes { try Data($0).write(to: contentRaw) }
        try style.values.withUnsafeBytes { try Data($0).write(to: styleRaw) }
        _ = try CheckONNXScript.run(["run", path, "--content", contentRaw.path, "13", "10", "--style", styleRaw.path, "9", "11",
                                     "--alpha", "\(alpha)", "--output", outputRaw.path])
        let actual = try readFloats(outputRaw)
        let spread = (expected.max() ?? 0) - (expected.min() ?? 0)
        let worst = maxAbsDifference(actual, expected)
        print("ONNX export, tiny network 13x10, \(name): largest difference \(worst.value), output spread \(spread)")
        #expect(spread > 0.1, "the tiny network's output should not be flat")
        #expect(worst.value <= 1e-6, "\(worst)")
    }

    /// stylectl's own reader reads the exported file back: its inputs and outputs, the nodes the
    /// tables give, and every convolution's weights bit for bit as the network runs them.
    @Test func theExportedFileReadsBackWithTheNetworksWeights() throws {
        let stylizer = try Self.stylizer()
        let path = temp.appendingPathComponent("fixed32.onnx").path
        try ONNXExport.write(stylizer, size: .fixed(32), producerVersion: "test", to: path)
        let graph = try loadONNXGraph(path: path)
        #expect(graph.inputs == ["content_img", "style_img", "alpha"] && graph.outputs == ["output_img"])
        func count(_ op: String) -> Int { graph.nodes.filter { $0.opType == op }.count }
        // 9 convolutions per encoder pass (module 0 folded into 2), two passes, and the decoder's 9.
        #expect(count("Conv") == 27 && count("Pad") == 27 && count("MaxPool") == 6 && count("Resize") == 3)
        #expect(count("Relu") == 26 && count("Sqrt") == 2 && count("Clip") == 1 && count("Slice") == 2)
        #expect(graph.nodes.last?.outputs == ["output_img"])
        for (network, layers) in [("encoder", stylizer.encoder.layers), ("decoder", stylizer.decoder.layers)] {
            let weights = layers.layers.compactMap { if case .convolution(let w, _, _) = $0.operation { w } else { nil } }
            for (module, w) in zip(layers.convolutionModules, weights) {
                let weight = try #require(graph.initializers["\(network).\(module).weight"])
                let bias = try #require(graph.initializers["\(network).\(module).bias"])
                #expect(weight.shape == [w.outChannels, w.inChannels, w.kernelHeight, w.kernelWidth])
                #expect(weight.values.map(\.bitPattern) == w.weight.map(\.bitPattern) && bias.values.map(\.bitPattern) == w.bias.map(\.bitPattern))
            }
        }
        #expect(graph.nodes.filter { $0.opType == "MaxPool" }.allSatisfy { $0.attributes["ceil_mode"] == .int(1) })
        #expect(graph.nodes.filter { $0.opType == "Pad" }.allSatisfy { $0.attributes["mode"] == .string("reflect") })
    }

    /// The model's conventions reach the graph: the seed's VGG-19 layers carry zero padding (the
    /// Conv nodes' pads, no Pad) and floor pooling (ceil_mode 0) while its decoder reflects; its std
    /// adds its epsilon after the square root; the Torch release's style std is the biased one
    /// without epsilon.
    @Test func eachModelsConventionsReachTheGraph() throws {
        let seed = try Stylizer(models: ModelFiles(vgg: TestPaths.golden("variants/seed_vgg19.pth").path,
                                                   decoder: TestPaths.golden("variants/seed_decoder.pth").path))
        #expect(seed.variant == .seed)
        let nodes = StylizationGraphBuilder(size: .fixed(32), model: seed.variant).model(of: seed, producerVersion: "test").graph.nodes
        let encoder = nodes.filter { $0.name.hasPrefix("content_encoder.") }, decoder = nodes.filter { $0.name.hasPrefix("decoder.") }
        #expect(!encoder.isEmpty && !encoder.contains { $0.opType == "Pad" })
        #expect(encoder.filter { $0.opType == "Conv" }.allSatisfy { node in node.attributes.contains { $0.name == "pads" && $0.value == .ints([1, 1, 1, 1]) } })
        #expect(encoder.filter { $0.opType == "MaxPool" }.allSatisfy { node in node.attributes.contains { $0.name == "ceil_mode" && $0.value == .int(0) } })
        #expect(decoder.contains { $0.opType == "Pad" })
        #expect(nodes.first { $0.name == "adain.content.std" }?.inputs == ["adain.content.std_no_eps", "eps_1e-08"])
        #expect(nodes.contains { $0.name == "content_normalized" })
        let torch = StylizationGraphBuilder(size: .fixed(32), model: .torch).model(of: try Self.stylizer(), producerVersion: "test").graph.nodes
        #expect(torch.first { $0.name == "adain.style.std" }?.inputs == ["adain.style.biased_variance"])
        #expect(!torch.contains { $0.name == "adain.style.bessel_correction" })
    }

    @Test(arguments: [
        (500, "--size must be a multiple of 8 (a fixed-size graph does not crop the decoder's output), got 500; use 496 or 504, or --dynamic for any size"),
        (8, "--size must be a multiple of 8 in 16...16384 (the encoder takes images of at least 9x9 pixels), got 8"),
        (0, "--size must be a multiple of 8 in 16...16384 (the encoder takes images of at least 9x9 pixels), got 0"),
        (-8, "--size must be a multiple of 8 in 16...16384 (the encoder takes images of at least 9x9 pixels), got -8"),
        (16392, "--size must be a multiple of 8 in 16...16384 (the encoder takes images of at least 9x9 pixels), got 16392"),
    ])
    func badSizesAreRefused(size: Int, message: String) {
        #expect(throws: Never.self) { try ONNXExport.check(size: .fixed(16)) }
        #expect(throws: Never.self) { try ONNXExport.check(size: .dynamic) }
        #expect {
            try ONNXExport.check(size: .fixed(size))
        } throws: { error in
            (error as? ONNXExportError)?.description == message
        }
    }

    /// Output paths that cannot be written, or would replace the weights, are refused before
    /// anything is read or written; the weight file stays as it was.
    @Test func badOutputPathsAreRefused() throws {
        let weights = temp.appendingPathComponent("weights.onnx")
        try Data("not really weights".utf8).write(to: weights)
        let link = temp.appendingPathComponent("link.onnx")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: weights)
        let folder = temp.appendingPathComponent("folder.onnx")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        let missing = temp.appendingPathComponent("missing/model.onnx").path
        let cases: [(String, String)] = [
            (missing, "--onnx: cannot write '\(missing)': its folder '\(temp.appendingPathComponent("missing").path)' does not exist"),
            (temp.appendingPathComponent("model.png").path, "--onnx: cannot write '\(temp.appendingPathComponent("model.png").path)': '.png' is not '.onnx'"),
            (temp.appendingPathComponent("model").path, "--onnx: cannot write '\(temp.appendingPathComponent("model").path)': it has no extension"),
            (folder.path, "--onnx: '\(folder.path)' is a folder; name the .onnx file to write"),
            (link.path, "--onnx: '\(link.path)' is the same file as --decoder '\(weights.path)'; writing it would replace the weights. Choose another output path"),
        ]
        for (output, message) in cases {
            #expect {
                try ONNXExport.check(output: output, inputs: [(.vgg, "/nonexistent/vgg.pth"), (.decoder, weights.path)])
            } throws: { error in
                (error as? ONNXExportError)?.description == message
            }
        }
        #expect(try Set(FileManager.default.contentsOfDirectory(atPath: temp.path)) == ["weights.onnx", "link.onnx", "folder.onnx"])
        #expect(try Data(contentsOf: weights) == Data("not really weights".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
