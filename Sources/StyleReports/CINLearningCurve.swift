// compare-norms: the learning curve of conditional instance normalisation's parameters, as inline
// SVG on the report's page and as a PNG beside it.

import Foundation

/// The name of the PNG of CIN's learning curve in a compare-norms report folder.
let cinLearningCurveName = "cin-learning.png"

/// The x axis' label of the learning curve.
private let cinLearningAxis = "Adam step (one content image each)"

/// CIN's learning curve: per style, the total loss `contentWeight * loss_c + styleWeight * loss_s`
/// before each Adam step (``StyleTransfer/CINLearningResult/lossHistory``) against the step,
/// 1 ... iterations; the title names the weights. Nil when CIN was loaded from a file.
func cinLearningPlot(_ manifest: NormComparisonManifest) -> (title: String, series: [PlotSeries])? {
    guard let options = manifest.definition.learning, let history = manifest.cin.lossHistory,
          history.contains(where: { !$0.isEmpty }) else { return nil }
    let series = zip(manifest.definition.styles, history).map { style, losses in
        PlotSeries(name: style.stem, points: losses.enumerated().compactMap { step, loss in
            loss.isFinite ? (x: Double(step + 1), y: Double(loss)) : nil
        })
    }
    return ("CIN total loss (\(formatAlpha(options.contentWeight)) x content + \(formatAlpha(options.styleWeight)) x style)", series)
}

/// The page's section with CIN's learning curve as inline SVG and a link to the PNG; empty when
/// CIN was not learned here.
func cinLearningCurve(_ manifest: NormComparisonManifest) -> String {
    guard let plot = cinLearningPlot(manifest) else { return "" }
    return "<h2>CIN learning curve</h2>\n<div class=\"plots\">"
        + svgLinePlot(title: plot.title, xLabel: cinLearningAxis, series: plot.series) + "</div>\n"
        + "<p>As a picture: <a href=\"\(cinLearningCurveName)\">\(cinLearningCurveName)</a>.</p>\n"
}

/// Writes the learning curve as `cin-learning.png` in `folder` (the frame, ticks and colours of the
/// page's SVG); removes a stale one when CIN was not learned here.
func writeCINLearningCurvePicture(_ manifest: NormComparisonManifest, folder: String) throws(ReportError) {
    let path = folder + "/" + cinLearningCurveName
    guard let plot = cinLearningPlot(manifest) else {
        try? FileManager.default.removeItem(atPath: path)
        return
    }
    try writeLinePlotsPicture([plot], xLabel: cinLearningAxis, path: path)
}
