// Tampered training states: every number read from training-state.safetensors is checked before it
// sizes, indexes or divides anything, and refused by file and field (a sampler index of 999999999
// or a crop of -16 used to crash, a batch of 0 gave NaN losses).

import Checkpoints
import Foundation
import ImageCodec
import StyleTransfer
import Testing
import TensorCore
import TestSupport

@Suite struct ResumeValidationTests {
    /// A folder of two 24 x 24 noise PNGs, a state saved after 2 iterations over it, and resuming.
    struct Fixture {
        let folder: String
        let state: String

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var random = SeededRandom(seed: 5)
            for name in ["a", "b"] {
                let bytes = (0 ..< 3 * 24 * 24).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                try writeImage(RGBImage(width: 24, height: 24, interleavedRGB8: bytes), path: "\(folder)/\(name).png")
            }
            state = folder + "/training-state.safetensors"
            var session = TrainingSession(trainer: DecoderTrainer(encoder: try trainingGoldens.tinyEncoder(), decoder: try tinyDecoder()),
                                          content: try images(), style: try images(), batchSize: 2, seed: 7)
            for _ in 0 ..< 2 { _ = try session.iterate() }
            try session.save(statePath: state)
        }

        func images() throws -> TrainingImageFolder {
            try TrainingImageFolder(path: folder, role: .trainingContent, imageSize: 24, cropSize: 16)
        }

        func resume() throws -> TrainingSession {
            try TrainingSession.resume(statePath: state, encoder: try trainingGoldens.tinyEncoder(), decoder: try tinyDecoder(),
                                       content: try images(), style: try images())
        }

        /// Rewrites the state with its header JSON changed by `edit` (and its tensors by `tensors`).
        func tamper(_ edit: (inout [String: Any]) -> Void, tensors: (inout [String: StoredTensor]) -> Void = { _ in }) throws {
            var metadata = try loadSafeTensorsMetadata(path: state)
            let json = try #require(metadata["stylectl.training_state"])
            var header = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            edit(&header)
            metadata["stylectl.training_state"] = String(decoding: try JSONSerialization.data(withJSONObject: header), as: UTF8.self)
            var stored = try loadStateDict(path: state)
            tensors(&stored)
            try writeSafeTensors(stored, metadata: metadata, path: state)
        }

        /// The detail of the badState error resuming gives, checking it names the file and that
        /// the folder is left as it was.
        func refusal() throws -> String? {
            let before = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            let bytes = try Data(contentsOf: URL(fileURLWithPath: state))
            defer {
                #expect((try? FileManager.default.contentsOfDirectory(atPath: folder).sorted()) == before)
                #expect((try? Data(contentsOf: URL(fileURLWithPath: state))) == bytes)
            }
            do {
                _ = try resume()
                return nil
            } catch let error as TrainingError {
                guard case .badState(state, let detail) = error else { Issue.record("\(error)"); return nil }
                #expect(error.description.hasPrefix("training state '\(state)' cannot be resumed: "))
                return detail
            }
        }
    }

    @Test func untamperedStateResumes() throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.folder) }
        var session = try fixture.resume()
        #expect(session.trainer.iteration == 2)
        _ = try session.iterate()
        try fixture.tamper { _ in }
        #expect(try fixture.refusal() == nil)
    }

    static let tamperings: [(String, @Sendable ([String: Any]) -> [String: Any], String)] = [
        ("sampler index", { h in var h = h; h["contentSampler"] = ["order": [999_999_999, 0], "position": 0]; return h },
         "field 'contentSampler.order' is not an order of the images 0..<2 (2 in the folder)"),
        ("sampler position", { h in var h = h; h["styleSampler"] = ["order": [1, 0], "position": -1]; return h },
         "field 'styleSampler.position' is -1; it must be in 0...2"),
        ("negative crop", { h in var h = h; h["contentSizes"] = [24, -16]; return h },
         "field 'contentSizes' holds the crop size -16; it must be at least 9"),
        ("image smaller than crop", { h in var h = h; h["styleSizes"] = [12, 16]; return h },
         "field 'styleSizes' holds the image size 12; it must be 0 or at least the crop size 16"),
        ("huge image size", { h in var h = h; h["styleSizes"] = [Int.max, 16]; return h },
         "field 'styleSizes' holds the sizes [\(Int.max), 16] with batchSize 2: more than \(ImageLimits.standard.maxPixels) pixels per image or batch"),
        ("huge batch", { h in var h = h; h["batchSize"] = Int.max; return h },
         "field 'contentSizes' holds the sizes [24, 16] with batchSize \(Int.max): more than \(ImageLimits.standard.maxPixels) pixels per image or batch"),
        ("batch 0", { h in var h = h; h["batchSize"] = 0; return h }, "field 'batchSize' is 0; it must be at least 1"),
        ("negative iteration", { h in var h = h; h["iteration"] = -1; return h }, "field 'iteration' is -1; it must be in 0...\(1 << 40)"),
        ("huge iteration", { h in var h = h; h["iteration"] = Int.max; return h }, "field 'iteration' is \(Int.max); it must be in 0...\(1 << 40)"),
        ("Adam steps", { h in var h = h; h["adamSteps"] = [Int](repeating: 0, count: 8); return h },
         "field 'adamSteps' holds the step count 0; every one must equal the iteration, 2"),
        ("Adam step count", { h in var h = h; h["adamSteps"] = [2, 2]; return h },
         "field 'adamSteps' holds 2 step counts; the decoder has 8 parameter tensors"),
        ("history", { h in var h = h; h["history"] = []; return h }, "field 'history' holds 0 records for 2 iterations"),
        ("learning rate", { h in
            var h = h, p = h["hyperparameters"] as! [String: Any]
            p["learningRate"] = -1
            h["hyperparameters"] = p
            return h
        }, "field 'hyperparameters.learningRate' is -1.0; it must be positive"),
        ("style weight", { h in
            var h = h, p = h["hyperparameters"] as! [String: Any]
            p["styleWeight"] = -10
            h["hyperparameters"] = p
            return h
        }, "field 'hyperparameters.styleWeight' is -10.0; it must be 0 or more"),
    ]

    @Test(arguments: tamperings.indices)
    func tamperedFieldIsRefusedByName(index: Int) throws {
        let (label, edit, expected) = Self.tamperings[index]
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.folder) }
        try fixture.tamper { $0 = edit($0) }
        #expect(try fixture.refusal() == expected, "\(label)")
    }

    @Test func tamperedTensorValuesAreRefused() throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.folder) }
        // The tiny decoder's convolutions are modules 1, 5, 9 and 13.
        try fixture.tamper({ _ in }, tensors: { $0["5.bias"]!.values[0] = .nan })
        #expect(try fixture.refusal() == "tensor '5.bias' holds a value that is not finite (NaN or infinity)")
        try fixture.tamper({ _ in }, tensors: { $0["5.bias"]!.values[0] = 0; $0["9.weight.exp_avg_sq"]!.values[3] = -1 })
        #expect(try fixture.refusal() == "tensor '9.weight.exp_avg' or '.exp_avg_sq' holds a value that is not finite (or a negative exp_avg_sq)")
        try fixture.tamper({ _ in }, tensors: { $0["9.weight.exp_avg_sq"]!.values[3] = 0; $0["13.bias.exp_avg"] = nil })
        #expect(try fixture.refusal() == "Adam's moments of '13.bias' ('13.bias.exp_avg', '13.bias.exp_avg_sq') are missing or have another size")
        try fixture.tamper({ _ in }, tensors: { $0["13.bias.exp_avg"] = $0["13.bias.exp_avg_sq"]; $0["1.weight"] = StoredTensor(shape: [1], values: [0]) })
        #expect(try fixture.refusal() == "tensor '1.weight' or '1.bias' of the decoder is missing or has another shape")
    }

    @Test("the state's tensors are the decoder's state_dict keys and, for each, Adam's exp_avg and exp_avg_sq")
    func stateUsesTheDecodersKeys() throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.folder) }
        let decoderKeys = try tinyDecoder().stateDict.keys.sorted()
        #expect(decoderKeys == ["1", "13", "5", "9"].flatMap { ["\($0).bias", "\($0).weight"] })
        let expected = decoderKeys.flatMap { [$0, "\($0).exp_avg", "\($0).exp_avg_sq"] }.sorted()
        #expect(try loadStateDict(path: fixture.state).keys.sorted() == expected)
        let session = try fixture.resume()
        #expect(session.trainer.moments.map(\.module) == [1, 5, 9, 13])
        #expect(session.trainer.moments.allSatisfy { $0.weight.step == 2 && $0.bias.step == 2 })
    }

    /// A state written by stylectl before the state used the decoder's keys: format 1, tensors
    /// `decoder.K.weight` and `adam.K.weight.exp_avg` by convolution number K.
    @Test func stateOfAnOlderVersionIsRefusedSayingWhatToDo() throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.folder) }
        let modules = ["1", "5", "9", "13"]
        try fixture.tamper({ $0["format"] = 1 }, tensors: { tensors in
            var old: [String: StoredTensor] = [:]
            for (key, tensor) in tensors {
                let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
                let k = modules.firstIndex(of: parts[0])!
                old[parts[1].contains(".") ? "adam.\(k).\(parts[1])" : "decoder.\(k).\(parts[1])"] = tensor
            }
            #expect(old.keys.contains("adam.3.bias.exp_avg_sq") && old.keys.contains("decoder.0.weight") && old.count == tensors.count)
            tensors = old
        })
        let before = try FileManager.default.contentsOfDirectory(atPath: fixture.folder).sorted()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.state))
        #expect(throws: TrainingError.stateOfOlderVersion(path: fixture.state)) { _ = try fixture.resume() }
        #expect(TrainingError.stateOfOlderVersion(path: fixture.state).description
                == "training state '\(fixture.state)' was written by an older stylectl (format 1, tensors keyed by convolution number) "
                + "and cannot be resumed by this one; start again without --resume")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.folder).sorted() == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.state)) == bytes)
    }
}
