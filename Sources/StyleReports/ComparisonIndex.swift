// The comparison's index.html: the sweeps, their sheets, each cell side by side, and the metrics.

import Foundation
import StyleTransfer

/// Writes `index.html` of a comparison: a page that opens from disk (no server, no scripts) and
/// references only files that exist: its own sheets, the sweeps' images of finished cells and the
/// sweeps' own pages, by paths relative to `folder`.
func writeComparisonIndex(_ manifest: ComparisonManifest, sweeps: [ComparedSweep], folder: String) throws(ReportError) {
    let name = URL(fileURLWithPath: folder).lastPathComponent
    let headers = sweeps.map { GridHeaders($0.manifest) }
    let definitions = sweeps.map(\.manifest.definition)
    let differing = differingFlags(definitions)
    let summaries = definitions.map { parameterSummary($0, among: definitions) }
    let files = FileManager.default
    let style = """
        body { max-width: 110em; }
        table { margin-bottom: 1em; } td, th { padding: 3px 8px; vertical-align: top; }
        td.diff { color: #555; }
        table.metrics td, table.metrics th { white-space: nowrap; } .scroll { overflow-x: auto; }
        tr.differs td, tr.differs th { background: #fff4d6; }
        img.sheet { border: 1px solid #ddd; }
        .row { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 1.5em; }
        figure { margin: 0; } figure.cell { border: 1px solid #ccc; padding: 6px; }
        figure.cell > figcaption { font-weight: bold; font-size: 0.9em; margin-bottom: 4px; }
        .pair { display: flex; gap: 6px; } .pair figure { width: 136px; }
        .pair img, .pair .missing { width: 136px; height: 136px; object-fit: contain; background: #eee; display: block; }
        .pair .missing { display: flex; align-items: center; justify-content: center; color: #888; font-size: 0.8em; }
        .pair figcaption { font-size: 0.75em; line-height: 1.3; }
        .pair figcaption .name { display: block; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
        """
    var html = """
        <p>\(sweeps.count) sweeps of the same grid, \(counted(manifest.rows, "row")) x \(counted(manifest.columns, "column")), side by side.
        They differ in: <b>\(escape(differing.isEmpty ? "nothing in their parameters" : differing.joined(separator: ", ")))</b>.
        Images are the sweeps' own files, linked by relative paths: keep this folder beside the sweep folders.</p>
        <h2>Sweeps</h2>
        <table>
        <tr><th>parameter</th>
        """
    for (s, sweep) in sweeps.enumerated() {
        let record = manifest.sweeps[s]
        let page = files.fileExists(atPath: sweep.folder + "/index.html")
            ? "<a href=\"\(escape(record.folder))/index.html\">\(escape(sweep.name))</a>" : escape(sweep.name)
        html += "<th>\(sweepLetter(s)): \(page)</th>"
    }
    html += "</tr>\n<tr><th>folder</th>" + manifest.sweeps.map { "<td><code>\(escape($0.folder))</code></td>" }.joined() + "</tr>\n"
    html += "<tr><th>manifest sha256</th>" + manifest.sweeps.map { "<td><code>\($0.manifestSHA256.prefix(16))…</code></td>" }.joined() + "</tr>\n"
    for (i, parameter) in summaries[0].enumerated() {
        html += "<tr\(differing.contains(parameter.flag) ? " class=\"differs\"" : "")><th>\(escape(parameter.flag))</th>"
            + summaries.map { "<td>\(escape($0[i].value))</td>" }.joined() + "</tr>\n"
    }
    html += "</table>\n<h2>Contact sheets</h2>\n"
    for sheet in manifest.sheets where files.fileExists(atPath: folder + "/" + sheet) {
        html += "<a href=\"\(escape(sheet))\"><img class=\"sheet\" src=\"\(escape(sheet))\" alt=\"\(escape(sheet))\"></a>\n"
    }

    html += "<h2>Side by side</h2>\n"
    for r in 0 ..< manifest.rows {
        html += "<h3>\(escape(headers[0].rows[r].label))</h3>\n<div class=\"row\">\n"
        for c in 0 ..< manifest.columns {
            let labels = headers.map { $0.columns[c] }
            let caption = Set(labels).count == 1 ? labels[0] : zip(sweeps, labels).map { "\($0.name): \($1)" }.joined(separator: " / ")
            html += "<figure class=\"cell\"><figcaption>\(escape(caption.isEmpty ? "column \(c + 1)" : caption))</figcaption><div class=\"pair\">\n"
            for (s, entry) in manifest.cells[r * manifest.columns + c].sweeps.enumerated() {
                let picture = entry.image.map { "<a href=\"\(escape($0))\"><img src=\"\(escape($0))\" alt=\"\(escape(sweeps[s].name))\"></a>" }
                    ?? "<div class=\"missing\">not done</div>"
                let metrics = [entry.styleLoss.map { "style \(format($0))" }, entry.contentLoss.map { "content \(format($0))" },
                               entry.seconds.map { String(format: "%.3f s", $0) }].compactMap { $0 }.joined(separator: "<br>")
                html += "<figure>\(picture)<figcaption><span class=\"name\" title=\"\(escape(sweeps[s].name))\"><b>\(sweepLetter(s))</b> \(escape(sweeps[s].name))</span>\(metrics)</figcaption></figure>\n"
            }
            html += "</div></figure>\n"
        }
        html += "</div>\n"
    }

    html += """
        <h2>Metrics</h2>
        <p>Per cell and sweep (A, B, ...: the sweeps above); B − A is each later sweep minus the first. \(escape(sweeps[0].manifest.metricsNote))</p>
        <div class="scroll"><table class="metrics">
        <tr><th rowspan="2">row</th><th rowspan="2">column</th>
        """
    let deltas = sweeps.indices.dropFirst().map { "\(sweepLetter($0)) − A" }
    let metrics: [(String, KeyPath<ComparisonManifest.Entry, Double?>, String)] = [
        ("style loss", \.styleLoss, "%.6g"), ("content loss", \.contentLoss, "%.6g"), ("seconds", \.seconds, "%.3f"),
    ]
    for (title, _, _) in metrics { html += "<th colspan=\"\(sweeps.count + deltas.count)\">\(title)</th>" }
    html += "</tr>\n<tr>"
    for _ in metrics { html += (sweeps.indices.map(sweepLetter) + deltas).map { "<th>\(escape($0))</th>" }.joined() }
    html += "</tr>\n"
    for cell in manifest.cells {
        html += "<tr><td>\(escape(headers[0].rows[cell.row].label))</td><td>\(escape(headers[0].columns[cell.column]))</td>"
        for (_, key, style) in metrics {
            let values = cell.sweeps.map { $0[keyPath: key] }
            html += values.map { "<td class=\"num\">\($0.map { String(format: style, $0) } ?? "")</td>" }.joined()
            html += values.dropFirst().map { value in
                guard let value, let reference = values[0] else { return "<td class=\"num diff\"></td>" }
                return "<td class=\"num diff\">\(String(format: "%+.3g", value - reference))</td>"
            }.joined()
        }
        html += "</tr>\n"
    }
    html += "</table></div>\n"
    try writePage(folder: folder, title: "stylectl report \(name)", style: style, body: html, record: ComparisonManifest.fileName)
}

private func format(_ value: Double) -> String { String(format: "%.4g", value) }
