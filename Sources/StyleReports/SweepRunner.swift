// Runs a sweep: each image encoded once, one decoder pass per cell, resumable, then sheets and index.

import Foundation
import ImageCodec
import StyleTransfer
import TensorCore

/// What ``runSweep(_:stylizer:progress:notice:)`` reports after each cell.
public struct SweepProgress: Sendable {
    public var index: Int
    public var count: Int
    public var cell: SweepManifest.Cell
    /// The row's and column's labels.
    public var label: String
    /// The cell's image and result were already in the report folder.
    public var skipped: Bool
    /// The estimate of the time the sweep has left (``TimeLeft/phrase(forRemaining:)``), or `""`.
    public var timeLeft = ""

    public var description: String {
        "[\(index + 1)/\(count)] \(label): " + (skipped ? "already done" : String(format: "%.2f s", cell.seconds ?? 0) + timeLeft)
    }
}

/// Runs the sweep `configuration` describes into its report folder and returns the manifest.
///
/// - The folder is created if missing, and locked for the whole run (``ReportFolder/lock()``): a
///   second run into it fails at once, as does a run into a folder where a shard of a sharded
///   sweep is running (``runSweepShard(_:shard:stylizer:progress:)``). Temporary files that killed
///   runs left there are removed.
/// - If it holds a `manifest.json` with an equal ``SweepDefinition``, cells whose result is
///   recorded and whose image decodes at the expected size (the content's, after sizing) are
///   skipped; the others are computed again. If it holds a different manifest, or files but no
///   manifest, the sweep fails without changing anything, unless `overwrite`: then the old
///   manifest's images, sheets and index are removed (regular files inside the folder only).
///   A folder that holds nothing but the manifest of a different sweep that finished no cell (a
///   run that failed at its first cell: a content that is not an image, a mask of the wrong
///   aspect) is replaced without `overwrite`, so that the corrected rerun under the same name is
///   not refused; `notice` is told ("replacing FOLDER: its sweep had finished no cell").
/// - The tiles are settled first (``planTiling(_:shard:)``: `--tile`, the tile the folder's
///   manifest of this sweep records, or the largest that fits when a cell does not fit whole).
/// - Each cell is a content path with ``StyleControls`` (``SweepManifest/Cell/controls(stretchMask:maskMode:)``),
///   run by one ``StylizationRunner`` whose pipeline's caches hold every content and style
///   encoding of the sweep: each image (per colour-preservation transform) is encoded once, and each
///   cell costs one decoder pass, plus one encoder pass of the output for the metrics
///   (``StylizationLosses``) unless ``SweepConfiguration/metrics`` is off. The style statistics of
///   the style loss are stored with each style's encoding, from the same encoder pass. A content
///   larger than the tiles is stylized tile by tile, its losses measured over the tiles.
/// - `metrics.csv` (``metricsTable(_:)``) is written at the end with the sheets.
/// - The manifest is rewritten as ``ManifestSchedule`` says (after every cell of a small sweep, at
///   most every few seconds for a large one) and at the end; the contact sheets and `index.html`
///   at the end. A cell finished after the last write is not recorded: a resumed sweep computes it
///   again (its image on disk is not trusted without its record).
public func runSweep(
    _ configuration: SweepConfiguration, stylizer: Stylizer, progress: (SweepProgress) -> Void = { _ in },
    notice: (String) -> Void = { _ in }
) throws(ReportError) -> SweepManifest {
    let (configuration, definition) = try planTiling(configuration, shard: nil)
    let folder = configuration.folder
    let report = ReportFolder(folder)
    if let running = report.runningShardLock() {
        throw .failed("a shard of a sweep is running in \(folder) (it holds \(running)); run the whole sweep once the shards have finished, or assemble them with --assemble. Nothing was changed.")
    }
    _ = try report.inspect(SweepManifest.self, definition: definition, overwrite: configuration.overwrite)
    let lock = try report.lock()
    defer { lock.release() }
    var manifest = SweepManifest(definition: definition)
    manifest.sheetCellSize = configuration.cellSize
    if let previous = try report.prepare(SweepManifest.self, definition: definition, overwrite: configuration.overwrite, notice: notice) {
        try restoreResults(into: &manifest, from: Dictionary(uniqueKeysWithValues: previous.cells.enumerated().map { ($0, $1) }), folder: folder)
    }
    try manifest.write(folder: folder)
    var schedule = ManifestSchedule(cells: manifest.cells.count)
    try stylizeCells(of: &manifest, indices: Array(manifest.cells.indices), configuration: configuration, stylizer: stylizer,
                     progress: progress) { manifest throws(ReportError) in
        if schedule.isDue() { try manifest.write(folder: folder) }
    }
    try writeSweepReport(manifest, folder: folder, rowsPerSheet: configuration.rowsPerSheet)
    return manifest
}

/// Copies into `manifest` the results of `previous` (cells by index, from an earlier manifest or
/// shard records) whose cell is done, has the same output name, and whose image in `folder`
/// decodes at the size the cell's content has after sizing; the others stay to be computed
/// (an image on disk is not trusted without its record, nor a record without its image). Only
/// the results are copied: the parameters are the definition's, not the old record's.
func restoreResults(into manifest: inout SweepManifest, from previous: [Int: SweepManifest.Cell], folder: String) throws(ReportError) {
    let definition = manifest.definition
    // The content's size after sizing, from its header: the size every cell of it (at that content size) has.
    var sizes: [String: (width: Int, height: Int)?] = [:]
    func sized(_ cell: SweepManifest.Cell) throws(ReportError) -> (width: Int, height: Int)? {
        let sizing = cell.sizing(in: definition).content
        let key = "\(sizing.size) \(cell.content)"
        if let known = sizes[key] { return known }
        let source: (width: Int, height: Int)
        do { source = try readImageSize(path: cell.content) } catch { throw .failed(error.description) }
        let size = sizing.sizedDimensions(width: source.width, height: source.height)
        sizes[key] = size
        return size
    }
    for i in previous.keys.sorted() where manifest.cells.indices.contains(i) {
        let old = previous[i]!
        guard old.isDone && old.output == manifest.cells[i].output else { continue }
        guard let expected = try sized(manifest.cells[i]), let image = try? readImage(path: folder + "/" + old.output),
              image.width == expected.width, image.height == expected.height else { continue }
        manifest.cells[i].seconds = old.seconds
        manifest.cells[i].encodeSeconds = old.encodeSeconds
        manifest.cells[i].decodeSeconds = old.decodeSeconds
        manifest.cells[i].styleLoss = old.styleLoss
        manifest.cells[i].contentLoss = old.contentLoss
        manifest.cells[i].colorDistance = old.colorDistance
        manifest.cells[i].gramStyleLoss = old.gramStyleLoss
        manifest.cells[i].maskStyleLoss = old.maskStyleLoss
        manifest.cells[i].maskLeakage = old.maskLeakage
    }
}

/// The one stylization loop of a sweep, whole or sharded: stylizes the cells `indices` of
/// `manifest` that are not done into the configuration's folder, in the order given, and records
/// each result in `manifest`; `save` is called after each cell computed (to write the record as
/// its schedule says).
///
/// Each cell is a content path with ``StyleControls`` (``SweepManifest/Cell/controls(stretchMask:maskMode:)``),
/// run by one ``StylizationRunner`` per content and style size whose pipelines share caches
/// holding every content and style encoding: each image (per colour-preservation transform and
/// size) is encoded once, and each cell costs one decoder pass, plus one encoder pass of the
/// output for the metrics (``StylizationLosses``) unless ``SweepConfiguration/metrics`` is off.
/// With ``SweepConfiguration/tiling`` (settled by ``planTiling(_:shard:)``), a content whose sized
/// image has a side longer than the tile runs through the same pipeline in tiles
/// (``StylizationPipeline/measuredTiledStylization(content:controls:writingTo:jpegQuality:)`` with
/// metrics), its image written band by band and its losses measured over the tiles.
func stylizeCells(
    of manifest: inout SweepManifest, indices: [Int], configuration: SweepConfiguration, stylizer: Stylizer,
    progress: (SweepProgress) -> Void, save: (SweepManifest) throws(ReportError) -> Void
) throws(ReportError) {
    let definition = manifest.definition
    let folder = configuration.folder
    let styleCache = EncodingCache()
    let contentCache = EncodingCache(capacity: 2 * definition.contents.count * definition.contentSizeList.count)
    var runners: [String: StylizationRunner] = [:]
    func runner(_ cell: SweepManifest.Cell) -> StylizationRunner {
        let sizing = cell.sizing(in: definition)
        let key = "\(sizing.content.size) \(sizing.style.size)"
        if let known = runners[key] { return known }
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: sizing.content, styleSizing: sizing.style,
                                           styleCache: styleCache, contentCache: contentCache, tiling: configuration.tiling)
        let made = StylizationRunner(pipeline: pipeline, measuresLosses: configuration.metrics)
        runners[key] = made
        return made
    }
    var timeLeft = TimeLeft()
    var remaining = indices.filter { !manifest.cells[$0].isDone }.count
    for i in indices {
        let cell = manifest.cells[i]
        let label = manifest.rows[cell.row].label + " | " + manifest.columns[cell.column].label
        if cell.isDone {
            progress(SweepProgress(index: i, count: manifest.cells.count, cell: cell, label: label, skipped: true))
            continue
        }
        let controls = cell.controls(stretchMask: definition.stretchMask, maskMode: definition.spatialMaskMode)
        let outcome = runner(cell).run(StylizationTask(content: cell.content, controls: controls, output: folder + "/" + cell.output),
                                 index: i, count: manifest.cells.count)
        if let error = outcome.error { throw .failed(error.description) }
        manifest.cells[i].seconds = outcome.seconds
        manifest.cells[i].encodeSeconds = outcome.encodingSeconds
        manifest.cells[i].decodeSeconds = outcome.decodingSeconds
        timeLeft.record(seconds: outcome.seconds)
        remaining -= 1
        manifest.cells[i].styleLoss = outcome.losses?.style
        manifest.cells[i].contentLoss = outcome.losses?.content
        manifest.cells[i].colorDistance = outcome.losses?.colorDistance
        manifest.cells[i].gramStyleLoss = outcome.losses?.gramStyle
        manifest.cells[i].maskStyleLoss = outcome.losses?.maskFidelity?.ownStyleLoss
        manifest.cells[i].maskLeakage = outcome.losses?.maskFidelity?.leakage
        try save(manifest)
        progress(SweepProgress(index: i, count: manifest.cells.count, cell: manifest.cells[i], label: label, skipped: false,
                               timeLeft: timeLeft.phrase(forRemaining: remaining)))
    }
}

/// Writes a finished sweep's report from its manifest: `manifest.json`, `metrics.csv`, the contact
/// sheets and `index.html`. The same for a sweep run whole and for one assembled from shards.
func writeSweepReport(_ manifest: SweepManifest, folder: String, rowsPerSheet: Int) throws(ReportError) {
    try manifest.write(folder: folder)
    try writeMetricsTable(manifest, folder: folder)
    let sheets = try writeContactSheets(manifest, folder: folder, rowsPerSheet: rowsPerSheet)
    try writeIndex(manifest, folder: folder, sheets: sheets)
}

/// When a sweep rewrites its manifest after a cell: always while the sweep has at most
/// ``everyCellLimit`` cells (a manifest under about 200 KB), else once ``interval`` seconds have
/// passed since the last write, so that a sweep of thousands of cells does not spend its time
/// rewriting megabytes per cell.
struct ManifestSchedule {
    static let everyCellLimit = 200
    static let interval: TimeInterval = 10

    let cells: Int
    private var lastWrite: Date

    init(cells: Int, now: Date = Date()) {
        self.cells = cells
        lastWrite = now
    }

    /// Whether to write now; if so, counts it as written.
    mutating func isDue(now: Date = Date()) -> Bool {
        guard cells <= Self.everyCellLimit || now.timeIntervalSince(lastWrite) >= Self.interval else { return false }
        lastWrite = now
        return true
    }
}

/// Checks the inputs and the report folder without changing anything: fails as
/// ``runSweep(_:stylizer:progress:notice:)`` would for empty lists, bad values, missing inputs or a folder
/// holding a different sweep (without `overwrite`), a folder another run is writing (its lock is
/// tried and released), or cells that do not fit the memory whole or in tiles, as `stylize` checks
/// them (``StylizationMemory``, from the images' headers; ``planTiling(_:shard:)``). With `shard`,
/// the folder is checked as ``runSweepShard(_:shard:stylizer:progress:)`` checks it, and the tile
/// its plan records is the shard's. Lets a caller fail before loading the network.
///
/// Returns `configuration` with its ``SweepConfiguration/tiling`` settled: the tiles the run will
/// take (nil: every cell whole).
@discardableResult
public func checkSweep(_ configuration: SweepConfiguration, shard: SweepShard? = nil) throws(ReportError) -> SweepConfiguration {
    let (planned, definition) = try planTiling(configuration, shard: shard)
    if let shard {
        _ = try checkShard(planned, shard: shard, definition: definition)
    } else {
        try ReportFolder(planned.folder).check(SweepManifest.self, definition: definition, overwrite: planned.overwrite)
    }
    return planned
}
