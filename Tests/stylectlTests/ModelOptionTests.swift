// `--model`: each command that runs the network takes it, recognises the model from the files
// without it, and refuses what it cannot run, naming the model; nothing is written then.

import ArgumentParser
import Foundation
import ImageCodec
@testable import stylectl
import StyleTransfer
import Testing
import TestSupport

@Suite struct ModelOptionTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("model-option-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    func image(_ relative: String) -> String { TestPaths.sharedImages.appendingPathComponent(relative).path }

    func run<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String]) -> String? {
        do {
            var parsed = try Command.parse(arguments)
            try parsed.run()
            return nil
        } catch {
            return Command.message(for: error)
        }
    }

    func torchModels() throws -> [String] {
        ["--vgg", try TestPaths.golden("variants/torch_vgg_normalised.t7").path, "--decoder", try TestPaths.golden("variants/torch_decoder.t7").path]
    }

    /// The Torch release's files, recognised without --model: stylize writes the image the
    /// torch model gives (the same as with --model torch), and not pytorch-AdaIN's statistics' image.
    @Test func stylizeRecognisesTheTorchFiles() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let common = ["--content", image("content/cornell.jpg"), "--style", image("style/woman_with_hat_matisse.jpg"),
                      "--content-size", "64", "--style-size", "64", "--crop"] + (try torchModels())
        let recognised = temp.path + "/recognised.png", explicit = temp.path + "/explicit.png"
        #expect(run(Stylize.self, common + ["--output", recognised]) == nil)
        #expect(run(Stylize.self, common + ["--output", explicit, "--model", "torch"]) == nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: recognised)) == Data(contentsOf: URL(fileURLWithPath: explicit)))
        #expect(run(CheckModels.self, try torchModels()) == nil)
    }

    @Test func anUnknownModelIsRefusedWhenParsed() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let output = temp.path + "/o.png"
        let message = run(Stylize.self, ["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"),
                                         "--output", output, "--model", "caffe"])
        #expect(message?.contains("--model") == true && message?.contains("caffe") == true, "\(message ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    /// train recognises the torch model's vgg_normalised.t7 without --model and takes train.lua's
    /// defaults; a folder that does not exist is refused naming its flag, before anything is written.
    @Test func trainTakesTheTorchModelsDefaults() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let vgg = try TestPaths.golden("variants/torch_vgg_normalised.t7").path
        let recognised = try Train.parse(["--content-dir", temp.path, "--style-dir", temp.path, "--vgg", vgg]).configuration()
        #expect(recognised.model == .torch)
        #expect((recognised.batchSize, recognised.iterations, recognised.saveInterval, recognised.imageSize, recognised.cropSize) == (8, 160_000, 2_000, 512, 256))
        #expect(recognised.hyperparameters == TrainingHyperparameters(learningRate: 1e-4, learningRateDecay: 5e-5, contentWeight: 1, styleWeight: 1e-2))
        let missing = run(Train.self, ["--content-dir", temp.path + "/none", "--style-dir", temp.path, "--model", "torch", "--vgg", vgg,
                                       "--output-dir", temp.path + "/out"])
        #expect(missing == "--content-dir: '\(temp.path)/none' is not a folder", "\(missing ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: temp.path + "/out"))
    }

    /// train recognises the seed's VGG-19 file without --model and takes its trainer's defaults;
    /// a flag given wins over the default.
    @Test func trainTakesTheSeedModelsDefaults() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let vgg = try TestPaths.golden("variants/seed_vgg19.pth").path
        let recognised = try Train.parse(["--content-dir", temp.path, "--style-dir", temp.path, "--vgg", vgg, "--iterations", "7"]).configuration()
        #expect(recognised.model == .seed)
        #expect((recognised.batchSize, recognised.iterations, recognised.saveInterval, recognised.imageSize, recognised.cropSize) == (128, 7, 500, 512, 256))
        #expect(recognised.hyperparameters == TrainingHyperparameters(learningRate: 1e-4, learningRateDecay: 0, contentWeight: 1, styleWeight: 10))
        let reference = try Train.parse(["--content-dir", temp.path, "--style-dir", temp.path]).configuration()
        #expect(reference.model == .pytorchAdaIN && reference.batchSize == 8 && reference.hyperparameters.learningRateDecay == 5e-5)
        // The seed's smallest crop (16: relu4_1 of floor(side / 8) >= 2) names the flag.
        let small = run(Train.self, ["--content-dir", temp.path, "--style-dir", temp.path, "--model", "seed", "--crop-size", "12", "--image-size", "0",
                                     "--output-dir", temp.path + "/out"])
        #expect(small == "'--crop-size' must be at least 16 for the seed model (aadhithya/AdaIN-pytorch), got 12.", "\(small ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: temp.path + "/out"))
    }
}
