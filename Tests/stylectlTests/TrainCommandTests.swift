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

    /// Tiny settings: 2 of the 32x32 copies resized to 24x24 and cropped to 16x16 per batch, saved every iteration.
    func arguments(output: String, iterations: Int) throws -> [String] {
        ["--content-dir", temp.path + "/content", "--style-dir", temp.path + "/style", "--vgg", try TestPaths.golden("network/vgg_legacy.pth").path,
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

    /// The seed model's run through the command: recognised from its VGG-19 file, resumed bit for bit,
    /// its decoder_iter_N.pth read by `stylize --model seed`; a resume as pytorch-adain is refused.
    @Test("train --model seed: decoders as .pth, resuming, stylize --model seed reads them")
    func seedTrainResumeStylize() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let vgg = try TestPaths.golden("variants/seed_vgg19.pth").path
        func seedArguments(output: String, iterations: Int) throws -> [String] {
            ["--content-dir", temp.path + "/content", "--style-dir", temp.path + "/style", "--vgg", vgg,
             "--output-dir", output, "--iterations", "\(iterations)", "--batch-size", "2", "--image-size", "24", "--crop-size", "16",
             "--save-interval", "1", "--seed", "5"]
        }
        let straight = temp.path + "/seed-straight", split = temp.path + "/seed-split"
        #expect(run(["train"] + (try seedArguments(output: straight, iterations: 2))) == nil)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: straight))
            == ["decoder_iter_1.pth", "decoder_iter_2.pth", "training-state.safetensors", "loss.csv", "loss.png"])
        #expect(run(["train", "--model", "seed"] + (try seedArguments(output: split, iterations: 1))) == nil)
        #expect(run(["train", "--resume"] + (try seedArguments(output: split, iterations: 2))) == nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: straight + "/decoder_iter_2.pth")) == Data(contentsOf: URL(fileURLWithPath: split + "/decoder_iter_2.pth")),
                "a resumed seed run's decoder differs from an uninterrupted run's")
        let before = try FileManager.default.contentsOfDirectory(atPath: split).sorted()
        let state = try Data(contentsOf: URL(fileURLWithPath: split + "/training-state.safetensors"))
        // The seed's VGG given for pytorch-adain is refused by its keys; with pytorch-adain's VGG, the state is.
        let otherVGG = run(["train", "--resume", "--model", "pytorch-adain"] + (try seedArguments(output: split, iterations: 3)))
        #expect(otherVGG?.contains("this is the VGG encoder of the seed model") == true, "\(otherVGG ?? "no error")")
        let other = run(["train", "--resume", "--model", "pytorch-adain"] + (try seedArguments(output: split, iterations: 3))
                        + ["--vgg", try TestPaths.golden("network/vgg_legacy.pth").path])
        #expect(other?.contains("is of a run for --model seed, not --model pytorch-adain") == true, "\(other ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: split).sorted() == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: split + "/training-state.safetensors")) == state)

        let output = temp.path + "/seed-stylized.png"
        #expect(run(["stylize", "--model", "seed", "--content", images + "/content/cornell.jpg", "--style", images + "/style/sketch.png",
                     "--output", output, "--content-size", "32", "--style-size", "32", "--vgg", vgg,
                     "--decoder", straight + "/decoder_iter_2.pth"]) == nil)
        #expect(FileManager.default.fileExists(atPath: output))
    }

    /// The torch model's run through the command: recognised from its vgg_normalised.t7, resumed bit
    /// for bit, its decoder_iter_N.t7 read by `stylize` (the torch model recognised from the .t7).
    @Test("train --model torch: decoders as .t7, resuming, stylize --model torch reads them")
    func torchTrainResumeStylize() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let vgg = try TestPaths.golden("variants/torch_vgg_normalised.t7").path
        func torchArguments(output: String, iterations: Int) throws -> [String] {
            ["--content-dir", temp.path + "/content", "--style-dir", temp.path + "/style", "--vgg", vgg,
             "--output-dir", output, "--iterations", "\(iterations)", "--batch-size", "2", "--image-size", "24", "--crop-size", "16",
             "--save-interval", "1", "--seed", "5"]
        }
        let straight = temp.path + "/torch-straight", split = temp.path + "/torch-split"
        #expect(run(["train"] + (try torchArguments(output: straight, iterations: 2))) == nil)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: straight))
            == ["decoder_iter_1.t7", "decoder_iter_2.t7", "training-state.safetensors", "loss.csv", "loss.png"])
        #expect(run(["train", "--model", "torch"] + (try torchArguments(output: split, iterations: 1))) == nil)
        #expect(run(["train", "--resume"] + (try torchArguments(output: split, iterations: 2))) == nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: straight + "/decoder_iter_2.t7")) == Data(contentsOf: URL(fileURLWithPath: split + "/decoder_iter_2.t7")),
                "a resumed torch run's decoder differs from an uninterrupted run's")

        let output = temp.path + "/torch-stylized.png"
        #expect(run(["stylize", "--content", images + "/content/cornell.jpg", "--style", images + "/style/sketch.png",
                     "--output", output, "--content-size", "32", "--style-size", "32", "--vgg", vgg,
                     "--decoder", straight + "/decoder_iter_2.t7"]) == nil)
        #expect(FileManager.default.fileExists(atPath: output))
    }

    @Test("train writes decoders, state, loss.csv and loss.png; resuming gives the same decoder; stylize reads it")
    func trainResumeStylize() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let straight = temp.path + "/straight", split = temp.path + "/split"
        #expect(run(["train"] + (try arguments(output: straight, iterations: 2))) == nil)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: straight))
        #expect(files == ["decoder_iter_1.safetensors", "decoder_iter_2.safetensors", "training-state.safetensors", "loss.csv", "loss.png"])
        let csv = try String(contentsOfFile: straight + "/loss.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 3 && csv[0] == "iteration,content,style,total,lr,seconds" && csv[2].hasPrefix("2,"))
        let png = try Data(contentsOf: URL(fileURLWithPath: straight + "/loss.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))

        #expect(run(["train"] + (try arguments(output: split, iterations: 1))) == nil)
        #expect(run(["train", "--resume"] + (try arguments(output: split, iterations: 2))) == nil)
        let a = try Data(contentsOf: URL(fileURLWithPath: straight + "/decoder_iter_2.safetensors"))
        let b = try Data(contentsOf: URL(fileURLWithPath: split + "/decoder_iter_2.safetensors"))
        #expect(a == b, "a resumed run's decoder differs from an uninterrupted run's")

        let output = temp.path + "/stylized.png"
        #expect(run(["stylize", "--content", images + "/content/cornell.jpg", "--style", images + "/style/sketch.png", "--output", output,
                     "--content-size", "32", "--style-size", "32", "--vgg", try TestPaths.golden("network/vgg_legacy.pth").path,
                     "--decoder", straight + "/decoder_iter_2.safetensors"]) == nil)
        #expect(FileManager.default.fileExists(atPath: output))
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
