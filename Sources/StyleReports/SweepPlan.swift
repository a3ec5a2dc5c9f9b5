// What a sweep computes: its parameters, the grid of cells, and parsing of the list flags.

import Foundation
import StyleTransfer

/// An input file as the manifest records it.
public struct InputFile: Codable, Equatable, Sendable {
    /// The standardised absolute path.
    public var path: String
    public var sha256: String

    public init(path: String) throws(SweepError) {
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
        self.path = standardized
        do { sha256 = try SHA256Digest.file(standardized) } catch { throw .unreadableFile(path: path) }
    }

    public var stem: String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
}

/// Everything that determines a sweep's images: a report folder holding a manifest with an equal
/// definition is the same sweep, and its finished cells are reused.
public struct SweepDefinition: Codable, Equatable, Sendable {
    public var toolVersion: String
    public var contents: [InputFile]
    public var styles: [InputFile]
    public var alphas: [Float]
    /// `ColorPreservation` raw values: none, coral, luminance.
    public var preserveColors: [String]
    public var contentSize: Int
    public var styleSize: Int
    public var vgg: InputFile
    public var decoder: InputFile
    /// Interpolation between the two styles in `styles` (`--interpolate a,b --steps N`): rows are
    /// the contents, and each column has a weight of the second style, 0 ... 1 in `steps` steps.
    public var interpolationSteps: Int?
}

/// A sweep's parameters as given on the command line (or by a caller of the library).
public struct SweepConfiguration: Sendable {
    public var contents: [String]
    public var styles: [String]
    public var alphas: [Float]
    public var preserveColors: [ColorPreservation]
    public var contentSize: Int
    public var styleSize: Int
    public var models: ModelFiles
    /// The report folder, `<reports-dir>/<name>`.
    public var folder: String
    public var overwrite: Bool
    public var toolVersion: String
    /// Contact sheets hold at most this many rows each.
    public var rowsPerSheet: Int
    /// With two `styles`: interpolate between them in this many steps instead of a row per style.
    public var interpolationSteps: Int?

    public init(
        contents: [String], styles: [String], alphas: [Float], preserveColors: [ColorPreservation] = [.none],
        contentSize: Int = 512, styleSize: Int = 512, models: ModelFiles, folder: String,
        overwrite: Bool = false, toolVersion: String, rowsPerSheet: Int = 6, interpolationSteps: Int? = nil
    ) {
        self.interpolationSteps = interpolationSteps
        self.contents = contents
        self.styles = styles
        self.alphas = alphas
        self.preserveColors = preserveColors
        self.contentSize = contentSize
        self.styleSize = styleSize
        self.models = models
        self.folder = folder
        self.overwrite = overwrite
        self.toolVersion = toolVersion
        self.rowsPerSheet = rowsPerSheet
    }

    /// Checks the lists: none empty, alphas in [0, 1], sizes not negative.
    public func validate() throws(SweepError) {
        if contents.isEmpty { throw .emptyList(flag: "--content") }
        if styles.isEmpty { throw .emptyList(flag: "--style") }
        if alphas.isEmpty { throw .emptyList(flag: "--alpha") }
        if preserveColors.isEmpty { throw .emptyList(flag: "--preserve-color") }
        for alpha in alphas where !(0 ... 1).contains(alpha) {
            throw .invalidValue(flag: "--alpha", value: "\(alpha)", expected: "numbers in [0, 1]")
        }
        if contentSize < 0 { throw .invalidValue(flag: "--content-size", value: "\(contentSize)", expected: "0 or more") }
        if styleSize < 0 { throw .invalidValue(flag: "--style-size", value: "\(styleSize)", expected: "0 or more") }
        if let steps = interpolationSteps {
            if styles.count != 2 { throw .invalidValue(flag: "--interpolate", value: styles.joined(separator: ","), expected: "two style images") }
            if steps < 2 { throw .invalidValue(flag: "--steps", value: "\(steps)", expected: "2 or more") }
        }
        if rowsPerSheet < 1 { throw .invalidValue(flag: "rowsPerSheet", value: "\(rowsPerSheet)", expected: "1 or more") }
    }

    /// Reads and hashes every input: the definition recorded in the manifest.
    public func definition() throws(SweepError) -> SweepDefinition {
        try validate()
        func inputs(_ paths: [String], flag: String) throws(SweepError) -> [InputFile] {
            var files: [InputFile] = []
            for path in paths {
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
                    throw .invalidValue(flag: flag, value: path, expected: "an existing image file")
                }
                files.append(try InputFile(path: path))
            }
            return files
        }
        return SweepDefinition(
            toolVersion: toolVersion,
            contents: try inputs(contents, flag: "--content"),
            styles: try inputs(styles, flag: interpolationSteps == nil ? "--style" : "--interpolate"),
            alphas: alphas,
            preserveColors: preserveColors.map(\.rawValue),
            contentSize: contentSize, styleSize: styleSize,
            vgg: try inputs([models.vgg], flag: "--vgg")[0],
            decoder: try inputs([models.decoder], flag: "--decoder")[0],
            interpolationSteps: interpolationSteps)
    }
}

// MARK: - Parsing list flags

/// Splits a comma-separated flag value; fails naming the flag when there is no value.
public func parseList(_ text: String, flag: String) throws(SweepError) -> [String] {
    let items = text.split(separator: ",", omittingEmptySubsequences: false)
        .map { $0.trimmingCharacters(in: .whitespaces) }
    if items.allSatisfy(\.isEmpty) { throw .emptyList(flag: flag) }
    if let empty = items.first(where: \.isEmpty) { throw .invalidValue(flag: flag, value: empty, expected: "no empty items between commas") }
    return items
}

/// `--alpha 0,0.25,1`: numbers in [0, 1].
public func parseAlphas(_ text: String) throws(SweepError) -> [Float] {
    var alphas: [Float] = []
    for item in try parseList(text, flag: "--alpha") {
        guard let alpha = Float(item), (0 ... 1).contains(alpha) else {
            throw .invalidValue(flag: "--alpha", value: item, expected: "numbers in [0, 1]")
        }
        alphas.append(alpha)
    }
    return alphas
}

/// `--preserve-color none,coral,luminance`.
public func parsePreserveColors(_ text: String) throws(SweepError) -> [ColorPreservation] {
    var modes: [ColorPreservation] = []
    for item in try parseList(text, flag: "--preserve-color") {
        guard let mode = ColorPreservation(rawValue: item.lowercased()) else {
            throw .invalidValue(flag: "--preserve-color", value: item, expected: "none, coral or luminance")
        }
        modes.append(mode)
    }
    return modes
}
