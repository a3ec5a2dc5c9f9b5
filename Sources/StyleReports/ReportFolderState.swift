// What a report folder holds before a report writes there, and clearing what an earlier report of
// the same kind wrote: one state machine for sweeps, comparisons of sweeps and compare-norms.

import Foundation

/// The record a kind of report keeps in its folder (`manifest.json`, `comparison.json`), as far as
/// deciding whether the folder may be written: what makes two reports the same, which files the
/// record names, and how the kind refuses a folder.
protocol ReportRecord: JSONRecord {
    associatedtype Definition: Equatable
    /// Everything that determines the report's files: a folder whose record has an equal
    /// definition holds the same report.
    var definition: Definition { get }
    /// The files the report wrote in its folder and names in its record (cell images, sheets),
    /// besides the record, `index.html` and the sheets of ``isSheet(_:)``; names checked by the
    /// record's reader.
    var ownedFiles: [String] { get }
    /// Whether any result is recorded as finished: a folder holding nothing but a record of a
    /// different report with none finished is what a run that failed at its first cell leaves.
    var hasFinishedResult: Bool { get }
    /// The kind for people, e.g. `sweep`.
    static var kind: String { get }
    /// Whether `name` is one of the kind's contact sheets that its record does not list
    /// (`sheet-N.png`).
    static func isSheet(_ name: String) -> Bool
    /// Whether a folder holding the same report and also other files (notes) may be written; when
    /// not, those files make the folder refused (without `overwrite`).
    static var reusesFolderWithOtherFiles: Bool { get }
    /// The error refusing `folder` for a report of `definition`.
    static func refusal(_ reason: ReportFolderRefusal<Self>, folder: String, definition: Definition) -> ReportError
}

/// Why a report folder cannot be written as it is.
enum ReportFolderRefusal<Record: ReportRecord> {
    /// It is a file, not a folder (refused even with `overwrite`).
    case isFile
    /// It holds the record of another report (or of the same report beside other files, when the
    /// kind does not reuse such folders).
    case differentRecord(Record)
    /// It holds a record file that cannot be read as this kind's record.
    case unusableRecord(ReportError)
    /// It holds files but no record.
    case filesWithoutRecord
}

/// What is in a report folder, for a report of kind `Record`.
enum ReportFolderState<Record: ReportRecord> {
    case missing
    /// Empty (besides the lock and temporary files), or holding the same report (its record given).
    case reusable(Record?)
    /// Holding something else, to be replaced (`overwrite`); the old record if it could be read
    /// (an unreadable one is not trusted: none of its names is removed).
    case replace(Record?)
    /// Holding only the record of a different report with no result finished (``ReportRecord/hasFinishedResult``):
    /// replaced without `overwrite`.
    case abandoned(Record)
}

extension ReportFolder {
    /// What the folder holds for a report of `definition`, changing nothing.
    ///
    /// - Throws: the kind's ``ReportRecord/refusal(_:folder:definition:)`` when the folder is a file,
    ///   or holds something other than the same report, an abandoned one or nothing, without `overwrite`.
    func inspect<Record: ReportRecord>(
        _ kind: Record.Type, definition: Record.Definition, overwrite: Bool
    ) throws(ReportError) -> ReportFolderState<Record> {
        let files = FileManager.default
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: path, isDirectory: &isFolder) else { return .missing }
        guard isFolder.boolValue else { throw Record.refusal(.isFile, folder: path, definition: definition) }
        let refusal: ReportFolderRefusal<Record>
        var old: Record?
        if files.fileExists(atPath: file(Record.fileName)) {
            do {
                let read = try Record.read(folder: path)
                let entries = entries()
                if read.definition == definition
                    && (Record.reusesFolderWithOtherFiles || entries.allSatisfy { isReportFile($0, of: read) }) {
                    return .reusable(read)
                }
                if !read.hasFinishedResult && entries == [Record.fileName] { return .abandoned(read) }
                old = read
                refusal = .differentRecord(read)
            } catch {
                refusal = .unusableRecord(error)
            }
        } else {
            if entries().isEmpty { return .reusable(nil) }
            refusal = .filesWithoutRecord
        }
        guard overwrite else { throw Record.refusal(refusal, folder: path, definition: definition) }
        return .replace(old)
    }

    /// Checks, changing nothing, that a report of `definition` may be written here: what the folder
    /// holds (``inspect(_:definition:overwrite:)``) and, when it exists, that no other run is writing
    /// it (its lock is tried and released). Lets a caller fail before loading the network.
    func check<Record: ReportRecord>(_ kind: Record.Type, definition: Record.Definition, overwrite: Bool) throws(ReportError) {
        if case .missing = try inspect(kind, definition: definition, overwrite: overwrite) { return }
        try lock().release()
    }

    /// Checks the folder (``inspect(_:definition:overwrite:)``; call with its lock held), creates it
    /// if missing or removes what the report it holds wrote (``removeReportFiles(of:)``) when it is
    /// to be replaced or abandoned (`notice` is told: "replacing FOLDER: its sweep had finished no
    /// cell"). Returns the record of the same report the folder holds, if any.
    func prepare<Record: ReportRecord>(
        _ kind: Record.Type, definition: Record.Definition, overwrite: Bool, notice: (String) -> Void = { _ in }
    ) throws(ReportError) -> Record? {
        switch try inspect(kind, definition: definition, overwrite: overwrite) {
        case .missing:
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw .failed("cannot create the report folder \(path): \(error.localizedDescription)")
            }
            return nil
        case .reusable(let old):
            return old
        case .abandoned(let old):
            notice("replacing \(path): its \(Record.kind) had finished no cell")
            removeReportFiles(of: old)
            return nil
        case .replace(let old):
            removeReportFiles(of: old)
            return nil
        }
    }

    /// Whether `name` is a file a report of `record`'s kind writes: the record, `index.html`, its
    /// sheets, or a file `record` names.
    func isReportFile<Record: ReportRecord>(_ name: String, of record: Record) -> Bool {
        name == Record.fileName || name == "index.html" || Record.isSheet(name) || record.ownedFiles.contains(name)
    }

    /// Removes what a report of kind `Record` writes in the folder, and only regular files (names
    /// checked by the record's reader): the record, `index.html`, the kind's sheets and the files
    /// `old` names (none when the old record could not be read).
    func removeReportFiles<Record: ReportRecord>(of old: Record?) {
        var names = [Record.fileName, "index.html"]
        names += entries().filter(Record.isSheet)
        names += old?.ownedFiles ?? []
        for name in names { removeFile(name) }
    }
}

/// `sheet-N.png`, the contact sheets of a sweep and of a comparison of sweeps.
func isNumberedSheet(_ name: String) -> Bool {
    name.hasPrefix("sheet-") && name.hasSuffix(".png")
}

extension SweepManifest: ReportRecord {
    var ownedFiles: [String] { [metricsTableName] + cells.map(\.output) }
    var hasFinishedResult: Bool { cells.contains(where: \.isDone) }
    static let kind = "sweep"
    static func isSheet(_ name: String) -> Bool { isNumberedSheet(name) }
    static let reusesFolderWithOtherFiles = true

    static func refusal(_ reason: ReportFolderRefusal<Self>, folder: String, definition: SweepDefinition) -> ReportError {
        let why = switch reason {
        case .isFile: "it is a file"
        case .differentRecord(let old): "its manifest.json differs in " + differenceNames(old.definition, definition).joined(separator: ", ")
        case .unusableRecord(let error): "its manifest.json cannot be used: \(error.description)"
        case .filesWithoutRecord: "it holds files but no manifest.json"
        }
        return .reportExists(folder: folder, different: kind, reason: why)
    }
}

extension NormComparisonManifest: ReportRecord {
    var ownedFiles: [String] { sheets + [cinLearningCurveName, cinParametersName] + (cells + interpolation).map(\.output) }
    /// Always: the manifest is first written once CIN's parameters are ready (learned or loaded).
    var hasFinishedResult: Bool { true }
    static let kind = "comparison of normalisations"
    /// None: the sheets are named in the manifest.
    static func isSheet(_ name: String) -> Bool { false }
    static let reusesFolderWithOtherFiles = true

    static func refusal(_ reason: ReportFolderRefusal<Self>, folder: String, definition: NormComparisonDefinition) -> ReportError {
        let why = switch reason {
        case .isFile: "it is a file"
        case .differentRecord: "it holds a comparison with other inputs or settings"
        case .unusableRecord: "it holds another report's manifest.json"
        case .filesWithoutRecord: "it holds files but no manifest.json"
        }
        return .reportExists(folder: folder, different: nil, reason: why)
    }
}

extension ComparisonManifest: ReportRecord {
    /// The sweep folders, relative to the comparison folder: a comparison of the same sweeps is
    /// written again from their manifests.
    var definition: [String] { sweeps.map(\.folder) }
    /// The sheets; the images are the sweeps' own, in their folders.
    var ownedFiles: [String] { sheets }
    /// Always: the record is written last.
    var hasFinishedResult: Bool { true }
    static let kind = "comparison"
    static func isSheet(_ name: String) -> Bool { isNumberedSheet(name) }
    /// No: an `--output` folder with other files besides a comparison is refused without `--overwrite`.
    static let reusesFolderWithOtherFiles = false

    static func refusal(_ reason: ReportFolderRefusal<Self>, folder: String, definition: [String]) -> ReportError {
        switch reason {
        case .isFile: .badOutput(folder: folder, reason: "is a file", overwrite: false)
        case .differentRecord, .unusableRecord: .badOutput(folder: folder, reason: "already holds a comparison of other sweeps", overwrite: true)
        case .filesWithoutRecord: .badOutput(folder: folder, reason: "already holds other files", overwrite: true)
        }
    }
}
