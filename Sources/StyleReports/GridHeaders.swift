// The row and column headers of a sweep's grid, as contact sheets and reports show them.

import Foundation

/// What a sweep's grid shows at the left of a row and above a column.
struct GridHeaders {
    struct Row {
        /// For people, e.g. "cornell x mondrian".
        var label: String
        /// The row's input images (content, then style) for the thumbnails, absolute paths.
        var thumbnails: [String]
    }

    var rows: [Row]
    /// For people: the swept values of each column, e.g. "alpha 0.5, luminance".
    var columns: [String]

    /// The headers of `manifest`'s grid. The single place that derives labels from the manifest's
    /// fields (to become `row.label` and `column.label` once the manifest records them).
    init(_ manifest: SweepManifest) {
        let d = manifest.definition
        let interpolated = d.interpolationSteps != nil && d.styles.count == 2
        rows = manifest.rows.map { row in
            let content = d.contents[row.content]
            let style = d.styles[row.style]
            let styles = interpolated ? "\(style.stem) > \(d.styles[1].stem)" : style.stem
            return Row(label: "\(content.stem) x \(styles)", thumbnails: [content.path, style.path])
        }
        columns = manifest.columns.map { column in
            var parts: [String] = []
            if d.alphas.count > 1 || column.weight == nil { parts.append("alpha \(formatAlpha(column.alpha))") }
            if d.preserveColors.count > 1 { parts.append(column.preserveColor) }
            if let weight = column.weight { parts.append("w \(formatAlpha(weight))") }
            return parts.joined(separator: ", ")
        }
    }
}

/// A sweep's parameters as (flag, value) for people, in a fixed order; two sweeps differ in a
/// parameter when its values differ. Files are shown by name (weights with their sha256's start).
func parameterSummary(_ d: SweepDefinition) -> [(flag: String, value: String)] {
    func names(_ files: [InputFile]) -> String { files.map { URL(fileURLWithPath: $0.path).lastPathComponent }.joined(separator: ",") }
    func weights(_ file: InputFile) -> String { "\(URL(fileURLWithPath: file.path).lastPathComponent) (\(file.sha256.prefix(8)))" }
    return [
        ("--content", names(d.contents)),
        (d.interpolationSteps == nil ? "--style" : "--interpolate", names(d.styles)),
        ("--steps", d.interpolationSteps.map(String.init) ?? "-"),
        ("--alpha", d.alphas.map(formatAlpha).joined(separator: ",")),
        ("--preserve-color", d.preserveColors.joined(separator: ",")),
        ("--content-size", String(d.contentSize)),
        ("--style-size", String(d.styleSize)),
        ("--vgg", weights(d.vgg)),
        ("--decoder", weights(d.decoder)),
        ("tool version", d.toolVersion),
    ]
}
