// SHA-256 (FIPS 180-4) of files, for the manifest's record of inputs and weights: swift-crypto's.

import Crypto
import Foundation
import Synchronization

private let fileDigests = Mutex<[String: String]>([:])

/// SHA-256 of bytes, as 64 lowercase hexadecimal digits: swift-crypto's `SHA256` (BoringSSL's
/// assembly where the CPU has it), fed in pieces.
public struct SHA256Digest {
    private var hasher = SHA256()

    public init() {}

    public mutating func update(_ data: Data) {
        hasher.update(data: data)
    }

    /// The digest as 64 lowercase hexadecimal digits.
    public mutating func finalize() -> String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The SHA-256 of a regular file's bytes, read in 4 MiB pieces; remembered for the process by
    /// path, size and modification date, so that a weight file is hashed once however many sweeps
    /// use it.
    ///
    /// - Throws: ``ReportError/unreadableFile(path:)`` for a missing or unreadable file, or one that
    ///   is not a regular file (a FIFO would block, a device never end).
    public static func file(_ path: String) throws(ReportError) -> String {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular else { throw .unreadableFile(path: path) }
        let key = "\(path)|\((attributes[.size] as? NSNumber)?.uint64Value ?? 0)|\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        if let known = fileDigests.withLock({ $0[key] }) { return known }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadableFile(path: path) }
        defer { try? handle.close() }
        var digest = SHA256Digest()
        do {
            while let piece = try handle.read(upToCount: 4 << 20), !piece.isEmpty { digest.update(piece) }
        } catch {
            throw .unreadableFile(path: path)
        }
        let result = digest.finalize()
        fileDigests.withLock { $0[key] = result }
        return result
    }
}
