// The torch and seed models against their PyTorch re-implementations (Scripts/goldens_variants.py):
// features, AdaIN's t and the decoder's output within float tolerance, the stylized images within a
// few levels; the models recognised from their files; files of mixed models, a Torch7 file with an
// unexpected module and a VGG-19 file with a missing or misshapen tensor refused in words.

import Checkpoints
import Foundation
import ImageCodec
import StyleTransfer
import Testing
import TensorCore
import TestSupport

enum VariantGoldens {
    static let arrays = ArrayGoldens("variants")
    static func path(_ name: String) throws -> String { try TestPaths.golden("variants/\(name)").path }

    static func files(_ variant: ModelVariant) throws -> ModelFiles {
        switch variant {
        case .torch: ModelFiles(vgg: try path("torch_vgg_normalised.t7"), decoder: try path("torch_decoder.t7"))
        case .seed: ModelFiles(vgg: try path("seed_vgg19.pth"), decoder: try path("seed_decoder.pth"))
        case .pytorchAdaIN: ModelFiles(vgg: try TestPaths.golden("network/vgg_legacy.pth").path, decoder: try TestPaths.golden("network/decoder_legacy.pth").path)
        }
    }

    /// pytorch-AdaIN's golden tolerance for 8-bit images: at least 98% of values identical, none more
    /// than 3 levels off; prints the figures under `label`.
    static func expectPixelsAgree(_ output: RGBImage, _ reference: RGBImage, _ label: String) {
        let (ours, theirs) = (quantize(output.pixels), quantize(reference.pixels))
        var (differing, worst) = (0, 0)
        for (a, b) in zip(ours, theirs) where a != b {
            differing += 1
            worst = max(worst, abs(Int(a) - Int(b)))
        }
        print("\(label): \(differing) of \(ours.count) values differ, largest \(worst) levels")
        #expect(Double(differing) / Double(ours.count) < 0.02, "\(label): \(differing) of \(ours.count) values differ")
        #expect(worst <= 3, "\(label): largest difference \(worst) levels")
    }

    /// Each model's stylizer, loaded once (the model recognised from its files).
    static let stylizers: [ModelVariant: Result<Stylizer, any Error>] = Dictionary(uniqueKeysWithValues: [ModelVariant.torch, .seed].map { variant in
        (variant, Result { try Stylizer(models: files(variant)) })
    })
}

@Suite struct ModelVariantGoldenTests {
    static let variants: [ModelVariant] = [.torch, .seed]

    /// relu1_1 ... relu4_1 of the 64x64 images, the image normalised as the model does; the
    /// tolerances of NetworkGoldenTests (float32 sums in another order, growing with depth).
    @Test(arguments: variants)
    func encoderLandmarks(variant: ModelVariant) throws {
        let stylizer = try #require(try VariantGoldens.stylizers[variant]?.get())
        #expect(stylizer.variant == variant)
        let g = VariantGoldens.arrays
        let input = try g.tensor("\(variant.rawValue)_content_input")
        let image = RGBImage(width: input.width, height: input.height, pixels: input.values)
        let features = stylizer.encoder.encodeWithIntermediates(variant.conventions.encoderInput(image))
        for (i, (landmark, tolerance)) in zip(VGGEncoder.landmarks, [1e-5, 2e-5, 3e-5, 5e-5] as [Float]).enumerated() {
            expectMatchesGolden(features[i], try g.tensor("\(variant.rawValue)_content_\(landmark)"), rtol: tolerance, "\(variant) \(landmark)")
        }
        let style = try g.tensor("\(variant.rawValue)_style_input")
        expectMatchesGolden(stylizer.encode(RGBImage(width: style.width, height: style.height, pixels: style.values)),
                            try g.tensor("\(variant.rawValue)_style_relu4_1"), rtol: 5e-5, "\(variant) style relu4_1")
    }

    /// AdaIN with the model's statistics on the reference features (the torch model's biased ones,
    /// the seed's unbiased std + 1e-8): within a few float32 roundings of the reference; the
    /// other models' statistics are measurably different (the test can fail).
    @Test(arguments: variants)
    func adaptiveInstanceNormalization(variant: ModelVariant) throws {
        let g = VariantGoldens.arrays
        let (content, style) = (try g.tensor("\(variant.rawValue)_content_relu4_1"), try g.tensor("\(variant.rawValue)_style_relu4_1"))
        let golden = try g.tensor("\(variant.rawValue)_t")
        let t = StyleTransfer.adaptiveInstanceNormalization(content: content, style: style, statistics: variant.conventions.statistics)
        expectMatchesGolden(t, golden, rtol: 1e-5, "\(variant) AdaIN")
        if variant == .torch {
            let unbiased = StyleTransfer.adaptiveInstanceNormalization(content: content, style: style)
            let scale = golden.values.reduce(0) { max($0, abs($1)) }
            #expect(maxAbsDifference(unbiased.values, golden.values).value > 1e-4 * scale, "biased and unbiased statistics should differ at 8x8")
        }
        let blended = blend(t, content, alpha: 0.5)
        expectMatchesGolden(blended, try g.tensor("\(variant.rawValue)_t_alpha0_5"), rtol: 1e-5, "\(variant) alpha 0.5")
    }

    @Test(arguments: variants)
    func decoderOfReferenceT(variant: ModelVariant) throws {
        let stylizer = try #require(try VariantGoldens.stylizers[variant]?.get())
        let g = VariantGoldens.arrays
        expectMatchesGolden(stylizer.decoder.decode(try g.tensor("\(variant.rawValue)_t")), try g.tensor("\(variant.rawValue)_decoded"),
                            rtol: 3e-5, "\(variant) g(t)")
    }

    /// The one pipeline from the image files (--content-size 64 --crop for both): the same picture
    /// as the reference, at least 98% of values identical and none more than 3 levels off.
    @Test(arguments: variants)
    func stylizedImageMatchesReference(variant: ModelVariant) throws {
        let stylizer = try #require(try VariantGoldens.stylizers[variant]?.get())
        let g = VariantGoldens.arrays
        let size = try #require(g.scalar("size") as? Int)
        let sizing = ImageSizing(size: size, crop: true)
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: sizing)
        let content = TestPaths.sharedImages.appendingPathComponent(try #require(g.scalar("content") as? String)).path
        let style = TestPaths.sharedImages.appendingPathComponent(try #require(g.scalar("style") as? String)).path
        let output = try pipeline.stylize(content: content, controls: StyleControls(styles: [style]))
        let reference = try readImage(path: VariantGoldens.path("\(variant.rawValue)_output.png"))
        try #require(output.width == reference.width && output.height == reference.height)
        VariantGoldens.expectPixelsAgree(output, reference, "\(variant)")
    }

    /// test.lua's own image handling, end to end against an independent numpy formulation of the
    /// image package's arithmetic (Scripts/goldens_variants.py): sizePreprocess's centre square (floor
    /// start) and `image.scale(x, "^size")` (``ImageSizing/Shape/luaShorterSide``), image.save's
    /// truncation. "small" grows 90 x 24 to 240 x 64, "whole" shrinks 729 x 512 to 91 x 64 at alpha
    /// 0.5, "crop" takes the centre square first. The pixel tolerance of pytorch-AdaIN's goldens.
    @Test(arguments: ["small", "whole", "crop"])
    func torchTestLuaImageHandlingMatches(name: String) throws {
        let stylizer = try #require(try VariantGoldens.stylizers[.torch]?.get())
        let cases = try #require(VariantGoldens.arrays.index()["torch_test_lua"] as? [[String: Any]])
        let run = try #require(cases.first { $0["case"] as? String == name })
        let size = try #require(run["size"] as? Int), alpha = try #require(run["alpha"] as? Double), crop = try #require(run["crop"] as? Bool)
        let contentName = try #require(run["content"] as? String)
        let content = contentName.contains("/") ? TestPaths.sharedImages.appendingPathComponent(contentName).path : try VariantGoldens.path(contentName)
        let style = TestPaths.sharedImages.appendingPathComponent(try #require(VariantGoldens.arrays.scalar("style") as? String)).path
        let sizing = ModelVariant.torch.conventions.sizing(size: size, crop: crop)
        #expect(sizing == ImageSizing(size: size, crop: crop, shape: .luaShorterSide))
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: sizing)
        let output = try pipeline.stylize(content: content, controls: StyleControls(styles: [style], alpha: Float(alpha)))
        let reference = try readImage(path: VariantGoldens.path("torch_test_lua_\(name).png"))
        try #require(output.width == reference.width && output.height == reference.height)
        VariantGoldens.expectPixelsAgree(output, reference, "torch test.lua \(name)")
    }

    /// The seed's own image handling, end to end against its infer.py (Scripts/goldens_variants.py,
    /// with torchvision's Resize and scikit-image's resize): both images resized to imsize x imsize
    /// (``ImageSizing/Shape/square``), the output resized back to the content's size and truncated to
    /// 8 bits. "small" is 90 x 24 (one axis shrinks from 64, with scikit-image's antialiasing, the
    /// other grows), "whole" 729 x 512 at alpha 0.5. The pixel tolerance of pytorch-AdaIN's goldens.
    @Test(arguments: ["small", "whole"])
    func seedInferenceMatchesItsOwnPipeline(name: String) throws {
        let stylizer = try #require(try VariantGoldens.stylizers[.seed]?.get())
        let cases = try #require(VariantGoldens.arrays.index()["seed_infer"] as? [[String: Any]])
        let run = try #require(cases.first { $0["case"] as? String == name })
        let imsize = try #require(run["imsize"] as? Int), alpha = try #require(run["alpha"] as? Double)
        let contentName = try #require(run["content"] as? String)
        let content = contentName.contains("/") ? TestPaths.sharedImages.appendingPathComponent(contentName).path : try VariantGoldens.path(contentName)
        let style = TestPaths.sharedImages.appendingPathComponent(try #require(VariantGoldens.arrays.scalar("style") as? String)).path
        let sizing = ModelVariant.seed.conventions.sizing(size: imsize, crop: false)
        #expect(sizing == ImageSizing(size: imsize, shape: .square))
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: sizing)
        let output = try pipeline.stylize(content: content, controls: StyleControls(styles: [style], alpha: Float(alpha)))
        let reference = try readImage(path: VariantGoldens.path("seed_infer_\(name).png"))
        try #require(output.width == reference.width && output.height == reference.height)
        VariantGoldens.expectPixelsAgree(output, reference, "seed infer.py \(name)")
    }
}

@Suite struct ModelVariantFileTests {
    @Test func modelsAreRecognisedFromTheirFiles() throws {
        let expected: [(String, WeightFileIdentity)] = [
            (try VariantGoldens.path("torch_vgg_normalised.t7"), WeightFileIdentity(variant: .torch, network: .encoder, evidence: "its Torch7 module 0, a 1x1 nn.SpatialConvolution of 3 planes")),
            (try VariantGoldens.path("torch_decoder.t7"), WeightFileIdentity(variant: .torch, network: .decoder, evidence: "its Torch7 modules 0 and 1, a reflection padding and an nn.SpatialConvolution of 512 planes")),
            (try VariantGoldens.path("seed_vgg19.pth"), WeightFileIdentity(variant: .seed, network: .encoder, evidence: "its tensor 'features.0.weight'")),
            (try VariantGoldens.path("seed_decoder.pth"), WeightFileIdentity(variant: .seed, network: .decoder, evidence: "its tensor 'net.0.0.weight'")),
            (try TestPaths.golden("network/vgg_zip.pth").path, WeightFileIdentity(variant: .pytorchAdaIN, network: .encoder, evidence: "its tensor '0.weight' (the 1x1 convolution of vgg_normalised)")),
            (try TestPaths.golden("network/decoder.safetensors").path, WeightFileIdentity(variant: .pytorchAdaIN, network: .decoder, evidence: "its tensor '1.weight' of shape [256, 512, 3, 3]")),
        ]
        for (path, identity) in expected {
            #expect(try WeightFileIdentity.identify(path: path) == identity, "\(path)")
        }
        for variant in ModelVariant.allCases {
            #expect(try VariantGoldens.files(variant).resolvingVariant().variant == variant)
        }
        // --model wins over recognition.
        var files = try VariantGoldens.files(.seed)
        files.variant = .torch
        #expect(try files.resolvingVariant().variant == .torch)
    }

    /// A models folder holding only the Torch release's files: found under their standard names.
    @Test func standardNamesOfEachModelAreFound() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("variant-models-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (golden, name) in [("torch_vgg_normalised.t7", "vgg_normalised.t7"), ("torch_decoder.t7", "decoder.t7"),
                               ("seed_vgg19.pth", "vgg19-dcbb9e9d.pth"), ("seed_decoder.pth", "seed-decoder.pth")] {
            try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent(name).path, withDestinationPath: try VariantGoldens.path(golden))
        }
        let environment = ["STYLECTL_MODELS": folder.path]
        let found = try ModelFiles.locate(vgg: nil, decoder: nil, environment: environment, executablePath: "")
        #expect(found.vgg == folder.appendingPathComponent("vgg_normalised.t7").path)
        #expect(found.decoder == folder.appendingPathComponent("decoder.t7").path)
        #expect(try found.resolvingVariant().variant == .torch)
        let seed = try ModelFiles.locate(vgg: nil, decoder: nil, variant: .seed, environment: environment, executablePath: "")
        #expect(seed.vgg.hasSuffix("vgg19-dcbb9e9d.pth") && seed.decoder.hasSuffix("seed-decoder.pth") && seed.variant == .seed)
    }

    /// Missing weights are named by the model asked for, with its standard files and the download
    /// command for that model (pytorch-AdaIN's when none is asked for).
    @Test func missingWeightsNameTheModelsFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("variant-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = ["STYLECTL_MODELS": folder.path]
        for (variant, files, fetch) in [(ModelVariant?.none, "vgg_normalised.pth and decoder.pth", "'Scripts/fetch-models'"),
                                        (.seed, "vgg19-dcbb9e9d.pth and seed-decoder.pth", "'Scripts/fetch-models --model seed'"),
                                        (.torch, "vgg_normalised.t7 and decoder.t7", "'Scripts/fetch-models --model torch'")] {
            #expect(throws: StyleTransferError.self) { try ModelFiles.locate(vgg: nil, decoder: nil, variant: variant, environment: environment, executablePath: "") }
            do {
                _ = try ModelFiles.locate(vgg: nil, decoder: nil, variant: variant, environment: environment, executablePath: "")
            } catch {
                #expect(error.description.contains("are \(files); download them with \(fetch)"), "\(error.description)")
                #expect(error.description.contains("Searched: \(folder.path)"))
            }
        }
        #expect(throws: StyleTransferError.self) { try ModelFiles.locateVGG(nil, variant: .seed, environment: environment, executablePath: "") }
    }

    /// A decoder of one model with the encoder of another: refused naming the file, what it was
    /// recognised by, and the model it belongs to.
    @Test func decoderOfAnotherModelIsRefused() throws {
        let seedVGG = try VariantGoldens.path("seed_vgg19.pth")
        let torchDecoder = try VariantGoldens.path("torch_decoder.t7")
        #expect(throws: StyleTransferError.weights(path: torchDecoder, .otherModel(
            expected: WeightFileIdentity(variant: .seed, network: .decoder, evidence: "net.0.0.weight"),
            found: WeightFileIdentity(variant: .torch, network: .decoder, evidence: "its Torch7 modules 0 and 1, a reflection padding and an nn.SpatialConvolution of 512 planes")))) {
            try Stylizer(models: ModelFiles(vgg: seedVGG, decoder: torchDecoder))
        }
        let seedDecoder = try VariantGoldens.path("seed_decoder.pth")
        let adainVGG = try TestPaths.golden("network/vgg_legacy.pth").path
        do {
            _ = try Stylizer(models: ModelFiles(vgg: adainVGG, decoder: seedDecoder))
            Issue.record("a seed decoder with pytorch-AdaIN's VGG was accepted")
        } catch {
            #expect(error.description == """
                weight file '\(seedDecoder)': this is the decoder of the seed model (aadhithya/AdaIN-pytorch), recognised by its tensor 'net.0.0.weight'; \
                the decoder of the pytorch-adain model (naoto0804/pytorch-AdaIN) is needed here (its first tensor is '1.weight'): \
                run that model with --model seed and both of its files, or give the decoder of the pytorch-adain model (naoto0804/pytorch-AdaIN) (decoder.pth or decoder.safetensors)
                """)
        }
        // --model torch with pytorch-AdaIN's files: the VGG file is named.
        #expect(throws: StyleTransferError.weights(path: adainVGG, .otherModel(
            expected: WeightFileIdentity(variant: .torch, network: .encoder, evidence: "its Torch7 module 0"),
            found: WeightFileIdentity(variant: .pytorchAdaIN, network: .encoder, evidence: "its tensor '0.weight' (the 1x1 convolution of vgg_normalised)")))) {
            try Stylizer(models: ModelFiles(vgg: adainVGG, decoder: try TestPaths.golden("network/decoder_legacy.pth").path, variant: .torch))
        }
    }

    /// torchvision VGG-19 files built by the test from the golden's tensors, one tensor removed or
    /// reshaped: refused naming the key, its shape and the file.
    @Test func vgg19WithAMissingOrMisshapenTensorIsRefused() throws {
        let conventions = ModelVariant.seed.conventions
        let keys = conventions.encoderArchitecture.flatMap { $0.tensors(conventions.encoderNetwork).map(\.key) }
        let features = try loadStateDict(path: VariantGoldens.path("seed_vgg19.pth"), keys: Set(keys))
        #expect(features.count == 18)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("variant-vgg19-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let decoder = try VariantGoldens.path("seed_decoder.pth")

        var missing = features
        missing["features.7.weight"] = nil
        let missingPath = folder.appendingPathComponent("missing.safetensors").path
        try writeSafeTensors(missing, path: missingPath)
        #expect(throws: StyleTransferError.weights(path: missingPath, .missingKey(network: "VGG encoder", key: "features.7.weight", expectedShape: [128, 128, 3, 3]))) {
            try Stylizer(models: ModelFiles(vgg: missingPath, decoder: decoder))
        }

        var misshapen = features
        misshapen["features.10.weight"] = StoredTensor(shape: [256, 128, 1, 1], values: [Float](repeating: 0, count: 256 * 128))
        let misshapenPath = folder.appendingPathComponent("misshapen.safetensors").path
        try writeSafeTensors(misshapen, path: misshapenPath)
        do {
            _ = try Stylizer(models: ModelFiles(vgg: misshapenPath, decoder: decoder))
            Issue.record("a misshapen VGG-19 was accepted")
        } catch {
            #expect(error == .weights(path: misshapenPath, .wrongShape(network: "VGG encoder", key: "features.10.weight", expected: [256, 128, 3, 3], found: [256, 128, 1, 1])))
            #expect(error.description == "weight file '\(misshapenPath)': tensor 'features.10.weight' has shape [256, 128, 1, 1], the VGG encoder needs [256, 128, 3, 3]")
        }
        // The full golden file is untouched.
        #expect(try Stylizer(models: VariantGoldens.files(.seed)).variant == .seed)
    }

    /// Torch7 module lists that differ from AdaIN-style's networks, made from the golden files:
    /// a module left out, a pooling in floor mode, a module of another class in the file.
    @Test func torch7NetworksWithUnexpectedModulesAreRefused() throws {
        var decoder = try loadTorch7Sequential(path: VariantGoldens.path("torch_decoder.t7"))
        #expect(decoder.count == 29)
        _ = try torch7StateDict(decoder, network: .decoder)
        decoder.remove(at: 2)
        #expect(throws: NetworkWeightError.torch7Module(network: "decoder", index: 2, found: "nn.SpatialUpSamplingNearest(2)", expected: "nn.ReLU")) {
            try torch7StateDict(decoder, network: .decoder)
        }
        let intact = try loadTorch7Sequential(path: VariantGoldens.path("torch_vgg_normalised.t7"))
        #expect(intact.count == 33)
        #expect(try torch7StateDict(intact, network: .encoder).count == 20)
        var vgg = intact
        guard case .maxPooling(var pooling) = vgg[7] else { Issue.record("module 7 is \(vgg[7])"); return }
        pooling.ceilMode = false
        vgg[7] = .maxPooling(pooling)
        do {
            _ = try torch7StateDict(vgg, network: .encoder)
            Issue.record("a floor-mode pooling was accepted")
        } catch {
            #expect(error.description == "module 7 of the VGG encoder (Lua's model:get(8)) is nn.SpatialMaxPooling(2, 2, 2, 2, 0, 0) in floor mode; AdaIN-style's VGG encoder has nn.SpatialMaxPooling(2, 2, 2, 2, 0, 0) in ceil mode there")
        }
        #expect(throws: NetworkWeightError.torch7Module(network: "VGG encoder", index: 30, found: "missing (the file has 30 modules)", expected: "nn.ReLU")) {
            try torch7StateDict(Array(intact.prefix(30)), network: .encoder)
        }

        // In the file: the first nn.ReLU's class renamed nn.Tanh (same length), the rest intact.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("variant-t7-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: VariantGoldens.path("torch_decoder.t7")))
        let relu = try #require(bytes.range(of: Data("nn.ReLU".utf8)))
        bytes.replaceSubrange(relu, with: Data("nn.Tanh".utf8))
        let tampered = folder.appendingPathComponent("decoder.t7").path
        try bytes.write(to: URL(fileURLWithPath: tampered))
        #expect(throws: StyleTransferError.checkpoint(.unsupportedModule(path: tampered, index: 2, className: "nn.Tanh"))) {
            try Stylizer(models: ModelFiles(vgg: VariantGoldens.path("torch_vgg_normalised.t7"), decoder: tampered))
        }
    }

    /// The seed's ONNX export (torch.onnx.export at opset 9 of its StyleNet, Scripts/goldens_variants.py)
    /// gives, from one file given as --decoder alone, the tensors its .pth files hold, bit for bit,
    /// and so the same stylization.
    @Test func seedONNXExportGivesThePthWeights() throws {
        let onnx = try VariantGoldens.path("seed_stylenet.onnx")
        let files = try ModelFiles.locate(vgg: nil, decoder: onnx, environment: [:], executablePath: "").resolvingVariant()
        #expect(files == ModelFiles(vgg: onnx, decoder: onnx, variant: .seed))
        let graph = try loadONNXGraph(path: onnx)
        let vgg = try loadStateDict(path: VariantGoldens.path("seed_vgg19.pth"))
        let decoder = try loadStateDict(path: VariantGoldens.path("seed_decoder.pth"))
        for (network, reference) in [(NetworkRole.encoder, vgg), (.decoder, decoder)] {
            let state = try seedONNXStateDict(graph, network: network)
            #expect(state.count == 18, "\(network): 9 convolutions, a weight and a bias each")
            for (key, tensor) in state { #expect(reference[key] == tensor, "\(key)") }
        }
        let fromONNX = try Stylizer(models: files)
        let fromPth = try #require(try VariantGoldens.stylizers[.seed]?.get())
        let sizing = ModelVariant.seed.conventions.sizing(size: 64, crop: false)
        let content = TestPaths.sharedImages.appendingPathComponent("content/cornell.jpg").path
        let style = TestPaths.sharedImages.appendingPathComponent("style/woman_with_hat_matisse.jpg").path
        let images = [fromONNX, fromPth].map { stylizer in
            Result { try StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: sizing).stylize(content: content, controls: StyleControls(styles: [style])) }
        }
        #expect(try images[0].get() == images[1].get())
    }

    /// ONNX graphs that are not the seed's StyleNet are refused naming the Conv node, and an ONNX
    /// file of another model naming the file and the model's own files.
    @Test func onnxGraphsThatAreNotTheSeedsAreRefused() throws {
        let graph = try loadONNXGraph(path: VariantGoldens.path("seed_stylenet.onnx"))
        var short = graph
        short.nodes.removeAll { $0.opType == "Conv" && $0.inputs[1] == "decoder.net.3.2.weight" }
        #expect(throws: NetworkWeightError.onnxConvolution(
            index: 17, node: nil, found: "missing (the graph has 17 Conv nodes)",
            expected: "a convolution with weight [3, 64, 3, 3] and bias [3] (the seed's 'net.3.2.weight')")) {
            try seedONNXStateDict(short, network: .decoder)
        }
        var misshapen = graph
        misshapen.initializers["encoder.5.weight"] = StoredTensor(shape: [128, 64, 1, 1], values: Array(repeating: 0, count: 128 * 64))
        let error = #expect(throws: NetworkWeightError.self) { try seedONNXStateDict(misshapen, network: .encoder) }
        #expect(error?.description == "Conv node 2 ('\(graph.nodes.filter { $0.opType == "Conv" }[2].name)') of the ONNX graph is a convolution with weight [128, 64, 1, 1]; the seed's StyleNet export (aadhithya/AdaIN-pytorch's export.py) has a convolution with weight [128, 64, 3, 3] and bias [128] (the seed's 'features.5.weight') there")

        // stylectl's own export of the pytorch-adain model: not read back as weights.
        let adain = try Stylizer(models: VariantGoldens.files(.pytorchAdaIN))
        let exported = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-\(UUID().uuidString)-adain.onnx").path
        defer { try? FileManager.default.removeItem(atPath: exported) }
        try ONNXExport.write(adain, size: .fixed(64), producerVersion: "test", to: exported)
        #expect(try WeightFileIdentity.identify(path: exported) == nil)
        do {
            _ = try Stylizer(models: ModelFiles(vgg: exported, decoder: exported).resolvingVariant())
            Issue.record("an ONNX export of the pytorch-adain model was loaded as weights")
        } catch {
            #expect(error.description == "weight file '\(exported)': ONNX weights are read for the seed model only (its export.py's StyleNet); for the pytorch-adain model (naoto0804/pytorch-AdaIN) give its vgg_normalised.pth, vgg_normalised.safetensors, decoder.pth, decoder.safetensors files")
        }
    }

    /// The seed model pools in floor mode: a content whose sides are not multiples of 8 is refused
    /// before it is encoded.
    @Test func seedRefusesSidesThatAreNotMultiplesOf8() throws {
        let stylizer = try #require(try VariantGoldens.stylizers[.seed]?.get())
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: ImageSizing(size: 60, crop: true), styleSizing: ImageSizing(size: 64))
        let content = TestPaths.sharedImages.appendingPathComponent("content/cornell.jpg").path
        let style = TestPaths.sharedImages.appendingPathComponent("style/woman_with_hat_matisse.jpg").path
        do {
            _ = try pipeline.stylize(content: content, controls: StyleControls(styles: [style]))
            Issue.record("a 60x60 content was stylized by the seed model")
        } catch {
            #expect(error.description == "content image '\(content)' is 60x60 pixels after sizing; the seed model (aadhithya/AdaIN-pytorch) pools in floor mode, so its output covers only sides that are multiples of 8: use a --content-size that is a multiple of 8 (its own infer.py resizes to 256 x 256, the default with this model)")
        }
    }
}
