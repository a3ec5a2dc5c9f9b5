// Reports/NAME/index.html: a self-contained page with the sheets, parameters and metrics.

import Foundation

/// Writes `index.html`, referencing only the sheets given and the images of finished cells, and
/// the loss plots' picture (``writeLossPlotsPicture(_:folder:)``).
func writeIndex(_ manifest: SweepManifest, folder: String, sheets: [String]) throws(ReportError) {
    let d = manifest.definition
    let name = URL(fileURLWithPath: folder).lastPathComponent
    var html = """
        <h2>Parameters</h2>
        <table>
        <tr><th>tool version</th><td>\(escape(d.toolVersion))</td></tr>
        <tr><th>grid</th><td>\(d.grid.rawValue)\(d.steps.map { ", \($0) steps" } ?? "")</td></tr>
        <tr><th>content</th><td>\(fileList(d.contents))</td></tr>
        <tr><th>style</th><td>\(fileList(d.styles))</td></tr>
        <tr><th>mask</th><td>\(d.masks.isEmpty ? "none" : fileList(d.masks) + (d.stretchMask ? " (stretched)" : "") + (d.maskMode.map { ", mode \(escape($0))" } ?? ""))</td></tr>\(d.styleWeights.map { "\n<tr><th>style-weights</th><td>\($0.map(formatAlpha).joined(separator: ", "))</td></tr>" } ?? "")
        <tr><th>alpha</th><td>\(d.alphas.map(formatAlpha).joined(separator: ", "))</td></tr>
        <tr><th>preserve-color</th><td>\(d.preserveColors.joined(separator: ", "))</td></tr>
        <tr><th>content-size, style-size</th><td>\(d.contentSizeList.map(String.init).joined(separator: " ")), \(d.styleSizeList.map(String.init).joined(separator: " "))\(d.cropsImages ? ", centre squares (crop)" : "")</td></tr>
        <tr><th>vgg</th><td>\(fileList([d.vgg]))</td></tr>
        <tr><th>decoder</th><td>\(fileList([d.decoder]))</td></tr>
        </table>
        <h2>Contact sheets</h2>

        """
    for sheet in sheets where FileManager.default.fileExists(atPath: folder + "/" + sheet) {
        html += "<a href=\"\(escape(sheet))\"><img class=\"sheet\" src=\"\(escape(sheet))\" alt=\"\(escape(sheet))\"></a>\n"
    }
    try writeLossPlotsPicture(manifest, folder: folder)
    html += lossPlots(manifest)
    html += """
        <h2>Metrics</h2>
        <p>\(escape(manifest.metricsNote))</p>
        <p>Every cell's parameters and measurements as one table: <a href="\(metricsTableName)">\(metricsTableName)</a>.
        Below, each cell by its row and column (its content, styles, weights, mask, alpha and colour preservation are in the table
        and in manifest.json); the image link is named by its place in the grid.</p>
        <table>
        <tr><th>row</th><th>column</th><th>image</th><th>seconds</th><th>style loss</th><th>content loss</th><th>colour distance</th></tr>

        """
    for cell in manifest.cells {
        let exists = cell.isDone && FileManager.default.fileExists(atPath: folder + "/" + cell.output)
        let place = String(format: "r%02d-c%02d", cell.row + 1, cell.column + 1)
        let image = exists ? "<a href=\"\(escape(cell.output))\" title=\"\(escape(cell.output))\">\(place)</a>" : "(not done)"
        func number(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "" }
        let parts = cell.encodeSeconds.map { e in cell.decodeSeconds.map { String(format: "<br><small>enc %.2f · dec %.2f</small>", e, $0) } ?? "" } ?? ""
        html += "<tr><td>\(escape(manifest.rows[cell.row].label))</td><td>\(escape(manifest.columns[cell.column].label))</td><td>\(image)</td>"
            + "<td class=\"num\">\(number(cell.seconds, "%.3f"))\(parts)</td><td class=\"num\">\(number(cell.styleLoss, "%.6g"))</td>"
            + "<td class=\"num\">\(number(cell.contentLoss, "%.6g"))</td><td class=\"num\">\(number(cell.colorDistance, "%.2f"))</td></tr>\n"
    }
    html += "</table>\n"
    try writePage(folder: folder, title: "stylectl sweep \(name)", style: "td small { white-space: nowrap; } div.plots { display: flex; flex-wrap: wrap; gap: 1em; }", body: html,
                  record: SweepManifest.fileName)
}

/// Writes `folder/index.html` atomically: a page that opens from disk (no server, no scripts) with
/// the reports' common style plus `style`, the heading `title`, `body` (HTML), and a link to the
/// report's JSON record `record`.
func writePage(folder: String, title: String, style: String = "", body: String, record: String) throws(ReportError) {
    let html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body { font-family: sans-serif; margin: 2em; }
        table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; } img.sheet { max-width: 100%; display: block; margin-bottom: 1em; }
        \(style)
        </style></head><body>
        <h1>\(escape(title))</h1>
        \(body)<p>Full record: <a href="\(record)">\(record)</a></p>
        </body></html>

        """
    try ReportFolder(folder).writeAtomically(Data(html.utf8), name: "index.html")
}

/// Input files as a page lists them: each path with the start of its sha256.
func fileList(_ inputs: [InputFile]) -> String {
    inputs.map { "\(escape($0.path)) <code>\($0.sha256.prefix(16))…</code>" }.joined(separator: "<br>")
}

func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
