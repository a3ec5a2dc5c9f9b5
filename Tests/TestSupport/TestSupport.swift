// Shared test helpers: where fixtures live and a tolerance check that reports the worst element.

import Foundation

/// Paths the tests read from. Nothing under `../shared` is copied into the repository.
public enum TestPaths {
    /// The repository's root folder.
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `../shared/images` beside the repository: the AdaIN paper's test images.
    public static let sharedImages: URL = repoRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/images")
    /// Golden files made by `Scripts/make-goldens` (PyTorch reference outputs); git-ignored.
    public static let goldens: URL = repoRoot.appendingPathComponent(".goldens")

    /// A golden file's path; the failure message says how to make the goldens when it is missing.
    public static func golden(_ relativePath: String) throws -> URL {
        let url = goldens.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingGolden(path: url.path)
        }
        return url
    }
}

public struct MissingGolden: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "golden file \(path) is missing: run Scripts/make-goldens (needs python3-torch)" }
}

/// The largest absolute difference between two equally long arrays and where it is.
public func maxAbsDifference(_ a: [Float], _ b: [Float]) -> (value: Float, index: Int) {
    precondition(a.count == b.count, "lengths differ: \(a.count) != \(b.count)")
    var worst: Float = 0
    var at = 0
    for i in a.indices {
        let d = abs(a[i] - b[i])
        if d > worst || d.isNaN { worst = d; at = i }
    }
    return (worst, at)
}

/// ||a - b|| / ||b|| in the Euclidean norm, in Double (b the reference; ||a|| when b is zero): how
/// llm.c compares gradients, insensitive to the rounding of single near-zero elements.
public func relativeNormError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "lengths differ: \(a.count) != \(b.count)")
    var (difference, reference) = (0.0, 0.0)
    for i in a.indices {
        let d = Double(a[i]) - Double(b[i])
        difference += d * d
        reference += Double(b[i]) * Double(b[i])
    }
    return reference > 0 ? (difference / reference).squareRoot() : difference.squareRoot()
}

/// Whether every element satisfies |a - b| <= atol + rtol * |b| (numpy's `allclose`, b the reference).
public func allClose(_ a: [Float], _ b: [Float], rtol: Float = 1e-4, atol: Float = 1e-5) -> Bool {
    guard a.count == b.count else { return false }
    for i in a.indices where !(abs(a[i] - b[i]) <= atol + rtol * abs(b[i])) { return false }
    return true
}

/// Reads a raw little-endian float32 file written by the golden scripts.
public func readFloats(_ url: URL) throws -> [Float] {
    let data = try Data(contentsOf: url)
    return data.withUnsafeBytes { raw in
        (0 ..< data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
    }
}
