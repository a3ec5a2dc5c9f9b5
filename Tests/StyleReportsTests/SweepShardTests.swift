// Sweeps run as shards (`--shard K/N`) and assembled: the partition, shards in any order giving the
// whole sweep's report, a missing shard named with its cells and rerun command, a folder of another
// sweep refused, a tampered record refused.

import Foundation
@testable import StyleReports
import StyleTransfer
import Testing
import TestSupport

@Suite struct SweepShardTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("stylereports-shards-\(UUID().uuidString)")

    func folder(_ name: String) -> String { temp.appendingPathComponent(name).path }

    /// Two contents x two styles x two alphas: 8 cells of 64-pixel images.
    func configuration(_ name: String, alphas: [Float] = [0.5, 1]) throws -> SweepConfiguration {
        SweepConfiguration(
            contents: [sharedImage("content/cornell.jpg"), sharedImage("content/modern.jpg")],
            styles: [sharedImage("style/mondrian.jpg"), sharedImage("style/sketch.png")], alphas: alphas,
            contentSize: 64, styleSize: 64, models: try #require(goldenModels), folder: folder(name), toolVersion: "test")
    }

    func stylizer() throws -> Stylizer { try #require(goldenStylizer, "the golden weights in .goldens/network/ do not load") }

    /// Cells without their timings: what a sharded and a whole run of one sweep must agree on.
    func untimed(_ cells: [SweepManifest.Cell]) -> [SweepManifest.Cell] {
        cells.map { cell in
            var cell = cell
            (cell.seconds, cell.encodeSeconds, cell.decodeSeconds) = (cell.seconds.map { _ in 0 }, nil, nil)
            return cell
        }
    }

    /// The bytes of the files named in `names` in `folder`.
    func bytes(_ names: [String], in folder: String) throws -> [String: Data] {
        try Dictionary(uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0))) })
    }

    @Test(arguments: [
        ("3/3", "3/3"), ("0/0", "0/0"), ("1/-2", "1/-2"), ("-1/2", "-1/2"), ("a/b", "a/b"), ("1/2/3", "1/2/3"), ("", ""),
        (" 1/2", " 1/2"), ("1/", "1/"), ("/2", "/2"), ("0/10001", "0/10001"), ("١/٢", "١/٢"), ("99999999999999999999/1", "99999999999999999999/1"),
    ])
    func aShardThatIsNotKOfNIsRefusedNamingTheFlag(text: String, shown: String) {
        #expect(throws: ReportError.invalidValue(flag: "--shard", value: String(shown.prefix(80)), expected: SweepShard.expected)) {
            try SweepShard(parsing: text)
        }
    }

    @Test func kOfNIsParsed() throws {
        let shard = try SweepShard(parsing: "2/3")
        #expect(shard.index == 2 && shard.count == 3 && shard.description == "2/3" && shard.recordName == "2-of-3.json")
        #expect(try SweepShard(parsing: "0/1") == SweepShard(index: 0, count: 1))
    }

    /// Every cell in exactly one shard; equal costs: counts differing by at most one; unequal
    /// costs: each shard's cost within one cell's cost of the mean; each group (content) in
    /// consecutive shards, at most groups + N - 1 (shard, group) pairs; the same cut every time.
    @Test func thePartitionIsAPartitionBalancedByCost() {
        var generator = SeededGenerator(seed: 16)
        for _ in 0 ..< 200 {
            let cells = Int.random(in: 1 ... 120, using: &generator)
            let count = Int.random(in: 1 ... 12, using: &generator)
            let groupCount = Int.random(in: 1 ... 9, using: &generator)
            let groups = (0 ..< cells).map { _ in Int.random(in: 0 ..< groupCount, using: &generator) }
            let equal = Bool.random(using: &generator)
            let costs: [Int] = (0 ..< cells).map { _ in equal ? 64 * 64 : Int.random(in: 1 ... 1000, using: &generator) }
            let shards = SweepShard.partition(groups: groups, costs: costs, count: count)
            #expect(shards.count == count)
            #expect(shards.flatMap { $0 }.sorted() == Array(0 ..< cells))
            #expect(shards == SweepShard.partition(groups: groups, costs: costs, count: count))
            if equal {
                let sizes: [Int] = shards.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1, "\(sizes)")
            } else {
                let total = Double(costs.reduce(0, +)), most = Double(costs.max()!)
                for shard in shards {
                    let cost = Double(shard.reduce(0) { $0 + costs[$1] })
                    #expect(abs(cost - total / Double(count)) <= most, "\(shards)")
                }
            }
            let pairs = Set(shards.enumerated().flatMap { k, shard in shard.map { [k, groups[$0]] } })
            #expect(pairs.count <= Set(groups).count + count - 1)
            // Empty shards (a cell costing more than a shard's share) aside, a group's shards are consecutive.
            let filled = shards.filter { !$0.isEmpty }
            for group in Set(groups) {
                let holding = filled.indices.filter { k in filled[k].contains { groups[$0] == group } }
                #expect(holding == Array(holding.first! ... holding.last!), "group \(group) in shards \(holding)")
            }
        }
    }

    /// The cut of a sweep by content: two contents of 4 cells each in 2 shards are one content each.
    @Test func aSweepIsCutByContent() throws {
        let definition = try configuration("cut").definition()
        let manifest = SweepManifest(definition: definition)
        let shards = try SweepShard.shards(of: manifest, count: 2)
        #expect(shards.map { Set($0.map { manifest.cells[$0].content }) } == [[definition.contents[0].path], [definition.contents[1].path]])
    }

    /// Shards 2, 0, 1 of 3 then assembly: the cell images, sheets and manifest cells of the sweep
    /// run whole (in a folder of the same name: the sheets' title names it); the shards' hosts
    /// and seconds recorded.
    @Test func shardsInAnyOrderAssembleIntoTheWholeSweepsReport() throws {
        let whole = try runSweep(try configuration("whole/sweep"), stylizer: try stylizer())
        let sharded = try configuration("sharded/sweep")
        for k in [2, 0, 1] {
            let record = try runSweepShard(sharded, shard: try SweepShard(index: k, count: 3), stylizer: try stylizer())
            #expect(record.cellsDone == record.cellCount && record.host == currentHostName())
            let names = try FileManager.default.contentsOfDirectory(atPath: sharded.folder)
            #expect(!names.contains(SweepManifest.fileName) && !names.contains("index.html") && !names.contains { $0.hasPrefix("sheet-") })
        }
        let assembled = try assembleSweep(folder: sharded.folder)
        #expect(untimed(assembled.cells) == untimed(whole.cells))
        #expect(assembled.definition == whole.definition && assembled.rows == whole.rows && assembled.columns == whole.columns)
        #expect(assembled.shards?.map(\.shard) == [0, 1, 2] && assembled.shards?.map(\.cellsDone).reduce(0, +) == 8)
        #expect(try SweepManifest.read(folder: sharded.folder) == assembled)
        let images = whole.cells.map(\.output)
        #expect(try bytes(images, in: sharded.folder) == bytes(images, in: folder("whole/sweep")))
        let sheets = try FileManager.default.contentsOfDirectory(atPath: folder("whole/sweep")).filter { $0.hasPrefix("sheet-") }
        #expect(!sheets.isEmpty)
        #expect(try bytes(sheets + ["index.html", "metrics.csv"], in: sharded.folder).keys.sorted() == (sheets + ["index.html", "metrics.csv"]).sorted())
        #expect(try bytes(sheets, in: sharded.folder) == bytes(sheets, in: folder("whole/sweep")))
        // Assembled, the folder resumes as a whole sweep: every cell already done.
        var skipped = 0
        _ = try runSweep(sharded, stylizer: try stylizer()) { if $0.skipped { skipped += 1 } }
        #expect(skipped == 8)
    }

    /// Shards 0 and 2 of 3: assembly lists exactly shard 1's cells and the command that reruns it,
    /// and writes nothing; after that command's shard, it assembles.
    @Test func assemblingWithAMissingShardListsItsCellsAndTheRerunCommand() throws {
        let sharded = try configuration("missing")
        for k in [0, 2] { _ = try runSweepShard(sharded, shard: try SweepShard(index: k, count: 3), stylizer: try stylizer()) }
        let before = try FileManager.default.contentsOfDirectory(atPath: sharded.folder).sorted()
        let grid = SweepManifest(definition: try sharded.definition())
        let missing = try SweepShard.shards(of: grid, count: 3)[1].sorted().map { grid.cells[$0].output }
        #expect(!missing.isEmpty)
        let command = "stylectl sweep --spec \(sharded.folder)/shards/plan.json --shard 1/3"
        let expected = ReportError.shardsIncomplete(folder: sharded.folder, missing: [ShardGap(shard: "1/3", cells: missing, command: command)])
        #expect(throws: expected) { try assembleSweep(folder: sharded.folder) }
        #expect(expected.description.contains("shard 1/3: \(counted(missing.count, "cell")) (\(missing.joined(separator: ", ")))\n    rerun: \(command)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: sharded.folder).sorted() == before)
        #expect(!before.contains(SweepManifest.fileName))

        // The rerun command's spec is the plan: the same sweep, into the same folder.
        let request = try SweepRequest(specFile: sharded.folder + "/shards/plan.json")
        #expect(try request.folder() == sharded.folder)
        let rerun = try request.configuration(models: try #require(goldenModels), toolVersion: "test")
        #expect(try rerun.definition() == sharded.definition())
        let progress = try sweepStatus(folder: sharded.folder)
        let parts = try SweepShard.shards(of: grid, count: 3)
        #expect(progress.map(\.done) == [parts[0].count, 0, parts[2].count] && progress.map(\.cells) == parts.map(\.count))
        let running = progress.filter { $0.running }
        #expect(running.isEmpty)
        #expect(progress[1].host == nil && progress[1].secondsLeft != nil && progress[0].secondsLeft == 0)
        _ = try runSweepShard(rerun, shard: try SweepShard(index: 1, count: 3), stylizer: try stylizer())
        #expect(try assembleSweep(folder: sharded.folder).cells.allSatisfy(\.isDone))
    }

    /// A shard of another sweep (other alphas, another number of shards) or into a folder of
    /// other files is refused naming the folder and what differs; nothing there changes.
    @Test func aShardRefusesAFolderOfAnotherSweep() throws {
        let first = try configuration("other")
        _ = try runSweepShard(first, shard: try SweepShard(index: 0, count: 2), stylizer: try stylizer())
        let before = try snapshot(first.folder)
        let other = try configuration("other", alphas: [1])
        #expect(throws: ReportError.shardsOfAnotherSweep(folder: first.folder, reason: "its shards/plan.json differs in --alpha")) {
            try runSweepShard(other, shard: try SweepShard(index: 1, count: 2), stylizer: try stylizer())
        }
        #expect(throws: ReportError.shardsOfAnotherSweep(folder: first.folder, reason: "its shards/plan.json differs in the number of shards (2 there, 3 here)")) {
            try checkSweep(first, shard: try SweepShard(index: 1, count: 3))
        }
        #expect(try snapshot(first.folder) == before)
        #expect(ReportError.shardsOfAnotherSweep(folder: first.folder, reason: "r").description
            == "report folder \(first.folder) holds another sweep (r); a shard joins only the shards of its own sweep: choose another --report, or remove \(first.folder) to start this sweep there. Nothing in it was changed.")

        let notes = try configuration("notes")
        try FileManager.default.createDirectory(atPath: notes.folder, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: notes.folder + "/notes.txt"))
        #expect(throws: ReportError.shardsOfAnotherSweep(folder: notes.folder, reason: "it holds files but no manifest.json or shards/plan.json")) {
            try runSweepShard(notes, shard: try SweepShard(index: 0, count: 2), stylizer: try stylizer())
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: notes.folder) == ["notes.txt"])
        #expect(throws: ReportError.invalidValue(flag: "--overwrite", value: "--shard 0/2", expected: "no --overwrite with --shard: shards running at once must not remove each other's cells; remove the report folder \(notes.folder) to start again")) {
            var overwriting = notes
            overwriting.overwrite = true
            try checkSweep(overwriting, shard: try SweepShard(index: 0, count: 2))
        }
    }

    /// While a shard holds its lock (here taken as a running shard takes it), assembly and a whole
    /// run of the folder are refused naming the lock, the status says the shard is running, and
    /// the same shard cannot start twice; nothing is written.
    @Test func aRunningShardStopsAssemblyAndAWholeRun() throws {
        let sharded = try configuration("running")
        _ = try runSweepShard(sharded, shard: try SweepShard(index: 0, count: 2), stylizer: try stylizer())
        let shard = try SweepShard(index: 1, count: 2)
        let held = try ReportFolder(sharded.folder).lock(name: shard.lockName, owning: [])
        defer { held.release() }
        let before = try snapshot(sharded.folder)
        #expect(throws: ReportError.failed("a shard is still running in \(sharded.folder) (it holds .stylectl-shard-1-of-2.lock); assemble once every shard has finished. Nothing was written.")) {
            try assembleSweep(folder: sharded.folder)
        }
        #expect(throws: ReportError.failed("a shard of a sweep is running in \(sharded.folder) (it holds .stylectl-shard-1-of-2.lock); run the whole sweep once the shards have finished, or assemble them with --assemble. Nothing was changed.")) {
            try runSweep(sharded, stylizer: try stylizer())
        }
        #expect(throws: ReportError.reportBusy(folder: sharded.folder, pid: getpid())) {
            try runSweepShard(sharded, shard: shard, stylizer: try stylizer())
        }
        #expect(try sweepStatus(folder: sharded.folder).map(\.running) == [false, true])
        #expect(try snapshot(sharded.folder) == before)
    }

    /// A record claiming a cell of another shard, or written for another shard, is refused by
    /// assembly naming the file; nothing is written.
    @Test func aTamperedShardRecordIsRefused() throws {
        let sharded = try configuration("tampered")
        for k in 0 ..< 2 { _ = try runSweepShard(sharded, shard: try SweepShard(index: k, count: 2), stylizer: try stylizer()) }
        let path = sharded.folder + "/shards/0-of-2.json"
        var record = try SweepShardRecord.read(path: path)
        let foreign = try SweepShard.shards(of: SweepManifest(definition: try sharded.definition()), count: 2)[1][0]
        record.cells[0].index = foreign
        try record.write(folder: sharded.folder + "/shards", name: "0-of-2.json")
        #expect(throws: ReportError.invalidRecord(file: path, reason: "cells[0] is cell \(foreign), which is not one of shard 0/2's")) {
            try assembleSweep(folder: sharded.folder)
        }
        #expect(!FileManager.default.fileExists(atPath: sharded.folder + "/" + SweepManifest.fileName))
        #expect(throws: ReportError.notSharded(folder: folder("nothing"))) { try assembleSweep(folder: folder("nothing")) }

        // A plan whose cell names another file than its definition's (a plain name, so only the
        // grid's check sees it) is refused by assembly, status and a shard; nothing is written.
        let planPath = sharded.folder + "/shards/plan.json"
        var plan = try SweepShardPlan.read(path: planPath)
        plan.manifest.cells[0].output = "notes.png"
        try plan.write(folder: sharded.folder + "/shards")
        let notItsGrid = ReportError.invalidRecord(file: planPath, reason: "its grid is not the grid of its definition")
        #expect(throws: notItsGrid) { try assembleSweep(folder: sharded.folder) }
        #expect(throws: notItsGrid) { try sweepStatus(folder: sharded.folder) }
        #expect(throws: notItsGrid) { try checkSweep(sharded, shard: try SweepShard(index: 0, count: 2)) }
        #expect(!FileManager.default.fileExists(atPath: sharded.folder + "/" + SweepManifest.fileName))
    }

    /// Shard records built here with hostile values are refused by their reader, naming the file
    /// and the value.
    @Test(arguments: [
        (#""shard": 2, "shardCount": 2"#, "shard 2 of 2 is not K of N with 0 <= K < N <= 10000"),
        (#""shard": 0, "shardCount": 0"#, "shard 0 of 0 is not K of N with 0 <= K < N <= 10000"),
        (#""shard": 0, "shardCount": 2, "seconds": -1"#, "seconds is -1.0"),
        (#""shard": 0, "shardCount": 2, "cellsDone": 5"#, "1 cell done of 4, recorded as 5"),
        (#""shard": 0, "shardCount": 2, "index": 10000"#, "cells[0] has index 10000, outside the grid or given twice"),
        (#""shard": 0, "shardCount": 2, "output": "../escape.png""#, "cells[0].cell.output '../escape.png' contains '/' (only plain file names inside the report folder are allowed)"),
    ])
    func aHostileShardRecordIsRefused(fields: String, reason: String) throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        var values: [String: String] = ["seconds": "1", "cellsDone": "1", "index": "3", "output": #""r01-c01_x.png""#]
        for pair in fields.split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            values[parts[0].trimmingCharacters(in: CharacterSet(charactersIn: "\""))] = parts[1]
        }
        let json = """
            {"shard": \(values["shard"]!), "shardCount": \(values["shardCount"]!), "host": "h", "seconds": \(values["seconds"]!),
             "cellCount": 4, "cellsDone": \(values["cellsDone"]!),
             "cells": [{"index": \(values["index"]!), "cell": {"row": 0, "column": 0, "content": "c.png", "styles": ["s.png"], "alpha": 1,
                        "preserveColor": "none", "output": \(values["output"]!), "seconds": 0.5}}]}
            """
        let path = temp.appendingPathComponent("0-of-2.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ReportError.invalidRecord(file: path, reason: reason)) { try SweepShardRecord.read(path: path) }
    }

    func snapshot(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.subpathsOfDirectory(atPath: folder) {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder), !isFolder.boolValue {
                files[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            }
        }
        return files
    }
}

/// A small deterministic generator (SplitMix64) for the partition's random cases.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
