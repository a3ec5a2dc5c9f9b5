// The contact sheets of `stylectl compare-norms`: per content image, rows IN, CIN, AdaIN under a
// row of the style images, columns the styles; and the CIN-vs-AdaIN interpolation strip. Drawn by
// the sweeps' contact-sheet code (``SheetGrid``).

import Foundation

/// Draws `norms-cNN-1.png` for every content image and, with two or more styles,
/// `interpolation-cNN-1.png`; returns the file names.
func writeComparisonSheets(_ manifest: NormComparisonManifest, folder: String) throws(ReportError) -> [String] {
    let d = manifest.definition
    let name = URL(fileURLWithPath: folder).lastPathComponent
    let rowsPerSheet = NormalizationMethod.allCases.count + 1
    func output(_ file: String?) -> String? { file.map { folder + "/" + $0 } }
    var grids: [(name: String, grid: SheetGrid)] = []
    for (c, content) in d.contents.enumerated() {
        // The first row shows the style images; the others the methods.
        let rows = [SheetGrid.Row(label: "style", thumbnails: [], cells: d.styles.map(\.path))]
            + NormalizationMethod.allCases.map { method in
                SheetGrid.Row(label: method.rawValue, thumbnails: [content.path], cells: d.styles.indices.map { s in
                    output(manifest.cells.first { $0.content == c && $0.method == method && $0.style == s }?.output)
                })
            }
        let learned = manifest.cin.learningSeconds.map { String(format: "learned in %.1f s.", $0) } ?? "loaded."
        grids.append((String(format: "norms-c%02d", c + 1), SheetGrid(
            title: "stylectl compare-norms \(name): \(content.stem)",
            groups: [SheetGrid.Group(columns: d.styles.map(\.stem))], rows: rows,
            legend: ["IN: gamma 1, beta 0. CIN: gamma, beta per style, \(manifest.cin.parameterCount) parameters, \(learned)",
                     "AdaIN: gamma sigma(s), beta mu(s). " + legendLine(manifest)])))
    }
    if !d.interpolationWeights.isEmpty {
        for (c, content) in d.contents.enumerated() {
            let rows = [NormalizationMethod.conditional, .adaptive].map { method in
                SheetGrid.Row(label: method.rawValue, thumbnails: [content.path], cells: d.interpolationWeights.map { w in
                    output(manifest.interpolation.first { $0.content == c && $0.method == method && $0.weight == w }?.output)
                })
            }
            grids.append((String(format: "interpolation-c%02d", c + 1), SheetGrid(
                title: "\(content.stem): \(d.styles[0].stem) > \(d.styles[1].stem)",
                groups: [SheetGrid.Group(columns: d.interpolationWeights.map { "w \(formatAlpha($0))" })], rows: rows,
                legend: ["w = weight of \(d.styles[1].stem); CIN mixes gamma and beta, AdaIN mixes its outputs.", legendLine(manifest)])))
        }
    }
    var names: [String] = []
    for (file, grid) in grids {
        names += try writeSheets(grid, folder: folder, rowsPerSheet: rowsPerSheet, name: file)
    }
    return names
}

/// The sizes and version; the weight files are named, with their digests, in index.html.
private func legendLine(_ manifest: NormComparisonManifest) -> String {
    "content-size \(manifest.definition.contentSize), style-size \(manifest.definition.styleSize), stylectl \(manifest.definition.toolVersion)"
}
