// The files of a sharded sweep in REPORT/shards/: the plan every shard joins (plan.json) and each
// shard's record of its finished cells (K-of-N.json).

import Foundation
import StyleTransfer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `shards/plan.json`: the sweep the shards of a report folder run, written once by the first shard
/// to start and compared by every other (``join(folder:shard:)``); read by assembly and status,
/// and a spec (`--spec REPORT/shards/plan.json --shard K/N` reruns shard K).
public struct SweepShardPlan: JSONRecord, Equatable, Sendable {
    /// The sweep's grid with no cell done: its definition and ``SweepManifest/sheetCellSize``.
    public var manifest: SweepManifest
    /// N of `--shard K/N`.
    public var shardCount: Int
    /// Contact sheets hold at most this many rows each (``SweepConfiguration/rowsPerSheet``).
    public var rowsPerSheet: Int
    /// Whether the cells' losses are measured (``SweepConfiguration/metrics``).
    public var metrics: Bool

    public static let fileName = "plan.json"

    public init(configuration: SweepConfiguration, definition: SweepDefinition, shardCount: Int) {
        manifest = SweepManifest(definition: definition)
        manifest.sheetCellSize = configuration.cellSize
        self.shardCount = shardCount
        rowsPerSheet = configuration.rowsPerSheet
        metrics = configuration.metrics
    }

    /// The grid's checks (``SweepManifest/validate(record:)``), and that it is exactly the grid
    /// of its definition (counted from the definition's lists before it is built, so that a
    /// tampered definition cannot make a huge one): every cell's content, styles and output are
    /// the definition's, not the file's; no cell done; N from 1 to the number of cells' limit;
    /// rows per sheet within ``SweepLimits/rowsPerSheet``.
    public func validate(record: String) throws(ReportError) {
        try manifest.validate(record: record)
        let d = manifest.definition
        let down = switch d.grid {
        case .styles: d.contents.count * (d.styleWeights == nil ? d.styles.count : 1)
        case .interpolation, .masks: d.contents.count
        case .bilinear: d.contents.count * (d.steps ?? 0)
        }
        let axis = switch d.grid {
        case .styles: 1
        case .interpolation, .bilinear: d.steps ?? 0
        case .masks: d.masks.count
        }
        let across = d.preserveColors.count * d.alphas.count * d.contentSizeList.count * d.styleSizeList.count * axis
        let notItsGrid = ReportError.invalidRecord(file: record, reason: "its grid is not the grid of its definition")
        guard down == manifest.rows.count, across == manifest.columns.count else { throw notItsGrid }
        let grid = SweepManifest(definition: d)
        guard grid.rows == manifest.rows, grid.columns == manifest.columns, grid.cells == manifest.cells else { throw notItsGrid }
        if manifest.cells.contains(where: \.isDone) { throw .invalidRecord(file: record, reason: "a plan records no finished cell") }
        if !(1 ... SweepLimits.cells).contains(shardCount) {
            throw .invalidRecord(file: record, reason: "shardCount is \(shardCount), not 1 to \(SweepLimits.cells)")
        }
        if !(1 ... SweepLimits.rowsPerSheet).contains(rowsPerSheet) {
            throw .invalidRecord(file: record, reason: "rowsPerSheet is \(rowsPerSheet), not 1 to \(SweepLimits.rowsPerSheet)")
        }
    }

    /// What differs from `other`, for people: the definition's parameters, the shard count, the
    /// sheets' cell size, rows per sheet, metrics.
    func differences(from other: SweepShardPlan) -> [String] {
        var names: [String] = []
        if manifest.definition != other.manifest.definition { names += differenceNames(other.manifest.definition, manifest.definition) }
        if shardCount != other.shardCount { names.append("the number of shards (\(other.shardCount) there, \(shardCount) here)") }
        if manifest.cellSize != other.manifest.cellSize { names.append("cell-size") }
        if rowsPerSheet != other.rowsPerSheet { names.append("rows per sheet") }
        if metrics != other.metrics { names.append("no-metrics") }
        return names
    }

    /// Makes this the plan of `folder`'s shards, or checks that it is: written once (a draft file
    /// of the shard linked as `plan.json`, which fails if another shard linked one first, on any
    /// machine sharing the folder), else read and compared.
    ///
    /// - Throws: ``ReportError/shardsOfAnotherSweep(folder:reason:)`` when the folder's plan
    ///   differs; ``ReportError/invalidRecord(file:reason:)`` for an unreadable one.
    func join(folder: String, shard: SweepShard) throws(ReportError) {
        let shards = ReportFolder(folder + "/" + SweepShard.shardsFolderName)
        let path = shards.file(Self.fileName)
        if !FileManager.default.fileExists(atPath: path) {
            let draft = shards.file(".\(shard.planDraftName).\(getpid())-\(UInt32.random(in: 0 ... UInt32.max)).tmp")
            let data = try encoded(name: path)
            guard FileManager.default.createFile(atPath: draft, contents: data) else {
                throw .failed("cannot write \(draft): \(String(cString: strerror(errno)))")
            }
            let linked = link(draft, path) == 0
            let reason = errno
            unlink(draft)
            if linked { return }
            guard reason == EEXIST else { throw .failed("cannot write \(path): \(String(cString: strerror(reason)))") }
        }
        try check(folder: folder)
    }

    /// Checks that `folder`'s plan, if any, is this one.
    func check(folder: String) throws(ReportError) {
        let path = folder + "/" + SweepShard.shardsFolderName + "/" + Self.fileName
        guard FileManager.default.fileExists(atPath: path) else { return }
        let existing = try Self.read(path: path)
        let differences = differences(from: existing)
        if !differences.isEmpty {
            throw .shardsOfAnotherSweep(folder: folder, reason: "its \(SweepShard.shardsFolderName)/\(Self.fileName) differs in " + differences.joined(separator: ", "))
        }
    }

    /// The plan of the sharded sweep in `folder`.
    ///
    /// - Throws: ``ReportError/notSharded(folder:)`` when there is none.
    public static func read(report folder: String) throws(ReportError) -> SweepShardPlan {
        let path = folder + "/" + SweepShard.shardsFolderName + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { throw .notSharded(folder: folder) }
        return try read(path: path)
    }
}

/// `shards/K-of-N.json`: what one shard has done, rewritten as its cells finish (as a whole sweep
/// rewrites its manifest) and at its end, always atomically and by that shard alone.
public struct SweepShardRecord: JSONRecord, Equatable, Sendable {
    /// A finished cell: its index in the grid and its result.
    public struct Entry: Codable, Equatable, Sendable {
        public var index: Int
        public var cell: SweepManifest.Cell
    }

    /// K and N.
    public var shard: Int
    public var shardCount: Int
    /// The machine that ran the shard last.
    public var host: String
    /// Wall-clock seconds of the shard's runs so far (a rerun adds its own).
    public var seconds: Double
    /// The number of cells of the shard, and of them done (``cells``' count).
    public var cellCount: Int
    public var cellsDone: Int
    /// The finished cells, in the order run.
    public var cells: [Entry]

    /// Unused: a shard's record is named for the shard (``SweepShard/recordName``); read with
    /// ``JSONRecord/read(path:)``.
    public static let fileName = "K-of-N.json"

    /// K < N within ``SweepLimits/cells``, at most that many cells, each index once, outputs plain
    /// file names, seconds finite and not negative, a host name of at most 255 bytes.
    public func validate(record: String) throws(ReportError) {
        func bad(_ reason: String) -> ReportError { .invalidRecord(file: record, reason: reason) }
        guard (1 ... SweepLimits.cells).contains(shardCount), (0 ..< shardCount).contains(shard) else {
            throw bad("shard \(shard) of \(shardCount) is not K of N with 0 <= K < N <= \(SweepLimits.cells)")
        }
        guard (0 ... SweepLimits.cells).contains(cellCount), cells.count <= cellCount, cellsDone == cells.count else {
            throw bad("\(counted(cells.count, "cell")) done of \(cellCount), recorded as \(cellsDone)")
        }
        guard seconds.isFinite && seconds >= 0 else { throw bad("seconds is \(seconds)") }
        guard host.utf8.count <= 255 else { throw bad("the host name is longer than 255 bytes") }
        var seen = Set<Int>()
        for (i, entry) in cells.enumerated() {
            guard (0 ..< SweepLimits.cells).contains(entry.index), seen.insert(entry.index).inserted else {
                throw bad("cells[\(i)] has index \(entry.index), outside the grid or given twice")
            }
            _ = try ReportFileName.check(entry.cell.output, field: "cells[\(i)].cell.output", record: record)
            if let seconds = entry.cell.seconds, !(seconds >= 0 && seconds.isFinite) { throw bad("cells[\(i)].cell.seconds is \(seconds)") }
        }
    }
}

extension SweepManifest {
    /// What one shard of an assembled sweep did (from its ``SweepShardRecord``).
    public struct Shard: Codable, Equatable, Sendable {
        /// K and N.
        public var shard: Int
        public var shardCount: Int
        public var host: String
        public var seconds: Double
        public var cellsDone: Int
    }
}
