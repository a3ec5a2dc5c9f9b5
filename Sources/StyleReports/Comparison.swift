// stylectl report: two or more sweeps of the same grid shape side by side, in a comparison folder.

import Foundation
import StyleTransfer

/// The record of a comparison, `comparison.json` in its folder: which sweeps (with the sha256 of
/// their manifests, so a later change of a sweep is visible), how they differ, and each cell's
/// images and metrics per sweep, copied from the sweeps' manifests.
///
/// Images are not copied: paths are relative to the comparison folder (e.g.
/// `../with-color/r01-c01_….png`), so the page opens from disk as long as the comparison and
/// sweep folders keep their places relative to each other (as in `Reports/`).
public struct ComparisonManifest: JSONRecord, Equatable, Sendable {
    public struct Sweep: Codable, Equatable, Sendable {
        /// The sweep folder's name.
        public var name: String
        /// The sweep folder, relative to the comparison folder.
        public var folder: String
        /// sha256 of the sweep's manifest.json as it was read.
        public var manifestSHA256: String
        /// The parameters in which this sweep differs from the first (empty for the first).
        public var differsIn: [String]
    }

    /// One sweep's result for one cell.
    public struct Entry: Codable, Equatable, Sendable {
        /// The image, relative to the comparison folder; nil when the cell is not done.
        public var image: String?
        public var seconds: Double?
        public var styleLoss: Double?
        public var contentLoss: Double?
    }

    public struct Cell: Codable, Equatable, Sendable {
        public var row: Int
        public var column: Int
        /// One per sweep, in the order of ``ComparisonManifest/sweeps``.
        public var sweeps: [Entry]
    }

    public var toolVersion: String
    public var sweeps: [Sweep]
    public var rows: Int
    public var columns: Int
    /// Row-major: cell `r * columns + c` is row r, column c.
    public var cells: [Cell]
    public var sheets: [String]

    public static let fileName = "comparison.json"

    /// Refuses a comparison record whose sheets or images are not plain file names (an image is
    /// its sweep's folder, `/`, a plain name), whose cells do not fill rows x columns exactly, or
    /// whose counts exceed ``SweepLimits``.
    public func validate(record: String) throws(ReportError) {
        func bad(_ reason: String) -> ReportError { .invalidRecord(file: record, reason: reason) }
        guard (2 ... SweepLimits.comparedSweeps).contains(sweeps.count) else {
            throw bad("\(counted(sweeps.count, "sweep")); a comparison has 2 to \(SweepLimits.comparedSweeps)")
        }
        guard (1 ... SweepLimits.cells).contains(rows), (1 ... SweepLimits.cells).contains(columns), rows * columns <= SweepLimits.cells,
              cells.count == rows * columns else {
            throw bad("\(counted(cells.count, "cell")) for a grid of \(counted(rows, "row")) x \(counted(columns, "column"))")
        }
        for (i, sheet) in sheets.enumerated() { _ = try ReportFileName.check(sheet, field: "sheets[\(i)]", record: record) }
        for (i, cell) in cells.enumerated() {
            guard cell.row == i / columns, cell.column == i % columns, cell.sweeps.count == sweeps.count else {
                throw bad("cells[\(i)] is not row \(i / columns), column \(i % columns) with one entry per sweep")
            }
            for (s, entry) in cell.sweeps.enumerated() {
                guard let image = entry.image else { continue }
                let prefix = sweeps[s].folder + "/"
                guard image.hasPrefix(prefix) else { throw bad("cells[\(i)].sweeps[\(s)].image '\(image.prefix(80))' is not in \(sweeps[s].folder)") }
                _ = try ReportFileName.check(String(image.dropFirst(prefix.count)), field: "cells[\(i)].sweeps[\(s)].image", record: record)
            }
        }
    }
}

/// What `stylectl report` is asked to do.
public struct ComparisonConfiguration: Sendable {
    /// The sweep folders (each with a manifest.json), the first being the reference for differences.
    public var sweeps: [String]
    /// The comparison folder to write.
    public var folder: String
    public var overwrite: Bool
    public var toolVersion: String
    /// The comparison's contact sheets hold at most this many rows each.
    public var rowsPerSheet: Int

    public init(sweeps: [String], folder: String, overwrite: Bool = false, toolVersion: String, rowsPerSheet: Int = 6) {
        self.sweeps = sweeps
        self.folder = folder
        self.overwrite = overwrite
        self.toolVersion = toolVersion
        self.rowsPerSheet = rowsPerSheet
    }
}

/// A sweep as read for a comparison.
struct ComparedSweep {
    /// The absolute, standardised folder.
    var folder: String
    var manifest: SweepManifest
    var manifestSHA256: String
    var name: String { URL(fileURLWithPath: folder).lastPathComponent }
}

/// Reads the sweeps and checks the comparison can be made, without writing anything: at least two
/// distinct sweep folders with readable manifests, grids of the same shape (rows x columns) over
/// the same content images (equal SHA-256 digests, in order), and
/// an output folder that is missing, empty, holds this same comparison, or (`overwrite`) holds
/// anything but a sweep.
func checkComparison(_ configuration: ComparisonConfiguration) throws(ReportError) -> [ComparedSweep] {
    guard configuration.sweeps.count >= 2 else { throw .tooFewSweeps(count: configuration.sweeps.count) }
    guard configuration.sweeps.count <= SweepLimits.comparedSweeps else {
        throw .badSweep(folder: "\(configuration.sweeps.count) folders", reason: "are more than the \(SweepLimits.comparedSweeps) a comparison shows (A to Z)")
    }
    guard (1 ... SweepLimits.rowsPerSheet).contains(configuration.rowsPerSheet) else {
        throw .badOutput(folder: configuration.folder, reason: "cannot have \(configuration.rowsPerSheet) rows per sheet (1 to \(SweepLimits.rowsPerSheet))", overwrite: false)
    }
    let files = FileManager.default
    var sweeps: [ComparedSweep] = []
    for path in configuration.sweeps {
        let folder = absolutePath(path)
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: folder, isDirectory: &isFolder) else { throw .badSweep(folder: path, reason: "does not exist") }
        guard isFolder.boolValue else { throw .badSweep(folder: path, reason: "is a file, not a sweep folder") }
        guard !sweeps.contains(where: { $0.folder == folder }) else { throw .badSweep(folder: path, reason: "is listed twice") }
        let manifestPath = folder + "/" + SweepManifest.fileName
        guard files.fileExists(atPath: manifestPath) else {
            throw .badSweep(folder: path, reason: "has no \(SweepManifest.fileName) (not a sweep folder; run stylectl sweep first)")
        }
        let manifest: SweepManifest
        let digest: String
        do { manifest = try SweepManifest.read(folder: folder) } catch {
            throw .badSweep(folder: path, reason: "has a \(SweepManifest.fileName) that cannot be used: \(error.description)")
        }
        do { digest = try SHA256Digest.file(manifestPath) } catch {
            throw .badSweep(folder: path, reason: "has a \(SweepManifest.fileName) that cannot be read (\(error.localizedDescription))")
        }
        sweeps.append(ComparedSweep(folder: folder, manifest: manifest, manifestSHA256: digest))
    }
    let first = sweeps[0]
    for (path, sweep) in zip(configuration.sweeps, sweeps).dropFirst() {
        let (a, b) = (first.manifest, sweep.manifest)
        if a.rows.count != b.rows.count || a.columns.count != b.columns.count {
            let changed = a.definition == b.definition ? "" : "; they differ in " + differenceNames(a.definition, b.definition).joined(separator: ", ")
            throw .incomparable(folder: path, first: configuration.sweeps[0], reason:
                "its grid has \(counted(b.rows.count, "row")) x \(counted(b.columns.count, "column")), the first \(a.rows.count) x \(a.columns.count)\(changed)")
        }
        // Rows are labelled with the first sweep's content images: the others must have the same
        // images (by content, wherever they are), in the same order.
        if a.definition.contents.map(\.sha256) != b.definition.contents.map(\.sha256) {
            func names(_ files: [InputFile]) -> String { files.map { URL(fileURLWithPath: $0.path).lastPathComponent }.joined(separator: ", ") }
            throw .incomparable(folder: path, first: configuration.sweeps[0], reason:
                "its content images (\(names(b.definition.contents))) are not the first's (\(names(a.definition.contents))) in the same order: its rows would show other images under the first's labels")
        }
    }
    if sweeps.count * first.manifest.columns.count > SweepLimits.comparisonColumns {
        throw .incomparable(folder: configuration.sweeps[1], first: configuration.sweeps[0], reason:
            "\(sweeps.count) sweeps of \(counted(first.manifest.columns.count, "column")) make a sheet of \(sweeps.count * first.manifest.columns.count) columns, more than \(SweepLimits.comparisonColumns); compare fewer sweeps or sweeps of fewer columns")
    }

    let output = absolutePath(configuration.folder)
    if sweeps.contains(where: { $0.folder == output }) {
        throw .badOutput(folder: configuration.folder, reason: "is one of the --sweeps", overwrite: false)
    }
    if files.fileExists(atPath: output + "/" + SweepManifest.fileName) {
        throw .badOutput(folder: configuration.folder, reason: "holds a sweep (\(SweepManifest.fileName))", overwrite: false)
    }
    _ = try ReportFolder(configuration.folder).inspect(ComparisonManifest.self, definition: comparedFolders(sweeps, from: output),
                                                      overwrite: configuration.overwrite)
    return sweeps
}

/// The sweep folders relative to the comparison folder `output` (absolute): a comparison's definition.
func comparedFolders(_ sweeps: [ComparedSweep], from output: String) -> [String] {
    sweeps.map { relativePath(from: output, to: $0.folder) }
}

/// Compares the sweeps of `configuration` into its folder: `sheet-N.png` (rows = grid rows, a group
/// of columns per sweep), `index.html` (the sweeps side by side per cell, and a table of metrics
/// with their differences from the first sweep) and `comparison.json`, written last. Fails
/// before writing anything when ``checkComparison(_:)`` does. With `overwrite`, an earlier
/// comparison's files in the folder are replaced and other files are left alone.
public func runComparison(_ configuration: ComparisonConfiguration) throws(ReportError) -> ComparisonManifest {
    _ = try checkComparison(configuration)
    let folder = absolutePath(configuration.folder)
    let files = FileManager.default
    let lock = try ReportFolder(folder).lock()
    defer { lock.release() }
    // Checked again under the lock: another run may have changed the folders meanwhile.
    let sweeps = try checkComparison(configuration)
    _ = try ReportFolder(configuration.folder).prepare(ComparisonManifest.self, definition: comparedFolders(sweeps, from: folder),
                                                      overwrite: configuration.overwrite)
    let first = sweeps[0].manifest
    var manifest = ComparisonManifest(
        toolVersion: configuration.toolVersion,
        sweeps: sweeps.map { sweep in
            ComparisonManifest.Sweep(
                name: sweep.name, folder: relativePath(from: folder, to: sweep.folder), manifestSHA256: sweep.manifestSHA256,
                differsIn: sweep.manifest.definition == first.definition ? [] : differenceNames(first.definition, sweep.manifest.definition))
        },
        rows: first.rows.count, columns: first.columns.count, cells: [], sheets: [])
    for r in 0 ..< manifest.rows {
        for c in 0 ..< manifest.columns {
            manifest.cells.append(ComparisonManifest.Cell(row: r, column: c, sweeps: zip(sweeps, manifest.sweeps).map { sweep, record in
                let cell = sweep.manifest.cells[r * manifest.columns + c]
                let exists = cell.isDone && files.fileExists(atPath: sweep.folder + "/" + cell.output)
                return ComparisonManifest.Entry(image: exists ? record.folder + "/" + cell.output : nil, seconds: cell.seconds,
                                                styleLoss: cell.styleLoss, contentLoss: cell.contentLoss)
            }))
        }
    }
    // The sheets are all made again, and the same comparison of sweeps that grew may need fewer.
    let report = ReportFolder(folder)
    for name in report.entries() where ComparisonManifest.isSheet(name) { report.removeFile(name) }
    manifest.sheets = try writeSheets(comparisonGrid(manifest, sweeps: sweeps, folder: folder), folder: folder,
                                      rowsPerSheet: configuration.rowsPerSheet)
    try writeComparisonIndex(manifest, sweeps: sweeps, folder: folder)
    try manifest.write(folder: folder)
    return manifest
}

/// The comparison's contact sheet: the first sweep's row headers, a group of columns per sweep.
func comparisonGrid(_ manifest: ComparisonManifest, sweeps: [ComparedSweep], folder: String) -> SheetGrid {
    let headers = sweeps.map { GridHeaders($0.manifest) }
    let rows = headers[0].rows.enumerated().map { r, row in
        SheetGrid.Row(label: row.label, thumbnails: row.thumbnails, cells: sweeps.indices.flatMap { s in
            (0 ..< manifest.columns).map { c in manifest.cells[r * manifest.columns + c].sweeps[s].image.map { folder + "/" + $0 } }
        })
    }
    let definitions = sweeps.map(\.manifest.definition)
    let differing = differingFlags(definitions)
    let groups = sweeps.indices.map { s in
        let values = parameterSummary(sweeps[s].manifest.definition, among: definitions).filter { differing.contains($0.flag) }
        return SheetGrid.Group(name: "\(sweepLetter(s)): \(sweeps[s].name)\n" + values.map { "\($0.flag) \($0.value)" }.joined(separator: ", "),
                               columns: headers[s].columns)
    }
    let same = parameterSummary(sweeps[0].manifest.definition, among: definitions).filter { !differing.contains($0.flag) && $0.value != "-" && !["--content", "--style", "--interpolate"].contains($0.flag) }
    return SheetGrid(
        title: "stylectl report \(URL(fileURLWithPath: folder).lastPathComponent) (\(sweeps.count) sweeps)",
        groups: groups, rows: rows,
        legend: ["Differ: " + (differing.isEmpty ? "nothing in their parameters" : differing.joined(separator: ", ")),
                 "Same: " + same.map { "\($0.flag) \($0.value)" }.joined(separator: ", ")])
}

/// The short name of the sweep at `index` in pages and sheets: A, B, ..., Z, then S27, S28, ...
func sweepLetter(_ index: Int) -> String {
    index < 26 ? String(UnicodeScalar(UInt8(65 + index))) : "S\(index + 1)"
}

/// `path` made absolute (against the working directory), standardised, symbolic links resolved.
func absolutePath(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
}

/// The relative path from folder `base` to `target`, both absolute and standardised (`../A`).
func relativePath(from base: String, to target: String) -> String {
    let from = base.split(separator: "/")
    let to = target.split(separator: "/")
    var common = 0
    while common < min(from.count, to.count) && from[common] == to[common] { common += 1 }
    let parts = Array(repeating: "..", count: from.count - common) + to[common...].map(String.init)
    return parts.isEmpty ? "." : parts.joined(separator: "/")
}
