// A sweep's contact sheets (sheet-N.png): its grid with the row and column headers and the legend.

import Foundation

/// Draws a sweep's grid on sheets of at most `rowsPerSheet` rows, `sheet-1.png`, `sheet-2.png`, ...;
/// cells not done are left blank. Returns the file names.
func writeContactSheets(_ manifest: SweepManifest, folder: String, rowsPerSheet: Int) throws(ReportError) -> [String] {
    let definition = manifest.definition
    let headers = GridHeaders(manifest)
    let columns = manifest.columns.count
    let rows = headers.rows.enumerated().map { r, row in
        SheetGrid.Row(label: row.label, thumbnails: row.thumbnails, cells: (0 ..< columns).map { c in
            let cell = manifest.cells[r * columns + c]
            return cell.isDone ? folder + "/" + cell.output : nil
        })
    }
    var fixed = "content-size \(definition.contentSize), style-size \(definition.styleSize)"
    if definition.preserveColors.count == 1 { fixed += ", preserve-color \(definition.preserveColors[0])" }
    // A styles grid names alpha in its column labels already.
    if definition.alphas.count == 1 && definition.grid != .styles { fixed += ", alpha \(formatAlpha(definition.alphas[0]))" }
    if definition.cropsImages { fixed += ", centre squares (crop)" }
    if let mode = definition.maskMode { fixed += ", mask-mode \(mode)" }
    let styles = definition.styles.map(\.stem)
    switch definition.grid {
    case .styles:
        if let weights = definition.styleWeights {
            fixed += "; styles \(styles.joined(separator: ", ")) mixed with weights \(weights.map(formatAlpha).joined(separator: ", "))"
        }
    case .interpolation: fixed += "; u = weight of \(styles[1]) against \(styles[0])"
    case .bilinear: fixed += "; corners \(styles.joined(separator: ", ")) weighted (1-u)(1-v), u(1-v), (1-u)v, uv"
    case .masks: fixed += "; styles \(styles.joined(separator: ", ")) by mask region"
    }
    let grid = SheetGrid(
        title: "stylectl sweep \(URL(fileURLWithPath: folder).lastPathComponent)",
        groups: [SheetGrid.Group(columns: headers.columns)], rows: rows,
        legend: ["Fixed: " + fixed, modelsLegend(definition)])
    return try writeSheets(grid, folder: folder, rowsPerSheet: rowsPerSheet)
}

/// The legend line naming the weights and the tool version.
func modelsLegend(_ definition: SweepDefinition) -> String {
    "vgg \(URL(fileURLWithPath: definition.vgg.path).lastPathComponent) (\(definition.vgg.sha256.prefix(8))), "
        + "decoder \(URL(fileURLWithPath: definition.decoder.path).lastPathComponent) (\(definition.decoder.sha256.prefix(8))), "
        + "stylectl \(definition.toolVersion)"
}
