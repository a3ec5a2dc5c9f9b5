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
        #expect(alpha == "'--alpha': '2' is not allowed; expected numbers in [0, 1].", "\(alpha ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }

    /// `stylize`'s size limit and memory estimate hold for sweeps too, before the network loads.
    @Test func sizesBeyondTheLimitOrTheMemoryAreRefusedBeforeWork() throws {
        let inputs = ["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--reports-dir", temp.path] + (try models)
        let missing = run(["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--report", "weights",
                           "--reports-dir", temp.path, "--vgg", temp.path + "/vgg.pth", "--decoder", temp.path + "/decoder.pth"])
        #expect(missing?.hasSuffix("is not allowed; expected an existing weight file.") == true, "\(missing ?? "no error")")
        let tooLarge = run(inputs + ["--content-size", "20000", "--report", "large"])
        #expect(tooLarge?.contains("'--content-size': '20000' is not allowed; expected 0 to 16384") == true, "\(tooLarge ?? "no error")")
        let tooMuchMemory = run(inputs + ["--content-size", "16384", "--report", "memory"])
        #expect(tooMuchMemory?.contains("stylizing '\(image("content/cornell.jpg"))' at 23328x16384 pixels needs about ") == true
                && tooMuchMemory?.contains("the largest --content-size that fits is ") == true, "\(tooMuchMemory ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
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
}
