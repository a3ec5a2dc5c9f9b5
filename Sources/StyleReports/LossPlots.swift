// A sweep's losses against the number it sweeps (alpha, or the interpolation weight u), as inline
// SVG line plots on its page and the same plots as a PNG beside it (a bilinear grid's heat maps:
// LossHeatMaps.swift).

import CGD
import Foundation

/// One line of a plot: a name and its points, in increasing x.
struct PlotSeries {
    var name: String
    var points: [(x: Double, y: Double)]
}

/// The style loss (Eq. 8) and the content loss (Eq. 7) against the swept number, two plots side by
/// side, one line per row of the grid and other setting (colour preservation, alpha): against
/// alpha in a `styles` grid, against the second style's weight u in an `interpolation` grid. Nil
/// for grids without such a number (`bilinear`, `masks`) or before any loss is recorded.
func sweepLossPlots(_ manifest: SweepManifest) -> (swept: String, plots: [(title: String, series: [PlotSeries])])? {
    let d = manifest.definition
    let swept: (name: String, x: (SweepManifest.Cell) -> Double?, line: (SweepManifest.Cell) -> String)
    switch d.grid {
    case .styles:
        swept = ("alpha", { Double($0.alpha) }, { manifest.rows[$0.row].label + (d.preserveColors.count > 1 ? ", \($0.preserveColor)" : "") })
    case .interpolation:
        swept = ("u, the second style's weight", { $0.weights.map { Double($0[1]) } },
                 { manifest.rows[$0.row].label + (d.alphas.count > 1 ? ", alpha \(formatAlpha($0.alpha))" : "") })
    case .bilinear, .masks:
        return nil
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
    return plots.isEmpty ? nil : (swept.name, plots.map { (title: $0.0, series: $0.1) })
}

/// The name of the PNG of a sweep's loss plots in its folder.
let lossPlotsPictureName = "losses.png"

/// The page's section of loss plots (``sweepLossPlots(_:)``, or a `bilinear` grid's
/// ``sweepLossHeatMaps(_:)``) as inline SVG, with a link to the same plots as a PNG; empty without plots.
func lossPlots(_ manifest: SweepManifest) -> String {
    if let maps = sweepLossHeatMaps(manifest) {
        return "<h2>Losses over the corner position</h2>\n<p>u runs right toward corners b and d, v down toward c and d, "
            + "as in the contact sheet; grey: no loss recorded yet.</p>\n<div class=\"plots\">"
            + maps.enumerated().map { svgHeatMap($0.element, number: $0.offset) }.joined(separator: "\n") + "</div>\n"
            + "<p>As a picture: <a href=\"\(lossPlotsPictureName)\">\(lossPlotsPictureName)</a>.</p>\n"
    }
    guard let (swept, plots) = sweepLossPlots(manifest) else { return "" }
    return "<h2>Losses against \(escape(swept))</h2>\n<div class=\"plots\">"
        + plots.map { svgLinePlot(title: $0.title, xLabel: swept, series: $0.series) }.joined(separator: "\n") + "</div>\n"
        + "<p>As a picture: <a href=\"\(lossPlotsPictureName)\">\(lossPlotsPictureName)</a>.</p>\n"
}

/// Writes ``sweepLossPlots(_:)`` side by side (a `bilinear` grid's ``sweepLossHeatMaps(_:)``) as
/// `losses.png` in `folder` (libgd, atomically), the same frames, ticks and colours as the page's
/// SVG; removes a stale one when there are no plots.
func writeLossPlotsPicture(_ manifest: SweepManifest, folder: String) throws(ReportError) {
    let path = folder + "/" + lossPlotsPictureName
    if let maps = sweepLossHeatMaps(manifest) { return try writeHeatMapsPicture(maps, path: path) }
    guard let (swept, plots) = sweepLossPlots(manifest) else {
        try? FileManager.default.removeItem(atPath: path)
        return
    }
    try writeLinePlotsPicture(plots, xLabel: swept, path: path)
}

/// Draws `plots` side by side, each in a ``LinePlotFrame/standard`` frame fitted to its series, as
/// the page's SVG draws them, and writes the PNG at `path` (libgd, atomically).
func writeLinePlotsPicture(_ plots: [(title: String, series: [PlotSeries])], xLabel: String, path: String) throws(ReportError) {
    let frame = LinePlotFrame.standard
    let canvas = GDCanvas(width: Int(frame.width) * plots.count, height: Int(frame.height))
    canvas.fill(x: 0, y: 0, width: canvas.width, height: canvas.height, color: 0xFFFFFF)
    for (k, plot) in plots.enumerated() {
        frame.fitted(to: plot.series).draw(plot.title, xLabel: xLabel, series: plot.series, on: canvas, at: k * Int(frame.width))
    }
    do { try canvas.writePNG(path: path) } catch { throw .failed("cannot write \(path): \(error.description)") }
}

/// The geometry of a line plot: its size and margins, the axes fitted to the data (x over the
/// data's range, y over it with 5% padding), and the positions of values in it.
struct LinePlotFrame {
    var width = 440.0, height = 300.0
    var left = 64.0, right = 12.0, top = 28.0, bottom = 96.0
    var xMin = 0.0, xMax = 1.0, yMin = 0.0, yMax = 1.0
    /// Labelled x values: the data's distinct x values when there are at most 12 (a sweep's
    /// alphas), else five evenly spaced ones (rounded when every x is a whole number, as steps are).
    var xTicks: [Double] = []
    /// Whether each point gets a marker: when no line has more than 40 points.
    var marksPoints = true

    static let standard = LinePlotFrame()
    static let palette: [Int32] = [0x1F77B4, 0xD62728, 0x2CA02C, 0x9467BD, 0xFF7F0E, 0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF]

    /// This frame with its axes fitted to `series`.
    func fitted(to series: [PlotSeries]) -> LinePlotFrame {
        var frame = self
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        (frame.xMin, frame.xMax) = (xs.min()!, xs.max()! > xs.min()! ? xs.max()! : xs.min()! + 1)
        let (yLow, yHigh) = (ys.min()!, ys.max()!)
        let pad = yHigh > yLow ? 0.05 * (yHigh - yLow) : max(abs(yLow) * 0.05, 1e-6)
        (frame.yMin, frame.yMax) = (yLow - pad, yHigh + pad)
        let distinct = Set(xs).sorted()
        if distinct.count <= 12 {
            frame.xTicks = distinct
        } else {
            let whole = xs.allSatisfy { $0 == $0.rounded() }
            frame.xTicks = (0 ... 4).map { k in
                let x = frame.xMin + (frame.xMax - frame.xMin) * Double(k) / 4
                return whole ? x.rounded() : x
            }
        }
        frame.marksPoints = series.allSatisfy { $0.points.count <= 40 }
        return frame
    }

    func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * (width - left - right) }
    func py(_ y: Double) -> Double { height - bottom - (y - yMin) / (yMax - yMin) * (height - top - bottom) }
    /// The five y ticks, bottom to top.
    var yTicks: [Double] { (0 ... 4).map { yMin + (yMax - yMin) * Double($0) / 4 } }

    /// Draws the plot with libgd at horizontal offset `offset`: the same elements as ``svgLinePlot(title:xLabel:series:)``.
    func draw(_ title: String, xLabel: String, series: [PlotSeries], on canvas: GDCanvas, at offset: Int) {
        func x(_ v: Double) -> Int32 { Int32((Double(offset) + v).rounded()) }
        func y(_ v: Double) -> Int32 { Int32(v.rounded()) }
        canvas.fill(x: offset + Int(left), y: Int(top), width: Int(width - left - right), height: Int(height - top - bottom), color: 0xF6F6F6)
        canvas.text(title, x: offset + Int(left), y: 18, size: 10, color: 0x000000)
        for tick in yTicks {
            gdImageLine(canvas.image, x(left), y(py(tick)), x(width - right), y(py(tick)), 0xDDDDDD)
            let label = String(format: "%.3g", tick)
            canvas.text(label, x: offset + Int(left) - 4 - GDCanvas.textWidth(label, size: 7.5), y: Int(py(tick)) + 4, size: 7.5, color: 0x000000)
        }
        for value in xTicks {
            let label = formatAlpha(Float(value))
            canvas.text(label, x: offset + Int(px(value)) - GDCanvas.textWidth(label, size: 7.5) / 2, y: Int(height - bottom + 14), size: 7.5, color: 0x000000)
        }
        canvas.text(xLabel, x: offset + Int(left + (width - left - right) / 2) - GDCanvas.textWidth(xLabel, size: 8) / 2,
                    y: Int(height - bottom + 30), size: 8, color: 0x000000)
        gdImageSetThickness(canvas.image, 2)
        for (k, line) in series.enumerated() {
            let color = Self.palette[k % Self.palette.count]
            for (a, b) in zip(line.points, line.points.dropFirst()) {
                gdImageLine(canvas.image, x(px(a.x)), y(py(a.y)), x(px(b.x)), y(py(b.y)), color)
            }
            if marksPoints { for p in line.points { gdImageFilledEllipse(canvas.image, x(px(p.x)), y(py(p.y)), 7, 7, color) } }
            guard k < 8 else { continue }
            let legendY = height - bottom + 48 + Double(k % 4) * 13, legendX = left + Double(k / 4) * 180
            canvas.fill(x: offset + Int(legendX), y: Int(legendY - 8), width: 12, height: 4, color: color)
            canvas.text(String(line.name.prefix(28)), x: offset + Int(legendX + 16), y: Int(legendY - 2), size: 7.5, color: 0x000000)
        }
        gdImageSetThickness(canvas.image, 1)
        if series.count > 8 { canvas.text("+\(series.count - 8) more", x: offset + Int(left + 360), y: Int(height - bottom + 46), size: 7.5, color: 0x000000) }
    }
}

/// A line plot as inline SVG, 440 x 300: linear axes fitted to the data (``LinePlotFrame/xTicks``,
/// five y ticks), each series a polyline with a circle per point (its values in `data-x` and
/// `data-y`; small when ``LinePlotFrame/marksPoints`` is off); a legend names the first eight lines.
func svgLinePlot(title: String, xLabel: String, series: [PlotSeries]) -> String {
    let frame = LinePlotFrame.standard.fitted(to: series)
    let (width, height, left, right, top, bottom) = (frame.width, frame.height, frame.left, frame.right, frame.top, frame.bottom)
    func px(_ x: Double) -> Double { frame.px(x) }
    func py(_ y: Double) -> Double { frame.py(y) }
    func f(_ v: Double) -> String { String(format: "%.1f", v) }
    let palette = LinePlotFrame.palette.map { String(format: "#%06x", $0) }
    var svg = "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">\n"
    svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - right))\" height=\"\(f(height - top - bottom))\" fill=\"#f6f6f6\"/>\n"
    svg += "<text x=\"\(f(left))\" y=\"18\" font-size=\"13\">\(escape(title))</text>\n"
    for y in frame.yTicks {
        svg += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\" stroke=\"#ddd\"/>"
        svg += "<text x=\"\(f(left - 4))\" y=\"\(f(py(y) + 4))\" font-size=\"10\" text-anchor=\"end\">\(String(format: "%.3g", y))</text>\n"
    }
    for x in frame.xTicks {
        svg += "<text x=\"\(f(px(x)))\" y=\"\(f(height - bottom + 14))\" font-size=\"10\" text-anchor=\"middle\">\(formatAlpha(Float(x)))</text>\n"
    }
    svg += "<text x=\"\(f(left + (width - left - right) / 2))\" y=\"\(f(height - bottom + 30))\" font-size=\"11\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
    for (k, line) in series.enumerated() {
        let color = palette[k % palette.count]
        let points = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\" data-series=\"\(escape(line.name))\"/>\n"
        for p in line.points {
            svg += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"\(frame.marksPoints ? 3 : 1)\" fill=\"\(color)\" data-x=\"\(p.x)\" data-y=\"\(p.y)\"/>"
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
