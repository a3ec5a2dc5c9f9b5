// Learned CIN parameters on disk: a small JSON file with the shapes, the style names and how they
// were learned.

import Foundation

/// Why a CIN parameter file could not be read, written or used; each message names the file.
public enum CINFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    /// The file was read but is not a valid CIN parameter file.
    case malformed(path: String, reason: String)
    /// The file holds parameters for another number of styles than the styles given.
    case styleCount(path: String, inFile: Int, given: Int)
    /// The file was learned for styles of other names (or another order) than those given: its
    /// rows would stylize each given style as another.
    case otherStyles(path: String, learned: [String], given: [String])
    /// The file's channel count is not the network's.
    case channels(path: String, inFile: Int, expected: Int)
    /// The file was learned with another model (its statistics and decoder) than the one run.
    case otherModel(path: String, inFile: ModelVariant, given: ModelVariant)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "cannot read the CIN parameter file '\(path)': \(reason)."
        case .malformed(let path, let reason):
            "'\(path)' is not a stylectl CIN parameter file: \(reason)."
        case .styleCount(let path, let inFile, let given):
            "the CIN parameter file '\(path)' holds \(inFile) style\(inFile == 1 ? "" : "s") but --style gives \(given); pass the styles it was learned for, in order, or learn new parameters."
        case .otherStyles(let path, let learned, let given):
            "the CIN parameter file '\(path)' was learned for the styles \(learned.joined(separator: ", ")), but --style gives \(given.joined(separator: ", ")): its rows would stylize each as another style. Pass the styles it was learned for, in order, learn new parameters, or give --allow-other-styles to use its rows in this order anyway (the report then says so)."
        case .channels(let path, let inFile, let expected):
            "the CIN parameter file '\(path)' has \(inFile) channels per style, the network's bottleneck has \(expected)."
        case .otherModel(let path, let inFile, let given):
            "the CIN parameter file '\(path)' was learned with --model \(inFile.rawValue) (its statistics and decoder), not --model \(given.rawValue); give that model's weights or learn new parameters."
        case .unwritable(let path, let reason):
            "cannot write the CIN parameter file '\(path)': \(reason)."
        }
    }
}

/// The JSON layout of a CIN parameter file:
/// `{"format": "stylectl-cin", "version": 1, "channels": C, "styles": [S names],
///   "gamma": [S*C floats], "beta": [S*C floats], "learning": {...}, "model": "seed"}`, gamma and beta row-major
/// (S, C) as ``ConditionalInstanceNorm``. Floats are written in their shortest exact decimal form,
/// so a round trip is exact.
public struct CINParameterFile: Codable, Equatable, Sendable {
    public static let formatName = "stylectl-cin"
    public var format = CINParameterFile.formatName
    public var version = 1
    public var channels: Int
    /// The style images' file names, one per row.
    public var styles: [String]
    public var gamma: [Float]
    public var beta: [Float]
    /// How the parameters were learned, when they were.
    public var learning: CINLearningOptions?
    /// The model they were learned with (its statistics normalise the features they scale and
    /// shift); absent in files of stylectl before compare-norms ran other models: pytorch-adain.
    public var model: ModelVariant?

    public init(parameters: ConditionalInstanceNorm, styles: [String], learning: CINLearningOptions?, model: ModelVariant = .pytorchAdaIN) {
        precondition(styles.count == parameters.styleCount, "one name per style needed")
        channels = parameters.channels
        self.styles = styles
        gamma = parameters.gamma
        beta = parameters.beta
        self.learning = learning
        self.model = model
    }

    /// The parameters, normalising with their model's statistics.
    public var parameters: ConditionalInstanceNorm {
        ConditionalInstanceNorm(channels: channels, gamma: gamma, beta: beta, statistics: (model ?? .pytorchAdaIN).normalizationStatistics.adain)
    }

    /// Reads and checks a file: format, version, shapes and finite values.
    public static func read(path: String) throws(CINFileError) -> CINParameterFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file")
        }
        let file: CINParameterFile
        do { file = try JSONDecoder().decode(CINParameterFile.self, from: data) } catch {
            throw .malformed(path: path, reason: "not the expected JSON (\(decodingReason(error)))")
        }
        guard file.format == formatName else { throw .malformed(path: path, reason: "format is '\(file.format)', expected '\(formatName)'") }
        guard file.version == 1 else { throw .malformed(path: path, reason: "version \(file.version) is not supported (1 is)") }
        guard file.channels > 0, !file.styles.isEmpty else { throw .malformed(path: path, reason: "it holds no styles or no channels") }
        let expected = file.channels * file.styles.count
        guard file.gamma.count == expected, file.beta.count == expected else {
            throw .malformed(path: path, reason: "gamma and beta must hold \(file.styles.count) x \(file.channels) = \(expected) values, got \(file.gamma.count) and \(file.beta.count)")
        }
        guard (file.gamma + file.beta).allSatisfy(\.isFinite) else { throw .malformed(path: path, reason: "it holds non-finite values") }
        return file
    }

    /// Writes the file atomically (a temporary file, renamed).
    public func write(path: String) throws(CINFileError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw .unwritable(path: path, reason: error.localizedDescription)
        }
    }
}

private func decodingReason(_ error: any Error) -> String {
    switch error as? DecodingError {
    case .keyNotFound(let key, _): "missing '\(key.stringValue)'"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
        "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
    case .dataCorrupted(let context): context.debugDescription
    default: "\(error)"
    }
}
