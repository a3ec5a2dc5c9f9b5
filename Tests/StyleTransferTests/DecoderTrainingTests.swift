// Decoder training: two steps of train.py against PyTorch (.goldens/training, "train_*" arrays of
// Scripts/goldens_training.py), the loss going down, resuming bit for bit, the data errors, and a
// trained decoder saved and loaded for stylization.

import Checkpoints
import Foundation
import ImageCodec
import StyleTransfer
import Testing
import TensorCore
import TestSupport

/// The script's tiny training decoder 8 -> 6 -> 4 -> 4 -> 3 at its weights after `step` steps.
func tinyDecoder(step: Int = 0) throws -> TrainingNetwork {
    var chain = TinyChain()
    for k in 0 ..< 4 {
        chain.convolution(weight: try trainingGoldens.tensor("train_conv\(k)_weight\(step)"), bias: try trainingGoldens.tensor("train_conv\(k)_bias\(step)").values,
                          relu: k < 3, landmark: k == 3 ? "image" : nil)
        if k < 3 { chain.upsample() }
    }
    return try chain.network()
}

/// A folder of `count` images from the shared test images, resized to `side` x `side`.
private func imageFolder(_ kind: String, _ names: [String], side: Int) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("training-\(kind)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for name in names {
        let image = try readImage(path: TestPaths.sharedImages.appendingPathComponent("\(kind)/\(name)").path)
        try writeImage(try resizeBilinear(image, width: side, height: side), path: folder + "/" + (name as NSString).deletingPathExtension + ".png")
    }
    return folder
}

@Suite struct DecoderTrainingTests {
    /// Compared as llm.c compares its training step with PyTorch's: the losses and the gradients
    /// of each step, each step from PyTorch's own weights, and the losses of our own two-step
    /// trajectory. Not the weights after Adam: Adam's first update is lr x g / (|g| + eps), about
    /// lr x sign(g), so a near-zero gradient whose sign differs between two equally valid summation
    /// orders (another CPU's kernel) moves a weight by 2 lr. Adam itself is checked against
    /// torch.optim.Adam in TrainingKernelsBackwardTests.
    @Test("two train.py iterations on a tiny network: losses and gradients match PyTorch")
    func twoStepsMatchPyTorch() throws {
        let hyperparameters = TrainingHyperparameters(
            learningRate: try trainingGoldens.double("train_lr"), learningRateDecay: try trainingGoldens.double("train_lr_decay"),
            contentWeight: Float(try trainingGoldens.double("train_content_weight")), styleWeight: Float(try trainingGoldens.double("train_style_weight")))
        var trajectory = DecoderTrainer(encoder: try trainingGoldens.tinyEncoder(), decoder: try tinyDecoder(), hyperparameters: hyperparameters)
        for i in 0 ..< 2 {
            let (content, style) = (try trainingGoldens.tensor("train_content\(i)"), try trainingGoldens.tensor("train_style\(i)"))
            let (c, s) = (try trainingGoldens.double("train_loss_content\(i + 1)"), try trainingGoldens.double("train_loss_style\(i + 1)"))
            // Step i + 1 from PyTorch's weights after step i.
            let atReference = DecoderTrainer(encoder: try trainingGoldens.tinyEncoder(), decoder: try tinyDecoder(step: i),
                                             hyperparameters: hyperparameters).evaluate(content: content, style: style)
            #expect(abs(Double(atReference.content) - c) <= 1e-5 * c, "step \(i + 1) content loss \(atReference.content), PyTorch \(c)")
            #expect(abs(Double(atReference.style) - s) <= 1e-5 * s, "step \(i + 1) style loss \(atReference.style), PyTorch \(s)")
            for (k, gradient) in atReference.gradients.enumerated() {
                for (what, actual) in [("weight", gradient.weight), ("bias", gradient.bias)] {
                    let reference = try trainingGoldens.tensor("train_conv\(k)_d\(what)\(i + 1)").values
                    let error = relativeNormError(actual, reference)
                    #expect(error <= 1e-4, "step \(i + 1) conv \(k) \(what) gradient: relative error \(error)")
                }
            }
            // Our own trajectory: the losses of the step after our own Adam step.
            let loss = trajectory.step(content: content, style: style)
            #expect(loss.iteration == i + 1)
            #expect(loss.learningRate == hyperparameters.learningRate / (1 + hyperparameters.learningRateDecay * Double(i)))
            #expect(abs(Double(loss.content) - c) <= 1e-4 * c, "trajectory step \(i + 1) content loss \(loss.content), PyTorch \(c)")
            #expect(abs(Double(loss.style) - s) <= 1e-4 * s, "trajectory step \(i + 1) style loss \(loss.style), PyTorch \(s)")
        }
        // Adam moved every convolution by at most lr per step and element (Adam's update is bounded
        // by about lr for these betas), and moved it.
        let rates = (0 ..< 2).map { Float(hyperparameters.learningRate(at: $0)) }
        for (k, (after, before)) in zip(trajectory.decoder.convolutions, try tinyDecoder().convolutions).enumerated() {
            let moved = maxAbsDifference(after.weight, before.weight).value
            #expect(moved > 0 && moved <= 1.01 * rates.reduce(0, +), "conv \(k) moved by \(moved)")
        }
    }

    @Test("the learning rate follows train.py's adjust_learning_rate")
    func learningRateDecay() {
        let h = TrainingHyperparameters()
        #expect(h.learningRate(at: 0) == 1e-4)
        #expect(h.learningRate(at: 20_000) == 1e-4 / 2)
    }

    @Test("a few iterations on tiny images lower the loss")
    func smokeTestLowersTheLoss() throws {
        let content = try imageFolder("content", ["cornell.jpg", "lenna.jpg"], side: 24)
        let style = try imageFolder("style", ["sketch.png", "mondrian.jpg"], side: 24)
        defer { try? FileManager.default.removeItem(atPath: content); try? FileManager.default.removeItem(atPath: style) }
        let trainer = DecoderTrainer(encoder: try trainingGoldens.tinyEncoder(), decoder: try tinyDecoder(),
                                     hyperparameters: TrainingHyperparameters(learningRate: 1e-2, learningRateDecay: 0))
        // Whole images (crop = image size), both in every batch: the same batch each iteration.
        var session = TrainingSession(
            trainer: trainer, content: try TrainingImageFolder(path: content, role: .trainingContent, imageSize: 16, cropSize: 16),
            style: try TrainingImageFolder(path: style, role: .trainingStyle, imageSize: 16, cropSize: 16), batchSize: 2, seed: 3)
        for _ in 0 ..< 5 { _ = try session.iterate() }
        let totals = session.history.map(\.loss.total)
        #expect(totals.count == 5)
        #expect(totals[4] < 0.9 * totals[0], "losses \(totals)")
    }

    @Test("training 4 iterations equals 2, saving, resuming and 2 more, bit for bit")
    func resumeEqualsUninterrupted() throws {
        let content = try imageFolder("content", ["cornell.jpg", "lenna.jpg", "modern.jpg"], side: 24)
        let style = try imageFolder("style", ["sketch.png", "mondrian.jpg"], side: 20)
        defer { try? FileManager.default.removeItem(atPath: content); try? FileManager.default.removeItem(atPath: style) }
        let (encoder, decoder) = (try trainingGoldens.tinyEncoder(), try tinyDecoder())
        let folders = { () throws in
            (try TrainingImageFolder(path: content, role: .trainingContent, imageSize: 24, cropSize: 16),
             try TrainingImageFolder(path: style, role: .trainingStyle, imageSize: 0, cropSize: 16))
        }
        let (c, s) = try folders()
        let hyperparameters = TrainingHyperparameters(learningRate: 1e-3, learningRateDecay: 0.1, contentWeight: 2, styleWeight: 5)
        var straight = TrainingSession(trainer: DecoderTrainer(encoder: encoder, decoder: decoder, hyperparameters: hyperparameters),
                                       content: c, style: s, batchSize: 2, seed: 11)
        for _ in 0 ..< 4 { _ = try straight.iterate() }

        var first = TrainingSession(trainer: DecoderTrainer(encoder: encoder, decoder: decoder, hyperparameters: hyperparameters),
                                    content: c, style: s, batchSize: 2, seed: 11)
        for _ in 0 ..< 2 { _ = try first.iterate() }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        try first.save(statePath: state)
        // Resumed with other sizes and settings given: the saved ones are kept.
        let (c2, s2) = (try TrainingImageFolder(path: content, role: .trainingContent, imageSize: 64, cropSize: 32),
                        try TrainingImageFolder(path: style, role: .trainingStyle, imageSize: 64, cropSize: 32))
        var resumed = try TrainingSession.resume(statePath: state, encoder: encoder, decoder: decoder, content: c2, style: s2)
        #expect(resumed.trainer.iteration == 2 && resumed.batchSize == 2 && resumed.content.cropSize == 16)
        #expect(resumed.trainer.hyperparameters == hyperparameters)
        for _ in 0 ..< 2 { _ = try resumed.iterate() }

        let sameWeights = resumed.trainer.decoder.convolutions == straight.trainer.decoder.convolutions
        let states = { (session: TrainingSession) in session.trainer.moments.flatMap { [$0.weight, $0.bias] } }
        let sameMoments = states(resumed).map(\.expAvg) == states(straight).map(\.expAvg)
            && states(resumed).map(\.expAvgSq) == states(straight).map(\.expAvgSq)
        #expect(sameWeights, "the decoder's weights differ")
        #expect(sameMoments, "Adam's moments differ")
        #expect(states(resumed).map(\.step) == states(straight).map(\.step))
        #expect(resumed.random.state == straight.random.state)
        #expect(resumed.history.map(\.loss) == straight.history.map(\.loss))
        // The run moved: the weights are not the initial ones.
        let moved = straight.trainer.decoder.convolutions != decoder.convolutions
        #expect(moved, "the weights did not change")
    }

    @Test("a file that is not a training state is refused by name")
    func resumeFromAWeightFile() throws {
        let content = try imageFolder("content", ["cornell.jpg"], side: 16)
        defer { try? FileManager.default.removeItem(atPath: content) }
        let folder = try TrainingImageFolder(path: content, role: .trainingContent, imageSize: 16, cropSize: 16)
        let path = try TestPaths.golden("network/decoder.safetensors").path
        #expect(throws: TrainingError.self) {
            _ = try TrainingSession.resume(statePath: path, encoder: try trainingGoldens.tinyEncoder(), decoder: try tinyDecoder(), content: folder, style: folder)
        }
        do {
            _ = try TrainingSession.resume(statePath: path, encoder: try trainingGoldens.tinyEncoder(), decoder: try tinyDecoder(), content: folder, style: folder)
        } catch let error as TrainingError {
            guard case .badState(let p, _) = error else { Issue.record("expected badState, got \(error)"); return }
            #expect(p == path && error.description.contains(path))
        }
    }

    @Test("bad folders and images give typed errors naming the flag or the file")
    func dataErrors() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("training-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/broken", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/small", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: root + "/broken/bad.png"))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: root + "/empty/readme.txt"))
        try writeImage(RGBImage(width: 12, height: 20, pixels: [Float](repeating: 0.5, count: 3 * 12 * 20)), path: root + "/small/tiny.png")

        #expect(throws: TrainingError.folderNotFound(role: .trainingContent, path: root + "/missing")) {
            _ = try TrainingImageFolder(path: root + "/missing", role: .trainingContent, imageSize: 32, cropSize: 16)
        }
        #expect(throws: TrainingError.noImages(role: .trainingStyle, path: root + "/empty")) {
            _ = try TrainingImageFolder(path: root + "/empty", role: .trainingStyle, imageSize: 32, cropSize: 16)
        }
        let good = try TrainingImageFolder(path: root + "/small", role: .trainingStyle, imageSize: 32, cropSize: 16)
        func firstIteration(content: TrainingImageFolder) throws(TrainingError) {
            var session = TrainingSession(trainer: DecoderTrainer(encoder: try! trainingGoldens.tinyEncoder(), decoder: try! tinyDecoder()),
                                          content: content, style: good, batchSize: 1, seed: 0)
            _ = try session.iterate()
        }
        #expect(throws: TrainingError.unreadableImage(.notAnImage(path: root + "/broken/bad.png"))) {
            try firstIteration(content: try TrainingImageFolder(path: root + "/broken", role: .trainingContent, imageSize: 32, cropSize: 16))
        }
        #expect(throws: TrainingError.imageSmallerThanCrop(path: root + "/small/tiny.png", width: 12, height: 20, crop: 16)) {
            try firstIteration(content: try TrainingImageFolder(path: root + "/small", role: .trainingContent, imageSize: 0, cropSize: 16))
        }
        #expect(TrainingError.imageSmallerThanCrop(path: "x.png", width: 12, height: 20, crop: 16).description.contains("--crop-size"))
    }

    @Test("a trained decoder saved as safetensors loads in Stylizer and decodes as the in-memory one")
    func savedDecoderLoads() throws {
        let (encoder, decoder) = try NetworkGoldens.networks.get()
        var trainer = DecoderTrainer(encoder: TrainingNetwork(encoder), decoder: TrainingNetwork(decoder))
        var random = SeededRandom(seed: 8)
        let batch = { (n: Int) in Tensor(shape: [n, 3, 16, 16], values: (0 ..< n * 3 * 256).map { _ in random.unit() }) }
        _ = trainer.step(content: batch(1), style: batch(1))
        let trained = try Decoder(convolutions: trainer.decoder.convolutions)
        let (same, moved) = (trained.convolutions == trainer.decoder.convolutions, trained.convolutions != decoder.convolutions)
        #expect(same && moved)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("decoder-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writeSafeTensors(trained.stateDict, path: path)
        let roundTrip = try loadStateDict(path: path) == trained.stateDict
        #expect(roundTrip, "the safetensors file does not give back the state_dict")
        let stylizer = try Stylizer(models: ModelFiles(vgg: try NetworkGoldens.url("vgg.safetensors").path, decoder: path))
        let loaded = stylizer.decoder.convolutions == trainer.decoder.convolutions
        #expect(loaded, "the loaded decoder's weights differ")
        let t = Tensor(shape: [1, 512, 3, 4], values: (0 ..< 512 * 12).map { _ in random.uniform() })
        let expected = trainer.decoder.forward(t).output, output = stylizer.decoder.decode(t)
        #expect(allClose(output.values, expected.values, rtol: 1e-4, atol: 1e-5), "\(maxAbsDifference(output.values, expected.values))")
    }

    @Test("the inference encoder for the content and style features gives the training encoder's step")
    func inferenceEncoderStep() throws {
        let (encoder, decoder) = try NetworkGoldens.networks.get()
        var random = SeededRandom(seed: 9)
        let (content, style) = (Tensor(shape: [2, 3, 16, 24], values: (0 ..< 2 * 3 * 16 * 24).map { _ in random.unit() }),
                                Tensor(shape: [2, 3, 24, 16], values: (0 ..< 2 * 3 * 24 * 16).map { _ in random.unit() }))
        let plain = DecoderTrainer(encoder: TrainingNetwork(encoder), decoder: TrainingNetwork(decoder))
        let fast = DecoderTrainer(encoder: TrainingNetwork(encoder), decoder: TrainingNetwork(decoder), inferenceEncoder: encoder)
        // Compared before Adam: see twoStepsMatchPyTorch for why weights after Adam are not.
        let (a, b) = (plain.evaluate(content: content, style: style), fast.evaluate(content: content, style: style))
        #expect(abs(a.content - b.content) <= 1e-4 * a.content && abs(a.style - b.style) <= 1e-4 * a.style,
                "losses \(a.content), \(a.style) vs \(b.content), \(b.style)")
        for (k, (x, y)) in zip(a.gradients, b.gradients).enumerated() {
            let (weight, bias) = (relativeNormError(y.weight, x.weight), relativeNormError(y.bias, x.bias))
            #expect(weight <= 1e-4 && bias <= 1e-4, "convolution \(k): gradients differ by \(weight) (weight), \(bias) (bias) relative")
        }
    }

    @Test("the initial decoder has PyTorch's Conv2d bounds and the decoder's shapes")
    func initialDecoder() throws {
        var random = SeededRandom(seed: 1)
        let convolutions = Decoder.initialConvolutions(random: &random)
        let decoder = try Decoder(convolutions: convolutions)
        #expect(decoder.stateDict.keys.sorted() == ["1", "11", "14", "18", "21", "25", "28", "5", "8"].flatMap { ["\($0).bias", "\($0).weight"] }.sorted())
        for w in convolutions {
            let bound = 1 / Float(w.inChannels * 9).squareRoot()
            #expect((w.weight + w.bias).allSatisfy { abs($0) <= bound })
            #expect(w.weight.max()! > 0.9 * bound && w.weight.min()! < -0.9 * bound)
        }
    }
}
