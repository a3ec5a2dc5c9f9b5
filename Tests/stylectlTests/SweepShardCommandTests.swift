// `stylectl sweep --shard K/N`, `--assemble` and `--status` end to end: shards as separate processes
// at once give the whole sweep's report, a killed shard's rerun completes, bad values exit 64.

import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import StyleReports
@testable import stylectl
import Testing
import TestSupport

@Suite struct SweepShardCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-shards-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    func image(_ relative: String) -> String { TestPaths.sharedImages.appendingPathComponent(relative).path }

    var executable: URL { TestPaths.repoRoot.appendingPathComponent(".build/debug/stylectl") }

    /// A spec of two contents x two styles x `alphas`, 64 px, the seeded golden weights, into
    /// `temp/reports`.
    func spec(alphas: String = "[0.5, 1]") throws -> String {
        let path = temp.appendingPathComponent("spec.yaml").path
        try Data("""
            content: [\(image("content/cornell.jpg")), \(image("content/modern.jpg"))]
            style: [\(image("style/mondrian.jpg")), \(image("style/sketch.png"))]
            alpha: \(alphas)
            content-size: 64
            style-size: 64
            reports-dir: reports
            vgg: \(try TestPaths.golden("network/vgg_legacy.pth").path)
            decoder: \(try TestPaths.golden("network/decoder_legacy.pth").path)
            """.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The built `stylectl` with `arguments`, started.
    func start(_ arguments: [String], errors: FileHandle? = FileHandle.nullDevice) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The message and exit code of parsing and running `sweep` with `arguments`; nil on success.
    func outcome(_ arguments: [String]) -> (message: String, code: Int32)? {
        do {
            var parsed = try Sweep.parse(arguments)
            try parsed.run()
            return nil
        } catch {
            return (Sweep.message(for: error), Sweep.exitCode(for: error).rawValue)
        }
    }

    func cellsWithoutTimings(_ folder: String) throws -> [SweepManifest.Cell] {
        try SweepManifest.read(folder: folder).cells.map { cell in
            var cell = cell
            (cell.seconds, cell.encodeSeconds, cell.decodeSeconds) = (nil, nil, nil)
            return cell
        }
    }

    /// Three shard processes started at once (last first), then `--assemble`: the cell images'
    /// bytes and the manifest cells of the same sweep run whole.
    @Test func shardProcessesAtOnceAssembleIntoTheWholeSweepsReport() throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable.path))
        let spec = try spec()
        let shards = try [2, 1, 0].map { try start(["sweep", "--spec", spec, "--report", "sharded", "--shard", "\($0)/3"]) }
        // The whole sweep as a process too, as a user runs it: not in this process, whose other
        // tests run at the same time.
        let whole = try start(["sweep", "--spec", spec, "--report", "whole"])
        for shard in shards + [whole] {
            shard.waitUntilExit()
            #expect(shard.terminationReason == .exit && shard.terminationStatus == 0)
        }
        let (wholeFolder, sharded) = (temp.appendingPathComponent("reports/whole").path, temp.appendingPathComponent("reports/sharded").path)
        #expect(outcome(["--assemble", "--report", "sharded", "--reports-dir", temp.appendingPathComponent("reports").path]) == nil)
        for (a, b) in zip(try cellsWithoutTimings(sharded), try cellsWithoutTimings(wholeFolder)) {
            #expect(a == b, "sharded \(a) against whole \(b)")
        }
        #expect(try cellsWithoutTimings(sharded).count == cellsWithoutTimings(wholeFolder).count)
        for cell in try SweepManifest.read(folder: wholeFolder).cells {
            #expect(try Data(contentsOf: URL(fileURLWithPath: sharded + "/" + cell.output)) == Data(contentsOf: URL(fileURLWithPath: wholeFolder + "/" + cell.output)))
        }
        #expect(try SweepManifest.read(folder: sharded).shards?.count == 3)
        #expect(FileManager.default.fileExists(atPath: sharded + "/index.html") && FileManager.default.fileExists(atPath: sharded + "/metrics.csv"))

        // --status: a line per shard and the total, on standard output.
        let pipe = Pipe()
        let status = Process()
        status.executableURL = executable
        status.arguments = ["sweep", "--status", "--report", "sharded", "--reports-dir", temp.appendingPathComponent("reports").path]
        status.standardOutput = pipe
        try status.run()
        let lines = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        status.waitUntilExit()
        #expect(status.terminationStatus == 0 && lines.count == 4, "\(lines)")
        #expect(lines.first?.hasPrefix("shard 0/3: 3 of 3 cells, ") == true && lines.first?.hasSuffix(", finished") == true, "\(lines)")
        #expect(lines.last == "sweep \(sharded): 8 of 8 cells done; assembled (index.html, manifest.json)")
    }

    /// SIGKILL to a shard mid-run, then the same command again: it completes from where the kill
    /// left it (its lock and temporary files do not stop it), and the sweep assembles.
    @Test func aKilledShardsRerunCompletes() throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable.path))
        let spec = try spec(alphas: "[0, 0.25, 0.5, 0.75, 1]")
        let arguments = ["sweep", "--spec", spec, "--report", "killed", "--no-metrics", "--shard", "0/2"]
        let folder = temp.appendingPathComponent("reports/killed").path
        let shard = try start(arguments)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && shard.isRunning && !((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains(where: { $0.hasPrefix("r01-c01") }) {
            usleep(20_000)
        }
        #expect(shard.isRunning, "the shard ended before it could be killed")
        kill(shard.processIdentifier, SIGKILL)
        shard.waitUntilExit()
        #expect(shard.terminationReason == .uncaughtSignal)
        let status = try sweepStatus(folder: folder)
        #expect(status[0].done < status[0].cells && !status[0].running && status[1].host == nil)

        let rerun = try start(arguments)
        rerun.waitUntilExit()
        #expect(rerun.terminationStatus == 0)
        #expect(outcome(["--spec", spec, "--report", "killed", "--no-metrics", "--shard", "1/2"]) == nil)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder) + FileManager.default.contentsOfDirectory(atPath: folder + "/shards")
        #expect(!left.contains { $0.hasSuffix(".tmp") || $0.hasSuffix(".lock") }, "\(left)")
        #expect(try sweepStatus(folder: folder).allSatisfy { $0.done == $0.cells && $0.secondsLeft == 0 })
        #expect(outcome(["--assemble", "--spec", spec, "--report", "killed"]) == nil)
        #expect(try SweepManifest.read(folder: folder).cells.allSatisfy(\.isDone))
    }

    /// SIGTERM to a running shard: exit status 143, and neither its temporary files nor its locks
    /// are left in the folder or in `shards/`; its record keeps what it finished.
    @Test func sigtermLeavesNoTemporaryFilesOrLocksOfTheShard() throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable.path))
        let spec = try spec(alphas: "[0, 0.25, 0.5, 0.75, 1]")
        let folder = temp.appendingPathComponent("reports/terminated").path
        let shard = try start(["sweep", "--spec", spec, "--report", "terminated", "--no-metrics", "--shard", "1/2"])
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && shard.isRunning && !((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains(where: { $0.hasSuffix(".png") }) {
            usleep(20_000)
        }
        #expect(shard.isRunning, "the shard ended before it could be interrupted")
        #expect(try sweepStatus(folder: folder).map(\.running) == [false, true])
        kill(shard.processIdentifier, SIGTERM)
        shard.waitUntilExit()
        #expect(shard.terminationReason == .exit && shard.terminationStatus == 143)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder) + FileManager.default.contentsOfDirectory(atPath: folder + "/shards")
        #expect(!left.contains { $0.hasSuffix(".tmp") || $0.hasSuffix(".lock") || $0.hasPrefix(".dat.nosync") }, "\(left)")
        #expect(left.contains("1-of-2.json") && left.contains("plan.json"))
    }

    /// `--shard` values that are not K of N, and steps that do not go together, are refused at
    /// parse time with exit code 64, naming the flag.
    @Test(arguments: [
        (["--shard", "3/3"], "'--shard': '3/3' is not allowed; expected K/N, shard K of N counted from 0 (0 <= K < N, 1 <= N <= 10000), e.g. 0/4 to 3/4."),
        (["--shard", "0/0"], "'--shard': '0/0' is not allowed"),
        (["--shard", "x"], "'--shard': 'x' is not allowed"),
        (["--shard", "-1/2"], "'--shard': '-1/2' is not allowed"),
        (["--assemble", "--status", "--report", "r"], "'--assemble' and '--status' are separate steps: give one of them."),
        (["--assemble", "--report", "r", "--shard", "1/2"], "'--assemble' works on every shard of the sweep: give it without '--shard 1/2'."),
        (["--status", "--report", "r", "--alpha", "1"], "'--status' reads the sweep from its report folder's shards/plan.json: give only --report and --reports-dir (or --spec), not '--alpha'."),
        (["--assemble"], "'--assemble' needs the sweep's --report (and --reports-dir), or its --spec."),
    ])
    func badShardingIsRefusedWithExitCode64(arguments: [String], words: String) throws {
        let result = try #require(outcome(["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png")].filter { _ in !arguments.contains("--assemble") && !arguments.contains("--status") } + arguments))
        #expect(result.code == 64)
        #expect(result.message.contains(words), "\(result.message)")
    }

    /// `--assemble` and `--status` of a folder that holds no sharded sweep: exit code 1, naming it.
    @Test func assemblingAFolderWithoutShardsIsRefused() throws {
        let reports = temp.appendingPathComponent("reports").path
        let result = try #require(outcome(["--assemble", "--report", "none", "--reports-dir", reports]))
        #expect(result.code == 1)
        #expect(result.message == ReportError.notSharded(folder: reports + "/none").description)
    }
}
