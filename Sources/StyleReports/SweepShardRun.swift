// A sweep run as shards: one shard's cells into the shared report folder, the assembly of the
// shards into the report the whole sweep writes, and the shards' progress.

import Foundation
import StyleTransfer

/// Runs shard `shard` of the sweep `configuration` describes: its cells (``SweepShard/shards(of:count:)``)
/// into the report folder, and its record `shards/K-of-N.json`; returns that record.
///
/// Shards of one sweep may run at once, on machines sharing the folder, without colliding: each
/// writes only its own cells (atomically, as every cell image) and its own record; the plan
/// `shards/plan.json` is written once, by the first shard to link it, and compared by the others
/// (``SweepShardPlan/join(folder:shard:)``); no shard writes `manifest.json`, `index.html`,
/// `metrics.csv` or sheets: ``assembleSweep(folder:)`` does. A shard holds its own lock
/// (``SweepShard/lockName``) in the folder and in `shards/`: the same shard run twice at once is
/// refused, and its rerun after a kill removes the temporary files the killed run left of its own
/// names (and no other's). A rerun keeps the cells its record (or the folder's `manifest.json` of
/// the same sweep) holds whose image decodes at the right size (``restoreResults(into:from:folder:)``),
/// and runs the others through the same loop as a whole sweep (``stylizeCells(of:indices:configuration:stylizer:progress:save:)``),
/// in the tiles the plan records (``planTiling(_:shard:)``: the first shard records its own).
///
/// - Throws: ``ReportError/shardsOfAnotherSweep(folder:reason:)`` for a folder holding another
///   sweep (its plan or manifest differs, or files of neither), ``ReportError/reportBusy(folder:pid:)``
///   while the shard or a whole run of the folder is running, ``ReportError/invalidValue(flag:value:expected:)``
///   for `overwrite`, ``ReportError/shardTileDiffers(record:shard:given:recorded:)`` for a `--tile`
///   other than the plan's, ``ReportError/recordedTileDoesNotFit(record:shard:tile:path:needed:available:source:)``
///   when the plan's tiles do not fit the memory, and any error of the cells.
public func runSweepShard(
    _ configuration: SweepConfiguration, shard: SweepShard, stylizer: Stylizer, progress: (SweepProgress) -> Void = { _ in }
) throws(ReportError) -> SweepShardRecord {
    let started = Date()
    let (configuration, definition) = try planTiling(configuration, shard: shard)
    let plan = try checkShard(configuration, shard: shard, definition: definition)
    let folder = configuration.folder
    let report = ReportFolder(folder)
    let shards = ReportFolder(folder + "/" + SweepShard.shardsFolderName)
    do { try FileManager.default.createDirectory(atPath: shards.path, withIntermediateDirectories: true) } catch {
        throw .failed("cannot create \(shards.path): \(error.localizedDescription)")
    }
    let recordLock = try shards.lock(name: shard.lockName, owning: [shard.recordName, shard.planDraftName])
    defer { recordLock.release() }
    try plan.join(folder: folder, shard: shard)
    let existing = try inspectShardFolder(plan, folder: folder)
    var manifest = plan.manifest
    let indices = try SweepShard.shards(of: manifest, count: shard.count)[shard.index]
    let cellLock = try report.lock(name: shard.lockName, owning: Set(indices.map { manifest.cells[$0].output }))
    defer { cellLock.release() }

    var previous: [Int: SweepManifest.Cell] = [:]
    if let existing { for i in indices { previous[i] = existing.cells[i] } }
    let recordPath = shards.file(shard.recordName)
    var earlierSeconds = 0.0
    if FileManager.default.fileExists(atPath: recordPath) {
        let old = try SweepShardRecord.read(path: recordPath)
        previous.merge(try finishedCells(of: old, shard: shard, cells: indices, path: recordPath)) { _, recorded in recorded }
        earlierSeconds = old.seconds
    }
    try restoreResults(into: &manifest, from: previous, folder: folder)
    let host = currentHostName()
    func record(_ manifest: SweepManifest) -> SweepShardRecord {
        let done = indices.filter { manifest.cells[$0].isDone }.map { SweepShardRecord.Entry(index: $0, cell: manifest.cells[$0]) }
        return SweepShardRecord(shard: shard.index, shardCount: shard.count, host: host, seconds: earlierSeconds + Date().timeIntervalSince(started),
                                cellCount: indices.count, cellsDone: done.count, cells: done)
    }
    try record(manifest).write(folder: shards.path, name: shard.recordName)
    var schedule = ManifestSchedule(cells: indices.count)
    try stylizeCells(of: &manifest, indices: indices, configuration: configuration, stylizer: stylizer, progress: progress) { manifest throws(ReportError) in
        if schedule.isDue() { try record(manifest).write(folder: shards.path, name: shard.recordName) }
    }
    let finished = record(manifest)
    try finished.write(folder: shards.path, name: shard.recordName)
    return finished
}

/// Checks, changing nothing, that shard `shard` of `configuration` may run: no `overwrite`
/// (shards at once must not remove each other's cells), a folder holding nothing, this sweep's
/// shards or its manifest (``inspectShardFolder(_:folder:)``), and no whole run of the folder
/// holding its lock. Returns the plan the shard joins.
func checkShard(_ configuration: SweepConfiguration, shard: SweepShard, definition: SweepDefinition) throws(ReportError) -> SweepShardPlan {
    if configuration.overwrite {
        throw .invalidValue(flag: "--overwrite", value: "--shard \(shard)",
                            expected: "no --overwrite with --shard: shards running at once must not remove each other's cells; remove the report folder \(configuration.folder) to start again")
    }
    let plan = SweepShardPlan(configuration: configuration, definition: definition, shardCount: shard.count)
    _ = try inspectShardFolder(plan, folder: configuration.folder)
    if ReportFolder(configuration.folder).isLocked() { throw .reportBusy(folder: configuration.folder, pid: nil) }
    return plan
}

/// What a report folder holds for a shard of `plan`, changing nothing: nothing, the same plan (or
/// none yet), and a `manifest.json` of the same sweep (returned) or none. A folder holding files
/// but neither a plan nor a manifest is refused. The entries are listed before the plan is looked
/// for, so that the cells of a shard that linked the plan meanwhile are not taken for strangers'.
///
/// - Throws: ``ReportError/shardsOfAnotherSweep(folder:reason:)``.
func inspectShardFolder(_ plan: SweepShardPlan, folder: String) throws(ReportError) -> SweepManifest? {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else { return nil }
    guard isFolder.boolValue else { throw .shardsOfAnotherSweep(folder: folder, reason: "it is a file") }
    let report = ReportFolder(folder)
    let entries = report.entries().filter { $0 != SweepShard.shardsFolderName }
    let hasPlan = FileManager.default.fileExists(atPath: folder + "/" + SweepShard.shardsFolderName + "/" + SweepShardPlan.fileName)
    try plan.check(folder: folder)
    var manifest: SweepManifest?
    if FileManager.default.fileExists(atPath: report.file(SweepManifest.fileName)) {
        let read: SweepManifest
        do { read = try SweepManifest.read(folder: folder) } catch {
            throw .shardsOfAnotherSweep(folder: folder, reason: "its manifest.json cannot be used: \(error.description)")
        }
        guard read.definition == plan.manifest.definition else {
            throw .shardsOfAnotherSweep(folder: folder, reason: "its manifest.json differs in " + differenceNames(read.definition, plan.manifest.definition).joined(separator: ", "))
        }
        manifest = read
    } else if !hasPlan && !entries.isEmpty {
        throw .shardsOfAnotherSweep(folder: folder, reason: "it holds files but no manifest.json or \(SweepShard.shardsFolderName)/\(SweepShardPlan.fileName)")
    }
    return manifest
}

/// The finished cells of shard `shard`'s record, by index.
///
/// - Throws: ``ReportError/invalidRecord(file:reason:)`` when the record is another shard's or
///   holds a cell that is not one of `cells` (the shard's).
func finishedCells(of record: SweepShardRecord, shard: SweepShard, cells: [Int], path: String) throws(ReportError) -> [Int: SweepManifest.Cell] {
    guard record.shard == shard.index && record.shardCount == shard.count else {
        throw .invalidRecord(file: path, reason: "it is the record of shard \(record.shard)/\(record.shardCount), not \(shard)")
    }
    let own = Set(cells)
    var finished: [Int: SweepManifest.Cell] = [:]
    for (i, entry) in record.cells.enumerated() {
        guard own.contains(entry.index) else {
            throw .invalidRecord(file: path, reason: "cells[\(i)] is cell \(entry.index), which is not one of shard \(shard)'s")
        }
        finished[entry.index] = entry.cell
    }
    return finished
}

/// The command that runs shard `shard` of the sweep in `folder` again: its plan is a spec.
func shardCommand(folder: String, shard: SweepShard) -> String {
    "stylectl sweep --spec \(shellQuoted(folder + "/" + SweepShard.shardsFolderName + "/" + SweepShardPlan.fileName)) --shard \(shard)"
}

/// `text` as one shell word: unchanged when it holds only letters, digits and `/._-+:,=@`,
/// else in single quotes.
func shellQuoted(_ text: String) -> String {
    let plain = text.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "/._-+:,=@".unicodeScalars.contains($0)) }
    return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Assembles the sharded sweep in `folder` (its plan, `shards/plan.json`) into the report the
/// whole sweep writes, by the same code (``writeSweepReport(_:folder:rowsPerSheet:)``): checks that
/// every cell is recorded by its shard (or by the folder's `manifest.json` of the same sweep) and
/// that its image decodes at its size, merges the records into `manifest.json` (with
/// ``SweepManifest/shards``: each shard's host and seconds), draws the sheets and writes
/// `index.html` and `metrics.csv`. Images and cells equal the whole sweep's; only seconds and hosts differ.
///
/// - Throws: ``ReportError/shardsIncomplete(folder:missing:)`` listing, by shard, the cells
///   missing or invalid and the command that reruns the shard (nothing written);
///   ``ReportError/notSharded(folder:)`` without a plan; ``ReportError/reportBusy(folder:pid:)``
///   while a shard or another run holds its lock.
public func assembleSweep(folder: String) throws(ReportError) -> SweepManifest {
    let plan = try SweepShardPlan.read(report: folder)
    let report = ReportFolder(folder)
    var shards: [SweepShard] = []
    for k in 0 ..< plan.shardCount { shards.append(try SweepShard(index: k, count: plan.shardCount)) }
    if let running = report.runningShardLock() {
        throw .failed("a shard is still running in \(folder) (it holds \(running)); assemble once every shard has finished. Nothing was written.")
    }
    let lock = try report.lock()
    defer { lock.release() }
    var manifest = plan.manifest
    let parts = try SweepShard.shards(of: manifest, count: plan.shardCount)
    var previous: [Int: SweepManifest.Cell] = [:]
    if let existing = try inspectShardFolder(plan, folder: folder) {
        for (i, cell) in existing.cells.enumerated() { previous[i] = cell }
    }
    var summaries: [SweepManifest.Shard] = []
    for shard in shards {
        let path = folder + "/" + SweepShard.shardsFolderName + "/" + shard.recordName
        guard FileManager.default.fileExists(atPath: path) else { continue }
        let record = try SweepShardRecord.read(path: path)
        previous.merge(try finishedCells(of: record, shard: shard, cells: parts[shard.index], path: path)) { _, recorded in recorded }
        summaries.append(SweepManifest.Shard(shard: shard.index, shardCount: shard.count, host: record.host, seconds: record.seconds, cellsDone: record.cellsDone))
    }
    try restoreResults(into: &manifest, from: previous, folder: folder)
    let gaps = shards.compactMap { shard -> ShardGap? in
        let missing = parts[shard.index].sorted().filter { !manifest.cells[$0].isDone }
        guard !missing.isEmpty else { return nil }
        return ShardGap(shard: shard.description, cells: missing.map { manifest.cells[$0].output }, command: shardCommand(folder: folder, shard: shard))
    }
    if !gaps.isEmpty { throw .shardsIncomplete(folder: folder, missing: gaps) }
    manifest.shards = summaries
    try writeSweepReport(manifest, folder: folder, rowsPerSheet: plan.rowsPerSheet)
    return manifest
}

/// One shard's progress (``sweepStatus(folder:)``).
public struct SweepShardProgress: Equatable, Sendable {
    public var shard: SweepShard
    /// The shard's cells, and of them recorded as done.
    public var cells: Int
    public var done: Int
    /// From its record: the machine that ran it last and the wall-clock seconds of its runs; nil
    /// before it started.
    public var host: String?
    public var seconds: Double?
    /// Whether a run of the shard holds its lock now.
    public var running: Bool
    /// The estimate of the time the shard has left: its cells to do times its mean seconds per
    /// cell (the sweep's mean before it finished one); 0 when done; nil when no cell of the sweep
    /// is done yet.
    public var secondsLeft: Double?
}

/// The progress of each shard of the sharded sweep in `folder`, from the shards' records (images
/// not read) and locks; changes nothing.
///
/// - Throws: ``ReportError/notSharded(folder:)`` without a plan, ``ReportError/invalidRecord(file:reason:)``
///   for a record that cannot be read.
public func sweepStatus(folder: String) throws(ReportError) -> [SweepShardProgress] {
    let plan = try SweepShardPlan.read(report: folder)
    let parts = try SweepShard.shards(of: plan.manifest, count: plan.shardCount)
    var progress: [SweepShardProgress] = []
    var records: [SweepShardRecord?] = []
    var overall = TimeLeft()
    for k in 0 ..< plan.shardCount {
        let shard = try SweepShard(index: k, count: plan.shardCount)
        let path = folder + "/" + SweepShard.shardsFolderName + "/" + shard.recordName
        var record: SweepShardRecord?
        if FileManager.default.fileExists(atPath: path) {
            let read = try SweepShardRecord.read(path: path)
            _ = try finishedCells(of: read, shard: shard, cells: parts[k], path: path)
            record = read
            for entry in read.cells { overall.record(seconds: entry.cell.seconds ?? 0) }
        }
        records.append(record)
        progress.append(SweepShardProgress(shard: shard, cells: parts[k].count, done: record?.cellsDone ?? 0, host: record?.host,
                                           seconds: record?.seconds, running: ReportFolder(folder).isLocked(name: shard.lockName)))
    }
    for k in progress.indices {
        var own = TimeLeft()
        for entry in records[k]?.cells ?? [] { own.record(seconds: entry.cell.seconds ?? 0) }
        let remaining = progress[k].cells - progress[k].done
        progress[k].secondsLeft = remaining == 0 ? 0 : (own.seconds(forRemaining: remaining) ?? overall.seconds(forRemaining: remaining))
    }
    return progress
}
