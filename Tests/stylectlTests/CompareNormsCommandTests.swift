// `stylectl compare-norms`: the errors users see name the flag or file, before any weights load.

import ArgumentParser
import Foundation
@testable import stylectl
import StyleReports
import Testing
import TestSupport

@Suite struct CompareNormsCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("compare-norms-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    func image(_ relative: String) -> String { TestPaths.sharedImages.appendingPathComponent(relative).path }

    /// Parses and runs; returns the message the user would see, or nil on success.
    func run(_ arguments: [String]) throws -> String? {
        let models = ["--vgg", try TestPaths.golden("network/vgg_legacy.pth").path,
                      "--decoder", try TestPaths.golden("network/decoder_legacy.pth").path]
        do {
            let command = try CompareNorms.parse(arguments + models + ["--reports-dir", temp.path])
            try command.run()
            return nil
        } catch {
            return CompareNorms.message(for: error)
        }
    }

    @Test func missingStyleNamesFlagAndPath() throws {
        let missing = temp.appendingPathComponent("nope.jpg").path
        let message = try run(["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png") + "," + missing, "--report", "r"])
        #expect(message?.contains("--style") == true && message?.contains(missing) == true, "\(message ?? "no error")")
    }

    @Test func emptyStyleListNamesTheFlag() throws {
        let message = try run(["--content", image("content/cornell.jpg"), "--style", " , ", "--report", "r"])
        #expect(message?.contains("--style") == true, "\(message ?? "no error")")
    }

    @Test func badCINFileNamesTheFile() throws {
        let bad = temp.appendingPathComponent("bad.json").path
        try Data("[1, 2]".utf8).write(to: URL(fileURLWithPath: bad))
        let message = try run(["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--report", "r", "--cin", bad])
        #expect(message?.contains(bad) == true, "\(message ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: temp.appendingPathComponent("r").path))
    }

    @Test func nonPositiveIterationsNameTheFlag() throws {
        let message = try run(["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--report", "r", "--iterations", "0"])
        #expect(message?.contains("--iterations") == true, "\(message ?? "no error")")
    }

    /// `stylize`'s size limit and memory estimate hold here too, before the network loads.
    @Test func sizesBeyondTheLimitOrTheMemoryAreRefusedBeforeWork() throws {
        let inputs = ["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--report", "r"]
        let tooLarge = try run(inputs + ["--style-size", "20000"])
        #expect(tooLarge?.contains("'--style-size': '20000' is not allowed; expected 0 to 16384") == true, "\(tooLarge ?? "no error")")
        let tooMuchMemory = try run(inputs + ["--content-size", "16384"])
        #expect(tooMuchMemory?.contains("stylizing '\(image("content/cornell.jpg"))' at 23328x16384 pixels needs about ") == true,
                "\(tooMuchMemory ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: temp.appendingPathComponent("r").path))
    }

    @Test func interpolationStepsBeyondTheLimitNameTheFlag() throws {
        for steps in ["1", "102", "4611686018427387904"] {
            let message = try run(["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--report", "r", "--interpolate-steps", steps])
            #expect(message?.contains("'--interpolate-steps': '\(steps)' is not allowed; expected 2 to 101") == true, "\(message ?? "no error")")
        }
        #expect(!FileManager.default.fileExists(atPath: temp.appendingPathComponent("r").path))
    }

    /// The torch and seed models' files, recognised without --model: the command runs them (at 32
    /// pixels; the models' default sizes are too slow for a test), records the model, and the CIN
    /// file it saves is refused for a pytorch-adain run, naming both models, before any work.
    @Test(arguments: ["torch", "seed"])
    func otherModelsRunAndTheirCINFilesAreBound(model: String) throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let files = model == "torch" ? ["torch_vgg_normalised.t7", "torch_decoder.t7"] : ["seed_vgg19.pth", "seed_decoder.pth"]
        let weights = ["--vgg", try TestPaths.golden("variants/\(files[0])").path, "--decoder", try TestPaths.golden("variants/\(files[1])").path]
        let saved = temp.appendingPathComponent("cin.json").path
        let inputs = ["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png") + "," + image("style/mondrian.jpg"),
                      "--content-size", "32", "--style-size", "32", "--iterations", "1", "--interpolate-steps", "2", "--reports-dir", temp.path]
        var command = try CompareNorms.parse(inputs + weights + ["--report", "r", "--save-cin", saved])
        try command.run()
        let manifest = try NormComparisonManifest.read(folder: temp.path + "/r")
        #expect(manifest.definition.model.rawValue == model && manifest.cells.count == 6)
        let refused = try run(["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png") + "," + image("style/mondrian.jpg"),
                               "--report", "p", "--cin", saved])
        #expect(refused?.hasSuffix("the CIN parameter file '\(saved)' was learned with --model \(model) (its statistics and decoder), not --model pytorch-adain; give that model's weights or learn new parameters.") == true,
                "\(refused ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: temp.appendingPathComponent("p").path))
    }
}
