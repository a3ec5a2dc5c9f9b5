// The JSON records a report folder holds (manifest.json, comparison.json): read, and written atomically.

import Foundation

/// A report's JSON record, stored as `folder/fileName`: pretty-printed with sorted keys, so that two
/// runs of the same report give the same bytes and a diff of two records is readable.
public protocol JSONRecord: Codable {
    static var fileName: String { get }
}

extension JSONRecord {
    /// Reads `folder/fileName`; throws Foundation's error for a missing or malformed file.
    public static func read(folder: String) throws -> Self {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent(fileName)))
    }

    /// Writes `folder/fileName` atomically (a temporary file, renamed).
    ///
    /// - Throws: ``SweepError/failed(_:)`` naming the file.
    public func write(folder: String) throws(SweepError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: folder).appendingPathComponent(Self.fileName), options: .atomic)
        } catch {
            throw .failed("cannot write \(folder)/\(Self.fileName): \(error.localizedDescription)")
        }
    }
}
