// Reports/NAME/manifest.json: the sweep's definition, its grid and each cell's result.

import Foundation

/// The record of a sweep, written after every cell so that an interrupted sweep can resume.
public struct SweepManifest: Codable, Equatable, Sendable {
    /// One row of the grid: a content image with a style image (indices into the definition).
    public struct Row: Codable, Equatable, Sendable {
        public var content: Int
        /// The style's index; in an interpolation sweep, the first of the two (0).
        public var style: Int
    }

    /// One column of the grid: the swept parameters.
    public struct Column: Codable, Equatable, Sendable {
        public var alpha: Float
        public var preserveColor: String
        /// In an interpolation sweep, the second style's weight (the first's is 1 - weight).
        public var weight: Float?
    }

    public struct Cell: Codable, Equatable, Sendable {
        public var row: Int
        public var column: Int
        public var content: String
        public var style: String
        public var alpha: Float
        public var preserveColor: String
        /// In an interpolation sweep, the second style's weight; `style` is then "a,b".
        public var weight: Float?
        /// The image's file name in the report folder.
        public var output: String
        /// Set once the image is written: seconds for the decoder pass (and colour recombination).
        public var seconds: Double?
        /// nil in an interpolation sweep (the loss is defined against one style).
        public var styleLoss: Double?
        public var contentLoss: Double?

        public var isDone: Bool { seconds != nil }
    }

    public var definition: SweepDefinition
    public var rows: [Row]
    public var columns: [Column]
    public var cells: [Cell]
    /// How the metrics are computed, for readers of the file.
    public var metricsNote = "pytorch-AdaIN net.py losses (MSE): content = MSE(relu4_1(g(t)), t), style = sum over relu1_1..relu4_1 of MSE of channel means and stds (unbiased, +1e-5); g(t) is the decoder output before cropping and quantisation."

    public static let fileName = "manifest.json"

    /// The grid of a definition: rows content-major (each content with each style), columns
    /// colour-preservation-major (each mode with each alpha); no cell is done.
    public init(definition: SweepDefinition) {
        self.definition = definition
        let steps = definition.interpolationSteps
        rows = definition.contents.indices.flatMap { c in
            (steps == nil ? Array(definition.styles.indices) : [0]).map { Row(content: c, style: $0) }
        }
        let weights: [Float?] = steps.map { n in (0 ..< n).map { Float($0) / Float(n - 1) } } ?? [nil]
        columns = definition.preserveColors.flatMap { mode in
            definition.alphas.flatMap { alpha in weights.map { Column(alpha: alpha, preserveColor: mode, weight: $0) } }
        }
        var cells: [Cell] = []
        for (r, row) in rows.enumerated() {
            let content = definition.contents[row.content]
            let style = definition.styles[row.style]
            let interpolated = steps != nil && definition.styles.count == 2
            let styleName = interpolated ? "\(safeName(style.stem))-\(safeName(definition.styles[1].stem))" : safeName(style.stem)
            let stylePath = interpolated ? definition.styles.map(\.path).joined(separator: ",") : style.path
            for (c, column) in columns.enumerated() {
                let name = String(format: "r%02d-c%02d_", r + 1, c + 1)
                    + "\(safeName(content.stem))_\(styleName)_a\(formatAlpha(column.alpha))_\(column.preserveColor)"
                    + (column.weight.map { "_w\(formatAlpha($0))" } ?? "") + ".png"
                cells.append(Cell(row: r, column: c, content: content.path, style: stylePath, alpha: column.alpha,
                                  preserveColor: column.preserveColor, weight: column.weight, output: name))
            }
        }
        self.cells = cells
    }

    public static func read(folder: String) throws -> SweepManifest {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent(fileName))
        return try JSONDecoder().decode(SweepManifest.self, from: data)
    }

    /// Writes the manifest atomically (a temporary file, renamed).
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

/// An alpha or weight as written in labels and file names: `0.25`, `1`, `0.333`.
public func formatAlpha(_ alpha: Float) -> String {
    if alpha == alpha.rounded() { return String(Int(alpha)) }
    let text = "\(alpha)"
    return text.count <= 6 ? text : String(format: "%.3f", alpha)
}

/// A file-name-safe version of a stem.
func safeName(_ text: String) -> String {
    String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
}
