// Decoder training through the library API (`DecoderTraining.run`, what `stylectl train` calls):
// the files it writes are those of the session taken step by step by hand, resuming through it
// gives the uninterrupted run's decoder, and bad settings or folders are refused by name before
// anything is written.

import Checkpoints
import Foundation
import ImageCodec
import StyleTransfer
import Testing
import TensorCore
import TestSupport

@Suite struct DecoderTrainingRunTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("decoder-training-\(UUID().uuidString)").path

    init() throws {
        for (kind, names) in [("content", ["cornell.jpg", "lenna.jpg", "modern.jpg"]), ("style", ["sketch.png", "mondrian.jpg"])] {
            try FileManager.default.createDirectory(atPath: "\(temp)/\(kind)", withIntermediateDirectories: true)
            for name in names {
                let image = try readImage(path: TestPaths.sharedImages.appendingPathComponent("\(kind)/\(name)").path)
                try writeImage(try resizeBilinear(image, width: 32, height: 32), path: "\(temp)/\(kind)/" + (name as NSString).deletingPathExtension + ".png")
            }
        }
    }

    /// Tiny settings on the seeded VGG of .goldens/network, saving every `saveInterval` iterations.
    func configuration(output: String, iterations: Int, saveInterval: Int = 1, resume: Bool = false) throws -> DecoderTrainingConfiguration {
        DecoderTrainingConfiguration(
            contentFolder: temp + "/content", styleFolder: temp + "/style", outputFolder: output,
            vggWeights: try TestPaths.golden("network/vgg_legacy.pth").path, iterations: iterations, batchSize: 2,
            hyperparameters: TrainingHyperparameters(learningRate: 1e-3, learningRateDecay: 0.1, contentWeight: 2, styleWeight: 5),
            imageSize: 24, cropSize: 16, saveInterval: saveInterval, seed: 5, resume: resume)
    }

    @Test("run writes what the session taken by hand gives, at the intervals and at the end; resuming gives the same decoder")
    func runEqualsTheSessionByHand() throws {
        defer { try? FileManager.default.removeItem(atPath: temp) }
        let output = temp + "/run"
        var events: [String] = []
        let session = try DecoderTraining(try configuration(output: output, iterations: 3, saveInterval: 2)).run { progress in
            switch progress {
            case .iterated(let record): events.append("iterated \(record.loss.iteration)")
            case .saved(let path): events.append("saved " + (path as NSString).lastPathComponent)
            case .started(let contents, let styles, let batch, let image, let crop, let iterations):
                events.append("started \(contents) \(styles) \(batch) \(image) \(crop) \(iterations)")
            case .resumed, .nothingToDo: events.append("\(progress)")
            }
        }
        #expect(events == ["started 3 2 2 24 16 3", "iterated 1", "iterated 2", "saved decoder_iter_2.safetensors",
                           "iterated 3", "saved decoder_iter_3.safetensors"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: output).sorted()
                == ["decoder_iter_2.safetensors", "decoder_iter_3.safetensors", "loss.csv", "training-state.safetensors"])

        // The same run by hand: the networks, the initial decoder of the seed, three steps.
        let vgg = try VGGEncoder(weights: loadStateDict(path: try TestPaths.golden("network/vgg_legacy.pth").path))
        var random = SeededRandom(seed: 5 ^ 0x5EED_DEC0_DE00_0000)
        let initial = try Decoder(convolutions: Decoder.initialConvolutions(random: &random))
        let c = try configuration(output: output, iterations: 3)
        var byHand = TrainingSession(
            trainer: DecoderTrainer(encoder: TrainingNetwork(vgg), decoder: TrainingNetwork(initial), hyperparameters: c.hyperparameters, inferenceEncoder: vgg),
            content: try TrainingImageFolder(path: c.contentFolder, role: .trainingContent, imageSize: 24, cropSize: 16),
            style: try TrainingImageFolder(path: c.styleFolder, role: .trainingStyle, imageSize: 24, cropSize: 16), batchSize: 2, seed: 5)
        for _ in 0 ..< 3 { _ = try byHand.iterate() }
        #expect(byHand.trainer.decoder.convolutions == session.trainer.decoder.convolutions)
        let expected = temp + "/by-hand.safetensors"
        try writeSafeTensors(try Decoder(convolutions: byHand.trainer.decoder.convolutions).stateDict, path: expected)
        #expect(try Data(contentsOf: URL(fileURLWithPath: expected)) == Data(contentsOf: URL(fileURLWithPath: output + "/decoder_iter_3.safetensors")))

        // Interrupted after 1 iteration and resumed to 3: the same decoder file.
        let split = temp + "/split"
        _ = try DecoderTraining(try configuration(output: split, iterations: 1)).run()
        var resumedAt: Int?
        _ = try DecoderTraining(try configuration(output: split, iterations: 3, resume: true)).run { progress in
            if case .resumed(_, let iteration) = progress { resumedAt = iteration }
        }
        #expect(resumedAt == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: split + "/decoder_iter_3.safetensors"))
                == Data(contentsOf: URL(fileURLWithPath: output + "/decoder_iter_3.safetensors")))
    }

    @Test("bad settings and folders are refused by their names before anything is written")
    func refusals() throws {
        defer { try? FileManager.default.removeItem(atPath: temp) }
        let output = temp + "/never"
        func refusal(_ edit: (inout DecoderTrainingConfiguration) -> Void) throws -> TrainingError? {
            var c = try configuration(output: output, iterations: 2)
            edit(&c)
            do { _ = try DecoderTraining(c).run() } catch { return error }
            return nil
        }
        #expect(try refusal { $0.saveInterval = 0 } == .invalidSetting(key: "saveInterval", value: "0", requirement: "at least 1"))
        #expect(try refusal { $0.batchSize = 0 } == .invalidSetting(key: "batchSize", value: "0", requirement: "at least 1"))
        #expect(try refusal { $0.cropSize = 4 } == .invalidSetting(key: "cropSize", value: "4", requirement: "at least 9 for the pytorch-adain model (naoto0804/pytorch-AdaIN)"))
        #expect(try refusal { $0.imageSize = 12 } == .invalidSetting(key: "imageSize", value: "12", requirement: "0 or at least the crop size (16)"))
        #expect(try refusal { $0.hyperparameters.learningRate = .nan } == .invalidSetting(key: "learningRate", value: "nan", requirement: "positive"))
        #expect(TrainingError.invalidSetting(key: "batchSize", value: "0", requirement: "at least 1").description
                == "training setting 'batchSize' is 0; it must be at least 1")
        #expect(try refusal { $0.contentFolder = temp + "/nowhere" } == .folderNotFound(role: .trainingContent, path: temp + "/nowhere"))
        #expect(try refusal { $0.styleFolder = temp } == .noImages(role: .trainingStyle, path: temp))
        #expect(try refusal { $0.resume = true }
                == .badState(path: output + "/training-state.safetensors",
                             detail: "there is no such file (start without --resume, or give the --output-dir of the run to resume)"))
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp).sorted() == ["content", "style"])
    }
}
