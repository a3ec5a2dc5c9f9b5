// Reports/NAME/index.html of `stylectl compare-norms`: parameters, CIN's cost, sheets and per-cell losses.

import Foundation

/// Writes `index.html`, referencing only the sheets and images that exist in `folder`.
func writeComparisonIndex(_ manifest: NormComparisonManifest, folder: String) throws(ReportError) {
    let d = manifest.definition
    let cin = manifest.cin
    let name = URL(fileURLWithPath: folder).lastPathComponent
    func exists(_ file: String) -> Bool { FileManager.default.fileExists(atPath: folder + "/" + file) }
    func link(_ file: String) -> String { exists(file) ? "<a href=\"\(escape(file))\">\(escape(file))</a>" : "(missing)" }
    func number(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "" }
    var learning = "loaded from \(d.cinFile.map { fileList([$0]) } ?? "")"
    if let learnedFor = d.cinLearnedFor {
        learning += "<br><b>learned for other styles</b> (\(learnedFor.map(escape).joined(separator: ", "))), used in this order for "
            + d.styles.map { escape($0.stem) }.joined(separator: ", ") + " (--allow-other-styles)"
    }
    if let options = d.learning {
        learning = "learned from IN (gamma 1, beta 0) with Adam, lr \(options.learningRate), \(options.iterations) steps per style, "
            + "content weight \(formatAlpha(options.contentWeight)), style weight \(formatAlpha(options.styleWeight)), seed \(options.seed), "
            + String(format: "%.2f s", cin.learningSeconds ?? 0)
        if let history = cin.lossHistory {
            learning += "<br>total loss, first step → last step: " + zip(d.styles, history).map {
                "\(escape($0.0.stem)) \(number($0.1.first.map(Double.init))) → \(number($0.1.last.map(Double.init)))"
            }.joined(separator: "; ") + " (the learning curve is below the losses)"
        }
        learning += "<br>parameters: \(link(cinParametersName)) (a rerun of this comparison resumes from them)"
        if let saved = cin.savedTo { learning += "<br>saved to \(escape(saved))" }
    }
    var html = """
        <p>Three normalisations at the relu4_1 bottleneck, one decoder: <b>IN</b> normalises the style away
        (gamma 1, beta 0); <b>CIN</b> (Dumoulin et al. 2017) learns a scale gamma and shift beta per style and channel
        by gradient descent on the content + style loss, the decoder fixed; <b>AdaIN</b> (Huang &amp; Belongie 2017)
        takes them from the style image's statistics, gamma = sigma(f(s)), beta = mu(f(s)), with no learning.</p>
        <h2>Parameters</h2>
        <table>
        <tr><th>tool version</th><td>\(escape(d.toolVersion))</td></tr>
        <tr><th>content</th><td>\(fileList(d.contents))</td></tr>
        <tr><th>style</th><td>\(fileList(d.styles))</td></tr>
        <tr><th>content-size, style-size</th><td>\(d.contentSize), \(d.styleSize)</td></tr>
        <tr><th>model</th><td>\(escape(d.model.conventions.title)) (--model \(d.model.rawValue)): its sizing, input normalisation and AdaIN statistics for IN, CIN and AdaIN</td></tr>
        <tr><th>vgg</th><td>\(fileList([d.vgg]))</td></tr>
        <tr><th>decoder</th><td>\(fileList([d.decoder]))</td></tr>
        <tr><th>CIN parameters</th><td>2 x C x S = 2 x \(cin.channels) x \(cin.styles) = \(cin.parameterCount) (AdaIN and IN: none)</td></tr>
        <tr><th>CIN learning</th><td>\(learning)</td></tr>
        <tr><th>interpolation weights</th><td>\(d.interpolationWeights.isEmpty ? "none (one style)" : d.interpolationWeights.map(formatAlpha).joined(separator: ", "))</td></tr>
        </table>
        <h2>Contact sheets</h2>
        <p>Rows: the style images, then IN, CIN and AdaIN; columns: the styles. Interpolation strips: CIN (gamma, beta mixed) above AdaIN (outputs mixed).</p>

        """
    for sheet in manifest.sheets where exists(sheet) {
        html += "<a href=\"\(escape(sheet))\"><img class=\"sheet\" src=\"\(escape(sheet))\" alt=\"\(escape(sheet))\"></a>\n"
    }
    html += """
        <h2>Losses</h2>
        <p>\(escape(manifest.metricsNote))</p>
        <table>
        <tr><th>content</th><th>method</th><th>style</th><th>image</th><th>style loss</th><th>content loss</th></tr>

        """
    for cell in manifest.cells {
        html += "<tr><td>\(escape(d.contents[cell.content].stem))</td><td>\(cell.method.rawValue)</td>"
            + "<td>\(cell.style.map { escape(d.styles[$0].stem) } ?? "")</td><td>\(link(cell.output))</td>"
            + "<td class=\"num\">\(number(cell.styleLoss))</td><td class=\"num\">\(number(cell.contentLoss))</td></tr>\n"
    }
    html += "</table>\n"
    if !manifest.interpolation.isEmpty {
        html += "<h2>Interpolation</h2>\n<table>\n<tr><th>content</th><th>method</th><th>weight of \(escape(d.styles[1].stem))</th><th>image</th><th>content loss</th></tr>\n"
        for cell in manifest.interpolation {
            html += "<tr><td>\(escape(d.contents[cell.content].stem))</td><td>\(cell.method.rawValue)</td>"
                + "<td class=\"num\">\(cell.weight.map(formatAlpha) ?? "")</td><td>\(link(cell.output))</td><td class=\"num\">\(number(cell.contentLoss))</td></tr>\n"
        }
        html += "</table>\n"
    }
    html += cinLearningCurve(manifest)
    try writePage(folder: folder, title: "stylectl compare-norms \(name)", body: html, record: NormComparisonManifest.fileName)
}
