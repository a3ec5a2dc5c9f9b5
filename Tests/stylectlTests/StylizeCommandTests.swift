// `stylectl stylize` end to end: arguments, folders, progress and the errors users see.

import ArgumentParser
import Foundation
import ImageCodec
@testable import stylectl
import StyleTransfer
import Synchronization
import Testing
import TestSupport

@Suite struct StylizeCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    func content(_ name: String) -> String { TestPaths.sharedImages.appendingPathComponent("content/\(name)").path }
    func style(_ name: String) -> String { TestPaths.sharedImages.appendingPathComponent("style/\(name)").path }

    func modelArguments() throws -> [String] {
        ["--vgg", try TestPaths.golden("network/vgg_legacy.pth").path,
         "--decoder", try TestPaths.golden("network/decoder_zip.pth").path]
    }

    /// Parses and runs; returns the message the user would see, or nil on success.
    func run(_ arguments: [String]) -> String? {
        do {
            let command = try Stylize.parse(arguments)
            try command.run()
            return nil
        } catch {
            return Stylize.message(for: error)
        }
    }

    @Test(arguments: ["-0.1", "1.5", "nan"])
    func alphaOutOfRangeNamesTheFlag(alpha: String) throws {
        let message = run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", temp.path + "/o.png", "--alpha", alpha])
        #expect(message?.contains("--alpha") == true, "\(message ?? "no error")")
    }

    /// `stylectl` reads `--style-weights` as numbers; the library takes them typed.
    @Test func aWeightThatIsNotANumberIsNamed() throws {
        let message = run(["--content", content("cornell.jpg"), "--style", style("sketch.png") + "," + style("mondrian.jpg"),
                           "--style-weights", "1,x", "--output", temp.path + "/o.png"] + (try modelArguments()))
        #expect(message == "--style-weights: 'x' is not a number; give one non-negative number per style, separated by commas",
                "\(message ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: temp.path + "/o.png"))
    }

    @Test func missingContentNamesFlagAndPath() throws {
        let missing = temp.appendingPathComponent("nope.jpg").path
        let message = run(["--content", missing, "--style", style("sketch.png"), "--output", temp.path + "/o.png"] + (try modelArguments()))
        #expect(message?.contains("--content") == true && message?.contains(missing) == true, "\(message ?? "no error")")
    }

    @Test func truncatedCheckpointNamesTheFile() throws {
        let full = try Data(contentsOf: try TestPaths.golden("network/decoder_legacy.pth"))
        let cut = temp.appendingPathComponent("decoder_cut.pth")
        try full.prefix(full.count / 2).write(to: cut)
        let message = run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", temp.path + "/o.png",
                           "--vgg", try TestPaths.golden("network/vgg_legacy.pth").path, "--decoder", cut.path])
        #expect(message?.contains(cut.path) == true && message?.contains("truncated") == true, "\(message ?? "no error")")
    }

    @Test func swappedCheckpointsAreExplained() throws {
        let message = run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", temp.path + "/o.png",
                           "--vgg", try TestPaths.golden("network/decoder_zip.pth").path,
                           "--decoder", try TestPaths.golden("network/vgg_zip.pth").path])
        #expect(message?.contains("decoder_zip.pth") == true, "\(message ?? "no error")")
    }

    @Test func corruptContentLeavesNoOutput() throws {
        let bad = temp.appendingPathComponent("notanimage.jpg")
        try Data("hello".utf8).write(to: bad)
        let output = temp.appendingPathComponent("out.png")
        let message = run(["--content", bad.path, "--style", style("sketch.png"), "--output", output.path, "--content-size", "64", "--style-size", "64"] + (try modelArguments()))
        #expect(message?.contains(bad.path) == true, "\(message ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: output.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path) == ["notanimage.jpg"])
    }

    @Test func tinyImageIsRefusedWithItsSize() throws {
        let tiny = temp.appendingPathComponent("tiny.png")
        let message = run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", tiny.path,
                           "--content-size", "4"] + (try modelArguments()))
        #expect(message?.contains("cornell.jpg") == true && message?.contains("at least 9x9") == true, "\(message ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: tiny.path))
    }

    @Test func foldersStylizeEveryPair() throws {
        let contents = temp.appendingPathComponent("contents")
        try FileManager.default.createDirectory(at: contents, withIntermediateDirectories: true)
        for name in ["cornell.jpg", "modern.jpg"] {
            try FileManager.default.copyItem(atPath: content(name), toPath: contents.appendingPathComponent(name).path)
        }
        try Data("not an image list".utf8).write(to: contents.appendingPathComponent("notes.txt"))
        let output = temp.appendingPathComponent("out")
        let message = run(["--content", contents.path, "--style", style("sketch.png"), "--output", output.path,
                           "--content-size", "48", "--style-size", "48", "--alpha", "0.5"] + (try modelArguments()))
        #expect(message == nil, "\(message ?? "")")
        let written = try FileManager.default.contentsOfDirectory(atPath: output.path).sorted()
        #expect(written == ["cornell_stylized_sketch.png", "modern_stylized_sketch.png"])
    }

    func seededModels() throws -> [String] {
        ["--vgg", try TestPaths.golden("network/vgg_legacy.pth").path,
         "--decoder", try TestPaths.golden("network/decoder_legacy.pth").path]
    }

    /// A decoder file that cannot be loaded: a command that reads it fails with its name, so a
    /// refusal with another message proves the check ran before the weights were loaded.
    func unloadableModels() throws -> [String] {
        let bad = temp.appendingPathComponent("bad_decoder.pth")
        try Data("not a checkpoint".utf8).write(to: bad)
        return ["--vgg", try TestPaths.golden("network/vgg_legacy.pth").path, "--decoder", bad.path]
    }

    func copy(_ source: String, to name: String, in folder: URL? = nil) throws -> URL {
        let target = (folder ?? temp).appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source, toPath: target.path)
        return target
    }

    /// `--output mine.jpg --content mine.jpg` replaced the photo with exit code 0.
    @Test func outputThatIsTheContentIsRefusedAndTheContentKept() throws {
        let mine = try copy(content("cornell.jpg"), to: "mine.jpg")
        let before = try Data(contentsOf: mine)
        for output in [mine.path, temp.path + "/./mine.jpg"] {
            let message = run(["--content", mine.path, "--style", style("sketch.png"), "--output", output] + (try unloadableModels()))
            #expect(message == "--output: '\(output)' is the same file as --content '\(mine.path)'; writing it would replace that input. Choose another output path", "\(message ?? "no error")")
        }
        #expect(try Data(contentsOf: mine) == before)
    }

    /// The same for a style, a mask and a weight file (one named .png, so that only identity tells).
    @Test func outputThatIsAStyleMaskOrWeightFileIsRefused() throws {
        let styleCopy = try copy(style("sketch.png"), to: "s.png")
        let mask = try copy(TestPaths.repoRoot.appendingPathComponent("Masks/halves_512.png").path, to: "m.png")
        let decoder = try copy(try TestPaths.golden("network/decoder_legacy.pth").path, to: "decoder.png")
        let vgg = try TestPaths.golden("network/vgg_legacy.pth").path
        let base = ["--content", content("cornell.jpg"), "--vgg", vgg, "--decoder", decoder.path]
        let cases: [([String], String, String)] = [
            (["--style", styleCopy.path, "--output", styleCopy.path], "--style", styleCopy.path),
            (["--style", styleCopy.path + "," + style("sketch.png"), "--mask", mask.path, "--output", mask.path], "--mask", mask.path),
            (["--style", styleCopy.path, "--output", decoder.path], "--decoder", decoder.path),
        ]
        for (arguments, option, input) in cases {
            let message = run(base + arguments)
            #expect(message?.hasPrefix("--output: '\(input)' is the same file as \(option) '\(input)'") == true, "\(message ?? "no error")")
        }
        #expect(try Data(contentsOf: decoder) == Data(contentsOf: try TestPaths.golden("network/decoder_legacy.pth")))
        #expect(try Data(contentsOf: mask) == Data(contentsOf: TestPaths.repoRoot.appendingPathComponent("Masks/halves_512.png")))
    }

    /// A folder holding a.jpg and a.png gave one a_stylized_sketch.png, the second replacing the first.
    @Test func twoImagesWithOneStemGiveTwoOutputs() throws {
        let contents = temp.appendingPathComponent("contents")
        _ = try copy(content("cornell.jpg"), to: "a.jpg", in: contents)
        _ = try copy(content("modern.jpg"), to: "b.jpg", in: contents)
        try writeTestImage(width: 24, height: 24, to: contents.appendingPathComponent("a.png").path)
        let output = temp.appendingPathComponent("out")
        let message = run(["--content", contents.path, "--style", style("sketch.png"), "--output", output.path,
                           "--content-size", "24", "--style-size", "24"] + (try seededModels()))
        #expect(message == nil, "\(message ?? "")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).sorted()
                == ["a.jpg_stylized_sketch.png", "a.png_stylized_sketch.png", "b_stylized_sketch.png"])
    }

    /// Re-running a folder job with --output the content folder stylized the earlier outputs.
    @Test func outputFolderThatIsTheContentFolderIsRefused() throws {
        let contents = temp.appendingPathComponent("contents")
        _ = try copy(content("cornell.jpg"), to: "cornell.jpg", in: contents)
        let message = run(["--content", contents.path, "--style", style("sketch.png"), "--output", contents.path] + (try unloadableModels()))
        #expect(message == "--output: folder '\(contents.path)' is the --content folder; its outputs would be taken as inputs by the next run. Choose another output folder", "\(message ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: contents.path) == ["cornell.jpg"])
    }

    /// 100000 or 20000 crashed allocating 102 or 30 GB; absurd sizes are refused at parse time.
    @Test(arguments: ["--content-size", "--style-size"], ["20000", "100000", "-1"])
    func absurdSizesAreRefusedAtParseTime(option: String, size: String) throws {
        let message = run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", temp.path + "/o.png", option, size])
        #expect(message == "'\(option)' must be in 0...16384 (0 keeps the image's size), got \(size)", "\(message ?? "no error")")
    }

    /// --content-size 16384 is allowed but needs about 270 GB whole and 18 GB in the smallest tiles:
    /// in 4 GiB it is refused before the weights are read, with the size that fits.
    @Test func stylizationTooLargeForMemoryIsRefusedBeforeLoadingWeights() throws {
        let output = temp.appendingPathComponent("o.png")
        let message = run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", output.path,
                           "--content-size", "16384", "--max-memory", "4G"] + (try unloadableModels()))
        #expect(message?.hasPrefix("stylizing '\(content("cornell.jpg"))' at 23328x16384 pixels needs about ") == true
                && message?.contains("the largest --content-size that fits is ") == true, "\(message ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    /// A 10000 x 10000 photo at --content-size 0 crashed (rc 132); its header alone is enough to
    /// refuse it when even the smallest tiles do not fit (about 770 MB: the source decoded as
    /// bytes while it is read; then the 8-bit content plane, the PNG output written band by band),
    /// naming the budget they need. In 1 GiB it is now stylized in tiles (the run goes on to the
    /// weights, which fail here); before the output was written by bands it needed 1.2 GB.
    @Test func hugePhotoAtSizeZeroIsRefusedFromItsHeader() throws {
        let photo = temp.appendingPathComponent("huge.png")
        try pngHeader(width: 10000, height: 10000).write(to: photo)
        let arguments = ["--content", photo.path, "--style", style("sketch.png"), "--output", temp.path + "/o.png", "--content-size", "0"]
        let message = run(arguments + ["--max-memory", "600M"] + (try unloadableModels()))
        #expect(message?.hasPrefix("stylizing '\(photo.path)' at 10000x10000 pixels needs about ") == true
                && message?.contains("even in tiles of 64 pixels (the smallest), but 629 MB is available (--max-memory 600M); give it at least --max-memory ") == true,
                "\(message ?? "no error")")
        let tiled = run(arguments + ["--max-memory", "1G"] + (try unloadableModels()))
        #expect(tiled?.contains("is not a PyTorch checkpoint") == true, "\(tiled ?? "no error")")
    }

    /// --max-memory: a content that does not fit whole is tiled by itself (the run goes on to load
    /// the weights, which fail here); a forced --tile too large is refused with the largest that
    /// fits; a budget below the smallest tiles names the minimum; a bad value names the flag. The
    /// refusals come before the weights are read, and no output is written.
    @Test func maxMemoryChoosesTilesOrNamesTheMinimum() throws {
        let output = temp.appendingPathComponent("o.png")
        let base = ["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", output.path, "--content-size", "2048"]
        let weights = try unloadableModels()
        let tiled = run(base + ["--max-memory", "2G"] + weights)
        #expect(tiled?.hasPrefix("'\(temp.path)/bad_decoder.pth' is not a PyTorch checkpoint") == true, "\(tiled ?? "no error")")
        let forced = run(base + ["--max-memory", "2G", "--tile", "2048"] + weights)
        #expect(forced?.hasPrefix("stylizing '\(content("cornell.jpg"))' at 2916x2048 pixels in tiles of 2048 pixels needs about ") == true
                && forced?.contains("but 2.1 GB is available (--max-memory 2G); the largest --tile that fits is ") == true, "\(forced ?? "no error")")
        let small = run(base + ["--max-memory", "300M"] + weights)
        #expect(small?.contains("even in tiles of 64 pixels (the smallest), but 315 MB is available (--max-memory 300M); give it at least --max-memory ") == true,
                "\(small ?? "no error")")
        #expect(run(base + ["--max-memory", "lots"] + weights)
                == "--max-memory must be a number of bytes (optionally with a K, M or G suffix, powers of 1024), got 'lots'")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path) == ["bad_decoder.pth"])
    }

    /// `--alpha -0.1` said "Missing value for '--alpha'".
    @Test(arguments: [["--alpha", "-0.1"], ["--alpha=-0.1"]])
    func negativeAlphaIsOutOfRangeInBothForms(alpha: [String]) {
        let message = run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", temp.path + "/o.png"] + alpha)
        #expect(message == "'--alpha' must be in [0, 1], got -0.1.", "\(message ?? "no error")")
    }

    /// --crop with --content-size 0 was silently ignored; it takes the shorter side's centre square.
    @Test func cropWithSizeZeroGivesASquare() throws {
        let wide = temp.appendingPathComponent("wide.png")
        try writeTestImage(width: 40, height: 24, to: wide.path)
        let output = temp.appendingPathComponent("o.png")
        let message = run(["--content", wide.path, "--style", style("sketch.png"), "--output", output.path,
                           "--content-size", "0", "--style-size", "32", "--crop"] + (try seededModels()))
        #expect(message == nil, "\(message ?? "")")
        let image = try readImage(path: output.path)
        #expect(image.width == 24 && image.height == 24)
    }

    /// `--output x.gif` was refused only after the whole stylization; so was a missing folder.
    @Test func badOutputIsRefusedBeforeLoadingWeights() throws {
        let gif = temp.appendingPathComponent("x.gif").path
        #expect(run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", gif] + (try unloadableModels()))
                == "--output: cannot write '\(gif)': '.gif' is not supported; use .png, .jpg, .jpeg")
        let missing = temp.appendingPathComponent("missing/o.png").path
        #expect(run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", missing] + (try unloadableModels()))
                == "--output: cannot write '\(missing)': its folder '\(temp.path)/missing' does not exist")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path) == ["bad_decoder.pth"])
    }

    /// A file name with ESC was echoed raw to the terminal.
    @Test func controlCharactersInPathsAreEscaped() throws {
        let name = temp.appendingPathComponent("a\u{1B}]0;pwned\u{7}b.jpg").path
        let message = run(["--content", name, "--style", style("sketch.png"), "--output", temp.path + "/o.png"] + (try unloadableModels()))
        #expect(message == "--content: '\(temp.path)/a\\x1B]0;pwned\\x07b.jpg' does not exist", "\(message ?? "no error")")
        var lines: [String] = []
        var report = ProgressReport(count: 2) { lines.append($0) }
        report.record(index: 0, output: temp.path + "/x\u{1B}[2J.png", seconds: 1, error: nil)
        #expect(lines == ["[1/2] \(temp.path)/x\\x1B[2J.png (1.00 s, about 1 s left)"])
    }

    /// A value ArgumentParser echoes back in its own message ("The value '...' is invalid") was
    /// printed raw by the executable; `stylectl`'s `main` escapes every error message.
    @Test func valuesEchoedByTheParserAreEscaped() throws {
        let executable = TestPaths.repoRoot.appendingPathComponent(".build/debug/stylectl")
        try #require(FileManager.default.isExecutableFile(atPath: executable.path))
        let process = Process()
        process.executableURL = executable
        process.arguments = ["stylize", "--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", temp.path + "/o.png",
                             "--mask-mode", "x\u{1B}[2J"]
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 64)
        #expect(text.hasPrefix("Error: The value 'x\\x1B[2J' is invalid for '--mask-mode <mode>'. Please provide one of 'auto', 'binary', 'labels' or 'soft'."),
                "\(text)")
        #expect(!text.contains("\u{1B}"))
    }

    /// "[1/1] failed: ..." and then "Error: ..." said the same thing twice.
    @Test func aSingleFailureIsReportedOnce() throws {
        var lines: [String] = []
        var single = ProgressReport(count: 1) { lines.append($0) }
        single.record(index: 0, output: "o.png", seconds: 1, error: CommandFailure("broken"))
        #expect(lines.isEmpty)
        #expect(throws: CommandFailure.self) { try single.finish() }
        do { try single.finish() } catch { #expect("\(error)" == "broken") }
        var several = ProgressReport(count: 2) { lines.append($0) }
        several.record(index: 0, output: "o.png", seconds: 1, error: CommandFailure("broken"))
        several.record(index: 1, output: "p.png", seconds: 1, error: nil)
        #expect(lines == ["[1/2] failed: broken", "[2/2] p.png (1.00 s)"])
        do { try several.finish() } catch { #expect("\(error)" == "1 of 2 stylizations failed") }
    }

    /// A grey gradient PNG of the given size.
    func writeTestImage(width: Int, height: Int, to path: String) throws {
        let plane = (0 ..< width * height).map { Float($0 % width) / Float(width) }
        try writeImage(RGBImage(width: width, height: height, pixels: plane + plane + plane), path: path)
    }

    /// The first bytes of a PNG declaring `width` x `height` 8-bit RGB pixels, without its pixels.
    func pngHeader(width: Int, height: Int) -> Data {
        func bigEndian(_ value: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }
        func crc32(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0 ..< 8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return ~crc
        }
        let chunk = Array("IHDR".utf8) + bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + bigEndian(13) + chunk + bigEndian(Int(crc32(chunk))))
    }

    /// Issue 10: `StyleControls.list` dropped empty items, so `--style-weights 1,,3` gave two
    /// weights and `--mask ,m.png` one mask without a word. Every comma-list flag of stylize now
    /// refuses an empty item naming the flag and its position; nothing is written.
    @Test func anEmptyListItemIsRefusedNamingTheFlagAndPosition() throws {
        let styles = "\(style("sketch.png")),\(style("mondrian.jpg"))"
        let mask = TestPaths.repoRoot.appendingPathComponent("Masks/halves_512.png").path
        let cases: [(flag: String, value: String, position: Int, others: [String])] = [
            ("--style", "\(style("sketch.png")),,\(style("mondrian.jpg"))", 2, []),
            ("--style", " ,\(style("sketch.png"))", 1, []),
            ("--style-weights", "1,,3", 2, ["--style", styles]),
            ("--style-weights", "1,3,", 3, ["--style", styles]),
            ("--mask", ",\(mask)", 1, ["--style", styles]),
        ]
        for (flag, value, position, others) in cases {
            let message = run(["--content", content("cornell.jpg"), "--output", temp.path + "/o.png", flag, value] + others + (try modelArguments()))
            #expect(message == "'\(flag)': item \(position) of '\(value)' is empty; give one value between each pair of commas, with no leading or trailing comma.",
                    "\(message ?? "no error")")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }
}

/// Tiled stylizations print their tiles and time left at most once a second.
@Suite struct TileProgressLinesTests {
    /// Tiles at 0.4 s intervals: the first line, then one per second, then the last tile's; the
    /// next stylization's first tile prints at once.
    @Test func linesAreThrottledToOneASecond() {
        let lines = Mutex<[String]>([])
        let now = Mutex<UInt64>(0)
        let printer = TileProgressLines(emit: { line in lines.withLock { $0.append(line) } }, clock: { now.withLock { $0 } })
        for done in 1 ... 6 {
            now.withLock { $0 = UInt64(done) * 400_000_000 }
            printer.record(TileProgress(done: done, total: 6, secondsLeft: Double(6 - done)))
        }
        now.withLock { $0 += 100_000_000 }
        printer.record(TileProgress(done: 1, total: 4, secondsLeft: 3))
        #expect(lines.withLock { $0 } == ["  tile 1/6, about 5 s left", "  tile 4/6, about 2 s left", "  tile 6/6", "  tile 1/4, about 3 s left"])
    }
}
