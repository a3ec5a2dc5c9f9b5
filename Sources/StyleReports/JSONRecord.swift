// The JSON records a report folder holds (manifest.json, comparison.json): read with bounds and
// checked, and written atomically.

import Foundation

/// A report's JSON record, stored as `folder/fileName`: pretty-printed with sorted keys, so that two
/// runs of the same report give the same bytes and a diff of two records is readable.
public protocol JSONRecord: Codable {
    static var fileName: String { get }

    /// Checks what decoding cannot: every file name is a plain name inside the folder
    /// (``ReportFileName``), counts and indices agree and are within ``SweepLimits``. `record` is
    /// the file's path, for the error.
    ///
    /// - Throws: ``ReportError/invalidRecord(file:reason:)``.
    func validate(record: String) throws(ReportError)
}

/// The largest record read: a sweep of ``SweepLimits/cells`` cells takes about 10 MB.
public let maximumRecordBytes = 64 << 20

extension JSONRecord {
    /// Reads `folder/fileName` and checks it (``validate(record:)``): a regular file of at most
    /// ``maximumRecordBytes``.
    ///
    /// - Throws: ``ReportError/unreadableFile(path:)`` for a missing file,
    ///   ``ReportError/invalidRecord(file:reason:)`` for anything else wrong.
    public static func read(folder: String) throws(ReportError) -> Self {
        try read(path: folder + "/" + fileName)
    }

    /// Reads the record at `path` (a record kept under another name than ``fileName``, such as a
    /// shard's `shards/K-of-N.json`) as ``read(folder:)`` does.
    public static func read(path: String) throws(ReportError) -> Self {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .unreadableFile(path: path) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .invalidRecord(file: path, reason: "not a regular file") }
        guard info.st_size <= maximumRecordBytes else {
            throw .invalidRecord(file: path, reason: "\(info.st_size) bytes, more than the \(maximumRecordBytes) a report writes")
        }
        let record: Self
        do {
            record = try JSONDecoder().decode(Self.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch let error as DecodingError {
            throw .invalidRecord(file: path, reason: "not a \(URL(fileURLWithPath: path).lastPathComponent) of this tool (\(decodingProblem(error)))")
        } catch {
            throw .invalidRecord(file: path, reason: error.localizedDescription)
        }
        try record.validate(record: path)
        return record
    }

    /// Writes `folder/fileName` atomically (``ReportFolder/writeAtomically(_:name:)``).
    ///
    /// - Throws: ``ReportError/failed(_:)`` naming the file.
    public func write(folder: String) throws(ReportError) {
        try write(folder: folder, name: Self.fileName)
    }

    /// Writes `folder/name` atomically.
    public func write(folder: String, name: String) throws(ReportError) {
        try ReportFolder(folder).writeAtomically(encoded(name: folder + "/" + name), name: name)
    }

    /// The record's bytes as written: pretty-printed JSON with sorted keys. `name` is for the error.
    func encoded(name: String) throws(ReportError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { return try encoder.encode(self) } catch {
            throw .failed("cannot write \(name): \(error.localizedDescription)")
        }
    }
}

/// A decoding error as one line: what is wrong and at which key.
private func decodingProblem(_ error: DecodingError) -> String {
    func at(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
    }
    switch error {
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
        return at(context)
    @unknown default:
        return "\(error)"
    }
}
