// The contact sheets of `stylectl compare-norms`: per content image, rows IN, CIN, AdaIN under a
// row of the style images, columns the styles; and the CIN-vs-AdaIN interpolation strip.

import Foundation
import ImageCodec

/// Draws `norms-cNN.png` for every content image and, with two or more styles,
/// `interpolation-cNN.png`, with ``SheetLayout``'s geometry; returns the file names.
func writeComparisonSheets(_ manifest: NormComparisonManifest, folder: String) throws(NormComparisonError) -> [String] {
    let d = manifest.definition
    let name = URL(fileURLWithPath: folder).lastPathComponent
    var names: [String] = []
    /// An input image shrunk to cell size once (drawing a full-size picture pixel by pixel is slow).
    func picture(_ path: String) -> RGBImage? {
        guard let image = try? readImage(path: path) else { return nil }
        return min(image.width, image.height) > SheetLayout.cell ? resizeShorterSide(image, to: SheetLayout.cell) : image
    }
    let contents = d.contents.map { picture($0.path) }
    let styles = d.styles.map { picture($0.path) }
    for c in d.contents.indices {
        let content = contents[c]
        // Row 0 shows the style images; rows 1 ... 3 the methods.
        let rows: [(label: String, cells: [String?])] = [("style", styles.map { _ in nil })]
            + NormalizationMethod.allCases.map { method in
                (method.rawValue, d.styles.indices.map { s in manifest.cells.first { $0.content == c && $0.method == method && $0.style == s }?.output })
            }
        let file = String(format: "norms-c%02d.png", c + 1)
        try drawSheet(
            title: "stylectl compare-norms \(name): \(d.contents[c].stem)", headers: d.styles.map(\.stem), rows: rows, content: content,
            extra: { sheet in
                for (s, image) in styles.enumerated() {
                    guard let image else { continue }
                    let origin = SheetLayout.cellOrigin(row: 0, column: s)
                    sheet.draw(image, x: origin.x, y: origin.y, width: SheetLayout.cell, height: SheetLayout.cell)
                }
            },
            legend: ["IN: gamma 1, beta 0. CIN: gamma, beta per style, \(manifest.cin.parameterCount) parameters, "
                        + (manifest.cin.learningSeconds.map { String(format: "learned in %.1f s.", $0) } ?? "loaded."),
                     "AdaIN: gamma sigma(s), beta mu(s). " + legendLine(manifest)],
            folder: folder, file: file)
        names.append(file)
    }
    guard !d.interpolationWeights.isEmpty else { return names }
    for c in d.contents.indices {
        let rows: [(label: String, cells: [String?])] = [NormalizationMethod.conditional, .adaptive].map { method in
            (method.rawValue, d.interpolationWeights.map { w in manifest.interpolation.first { $0.content == c && $0.method == method && $0.weight == w }?.output })
        }
        let file = String(format: "interpolation-c%02d.png", c + 1)
        try drawSheet(
            title: "\(d.contents[c].stem): \(d.styles[0].stem) > \(d.styles[1].stem)", headers: d.interpolationWeights.map { "w \(formatAlpha($0))" },
            rows: rows, content: contents[c], extra: { _ in },
            legend: ["w = weight of \(d.styles[1].stem); CIN mixes gamma and beta, AdaIN mixes its outputs.", legendLine(manifest)],
            folder: folder, file: file)
        names.append(file)
    }
    return names
}

/// The sizes and version; the weight files are named, with their digests, in index.html.
private func legendLine(_ manifest: NormComparisonManifest) -> String {
    "content-size \(manifest.definition.contentSize), style-size \(manifest.definition.styleSize), stylectl \(manifest.definition.toolVersion)"
}

/// Sheets are at least this wide, so that the legend fits beside few columns.
let comparisonSheetMinimumWidth = 600

/// One sheet: title, column headers, per row the content thumbnail and the row's label, the cells'
/// images (blank when missing), `extra` drawing and two legend lines; ``SheetLayout``'s grid, at
/// least ``comparisonSheetMinimumWidth`` wide.
private func drawSheet(
    title: String, headers: [String], rows: [(label: String, cells: [String?])], content: RGBImage?,
    extra: (GDCanvas) -> Void, legend: [String], folder: String, file: String
) throws(NormComparisonError) {
    let (gridWidth, height) = SheetLayout.size(columns: headers.count, rows: rows.count)
    let width = max(gridWidth, comparisonSheetMinimumWidth)
    let sheet = GDCanvas(width: width, height: height)
    sheet.fill(x: 0, y: 0, width: width, height: height, color: 0xFFFFFF)
    let m = SheetLayout.margin
    sheet.text(title, x: m, y: m + 22, size: 15, color: 0x000000)
    let headerY = m + SheetLayout.titleHeight + 18
    for (column, header) in headers.enumerated() {
        sheet.text(header, x: SheetLayout.cellOrigin(row: 0, column: column).x + 4, y: headerY, size: 10, color: 0x000000)
    }
    for (r, row) in rows.enumerated() {
        let y = SheetLayout.cellOrigin(row: r, column: 0).y
        if let content, row.label != "style" {
            sheet.draw(content, x: m, y: y, width: SheetLayout.thumbnail, height: SheetLayout.thumbnail)
        }
        sheet.text(row.label, x: m + SheetLayout.thumbnail + SheetLayout.gap, y: y + 22, size: 13, color: 0x000000)
        for (column, output) in row.cells.enumerated() {
            let origin = SheetLayout.cellOrigin(row: r, column: column)
            sheet.fill(x: origin.x, y: origin.y, width: SheetLayout.cell, height: SheetLayout.cell, color: 0xEEEEEE)
            guard let output, let image = try? readImage(path: folder + "/" + output) else { continue }
            sheet.draw(image, x: origin.x, y: origin.y, width: SheetLayout.cell, height: SheetLayout.cell)
        }
    }
    extra(sheet)
    let legendY = height - m - SheetLayout.legendHeight + 16
    for (i, line) in legend.prefix(2).enumerated() {
        sheet.text(line, x: m, y: legendY + 18 * i, size: 9, color: 0x333333)
    }
    do { try sheet.writePNG(path: folder + "/" + file) } catch { throw .failed(error.description) }
}
