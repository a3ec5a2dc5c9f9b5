// The torch model's trainer (AdaIN-style's train.lua) against Scripts/goldens_variants.py's
// PyTorch re-implementation of its criterion and of optim.adam (torchtrain_*), and a run that saves
// a decoder_iter_N.t7 which stylize --model torch and PyPI's torchfile read.

import Checkpoints
import Foundation
import ImageCodec
@testable import StyleTransfer
import TensorCore
import Testing
import TestSupport

enum TorchTrainingGoldens {
    static let arrays = VariantGoldens.arrays

    /// index.json's "torchtrain": the steps, rates and weights the script used.
    static func settings() throws -> [String: Any] {
        try #require(try arrays.index()["torchtrain"] as? [String: Any])
    }

    static func hyperparameters() throws -> TrainingHyperparameters {
        let s = try settings()
        return TrainingHyperparameters(learningRate: try #require(s["lr"] as? Double), learningRateDecay: try #require(s["lr_decay"] as? Double),
                                       contentWeight: Float(try #require(s["content_weight"] as? Double)),
                                       styleWeight: Float(try #require(s["style_weight"] as? Double)))
    }

    /// pytorch_adain's tiny encoder from torchtrain_enc_conv0 ... 4.
    static func encoder() throws -> TrainingNetwork {
        var chain = TinyChain()
        let landmarks = [0: "relu1_1", 2: "relu2_1", 3: "relu3_1", 4: "relu4_1"]
        for k in 0 ..< 5 {
            try arrays.convolution("torchtrain_enc_conv\(k)", relu: true, landmark: landmarks[k], to: &chain)
            if k == 1 || k == 2 || k == 3 { chain.maxPool() }
        }
        return try chain.network()
    }

    /// The tiny decoder 8 -> 6 -> 4 -> 4 -> 3 with PyTorch's weights after `step` steps.
    static func decoder(step: Int) throws -> TrainingNetwork {
        var chain = TinyChain()
        for k in 0 ..< 4 {
            chain.convolution(weight: try arrays.tensor("torchtrain_conv\(k)_weight\(step)"), bias: try arrays.tensor("torchtrain_conv\(k)_bias\(step)").values,
                              relu: k < 3, landmark: k == 3 ? "image" : nil)
            if k < 3 { chain.upsample() }
        }
        return try chain.network()
    }

    /// A trainer from PyTorch's weights after `step` steps, with `statistics` and `reduction` (the
    /// torch model's unless a test mutates them).
    static func trainer(step: Int = 0, statistics: TrainingStatistics = ModelVariant.torch.trainingStatistics,
                        reduction: StyleLossReduction = ModelVariant.torch.trainingConventions.styleLossReduction,
                        update: Adam.Update = ModelVariant.torch.trainingConventions.adamUpdate) throws -> DecoderTrainer {
        DecoderTrainer(encoder: try encoder(), decoder: try decoder(step: step), hyperparameters: try hyperparameters(), statistics: statistics,
                       styleLossReduction: reduction, adamUpdate: update)
    }

    static func batch(_ i: Int) throws -> (content: Tensor, style: Tensor) {
        (try arrays.tensor("torchtrain_content\(i)"), try arrays.tensor("torchtrain_style\(i)"))
    }

    static func losses(step k: Int) throws -> (content: Double, style: Double) {
        (Double(try arrays.tensor("torchtrain_loss_content\(k)").values[0]), Double(try arrays.tensor("torchtrain_loss_style\(k)").values[0]))
    }

    /// The largest relative difference of step `k`'s losses (each step from PyTorch's weights
    /// before it) from PyTorch's, and the largest relative norm error of its gradients.
    static func stepErrors(statistics: TrainingStatistics = ModelVariant.torch.trainingStatistics,
                           reduction: StyleLossReduction = ModelVariant.torch.trainingConventions.styleLossReduction) throws -> (loss: Double, gradient: Double) {
        var (loss, gradient) = (0.0, 0.0)
        for k in 1 ... (try #require(try settings()["steps"] as? Int)) {
            let (content, style) = try batch(k - 1)
            let evaluation = try trainer(step: k - 1, statistics: statistics, reduction: reduction).evaluate(content: content, style: style)
            let (c, s) = try losses(step: k)
            loss = max(loss, abs(Double(evaluation.content) - c) / c, abs(Double(evaluation.style) - s) / s)
            for (j, g) in evaluation.gradients.enumerated() {
                gradient = max(gradient, relativeNormError(g.weight, try arrays.tensor("torchtrain_grad\(k)_conv\(j)_weight").values),
                               relativeNormError(g.bias, try arrays.tensor("torchtrain_grad\(k)_conv\(j)_bias").values))
            }
        }
        return (loss, gradient)
    }

    /// Our own trajectory of the golden's steps from its initial weights: the largest difference of
    /// a weight or bias from PyTorch's after each step, in units of the learning rate.
    static func trajectoryError(update: Adam.Update = ModelVariant.torch.trainingConventions.adamUpdate) throws -> Double {
        var trainer = try trainer(update: update)
        let lr = try hyperparameters().learningRate
        var worst = 0.0
        for k in 1 ... (try #require(try settings()["steps"] as? Int)) {
            let (content, style) = try batch(k - 1)
            _ = trainer.step(content: content, style: style)
            let reference = try decoder(step: k).convolutions
            for (ours, theirs) in zip(trainer.decoder.convolutions, reference) {
                for (a, b) in zip(ours.weight + ours.bias, theirs.weight + theirs.bias) { worst = max(worst, abs(Double(a) - Double(b)) / lr) }
            }
        }
        return worst
    }

    /// optim.adam alone (torchtrain_adam_*): the largest difference of the parameters from Lua's
    /// rule after each step, relative to the step's size (lr).
    static func optimAdamError(update: Adam.Update) throws -> Double {
        let s = try #require(try settings()["adam"] as? [String: Any])
        let (lr, decay, eps) = (try #require(s["lr"] as? Double), try #require(s["lr_decay"] as? Double), try #require(s["eps"] as? Double))
        var parameters = try arrays.tensor("torchtrain_adam_param0").values
        var state = Adam.State(count: parameters.count)
        var worst = 0.0
        for k in 1 ... (try #require(s["steps"] as? Int)) {
            let rate = TrainingHyperparameters(learningRate: lr, learningRateDecay: decay).learningRate(at: k - 1)
            Adam(learningRate: Float(rate), eps: Float(eps), update: update).step(&parameters, gradient: try arrays.tensor("torchtrain_adam_grad\(k)").values, state: &state)
            for (a, b) in zip(parameters, try arrays.tensor("torchtrain_adam_param\(k)").values) { worst = max(worst, abs(Double(a) - Double(b)) / lr) }
        }
        return worst
    }
}

@Suite struct TorchTrainingGoldenTests {
    /// Each step from PyTorch's weights before it: the losses within relative 1e-5 and the
    /// gradients within relative 1e-4 in norm (the tiny networks' float32 sums in another order;
    /// the pytorch-adain golden's tolerances, same networks).
    @Test("train.lua's steps: losses and gradients match the PyTorch re-implementation")
    func stepsMatchPyTorch() throws {
        let (loss, gradient) = try TorchTrainingGoldens.stepErrors()
        print("torch training: losses within \(loss), gradients within \(gradient) (relative)")
        #expect(loss <= 1e-5 && gradient <= 1e-4, "losses within \(loss), gradients within \(gradient)")
    }

    /// Our own three steps from the initial weights: every weight within lr / 100 of PyTorch's
    /// after each step. optim.adam's steps move a weight by about lr (its first by lr * sign(g) for
    /// |g| well above eps), so a gradient of the wrong sign, a wrong rate or decay shows as a
    /// difference of order lr; float32 rounding of the gradients moves the steps by far less.
    @Test("three steps of train.lua: the decoder's weights follow PyTorch's")
    func trajectoryFollowsPyTorch() throws {
        let error = try TorchTrainingGoldens.trajectoryError()
        print("torch training: weights within \(error) lr of PyTorch's after each step")
        #expect(error <= 1e-2, "weights differ by \(error) lr")
    }

    /// optim.adam's rule where eps matters (gradients of 1e-6 ... 1e-2, eps 1e-6): within 5e-5 of
    /// the step size, one float32 ulp of a parameter below 4 (2^-21 = 4.8e-7 = 4.8e-5 lr at lr
    /// 0.01): the step itself is rounded once to a parameter's precision (measured: 1.2e-5 lr).
    @Test("optim.adam's update rule matches Lua's")
    func optimAdamMatches() throws {
        let error = try TorchTrainingGoldens.optimAdamError(update: .torchOptim)
        print("optim.adam: parameters within \(error) lr of Lua's rule")
        #expect(error <= 5e-5, "parameters differ by \(error) lr")
    }

    /// Mutations the comparisons must catch, each by at least ten times its tolerance:
    /// pytorch-AdaIN's unbiased std (+ 1e-5) in the style loss (measured: losses 8.3e-4,
    /// gradients 1.1e-2), its mean reduction (0.85, 0.13), torch.optim.Adam's update (1.1 lr; the
    /// training trajectory cannot show it: with eps 1e-8 the two rules differ by eps / |g|).
    @Test("the comparisons fail with pytorch-AdaIN's style loss or torch.optim.Adam")
    func mutationsAreCaught() throws {
        let torch = ModelVariant.torch.trainingStatistics
        let unbiased = try TorchTrainingGoldens.stepErrors(statistics: TrainingStatistics(adain: torch.adain, styleLoss: .pytorchAdaIN))
        print("torch training with pytorch-AdaIN's std in the style loss: losses within \(unbiased.loss), gradients within \(unbiased.gradient)")
        #expect(unbiased.loss > 10 * 1e-5 && unbiased.gradient > 10 * 1e-4)
        let mean = try TorchTrainingGoldens.stepErrors(reduction: .meanOverPlanes)
        print("torch training with the style loss averaged over the planes: losses within \(mean.loss), gradients within \(mean.gradient)")
        #expect(mean.loss > 10 * 1e-5 && mean.gradient > 10 * 1e-4)
        let adam = try TorchTrainingGoldens.optimAdamError(update: .pytorch)
        print("torch.optim.Adam's rule on optim.adam's golden: parameters within \(adam) lr")
        #expect(adam > 10 * 5e-5)
    }
}

/// ImageLoaderAsync's preparation: `image.scale(img, "^size")` (the longer side truncated, not
/// rounded; torch/image's scaleBilinear), the random crop, the image as it is (vgg_normalised.t7's
/// 1x1 convolution normalises it), a new permutation every pass.
@Suite struct TorchTrainingImagesTests {
    @Test("the shorter side scaled as image.scale, the longer truncated, cropped, not normalised")
    func torchCropsAreScaledAsImageLoader() throws {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("torch-images-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temp) }
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let (width, height) = (40, 30)
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        for i in pixels.indices { pixels[i] = Float((i * 37 + (i / width) * 11) % 256) / 255 }
        try writeImage(RGBImage(width: width, height: height, pixels: pixels), path: temp.path + "/a.png")
        let image = try readImage(path: temp.path + "/a.png")
        let preparation = TrainingImagePreparation(.torch, ModelVariant.torch.trainingConventions)
        #expect(preparation == TrainingImagePreparation(resizing: .luaShorterSide, sampling: .reshuffledPasses, input: .image))
        let images = try TrainingImageFolder(path: temp.path, role: .trainingContent, imageSize: 20, cropSize: 8, preparation: preparation)
        func expected(width sized: Int, _ random: inout SeededRandom) throws -> [Float] {
            // 40 x 30 to a shorter side of 20: 26.67, truncated to 26 (the seed's rounding gives 27).
            let scaled = try resizeLikeTorchImage(image, width: sized, height: 20)
            let top = random.integer(upTo: scaled.height - 8), left = random.integer(upTo: scaled.width - 8)
            var values: [Float] = []
            for c in 0 ..< 3 {
                for y in 0 ..< 8 { for x in 0 ..< 8 { values.append(scaled.pixels[(c * scaled.height + top + y) * scaled.width + left + x]) } }
            }
            return values
        }
        var random = SeededRandom(seed: 5), replay = random, other = random, otherReplay = random
        for _ in 0 ..< 3 { #expect(try images.crop(0, random: &random) == (try expected(width: 26, &replay))) }
        #expect(try images.crop(0, random: &other) != (try expected(width: 27, &otherReplay)))
    }
}

@Suite struct TorchTrainingRunTests {
    private func configuration(output: String) throws -> DecoderTrainingConfiguration {
        try smallTrainingRun(model: .torch, vgg: "torch_vgg_normalised.t7", decoder: "torch_decoder.t7", output: output)
    }

    /// train.lua's defaults come from the torch model's table; a run saves decoder_iter_2.t7, an
    /// nn.Sequential laid out as the release's decoder.t7, that stylize --model torch loads (our
    /// reader, the torch model recognised from it) and PyPI's torchfile reads, both bit for bit.
    @Test("a torch training run saves a decoder.t7 that stylize --model torch and torchfile read")
    func torchRunSavesTorch7Decoder() throws {
        let defaults = DecoderTrainingConfiguration(model: .torch, contentFolder: "c", styleFolder: "s", outputFolder: "o")
        #expect(defaults.batchSize == 8 && defaults.iterations == 160_000 && defaults.saveInterval == 2_000)
        #expect(defaults.hyperparameters == TrainingHyperparameters(learningRate: 1e-4, learningRateDecay: 5e-5, contentWeight: 1, styleWeight: 1e-2))
        #expect(defaults.imageSize == 512 && defaults.cropSize == 256)

        let output = FileManager.default.temporaryDirectory.appendingPathComponent("torchtrain-out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let session = try DecoderTraining(try configuration(output: output)).run()
        #expect(session.model == .torch && session.trainer.iteration == 2)
        #expect(session.trainer.statistics == ModelVariant.torch.trainingStatistics)
        #expect(session.trainer.styleLossReduction == .sumOverChannels && session.trainer.adamUpdate == .torchOptim)
        let decoderPath = output + "/decoder_iter_2.t7"
        let modules = try loadTorch7Sequential(path: decoderPath)
        #expect(modules.count == 29)
        let stylizer = try Stylizer(models: ModelFiles(vgg: try VariantGoldens.path("torch_vgg_normalised.t7"), decoder: decoderPath))
        #expect(stylizer.variant == .torch)
        let ours = session.trainer.decoder.convolutions
        let loaded = TrainingNetwork(stylizer.decoder).convolutions
        #expect(loaded.count == ours.count && zip(loaded, ours).allSatisfy { $0.weight == $1.weight && $0.bias == $1.bias })
        // The initial decoder moved: the file holds the trained weights, not torch_decoder.t7's.
        let initial = TrainingNetwork(try Stylizer(models: ModelFiles(vgg: try VariantGoldens.path("torch_vgg_normalised.t7"),
                                                                       decoder: try VariantGoldens.path("torch_decoder.t7"))).decoder).convolutions
        #expect(zip(initial, ours).contains { $0.weight != $1.weight })

        let values = output + "/torchfile"
        try FileManager.default.createDirectory(atPath: values, withIntermediateDirectories: true)
        let (className, read) = try TorchfileReading.read(decoderPath, valuesTo: values)
        #expect(className == "nn.Sequential" && read.count == 29)
        var convolution = 0
        for (index, module) in read.enumerated() where module["class"] as? String == "nn.SpatialConvolution" {
            #expect(try TorchfileReading.values(values, module: index, field: "weight") == ours[convolution].weight, "module \(index)")
            #expect(try TorchfileReading.values(values, module: index, field: "bias") == ours[convolution].bias, "module \(index)")
            convolution += 1
        }
        #expect(convolution == ours.count)
        #expect(read.last?["class"] as? String == "nn.SpatialConvolution")
    }

    /// A torch run resumed from its state goes on as if never interrupted: the state records the
    /// model, whose optim.adam and style loss the resumed trainer takes again.
    @Test func aResumedTorchRunEqualsAStraightOne() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("torchtrain-resume-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: output) }
        let c = try configuration(output: output)
        let preparation = TrainingImagePreparation(.torch, ModelVariant.torch.trainingConventions)
        let folders = { () throws in
            (try TrainingImageFolder(path: c.contentFolder, role: .trainingContent, imageSize: 24, cropSize: 16, preparation: preparation),
             try TrainingImageFolder(path: c.styleFolder, role: .trainingStyle, imageSize: 24, cropSize: 16, preparation: preparation))
        }
        let (content, style) = try folders()
        let (encoder, decoder) = (try TorchTrainingGoldens.encoder(), try TorchTrainingGoldens.decoder(step: 0))
        let hyperparameters = try TorchTrainingGoldens.hyperparameters()
        let session = { () in
            TrainingSession(trainer: DecoderTrainer(encoder: encoder, decoder: decoder, hyperparameters: hyperparameters, model: .torch),
                            content: content, style: style, batchSize: 2, seed: 3, model: .torch)
        }
        var straight = session()
        for _ in 0 ..< 3 { _ = try straight.iterate() }
        var first = session()
        _ = try first.iterate()
        let state = output + "/state.safetensors"
        try first.save(statePath: state)
        var resumed = try TrainingSession.resume(statePath: state, model: .torch, encoder: encoder, decoder: decoder, content: content, style: style)
        #expect(resumed.trainer.adamUpdate == .torchOptim && resumed.trainer.styleLossReduction == .sumOverChannels)
        for _ in 0 ..< 2 { _ = try resumed.iterate() }
        #expect(resumed.trainer.decoder.convolutions == straight.trainer.decoder.convolutions)
        #expect(resumed.history.map(\.loss) == straight.history.map(\.loss))
    }

    /// Bad input is refused as for the other models, naming the torch model's files: a missing
    /// content folder, a missing vgg_normalised.t7 (given, or searched for), train.lua's default
    /// batch under a small memory budget; no output folder is made.
    @Test func badInputIsRefusedNamingTheTorchModelsFiles() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("torchtrain-bad-\(UUID().uuidString)").path
        var c = try configuration(output: output)
        let content = c.contentFolder
        c.contentFolder = content + "/none"
        #expect(throws: TrainingError.folderNotFound(role: .trainingContent, path: content + "/none")) { _ = try DecoderTraining(c).run() }
        c.contentFolder = content

        var missing = c
        missing.vggWeights = output + "-models/vgg_normalised.t7"
        do {
            _ = try DecoderTraining(missing).run()
            Issue.record("a run without the VGG weights started")
        } catch {
            #expect(error.description.contains(output + "-models/vgg_normalised.t7"), "\(error)")
        }
        // Without --vgg, the torch model's own file name is looked for and named.
        do {
            _ = try ModelFiles.locateVGG(nil, variant: .torch, environment: ["STYLECTL_MODELS": output + "-models"], executablePath: "")
            Issue.record("a VGG file was found in an empty search")
        } catch {
            #expect(error.description.contains("vgg_normalised.t7") && !error.description.contains(".pth"), "\(error)")
        }

        // train.lua's default batch of 8 crops of 256 under a 1 GB budget.
        let torch = ModelVariant.torch.trainingConventions
        let needed = TrainingMemory.peakBytes(batchSize: torch.batchSize, cropSize: torch.cropSize)
        #expect(throws: TrainingError.insufficientMemory(batchSize: 8, cropSize: 256, needed: needed, available: 1 << 30, source: "STYLECTL_MAX_MEMORY=1G")) {
            try TrainingMemory.check(batchSize: torch.batchSize, cropSize: torch.cropSize, environment: ["STYLECTL_MAX_MEMORY": "1G"])
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
