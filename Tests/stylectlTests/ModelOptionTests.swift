// `--model`: each command that runs the network takes it, recognises the model from the files
// without it, and refuses what it cannot run, naming the model; nothing is written then.

import ArgumentParser
import Foundation
import ImageCodec
@testable import stylectl
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

    @Test func compareNormsAndTrainRefuseOtherModels() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let message = run(CompareNorms.self, ["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"),
                                              "--report", "r", "--reports-dir", temp.path] + (try torchModels()))
        #expect(message == "compare-norms runs the pytorch-adain model only (its training conventions); the weights given are the torch model (xunhuang1995/AdaIN-style)'s (--model torch). Use stylize or sweep with them, or give pytorch-AdaIN's vgg_normalised.pth and decoder.pth")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
        let train = run(Train.self, ["--content-dir", temp.path, "--style-dir", temp.path, "--model", "seed", "--output-dir", temp.path + "/out"])
        #expect(train?.contains("'--model seed': train follows pytorch-AdaIN's train.py only") == true, "\(train ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: temp.path + "/out"))
    }
}
