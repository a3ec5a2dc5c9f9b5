// `metrics.csv`: a sweep's cells as one table (every parameter and measurement), for spreadsheets,
// pandas or R, beside `manifest.json`.

import Foundation

/// The name of the table in a sweep's folder.
let metricsTableName = "metrics.csv"

/// The sweep's cells as CSV (RFC 4180: comma-separated, CRLF line ends, a field quoted with `"`
/// when it holds a comma, a quote or a line break, quotes doubled inside).
///
/// One header row, then one row per cell in the manifest's order: `row`, `column` (from 1),
/// `row_label`, `column_label`, `content` (the path), `styles` (paths joined by `;`), `weights`
/// (joined by `;`, empty for one style), `mask`, `alpha`, `preserve_color`, `output` (the image's
/// file name), `seconds`, `encode_seconds`, `decode_seconds` (of `seconds`: the encodings the cell
/// was the first to need, and the decoder), `style_loss`, `content_loss`, `colour_distance`
/// (``chromaDistance(_:_:)``), `gram_style_loss` (Gatys et al.'s) (each empty when not done, not
/// measured, or not recorded by an older version).
/// A sweep of several content or style sizes adds `content_size` and `style_size` (the cell's); a
/// sweep with masks adds `mask_style_loss` and `mask_leakage` (``MaskFidelity``).
/// Numbers are written as Swift prints them (shortest round-trip form), so they read back exactly.
func metricsTable(_ manifest: SweepManifest) -> String {
    func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
    let sweepsSizes = manifest.definition.contentSizes != nil || manifest.definition.styleSizes != nil
    let header = ["row", "column", "row_label", "column_label", "content", "styles", "weights", "mask", "alpha",
                  "preserve_color", "output", "seconds", "encode_seconds", "decode_seconds", "style_loss", "content_loss", "colour_distance", "gram_style_loss"]
    let masked = manifest.cells.contains { $0.mask != nil }
    var lines = [(header + (sweepsSizes ? ["content_size", "style_size"] : []) + (masked ? ["mask_style_loss", "mask_leakage"] : []))
        .joined(separator: ",")]
    for cell in manifest.cells {
        let sizes = cell.sizing(in: manifest.definition)
        let values = [
            "\(cell.row + 1)", "\(cell.column + 1)", manifest.rows[cell.row].label, manifest.columns[cell.column].label,
            cell.content, cell.styles.joined(separator: ";"), cell.weights.map { $0.map { "\($0)" }.joined(separator: ";") } ?? "",
            cell.mask ?? "", "\(cell.alpha)", cell.preserveColor, cell.output,
            number(cell.seconds), number(cell.encodeSeconds), number(cell.decodeSeconds), number(cell.styleLoss), number(cell.contentLoss), number(cell.colorDistance),
            number(cell.gramStyleLoss),
        ] + (sweepsSizes ? ["\(sizes.content.size)", "\(sizes.style.size)"] : [])
            + (masked ? [number(cell.maskStyleLoss), number(cell.maskLeakage)] : [])
        lines.append(values.map(field).joined(separator: ","))
    }
    return lines.joined(separator: "\r\n") + "\r\n"
}

/// Writes ``metricsTable(_:)`` into the sweep's folder, atomically.
func writeMetricsTable(_ manifest: SweepManifest, folder: String) throws(ReportError) {
    try ReportFolder(folder).writeAtomically(Data(metricsTable(manifest).utf8), name: metricsTableName)
}
