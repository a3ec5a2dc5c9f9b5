// Runs a sweep: each image encoded once, one decoder pass per cell, resumable, then sheets and index.

import Foundation
import ImageCodec
import StyleTransfer
import TensorCore

/// What ``runSweep(_:stylizer:progress:)`` reports after each cell.
public struct SweepProgress: Sendable {
    public var index: Int
    public var count: Int
    public var cell: SweepManifest.Cell
    /// The row's and column's labels.
    public var label: String
    /// The cell's image and result were already in the report folder.
    public var skipped: Bool

    public var description: String {
        "[\(index + 1)/\(count)] \(label): " + (skipped ? "already done" : String(format: "%.2f s", cell.seconds ?? 0))
    }
}

/// Runs the sweep `configuration` describes into its report folder and returns the manifest.
///
/// - The folder is created if missing. If it holds a `manifest.json` with an equal
///   ``SweepDefinition``, cells whose image exists and whose result is recorded are skipped.
///   If it holds a different manifest, or files but no manifest, the sweep fails without changing
///   anything, unless `overwrite`: then the old manifest's images, sheets and index are removed.
/// - Each cell is a content path with ``StyleControls`` (``SweepManifest/Cell/controls(stretchMask:)``),
///   stylized by one ``ControlledStylizer`` whose feature caches hold every content and style
///   encoding of the sweep: each image (per colour-preservation transform) is encoded once, and each
///   cell costs one decoder pass, plus one encoder pass of the output for the metrics
///   (``StylizationLosses``) unless ``SweepConfiguration/metrics`` is off. The style statistics of
///   the style loss are computed once per style (per transform), by the encoder pass that also
///   gives the pipeline the style's relu4_1.
/// - The manifest is rewritten after every cell; the contact sheets and `index.html` at the end.
public func runSweep(
    _ configuration: SweepConfiguration, stylizer: Stylizer, progress: (SweepProgress) -> Void = { _ in }
) throws(SweepError) -> SweepManifest {
    let definition = try configuration.definition()
    let folder = configuration.folder
    var manifest = SweepManifest(definition: definition)
    if let previous = try prepareFolder(folder, definition: definition, overwrite: configuration.overwrite) {
        for i in manifest.cells.indices where previous.cells.indices.contains(i) {
            let old = previous.cells[i]
            if old.isDone && old.output == manifest.cells[i].output
                && FileManager.default.fileExists(atPath: folder + "/" + old.output) {
                manifest.cells[i] = old
            }
        }
    }
    try manifest.write(folder: folder)

    let pipeline = ControlledStylizer(
        stylizer: stylizer, contentSizing: ImageSizing(size: definition.contentSize), styleSizing: ImageSizing(size: definition.styleSize),
        styleCache: FeatureCache(), contentCache: FeatureCache(capacity: 2 * definition.contents.count))
    var statistics = StyleStatisticsCache(pipeline: pipeline)
    for i in manifest.cells.indices {
        let cell = manifest.cells[i]
        let label = manifest.rows[cell.row].label + " | " + manifest.columns[cell.column].label
        if cell.isDone {
            progress(SweepProgress(index: i, count: manifest.cells.count, cell: cell, label: label, skipped: true))
            continue
        }
        let controls = cell.controls(stretchMask: definition.stretchMask)
        let start = Date()
        // The style targets first: their encoder pass also gives the styles' relu4_1 to the pipeline.
        var style: StyleStatistics?
        if configuration.metrics && cell.mask == nil {
            let weights: [Float]
            do { weights = try controls.normalizedWeights() } catch { throw .failed(error.description) }
            var each: [StyleStatistics] = []
            for path in cell.styles { each.append(try statistics.of(style: path, content: cell.content, mode: controls.preserveColor)) }
            style = StyleStatistics.mix(each, weights: weights)
        }
        let result: ControlledStylizer.Stylization
        do { result = try pipeline.stylizeKeepingTensors(content: cell.content, controls: controls) } catch { throw .failed(error.description) }
        do { try writeImage(result.image, path: folder + "/" + cell.output) } catch { throw .failed(error.description) }
        manifest.cells[i].seconds = Date().timeIntervalSince(start)

        if configuration.metrics {
            let losses = StylizationLosses(output: stylizer.encoder.encodeWithIntermediates(result.decoded), target: result.target, style: style)
            manifest.cells[i].styleLoss = losses.style
            manifest.cells[i].contentLoss = losses.content
        }
        try manifest.write(folder: folder)
        progress(SweepProgress(index: i, count: manifest.cells.count, cell: manifest.cells[i], label: label, skipped: false))
    }
    let sheets = try writeContactSheets(manifest, folder: folder, rowsPerSheet: configuration.rowsPerSheet)
    try writeIndex(manifest, folder: folder, sheets: sheets)
    return manifest
}

/// The style loss's targets of each style image, computed once per colour-preservation transform
/// (which, for coral and luminance, depends on the content image).
struct StyleStatisticsCache {
    let pipeline: ControlledStylizer
    private var stored: [String: StyleStatistics] = [:]

    init(pipeline: ControlledStylizer) {
        self.pipeline = pipeline
    }

    mutating func of(style: String, content: String, mode: ColorPreservation) throws(SweepError) -> StyleStatistics {
        let key = [style, mode.rawValue, mode == .none ? "" : content].joined(separator: "\n")
        if let found = stored[key] { return found }
        let features: [Tensor]
        do { features = try pipeline.styleFeatures(style: style, content: content, preserveColor: mode) } catch { throw .failed(error.description) }
        let statistics = StyleStatistics(features: features)
        stored[key] = statistics
        return statistics
    }
}

/// Checks the inputs and the report folder without changing anything: fails as
/// ``runSweep(_:stylizer:progress:)`` would for empty lists, bad values, missing inputs or a folder
/// holding a different sweep (without `overwrite`). Lets a caller fail before loading the network.
public func checkSweep(_ configuration: SweepConfiguration) throws(SweepError) {
    _ = try inspectFolder(configuration.folder, definition: try configuration.definition(), overwrite: configuration.overwrite)
}

/// What is in a report folder.
enum FolderState {
    case missing
    /// Empty, or holding the same sweep's manifest (given).
    case reusable(SweepManifest?)
    /// Holding something else, to be replaced (`overwrite`); the old manifest if readable.
    case replace(SweepManifest?)
}

func inspectFolder(_ folder: String, definition: SweepDefinition, overwrite: Bool) throws(SweepError) -> FolderState {
    let files = FileManager.default
    var isFolder: ObjCBool = false
    guard files.fileExists(atPath: folder, isDirectory: &isFolder) else { return .missing }
    guard isFolder.boolValue else { throw .reportExists(folder: folder, reason: "it is a file") }
    let reason: String
    var old: SweepManifest?
    if files.fileExists(atPath: folder + "/" + SweepManifest.fileName) {
        old = try? SweepManifest.read(folder: folder)
        if let old, old.definition == definition { return .reusable(old) }
        reason = old.map { "its manifest.json differs in " + differences($0.definition, definition).joined(separator: ", ") }
            ?? "its manifest.json cannot be read"
    } else {
        if ((try? files.contentsOfDirectory(atPath: folder)) ?? []).isEmpty { return .reusable(nil) }
        reason = "it holds files but no manifest.json"
    }
    guard overwrite else { throw .reportExists(folder: folder, reason: reason) }
    return .replace(old)
}

/// Checks the report folder, creates or clears it, and returns the previous manifest of the same sweep, if any.
func prepareFolder(_ folder: String, definition: SweepDefinition, overwrite: Bool) throws(SweepError) -> SweepManifest? {
    let files = FileManager.default
    switch try inspectFolder(folder, definition: definition, overwrite: overwrite) {
    case .missing:
        do { try files.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw .failed("cannot create the report folder \(folder): \(error.localizedDescription)")
        }
        return nil
    case .reusable(let old):
        return old
    case .replace(let old):
        // Remove only what a sweep writes there.
        var names = [SweepManifest.fileName, "index.html"]
        names += ((try? files.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix("sheet-") && $0.hasSuffix(".png") }
        names += old?.cells.map(\.output) ?? []
        for name in names where !name.contains("/") { try? files.removeItem(atPath: folder + "/" + name) }
        return nil
    }
}

/// The names of the parameters in which two definitions differ.
func differences(_ a: SweepDefinition, _ b: SweepDefinition) -> [String] {
    var names: [String] = []
    if a.toolVersion != b.toolVersion { names.append("tool version") }
    if a.grid != b.grid { names.append("the kind of grid (--style, --interpolate, --corners or --mask)") }
    if a.contents != b.contents { names.append("--content") }
    if a.styles != b.styles { names.append("the styles (--style, --interpolate or --corners)") }
    if a.masks != b.masks || a.stretchMask != b.stretchMask { names.append("--mask/--stretch-mask") }
    if a.steps != b.steps { names.append("--steps") }
    if a.alphas != b.alphas { names.append("--alpha") }
    if a.preserveColors != b.preserveColors { names.append("--preserve-color") }
    if a.contentSize != b.contentSize { names.append("--content-size") }
    if a.styleSize != b.styleSize { names.append("--style-size") }
    if a.vgg != b.vgg { names.append("--vgg") }
    if a.decoder != b.decoder { names.append("--decoder") }
    return names.isEmpty ? ["its format"] : names
}
