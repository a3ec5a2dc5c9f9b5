// `stylectl sweep` end to end: a spec file run, the same sweep from flags, a spec adapted by flags,
// and a failed sweep's folder replaced by its corrected rerun.

import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import StyleReports
import StyleTransfer
@testable import stylectl
import Testing
import TestSupport

@Suite struct SweepCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-sweep-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    func image(_ relative: String) -> String { TestPaths.sharedImages.appendingPathComponent(relative).path }

    /// Parses and runs; returns the message the user would see, or nil on success.
    func run(_ arguments: [String]) -> String? {
        do {
            let command = try Sweep.parse(arguments)
            try command.run()
            return nil
        } catch {
            return Sweep.message(for: error)
        }
    }

    @Test func specFileRunsTheSweepTheFlagsDescribe() throws {
        let (vgg, decoder) = (try TestPaths.golden("network/vgg_legacy.pth").path, try TestPaths.golden("network/decoder_legacy.pth").path)
        let spec = temp.appendingPathComponent("spec.yaml").path
        try Data("""
            content: \(image("content/cornell.jpg"))
            style: [\(image("style/sketch.png"))]
            alpha: [0, 1]
            content-size: 32
            style-size: 32
            report: cli
            reports-dir: reports
            vgg: \(vgg)
            decoder: \(decoder)
            """.utf8).write(to: URL(fileURLWithPath: spec))
        #expect(run(["--spec", spec]) == nil)
        let manifest = try SweepManifest.read(folder: temp.appendingPathComponent("reports/cli").path)
        #expect(manifest.cells.count == 2 && manifest.cells.allSatisfy(\.isDone))

        let flags = try Sweep.parse([
            "--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--alpha", "0,1",
            "--content-size", "32", "--style-size", "32", "--report", "cli", "--reports-dir", temp.appendingPathComponent("reports").path,
            "--vgg", vgg, "--decoder", decoder,
        ])
        let request = try flags.request()
        let configuration = try request.configuration(models: ModelFiles(vgg: vgg, decoder: decoder), toolVersion: StyleCtl.configuration.version)
        #expect(try configuration.definition() == manifest.definition)
        #expect(configuration.folder == temp.appendingPathComponent("reports/cli").path)
    }

    /// Issue 10: `--spec FILE --alpha 0.5` was refused ("either a spec file or flags"); a flag
    /// given with a spec replaces the spec's key, and the other keys stay the spec's. An unknown
    /// key is still refused naming it and the file.
    @Test func aFlagGivenWithASpecReplacesItsKey() throws {
        let spec = temp.appendingPathComponent("mixed.json").path
        try Data(#"{"content": "a.jpg", "style": "b.jpg", "alpha": [0, 1], "report": "r"}"#.utf8).write(to: URL(fileURLWithPath: spec))
        let request = try Sweep.parse(["--spec", spec, "--alpha", "0.5"]).request()
        #expect(request.alphas == [0.5])
        #expect(request.contents == [temp.appendingPathComponent("a.jpg").path] && request.styles == [temp.appendingPathComponent("b.jpg").path])
        #expect(request.report == "r")
        let unknown = temp.appendingPathComponent("unknown.json").path
        try Data(#"{"content": "a.jpg", "style": "b.jpg", "colour": "coral"}"#.utf8).write(to: URL(fileURLWithPath: unknown))
        let refused = run(["--spec", unknown])
        #expect(refused?.contains("'colour'") == true && refused?.contains(unknown) == true, "\(refused ?? "no error")")
    }

    /// Issue 10: a report's `manifest.json` could not be re-run as a spec. Given as `--spec`, it
    /// runs the sweep it records into its own folder (every cell already done: nothing is
    /// rewritten); with flags replacing values and another `--report`, the variation runs beside it
    /// with the recorded definition but for those values.
    @Test func aReportsManifestIsASpec() throws {
        let inputs = ["--content", image("content/cornell.jpg"), "--interpolate", "\(image("style/sketch.png")),\(image("style/mondrian.jpg"))",
                      "--steps", "2", "--alpha", "0.5", "--crop", "--content-size", "32", "--style-size", "32", "--no-metrics",
                      "--reports-dir", temp.path] + (try models)
        #expect(run(inputs + ["--report", "first"]) == nil)
        let folder = temp.appendingPathComponent("first").path
        let manifest = try SweepManifest.read(folder: folder)
        let before = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map {
            ($0, try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)))
        }
        #expect(run(["--spec", folder + "/manifest.json"]) == nil)
        let after = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map {
            ($0, try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)))
        }
        #expect(before.map(\.0) == after.map(\.0))
        for ((name, old), (_, new)) in zip(before, after) where name.hasSuffix(".png") { #expect(old == new, "\(name)") }
        #expect(try SweepManifest.read(folder: folder).definition == manifest.definition)

        #expect(run(["--spec", folder + "/manifest.json", "--content-size", "40", "--report", "second"]) == nil)
        var expected = manifest.definition
        expected.contentSize = 40
        #expect(try SweepManifest.read(folder: temp.appendingPathComponent("second").path).definition == expected)
        let refused = run(["--spec", temp.appendingPathComponent("missing/manifest.json").path])
        #expect(refused?.contains("missing/manifest.json") == true, "\(refused ?? "no error")")
    }

    /// `path` relative to `folder` (both absolute), with `..` for each folder of `folder` not shared.
    func relative(_ path: String, from folder: String) -> String {
        let base = URL(fileURLWithPath: folder).standardizedFileURL.pathComponents
        let target = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        let common = zip(base, target).prefix(while: { $0 == $1 }).count
        return (Array(repeating: "..", count: base.count - common) + target[common...]).joined(separator: "/")
    }

    /// Issue 10, as a user adapts an example: `sweep --spec corners.yaml --content-size 256`. The
    /// flags replace the spec's sizes, alphas and report name; a relative path in the spec resolves
    /// against the spec's folder, one given as a flag against the current folder; the sweep runs.
    @Test func aSpecIsAdaptedFromTheCommandLine() throws {
        let specs = temp.appendingPathComponent("specs").path
        try FileManager.default.createDirectory(atPath: specs, withIntermediateDirectories: true)
        let spec = specs + "/sizes.yaml"
        try Data("""
            content: \(image("content/cornell.jpg"))
            style: [\(relative(image("style/sketch.png"), from: specs))]
            alpha: [0, 0.5, 1]
            content-size: 512
            style-size: 512
            report: big
            reports-dir: reports
            """.utf8).write(to: URL(fileURLWithPath: spec))
        let content = relative(image("content/cornell.jpg"), from: FileManager.default.currentDirectoryPath)
        let arguments = ["--spec", spec, "--content", content, "--content-size", "32", "--style-size", "32", "--alpha", "1",
                         "--report", "small"] + (try models)
        let request = try Sweep.parse(arguments).request()
        #expect(request.contents == [content])
        // The spec's relative path resolves against its folder (compared through symbolic links:
        // the shared images may be reached through one).
        let resolved = { (path: String) in URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
        #expect(request.styles?.map(resolved) == [resolved(image("style/sketch.png"))])
        #expect(request.reportsDirectory == specs + "/reports")
        #expect(request.contentSize == 32 && request.styleSize == 32 && request.alphas == [1] && request.report == "small")
        #expect(run(arguments) == nil)
        let manifest = try SweepManifest.read(folder: specs + "/reports/small")
        #expect(manifest.cells.count == 1 && manifest.cells.allSatisfy(\.isDone))
        #expect(manifest.definition.contents.map(\.path) == [image("content/cornell.jpg")])
        #expect(manifest.definition.contentSize == 32 && manifest.definition.styleSize == 32)
        #expect(try FileManager.default.contentsOfDirectory(atPath: specs + "/reports") == ["small"])
    }

    /// A grid flag of another kind than the spec's cannot replace it without dropping one of
    /// them: refused naming both, and nothing is written.
    @Test func aGridFlagOfAnotherKindThanTheSpecsIsRefusedNamingBoth() throws {
        let spec = temp.appendingPathComponent("corners.yaml").path
        let corners = [image("style/sketch.png"), image("style/mondrian.jpg"), image("style/sketch.png"), image("style/mondrian.jpg")]
        try Data("""
            content: \(image("content/cornell.jpg"))
            corners: [\(corners.joined(separator: ", "))]
            report: corners
            reports-dir: reports
            """.utf8).write(to: URL(fileURLWithPath: spec))
        let sketch = image("style/sketch.png")
        let message = run(["--spec", spec, "--style", sketch] + (try models))
        #expect(message == "'--style': '\(sketch)' is not allowed; expected one kind of grid: --spec \(spec) has 'corners'; give --corners to replace its list, or remove 'corners' from the spec to use --style.",
                "\(message ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path) == ["corners.yaml"])
        // The same kind replaces the spec's list.
        let request = try Sweep.parse(["--spec", spec, "--corners", corners.reversed().joined(separator: ",")]).request()
        #expect(request.corners == corners.reversed() && request.styles == nil)
    }

    /// Issue 10: a sweep that failed at its first cell (a mask of another aspect than the
    /// content) left a manifest.json that refused the corrected rerun under the same --report.
    /// The rerun replaces it; a folder with anything of the user's in it is still refused.
    @Test func theCorrectedRerunOfASweepThatFailedAtItsFirstCellRuns() throws {
        let mask = TestPaths.repoRoot.appendingPathComponent("Masks/halves_512.png").path
        let arguments = ["--content", image("content/cornell.jpg"), "--style", "\(image("style/sketch.png")),\(image("style/mondrian.jpg"))",
                         "--mask", mask, "--content-size", "32", "--style-size", "32", "--report", "masks", "--reports-dir", temp.path] + (try models)
        let folder = temp.appendingPathComponent("masks").path
        let failed = run(arguments)
        #expect(failed?.contains("--stretch-mask") == true, "\(failed ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == [SweepManifest.fileName])
        #expect(run(arguments + ["--stretch-mask"]) == nil)
        let manifest = try SweepManifest.read(folder: folder)
        #expect(manifest.definition.stretchMask && manifest.cells.count == 1 && manifest.cells.allSatisfy(\.isDone))

        // The same failure with a file of the user's beside its manifest: refused, nothing changed.
        let other = arguments.map { $0 == "masks" ? "notes" : $0 }
        let notesFolder = temp.appendingPathComponent("notes").path
        #expect(run(other) != nil)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: notesFolder + "/notes.txt"))
        let before = try FileManager.default.contentsOfDirectory(atPath: notesFolder).sorted()
        let manifestBefore = try Data(contentsOf: URL(fileURLWithPath: notesFolder + "/" + SweepManifest.fileName))
        let refused = run(other + ["--stretch-mask"])
        #expect(refused?.hasPrefix("report folder \(notesFolder) already exists with a different sweep (its manifest.json differs in --mask/--stretch-mask)") == true,
                "\(refused ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: notesFolder).sorted() == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: notesFolder + "/" + SweepManifest.fileName)) == manifestBefore)
    }

    var models: [String] {
        get throws { ["--vgg", try TestPaths.golden("network/vgg_legacy.pth").path, "--decoder", try TestPaths.golden("network/decoder_legacy.pth").path] }
    }

    @Test func stepsBeyondTheLimitAreRefusedNamingTheFlag() throws {
        for steps in ["102", "100000", "4611686018427387904"] {
            let message = run(["--content", image("content/cornell.jpg"), "--interpolate", "\(image("style/sketch.png")),\(image("style/mondrian.jpg"))",
                               "--steps", steps, "--report", "steps", "--reports-dir", temp.path] + (try models))
            #expect(message?.contains("'--steps': '\(steps)' is not allowed; expected 2 to 101") == true, "\(message ?? "no error")")
        }
        #expect(!FileManager.default.fileExists(atPath: temp.appendingPathComponent("steps").path))
    }

    /// A mistake in the flags is named before the weights are looked for: with no `--vgg` and
    /// `--decoder` (and, on a clean clone, no `Models/`), `--steps` with a `--style` grid and an
    /// alpha out of range are what the user is told, not that the weights are missing.
    @Test func flagMistakesAreNamedBeforeMissingWeights() throws {
        let noWeights = ["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--report", "r",
                         "--reports-dir", temp.path]
        let steps = run(noWeights + ["--steps", "3"])
        #expect(steps?.hasPrefix("'--steps': '3' is not allowed") == true, "\(steps ?? "no error")")
        let alpha = run(noWeights + ["--alpha", "0.5,2"])
        #expect(alpha == "'--alpha' must be in [0, 1], got 2.0.", "\(alpha ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }

    /// `stylize`'s size limit and memory estimate hold for sweeps too, before the network loads: a
    /// `--max-memory` too small for the smallest tiles is refused naming the minimum.
    @Test func sizesBeyondTheLimitOrTheMemoryAreRefusedBeforeWork() throws {
        let inputs = ["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--reports-dir", temp.path] + (try models)
        let missing = run(["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--report", "weights",
                           "--reports-dir", temp.path, "--vgg", temp.path + "/vgg.pth", "--decoder", temp.path + "/decoder.pth"])
        #expect(missing?.hasSuffix("is not allowed; expected an existing weight file.") == true, "\(missing ?? "no error")")
        let tooLarge = run(inputs + ["--content-size", "20000", "--report", "large"])
        #expect(tooLarge == StyleTransferError.sizeOutOfRange(role: .content, size: 20000).description, "\(tooLarge ?? "no error")")
        let tooMuchMemory = run(inputs + ["--content-size", "16384", "--max-memory", "2G", "--report", "memory"])
        #expect(tooMuchMemory?.contains("stylizing '\(image("content/cornell.jpg"))' at 23328x16384 pixels needs about ") == true
                && tooMuchMemory?.contains("even in tiles of 64 pixels (the smallest), but 2.1 GB is available (--max-memory 2G); give it at least --max-memory ") == true
                && tooMuchMemory?.contains("the largest --content-size that fits is ") == true, "\(tooMuchMemory ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }

    /// `--tile` and `--max-memory` are stylize's: a bad tile or budget is refused in its words (exit
    /// code 64), `--assemble` refuses them (its shards ran in their plan's tiles), a forced tile is
    /// recorded in the manifest and the plan a spec reruns.
    @Test func tileAndMaxMemoryAreStylizesFlags() throws {
        let inputs = ["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--reports-dir", temp.path] + (try models)
        #expect(run(inputs + ["--tile", "100", "--report", "bad"]) == StyleControlError.badTile(100).description)
        #expect(run(inputs + ["--max-memory", "lots", "--report", "bad"])
                == StyleTransferError.invalidMemorySetting(variable: "--max-memory", value: "lots").description)
        #expect(run(["--assemble", "--report", "x", "--reports-dir", temp.path, "--tile", "256"])
                == "'--assemble' reads the sweep from its report folder's shards/plan.json: give only --report and --reports-dir (or --spec), not '--tile'.")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
        #expect(run(inputs + ["--content-size", "96", "--style-size", "64", "--tile", "64", "--alpha", "1", "--report", "tiled"]) == nil)
        let manifest = try SweepManifest.read(folder: temp.appendingPathComponent("tiled").path)
        #expect(manifest.definition.tile == 64 && manifest.cells.allSatisfy(\.isDone))
        let request = try SweepRequest(specFile: temp.appendingPathComponent("tiled/manifest.json").path)
        #expect(request.tile == 64)
    }

    @Test func aLockedReportFolderIsRefusedNamingThePid() throws {
        let folder = temp.appendingPathComponent("busy").path
        let held = try ReportFolder(folder).lock()
        defer { held.release() }
        let message = run(["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--content-size", "32",
                           "--style-size", "32", "--report", "busy", "--reports-dir", temp.path] + (try models))
        #expect(message?.contains("another stylectl run is writing \(folder) (pid \(getpid()))") == true, "\(message ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == [ReportFolder.lockName])
    }

    /// SIGTERM to a running `stylectl sweep` (the built executable): exit status 143, and neither
    /// temporary files nor the lock are left in the report folder.
    @Test func sigtermLeavesNoTemporaryFiles() throws {
        let executable = TestPaths.repoRoot.appendingPathComponent(".build/debug/stylectl")
        try #require(FileManager.default.isExecutableFile(atPath: executable.path))
        let folder = temp.appendingPathComponent("interrupted").path
        let process = Process()
        process.executableURL = executable
        process.arguments = ["sweep", "--content", image("content/cornell.jpg"), "--interpolate", "\(image("style/sketch.png")),\(image("style/mondrian.jpg"))",
                             "--steps", "40", "--alpha", "0.25,0.5,0.75,1", "--content-size", "64", "--style-size", "64", "--no-metrics",
                             "--report", "interrupted", "--reports-dir", temp.path] + (try models)
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait for the first cell image, then interrupt mid-sweep.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && process.isRunning
                && !((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains(where: { $0.hasPrefix("r01-c02") }) {
            usleep(20_000)
        }
        #expect(process.isRunning, "the sweep ended before it could be interrupted")
        // The other process holds the folder's lock: a run from here is refused, naming its pid.
        #expect(throws: ReportError.reportBusy(folder: folder, pid: process.processIdentifier)) { try ReportFolder(folder).lock() }
        // The same sweep from the command, here: refused before its network loads.
        let second = run(process.arguments!.dropFirst().map { $0 })
        #expect(second?.contains("another stylectl run is writing \(folder) (pid \(process.processIdentifier))") == true, "\(second ?? "no error")")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 143)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(!left.contains { $0.hasSuffix(".tmp") || $0.hasPrefix(".dat.nosync") || $0 == ReportFolder.lockName }, "\(left)")
        #expect(left.contains(SweepManifest.fileName))
    }

    /// Issue 10: every comma-list flag refuses an empty item by one rule, naming the flag and the
    /// item's position, in the words `stylize` uses; nothing is written.
    @Test func anEmptyListItemIsRefusedNamingTheFlagAndPosition() throws {
        let (cornell, sketch, mondrian) = (image("content/cornell.jpg"), image("style/sketch.png"), image("style/mondrian.jpg"))
        let mask = TestPaths.repoRoot.appendingPathComponent("Masks/halves_512.png").path
        let cases: [(grid: [String], flag: String, value: String, position: Int)] = [
            (["--style", sketch], "--content", "\(cornell),,\(cornell)", 2),
            ([], "--style", "\(sketch),,\(mondrian)", 2),
            ([], "--style", ",\(sketch)", 1),
            ([], "--style", "\(sketch),", 2),
            ([], "--style", "\(sketch), ,\(mondrian)", 2),
            ([], "--interpolate", "\(sketch),,\(mondrian)", 2),
            ([], "--corners", "\(sketch),\(sketch),\(sketch),,\(mondrian)", 4),
            (["--style", "\(sketch),\(mondrian)"], "--mask", "\(mask),", 2),
            (["--style", sketch], "--alpha", "0,,1", 2),
            (["--style", sketch], "--preserve-color", "none,,coral", 2),
        ]
        for (grid, flag, value, position) in cases {
            let content = flag == "--content" ? [] : ["--content", cornell]
            let message = run(content + grid + [flag, value, "--report", "r", "--reports-dir", temp.path] + (try models))
            #expect(message == "'\(flag)': item \(position) of '\(value)' is empty; give one value between each pair of commas, with no leading or trailing comma.",
                    "\(message ?? "no error")")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }

    /// Issue 10: `stylize --style a,,b` was run on two styles while `sweep --style a,,b` was
    /// refused; the same mistake now gives the same words in both commands.
    @Test func stylizeAndSweepRefuseAnEmptyItemInTheSameWords() throws {
        let styles = "\(image("style/sketch.png")),,\(image("style/mondrian.jpg"))"
        let swept = run(["--content", image("content/cornell.jpg"), "--style", styles, "--report", "r", "--reports-dir", temp.path] + (try models))
        let output = temp.appendingPathComponent("o.png").path
        var stylized: String?
        do { try Stylize.parse(["--content", image("content/cornell.jpg"), "--style", styles, "--output", output] + (try models)).run() } catch {
            stylized = Stylize.message(for: error)
        }
        #expect(swept == "'--style': item 2 of '\(styles)' is empty; give one value between each pair of commas, with no leading or trailing comma.")
        #expect(stylized == swept, "\(stylized ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }

    /// Issue 10: `--steps` with a `--style` grid was silently ignored; it is refused, saying
    /// which grids take it, and no report folder is made.
    @Test func stepsWithoutInterpolateOrCornersAreRefused() throws {
        let mask = TestPaths.repoRoot.appendingPathComponent("Masks/halves_512.png").path
        for grid in [["--style", image("style/sketch.png")], ["--style", "\(image("style/sketch.png")),\(image("style/mondrian.jpg"))", "--mask", mask]] {
            let message = run(["--content", image("content/cornell.jpg")] + grid + ["--steps", "3", "--report", "steps", "--reports-dir", temp.path] + (try models))
            #expect(message == "'--steps': '3' is not allowed; expected --steps only with --interpolate or --corners: a --style grid has no weights to step through.",
                    "\(message ?? "no error")")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }

    /// Issue 10: `stylize` ran one style with a mask (nothing said what the other region gets)
    /// where `sweep` refused it; both refuse it now in the same words.
    @Test func oneStyleWithAMaskIsRefusedInTheSameWordsAsStylize() throws {
        let (sketch, mask) = (image("style/sketch.png"), TestPaths.repoRoot.appendingPathComponent("Masks/halves_512.png").path)
        let swept = run(["--content", image("content/cornell.jpg"), "--style", sketch, "--mask", mask, "--report", "r", "--reports-dir", temp.path] + (try models))
        var stylized: String?
        do {
            try Stylize.parse(["--content", image("content/cornell.jpg"), "--style", sketch, "--mask", mask,
                               "--output", temp.appendingPathComponent("o.png").path] + (try models)).run()
        } catch {
            stylized = Stylize.message(for: error)
        }
        #expect(swept == "'--style': '\(sketch)' is not allowed; expected two or more style images with --mask.", "\(swept ?? "no error")")
        #expect(stylized == swept, "\(stylized ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }

    /// The message and exit code of parsing and running `command` with `arguments`; nil on success.
    func outcome<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String]) -> (message: String, code: Int32)? {
        do {
            var parsed = try command.parse(arguments)
            try parsed.run()
            return nil
        } catch {
            return (command.message(for: error), command.exitCode(for: error).rawValue)
        }
    }

    /// Issue 10: a bad alpha exited 64 in `stylize` and 1 in `sweep`, in other words. Each flag
    /// value `stylize` checks at parse time is now refused by `sweep` at parse time too, in the
    /// same words and with the same exit code (64), before any file is read or written.
    @Test(arguments: [
        ("--alpha", "2", "'--alpha' must be in [0, 1], got 2.0."),
        ("--alpha", "-0.1", "'--alpha' must be in [0, 1], got -0.1."),
        ("--alpha", "abc", nil),
        ("--content-size", "20000", nil),
        ("--style-size", "-1", nil),
        ("--preserve-color", "sepia", "--preserve-color: unknown method 'sepia'; use one of none, coral, luminance"),
        ("--mask-mode", "fuzzy", "The value 'fuzzy' is invalid for '--mask-mode <mode>'. Please provide one of 'auto', 'binary', 'labels' or 'soft'."),
    ] as [(String, String, String?)])
    func aBadFlagValueIsRefusedAsStylizeRefusesIt(flag: String, value: String, words: String?) throws {
        let (cornell, sketch) = (image("content/cornell.jpg"), image("style/sketch.png"))
        let swept = outcome(Sweep.self, ["--content", cornell, "--style", sketch, flag, value, "--report", "r", "--reports-dir", temp.path] + (try models))
        let stylized = outcome(Stylize.self, ["--content", cornell, "--style", sketch, flag, value, "--output", temp.appendingPathComponent("o.png").path] + (try models))
        #expect(swept?.code == 64, "\(swept.map { "\($0)" } ?? "no error")")
        #expect(swept?.message == stylized?.message && swept?.code == stylized?.code, "sweep \(String(describing: swept)), stylize \(String(describing: stylized))")
        if let words { #expect(swept?.message == words) }
        #expect(swept?.message.contains(flag) == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }

    /// One alpha out of range in a list is named, at parse time, as `stylize` names its one alpha.
    @Test func anAlphaOutOfRangeInAListExits64() throws {
        let swept = outcome(Sweep.self, ["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--alpha", "0,0.5,1.5",
                                         "--report", "r", "--reports-dir", temp.path])
        #expect(swept?.message == "'--alpha' must be in [0, 1], got 1.5." && swept?.code == 64, "\(String(describing: swept))")
    }

    /// Issue 10: `sweep` lacked `--crop`, `--mask-mode` and `--style-weights`. A cell of a sweep
    /// with each is the same image, byte for byte, as `stylize` with the same flags writes.
    @Test func cropMaskModeAndStyleWeightsGiveStylizesImages() throws {
        let (cornell, sketch, mondrian) = (image("content/cornell.jpg"), image("style/sketch.png"), image("style/mondrian.jpg"))
        let radial = TestPaths.repoRoot.appendingPathComponent("Masks/radial_512.png").path
        let sizes = ["--content-size", "32", "--style-size", "32"]
        let cases: [(name: String, sweep: [String], stylize: [String])] = [
            ("crop", ["--style", sketch, "--crop"], ["--style", sketch, "--crop"]),
            ("weights", ["--style", "\(sketch),\(mondrian)", "--style-weights", "1,3"], ["--style", "\(sketch),\(mondrian)", "--style-weights", "1,3"]),
            ("soft", ["--style", "\(sketch),\(mondrian)", "--mask", radial, "--mask-mode", "soft", "--stretch-mask"],
             ["--style", "\(sketch),\(mondrian)", "--mask", radial, "--mask-mode", "soft", "--stretch-mask"]),
        ]
        for (name, sweepFlags, stylizeFlags) in cases {
            let swept = outcome(Sweep.self, ["--content", cornell, "--report", name, "--reports-dir", temp.path, "--no-metrics"] + sweepFlags + sizes + (try models))
            #expect(swept == nil, "\(name): \(String(describing: swept))")
            let manifest = try SweepManifest.read(folder: temp.appendingPathComponent(name).path)
            #expect(manifest.cells.count == 1, "\(name): \(manifest.cells.count) cells")
            let output = temp.appendingPathComponent("\(name).png").path
            let stylized = outcome(Stylize.self, ["--content", cornell, "--output", output] + stylizeFlags + sizes + (try models))
            #expect(stylized == nil, "\(name): \(String(describing: stylized))")
            let cell = try Data(contentsOf: temp.appendingPathComponent(name).appendingPathComponent(manifest.cells[0].output))
            #expect(cell == (try Data(contentsOf: URL(fileURLWithPath: output))), "\(name): the sweep's cell differs from stylize's image")
        }
        let crop = try SweepManifest.read(folder: temp.appendingPathComponent("crop").path)
        #expect(crop.definition.crop == true)
        let weights = try SweepManifest.read(folder: temp.appendingPathComponent("weights").path)
        #expect(weights.definition.styleWeights == [1, 3] && weights.cells[0].weights == [1, 3] && weights.cells[0].styles == [sketch, mondrian])
        #expect(try SweepManifest.read(folder: temp.appendingPathComponent("soft").path).definition.maskMode == "soft")
    }

    /// A folder as `--content` or `--style` stands for its images sorted by name, as in `stylize`;
    /// a folder without images is refused in `stylize`'s words, nothing written.
    @Test func foldersStandForTheirImagesAsInStylize() throws {
        let contents = temp.appendingPathComponent("contents")
        try FileManager.default.createDirectory(at: contents, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: image("content/cornell.jpg"), toPath: contents.appendingPathComponent("b.jpg").path)
        try FileManager.default.copyItem(atPath: image("content/cornell.jpg"), toPath: contents.appendingPathComponent("a.jpg").path)
        try Data("not an image".utf8).write(to: contents.appendingPathComponent("notes.txt"))
        let request = try Sweep.parse(["--content", contents.path, "--style", image("style"), "--report", "r", "--reports-dir", temp.path]).request()
        let configuration = try request.configuration(models: ModelFiles(vgg: "", decoder: ""), toolVersion: "test")
        #expect(configuration.contents == ["a.jpg", "b.jpg"].map { contents.appendingPathComponent($0).path })
        let styles = try FileManager.default.contentsOfDirectory(atPath: image("style"))
            .filter { ["jpg", "jpeg", "png"].contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        #expect(configuration.styles == styles.map { (image("style") as NSString).appendingPathComponent($0) })

        let empty = temp.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let swept = outcome(Sweep.self, ["--content", empty.path, "--style", image("style/sketch.png"), "--report", "r", "--reports-dir", temp.path] + (try models))
        let stylized = outcome(Stylize.self, ["--content", empty.path, "--style", image("style/sketch.png"), "--output", temp.path] + (try models))
        #expect(swept?.message == "--content: folder '\(empty.path)' holds no .jpg, .jpeg or .png files", "\(String(describing: swept))")
        #expect(swept?.message == stylized?.message && swept?.code == stylized?.code, "sweep \(String(describing: swept)), stylize \(String(describing: stylized))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).sorted() == ["contents", "empty"])
    }

    /// The new controls are refused where they mean nothing, rather than ignored: `--mask-mode`
    /// without `--mask`, `--style-weights` with `--interpolate` (which sweeps the weights) or a
    /// count that does not fit the styles, and weights with masks in `stylize`'s words.
    @Test func controlsWithoutMeaningAreRefused() throws {
        let (cornell, sketch, mondrian) = (image("content/cornell.jpg"), image("style/sketch.png"), image("style/mondrian.jpg"))
        let mask = TestPaths.repoRoot.appendingPathComponent("Masks/halves_512.png").path
        let base = ["--content", cornell, "--report", "r", "--reports-dir", temp.path] + (try models)
        let cases: [([String], String)] = [
            (["--style", sketch, "--mask-mode", "soft"], "'--mask-mode': 'soft' is not allowed; expected --mask-mode only with --mask: there is no mask to read."),
            (["--interpolate", "\(sketch),\(mondrian)", "--style-weights", "1,3"],
             "'--style-weights': '1,3' is not allowed; expected --style-weights only with --style: --interpolate and --corners sweep the weights."),
            (["--style", "\(sketch),\(mondrian)", "--style-weights", "1,2,3"], StyleControlError.weightCount(weights: 3, styles: 2).description),
            (["--style", "\(sketch),\(mondrian)", "--style-weights", "1,x"], StyleControlError.weightNotANumber("x").description),
            (["--style", "\(sketch),\(mondrian)", "--mask", mask, "--style-weights", "1,3"], StyleControlError.weightsWithMask.description),
        ]
        for (flags, words) in cases {
            let swept = outcome(Sweep.self, base + flags)
            #expect(swept?.message == words && swept?.code == 1, "\(flags): \(String(describing: swept))")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }
}
