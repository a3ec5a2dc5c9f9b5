// A sweep's losses against the number it sweeps (alpha, or the interpolation weight u), as inline
// SVG line plots on its page.

import Foundation

/// One line of a plot: a name and its points, in increasing x.
struct PlotSeries {
    var name: String
    var points: [(x: Double, y: Double)]
}

/// The style loss (Eq. 8) and the content loss (Eq. 7) against the swept number, two plots side by
/// side, one line per row of the grid and other setting (colour preservation, alpha): against
/// alpha in a `styles` grid, against the second style's weight u in an `interpolation` grid. Empty
/// for grids without such a number (`bilinear`, `masks`) or before any loss is recorded.
func lossPlots(_ manifest: SweepManifest) -> String {
    let d = manifest.definition
    let swept: (name: String, x: (SweepManifest.Cell) -> Double?, line: (SweepManifest.Cell) -> String)
    switch d.grid {
    case .styles:
        swept = ("alpha", { Double($0.alpha) }, { manifest.rows[$0.row].label + (d.preserveColors.count > 1 ? ", \($0.preserveColor)" : "") })
    case .interpolation:
        swept = ("u, the second style's weight", { $0.weights.map { Double($0[1]) } },
                 { manifest.rows[$0.row].label + (d.alphas.count > 1 ? ", alpha \(formatAlpha($0.alpha))" : "") })
    case .bilinear, .masks:
        return ""
    }
    func series(_ loss: (SweepManifest.Cell) -> Double?) -> [PlotSeries] {
        var lines: [String: [(x: Double, y: Double)]] = [:]
        var order: [String] = []
        for cell in manifest.cells {
            guard let x = swept.x(cell), let y = loss(cell), y.isFinite else { continue }
            let name = swept.line(cell)
            if lines[name] == nil { order.append(name) }
            lines[name, default: []].append((x, y))
        }
        return order.map { PlotSeries(name: $0, points: lines[$0]!.sorted { $0.x < $1.x }) }
    }
    let plots = [("style loss (Eq. 8)", series(\.styleLoss)), ("content loss (Eq. 7)", series(\.contentLoss))].filter { !$0.1.isEmpty }
    guard !plots.isEmpty else { return "" }
    return "<h2>Losses against \(escape(swept.name))</h2>\n<div class=\"plots\">"
        + plots.map { svgLinePlot(title: $0.0, xLabel: swept.name, series: $0.1) }.joined(separator: "\n") + "</div>\n"
}

/// A line plot as inline SVG, 440 x 300: linear axes fitted to the data (x ticks at the data's
/// distinct x values, five y ticks), each series a polyline with a circle per point (its values in
/// `data-x` and `data-y`); a legend names the first eight lines.
func svgLinePlot(title: String, xLabel: String, series: [PlotSeries]) -> String {
    let (width, height) = (440.0, 300.0)
    let (left, right, top, bottom) = (64.0, 12.0, 28.0, 96.0)
    let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
    let (xMin, xMax) = (xs.min()!, xs.max()! > xs.min()! ? xs.max()! : xs.min()! + 1)
    let (yLow, yHigh) = (ys.min()!, ys.max()!)
    let pad = yHigh > yLow ? 0.05 * (yHigh - yLow) : max(abs(yLow) * 0.05, 1e-6)
    let (yMin, yMax) = (yLow - pad, yHigh + pad)
    func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * (width - left - right) }
    func py(_ y: Double) -> Double { height - bottom - (y - yMin) / (yMax - yMin) * (height - top - bottom) }
    func f(_ v: Double) -> String { String(format: "%.1f", v) }
    let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    var svg = "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">\n"
    svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - right))\" height=\"\(f(height - top - bottom))\" fill=\"#f6f6f6\"/>\n"
    svg += "<text x=\"\(f(left))\" y=\"18\" font-size=\"13\">\(escape(title))</text>\n"
    for k in 0 ... 4 {
        let y = yMin + (yMax - yMin) * Double(k) / 4
        svg += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\" stroke=\"#ddd\"/>"
        svg += "<text x=\"\(f(left - 4))\" y=\"\(f(py(y) + 4))\" font-size=\"10\" text-anchor=\"end\">\(String(format: "%.3g", y))</text>\n"
    }
    for x in Set(xs).sorted() {
        svg += "<text x=\"\(f(px(x)))\" y=\"\(f(height - bottom + 14))\" font-size=\"10\" text-anchor=\"middle\">\(formatAlpha(Float(x)))</text>\n"
    }
    svg += "<text x=\"\(f(left + (width - left - right) / 2))\" y=\"\(f(height - bottom + 30))\" font-size=\"11\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
    for (k, line) in series.enumerated() {
        let color = palette[k % palette.count]
        let points = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\" data-series=\"\(escape(line.name))\"/>\n"
        for p in line.points {
            svg += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(color)\" data-x=\"\(p.x)\" data-y=\"\(p.y)\"/>"
        }
        // The legend under the axis label: up to 8 entries in two columns, names cut to fit.
        guard k < 8 else { continue }
        let legendY = height - bottom + 48 + Double(k % 4) * 13
        let legendX = left + Double(k / 4) * 180
        svg += "\n<rect x=\"\(f(legendX))\" y=\"\(f(legendY - 8))\" width=\"12\" height=\"4\" fill=\"\(color)\"/>"
        svg += "<text x=\"\(f(legendX + 16))\" y=\"\(f(legendY - 2))\" font-size=\"10\">\(escape(String(line.name.prefix(28))))</text>\n"
    }
    if series.count > 8 {
        svg += "<text x=\"\(f(left + 360))\" y=\"\(f(height - bottom + 46))\" font-size=\"10\">+\(series.count - 8) more</text>\n"
    }
    return svg + "</svg>"
}
