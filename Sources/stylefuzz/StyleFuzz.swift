// stylefuzz TARGET --seconds N --seed S: a seeded mutation fuzzer of stylectl's file readers.

import ArgumentParser
import Foundation

/// Feeds mutated files to one reader for a while. Any thrown error is a pass; a crash (the
/// process dies) or a hang is a finding. Before each input is read it is written to `--crash-dir`,
/// so the input that killed the process is there afterwards (`--reproduce FILE` reads one file).
@main
struct StyleFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylefuzz",
        abstract: "Fuzz stylectl's readers of images, weight files, sweep specs and manifests with seeded random mutations.")

    @Argument(help: "What to fuzz: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")).")
    var target: String

    @Option(help: "How long to run, in seconds.")
    var seconds: Double = 60

    @Option(help: "Seed of the mutations: the same seed and target give the same inputs.")
    var seed: UInt64 = 1

    @Option(help: "A folder of extra seed files.")
    var corpus: String?

    @Option(help: "Where the input being read is kept, to reproduce a crash.")
    var crashDir = ".build/fuzz-crashes/current-input"

    @Option(help: "The folder of the golden files (its checkpoints/ are seeds of the checkpoint target).")
    var goldens = ".goldens"

    @Option(help: "An input that reads for longer than this many seconds is reported as a hang.")
    var hangSeconds: Double = 20

    @Option(help: "Read this one file with the target and print the outcome, instead of fuzzing.")
    var reproduce: String?

    func validate() throws {
        guard FuzzTarget(rawValue: target) != nil else {
            throw ValidationError("unknown target '\(target)'; use one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        guard seconds > 0 && seconds.isFinite else { throw ValidationError("'--seconds' must be positive, got \(seconds).") }
        guard hangSeconds > 0 && hangSeconds.isFinite else { throw ValidationError("'--hang-seconds' must be positive, got \(hangSeconds).") }
    }

    func run() throws {
        let target = FuzzTarget(rawValue: target)!
        if let reproduce {
            say("stylefuzz \(target.rawValue): \(reproduce): \(target.read(reproduce))")
            return
        }
        let shm = "/dev/shm"
        let base = FileManager.default.fileExists(atPath: shm) ? shm : NSTemporaryDirectory()
        let scratch = base + "/stylefuzz-\(ProcessInfo.processInfo.processIdentifier)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try? FileManager.default.removeItem(atPath: crashDir)
        try FileManager.default.createDirectory(atPath: crashDir, withIntermediateDirectories: true)

        let seeds = try target.seeds(goldens: goldens, corpus: corpus, scratch: scratch)
        guard !seeds.isEmpty else { throw ValidationError("no seeds for \(target.rawValue)") }
        var readable = 0
        for (name, bytes) in seeds {
            let path = scratch + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            if target.read(path) == "ok" { readable += 1 }
        }
        say("stylefuzz \(target.rawValue): \(seeds.count) seeds (\(readable) read without error), seed \(seed), \(seconds) s; "
              + "the input being read is kept in \(crashDir)")

        let watchdog = Watchdog(limit: hangSeconds, target: target.rawValue)
        watchdog.start()
        var mutator = Mutator(seed: seed)
        var counts: [String: Int] = [:]
        var inputs = 0
        var kept: String?
        let start = Date()
        var lastReport = start
        while Date().timeIntervalSince(start) < seconds {
            let (name, seedBytes) = seeds[mutator.below(seeds.count)]
            let input = mutator.mutate(seedBytes, other: seeds[mutator.below(seeds.count)].bytes, text: target.isText)
            let crashPath = crashDir + "/" + name
            if let kept, kept != crashPath { try? FileManager.default.removeItem(atPath: kept) }
            kept = crashPath
            try Data(input).write(to: URL(fileURLWithPath: crashPath))
            let path = scratch + "/" + name
            try Data(input).write(to: URL(fileURLWithPath: path))
            watchdog.begin(input: crashPath)
            counts[target.read(path), default: 0] += 1
            watchdog.end()
            inputs += 1
            if Date().timeIntervalSince(lastReport) >= 10 {
                lastReport = Date()
                report(target, inputs: inputs, counts: counts, elapsed: lastReport.timeIntervalSince(start))
            }
        }
        report(target, inputs: inputs, counts: counts, elapsed: Date().timeIntervalSince(start))
        if let kept { try? FileManager.default.removeItem(atPath: kept) }
        say("stylefuzz \(target.rawValue): \(inputs) inputs, 0 crashes")
    }

    private func report(_ target: FuzzTarget, inputs: Int, counts: [String: Int], elapsed: Double) {
        let outcomes = counts.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        say(String(format: "stylefuzz %@: %.0f s, %d inputs, %.0f/s; %@", target.rawValue, elapsed, inputs, Double(inputs) / max(elapsed, 1e-9), outcomes))
    }
}

/// Reports an input that reads for longer than `limit` seconds and ends the process: a reader
/// that hangs (a FIFO, an endless loop) is a finding as a crash is.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Double
    private let target: String
    private var current: (input: String, since: Date)?

    init(limit: Double, target: String) {
        self.limit = limit
        self.target = target
    }

    func start() {
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.5)
                lock.lock()
                let current = current
                lock.unlock()
                if let current, Date().timeIntervalSince(current.since) > limit {
                    say("stylefuzz \(target): HANG: an input read for more than \(limit) s; it is kept as \(current.input)")
                    exit(2)
                }
            }
        }
        thread.start()
    }

    func begin(input: String) {
        lock.lock()
        current = (input, Date())
        lock.unlock()
    }

    func end() {
        lock.lock()
        current = nil
        lock.unlock()
    }
}

/// A line on standard output, unbuffered (the last lines before a crash must not be lost).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
