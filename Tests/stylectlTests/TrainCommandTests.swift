// `stylectl train` end to end on tiny images with the seeded VGG of .goldens/network: the files
// it writes, resuming, the decoder it saves being usable by `stylectl stylize`, and its errors.

import ArgumentParser
import Foundation
import ImageCodec
@testable import stylectl
import Testing
import TestSupport

@Suite struct TrainCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-train-\(UUID().uuidString)")

    init() throws {
        for (kind, names) in [("content", ["cornell.jpg", "lenna.jpg", "modern.jpg"]), ("style", ["sketch.png", "mondrian.jpg"])] {
            try FileManager.default.createDirectory(at: temp.appendingPathComponent(kind), withIntermediateDirectories: true)
            for name in names {
                let image = try readImage(path: images + "/\(kind)/\(name)")
                try writeImage(try resizeBilinear(image, width: 32, height: 32),
                               path: temp.path + "/\(kind)/" + (name as NSString).deletingPathExtension + ".png")
            }
        }
    }

    var images: String { TestPaths.sharedImages.path }

    /// Tiny settings: 2 of the 32x32 copies resized to 24x24 and cropped to 16x16 per batch, saved
    /// every iteration; `vgg` by default the seeded pytorch-AdaIN encoder.
    func arguments(output: String, iterations: Int, vgg: String? = nil) throws -> [String] {
        ["--content-dir", temp.path + "/content", "--style-dir", temp.path + "/style", "--vgg", try vgg ?? TestPaths.golden("network/vgg_legacy.pth").path,
         "--output-dir", output, "--iterations", "\(iterations)", "--batch-size", "2", "--image-size", "24", "--crop-size", "16",
         "--save-interval", "1", "--seed", "5"]
    }

    func run(_ arguments: [String]) -> String? {
        do {
            var command = try StyleCtl.parseAsRoot(arguments)
            try command.run()
            return nil
        } catch {
            return StyleCtl.message(for: error)
        }
    }

    /// Trains 2 iterations straight into `<name>-straight`, and 1 then resumed to 2 into
    /// `<name>-split` (`--model` given to the first run only: the resumed run takes it from the
    /// state). The straight run writes `decoder_iter_1` and `decoder_iter_2` with
    /// `decoderExtension`, the state, loss.csv and loss.png; both runs' last decoders are the same
    /// bytes. Returns the two folders.
    func trainStraightAndResumed(
        _ name: String, vgg: String? = nil, model: String? = nil, decoderExtension: String
    ) throws -> (straight: String, split: String) {
        let straight = temp.path + "/\(name)-straight", split = temp.path + "/\(name)-split"
        #expect(run(["train"] + (try arguments(output: straight, iterations: 2, vgg: vgg))) == nil)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: straight))
            == ["decoder_iter_1.\(decoderExtension)", "decoder_iter_2.\(decoderExtension)", "training-state.safetensors", "loss.csv", "loss.png"])
        #expect(run(["train"] + (model.map { ["--model", $0] } ?? []) + (try arguments(output: split, iterations: 1, vgg: vgg))) == nil)
        #expect(run(["train", "--resume"] + (try arguments(output: split, iterations: 2, vgg: vgg))) == nil)
        let last = "/decoder_iter_2.\(decoderExtension)"
        #expect(try Data(contentsOf: URL(fileURLWithPath: straight + last)) == Data(contentsOf: URL(fileURLWithPath: split + last)),
                "a resumed \(name) run's decoder differs from an uninterrupted run's")
        return (straight, split)
    }

    /// `stylectl stylize` of cornell.jpg with sketch.png at 32 pixels by `decoder` and `vgg`
    /// (`--model` when given, else recognised from the files) writes `<name>-stylized.png`.
    func expectStylizes(_ name: String, vgg: String? = nil, decoder: String, model: String? = nil) throws {
        let output = temp.path + "/\(name)-stylized.png"
        #expect(run(["stylize"] + (model.map { ["--model", $0] } ?? []) + ["--content", images + "/content/cornell.jpg",
                     "--style", images + "/style/sketch.png", "--output", output, "--content-size", "32", "--style-size", "32",
                     "--vgg", try vgg ?? TestPaths.golden("network/vgg_legacy.pth").path, "--decoder", decoder]) == nil)
        #expect(FileManager.default.fileExists(atPath: output))
    }

    /// The seed model's run through the command: recognised from its VGG-19 file, resumed bit for bit,
    /// its decoder_iter_N.pth read by `stylize --model seed`; a resume as pytorch-adain is refused.
    @Test("train --model seed: decoders as .pth, resuming, stylize --model seed reads them")
    func seedTrainResumeStylize() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let vgg = try TestPaths.golden("variants/seed_vgg19.pth").path
        let (straight, split) = try trainStraightAndResumed("seed", vgg: vgg, model: "seed", decoderExtension: "pth")
        let before = try FileManager.default.contentsOfDirectory(atPath: split).sorted()
        let state = try Data(contentsOf: URL(fileURLWithPath: split + "/training-state.safetensors"))
        // The seed's VGG given for pytorch-adain is refused by its keys; with pytorch-adain's VGG, the state is.
        let otherVGG = run(["train", "--resume", "--model", "pytorch-adain"] + (try arguments(output: split, iterations: 3, vgg: vgg)))
        #expect(otherVGG?.contains("this is the VGG encoder of the seed model") == true, "\(otherVGG ?? "no error")")
        let other = run(["train", "--resume", "--model", "pytorch-adain"] + (try arguments(output: split, iterations: 3, vgg: vgg))
                        + ["--vgg", try TestPaths.golden("network/vgg_legacy.pth").path])
        #expect(other?.contains("is of a run for --model seed, not --model pytorch-adain") == true, "\(other ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: split).sorted() == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: split + "/training-state.safetensors")) == state)
        try expectStylizes("seed", vgg: vgg, decoder: straight + "/decoder_iter_2.pth", model: "seed")
    }

    /// The torch model's run through the command: recognised from its vgg_normalised.t7, resumed bit
    /// for bit, its decoder_iter_N.t7 read by `stylize` (the torch model recognised from the .t7).
    @Test("train --model torch: decoders as .t7, resuming, stylize --model torch reads them")
    func torchTrainResumeStylize() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let vgg = try TestPaths.golden("variants/torch_vgg_normalised.t7").path
        let (straight, _) = try trainStraightAndResumed("torch", vgg: vgg, model: "torch", decoderExtension: "t7")
        try expectStylizes("torch", vgg: vgg, decoder: straight + "/decoder_iter_2.t7")
    }

    @Test("train writes decoders, state, loss.csv and loss.png; resuming gives the same decoder; stylize reads it")
    func trainResumeStylize() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let (straight, _) = try trainStraightAndResumed("pytorch-adain", decoderExtension: "safetensors")
        let csv = try String(contentsOfFile: straight + "/loss.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 3 && csv[0] == "iteration,content,style,total,lr,seconds" && csv[2].hasPrefix("2,"))
        let png = try Data(contentsOf: URL(fileURLWithPath: straight + "/loss.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        try expectStylizes("pytorch-adain", decoder: straight + "/decoder_iter_2.safetensors")
    }

    @Test("a missing folder and a missing state are named")
    func errors() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        var args = try arguments(output: temp.path + "/out", iterations: 1)
        args[1] = temp.path + "/nowhere"
        let missing = run(["train"] + args)
        #expect(missing?.contains("--content-dir") == true && missing?.contains(temp.path + "/nowhere") == true, "\(missing ?? "no error")")
        let noState = run(["train", "--resume"] + (try arguments(output: temp.path + "/fresh", iterations: 1)))
        #expect(noState?.contains("training-state.safetensors") == true, "\(noState ?? "no error")")
        let badCrop = run(["train"] + (try arguments(output: temp.path + "/o", iterations: 1)) + ["--image-size", "16", "--crop-size", "24"])
        #expect(badCrop?.contains("--image-size") == true, "\(badCrop ?? "no error")")
    }
}
