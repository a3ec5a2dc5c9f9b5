// A bilinear (four-corner) sweep's losses over the corner position (u, v), as heat maps: inline SVG
// on its page and the same maps as a PNG beside it.

import CGD
import Foundation

/// One loss over a bilinear block: `values[v][u]` at the block's `steps` x `steps` positions
/// (nil where the cell has no such loss yet), oriented as the sheet draws the block: u to the
/// right (toward corners b and d), v down (toward c and d).
struct HeatMap {
    var title: String
    var steps: Int
    var values: [[Double?]]

    /// The finite values' range, nil when there is none.
    var range: (low: Double, high: Double)? {
        let finite = values.joined().compactMap { $0 }.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return nil }
        return (low, high)
    }
}

/// The style loss (Eq. 8) and the content loss (Eq. 7) of a `bilinear` grid over (u, v): a pair of
/// maps per content image and other setting (alpha, colour preservation, sizes), in the grid's
/// order. Nil for other grids or before any loss is recorded.
func sweepLossHeatMaps(_ manifest: SweepManifest) -> [HeatMap]? {
    let d = manifest.definition
    guard d.grid == .bilinear, let steps = d.steps, steps >= 2 else { return nil }
    var groups: [String: [SweepManifest.Cell]] = [:]
    var order: [String] = []
    for cell in manifest.cells {
        var name = URL(fileURLWithPath: cell.content).deletingPathExtension().lastPathComponent
        if d.alphas.count > 1 { name += ", alpha \(formatAlpha(cell.alpha))" }
        if d.preserveColors.count > 1 { name += ", \(cell.preserveColor)" }
        if let size = cell.contentSize { name += ", content \(size) px" }
        if let size = cell.styleSize { name += ", style \(size) px" }
        if groups[name] == nil { order.append(name) }
        groups[name, default: []].append(cell)
    }
    func map(_ title: String, _ cells: [SweepManifest.Cell], _ loss: (SweepManifest.Cell) -> Double?) -> HeatMap {
        var values = [[Double?]](repeating: [Double?](repeating: nil, count: steps), count: steps)
        for cell in cells {
            // The weights are (1-u)(1-v), u(1-v), (1-u)v, uv: u = w_b + w_d, v = w_c + w_d.
            guard let w = cell.weights, w.count == 4, let value = loss(cell) else { continue }
            let u = Int((Double(w[1] + w[3]) * Double(steps - 1)).rounded()), v = Int((Double(w[2] + w[3]) * Double(steps - 1)).rounded())
            guard (0 ..< steps).contains(u), (0 ..< steps).contains(v) else { continue }
            values[v][u] = value
        }
        return HeatMap(title: title, steps: steps, values: values)
    }
    let maps = order.flatMap { name in
        [map("style loss (Eq. 8), \(name)", groups[name]!, \.styleLoss), map("content loss (Eq. 7), \(name)", groups[name]!, \.contentLoss)]
    }.filter { $0.range != nil }
    return maps.isEmpty ? nil : maps
}

/// The geometry of a heat map: a square of cells, its axes' ticks at u, v = 0, 0.5, 1, and a colour
/// bar from the lowest value (bottom) to the highest (top).
struct HeatMapFrame {
    var width = 360.0, height = 300.0
    var left = 48.0, top = 34.0, side = 200.0
    var barLeft = 264.0, barWidth = 12.0

    static let standard = HeatMapFrame()
    /// viridis at five stops (matplotlib's default colour map: perceptually uniform, readable in grey).
    static let stops: [(Double, Double, Double)] = [(0x44, 0x01, 0x54), (0x3B, 0x52, 0x8B), (0x21, 0x91, 0x8C), (0x5E, 0xC9, 0x62), (0xFD, 0xE7, 0x25)]

    /// The colour of `t` in [0, 1] (clamped), linearly between the stops, as 0xRRGGBB.
    static func color(_ t: Double) -> Int32 {
        let x = min(max(t.isFinite ? t : 0, 0), 1) * Double(stops.count - 1)
        let k = min(Int(x), stops.count - 2), f = x - Double(k)
        let (a, b) = (stops[k], stops[k + 1])
        func mix(_ p: Double, _ q: Double) -> Int32 { Int32((p + (q - p) * f).rounded()) }
        return mix(a.0, b.0) << 16 | mix(a.1, b.1) << 8 | mix(a.2, b.2)
    }

    /// The cells' rectangles of a map with `steps` positions a side: (u, v, x, y, width, height).
    func cells(steps: Int) -> [(u: Int, v: Int, x: Double, y: Double, width: Double, height: Double)] {
        let size = side / Double(steps)
        return (0 ..< steps).flatMap { v in (0 ..< steps).map { u in (u, v, left + Double(u) * size, top + Double(v) * size, size, size) } }
    }

    /// The value's place on the colour scale of `range`.
    static func scaled(_ value: Double, _ range: (low: Double, high: Double)) -> Double {
        range.high > range.low ? (value - range.low) / (range.high - range.low) : 0.5
    }

    /// Draws `map` with libgd at (`x`, `y`): the same elements as ``svgHeatMap(_:)``.
    func draw(_ map: HeatMap, on canvas: GDCanvas, x offsetX: Int, y offsetY: Int) {
        guard let range = map.range else { return }
        func X(_ v: Double) -> Int { offsetX + Int(v.rounded()) }
        func Y(_ v: Double) -> Int { offsetY + Int(v.rounded()) }
        canvas.text(String(map.title.prefix(58)), x: X(left), y: Y(18), size: 9, color: 0x000000)
        for cell in cells(steps: map.steps) {
            let width = Int((cell.x + cell.width).rounded()) - Int(cell.x.rounded()), height = Int((cell.y + cell.height).rounded()) - Int(cell.y.rounded())
            let color = map.values[cell.v][cell.u].map { Self.color(Self.scaled($0, range)) } ?? 0xDDDDDD
            canvas.fill(x: X(cell.x), y: Y(cell.y), width: width, height: height, color: color)
        }
        for (k, label) in ["0", "0.5", "1"].enumerated() {
            let at = Double(k) / 2 * side
            canvas.text(label, x: X(left + at) - GDCanvas.textWidth(label, size: 7.5) / 2, y: Y(top + side + 14), size: 7.5, color: 0x000000)
            canvas.text(label, x: X(left - 6) - GDCanvas.textWidth(label, size: 7.5), y: Y(top + at + 4), size: 7.5, color: 0x000000)
        }
        let xLabel = "u (toward b, d)"
        canvas.text(xLabel, x: X(left + side / 2) - GDCanvas.textWidth(xLabel, size: 8) / 2, y: Y(top + side + 30), size: 8, color: 0x000000)
        canvas.text("v", x: X(left - 36), y: Y(top + side / 2), size: 8, color: 0x000000)
        canvas.text("(down)", x: X(left - 44), y: Y(top + side / 2 + 12), size: 7, color: 0x000000)
        for row in 0 ..< Int(side) {
            canvas.fill(x: X(barLeft), y: Y(top) + row, width: Int(barWidth), height: 1, color: Self.color(1 - Double(row) / (side - 1)))
        }
        for (k, value) in [range.high, (range.low + range.high) / 2, range.low].enumerated() {
            canvas.text(String(format: "%.3g", value), x: X(barLeft + barWidth + 4), y: Y(top + Double(k) / 2 * side + 4), size: 7.5, color: 0x000000)
        }
    }
}

/// A heat map as inline SVG (``HeatMapFrame``): a `rect` per position carrying `data-u`, `data-v`
/// (the grid indices) and `data-value`; grey where the cell has no value yet. `number` makes the
/// colour bar's gradient id unique on the page.
func svgHeatMap(_ map: HeatMap, number: Int) -> String {
    let frame = HeatMapFrame.standard
    guard let range = map.range else { return "" }
    func f(_ v: Double) -> String { String(format: "%.1f", v) }
    func hex(_ color: Int32) -> String { String(format: "#%06x", color) }
    var svg = "<svg class=\"plot heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(frame.width))\" height=\"\(Int(frame.height))\" viewBox=\"0 0 \(Int(frame.width)) \(Int(frame.height))\" role=\"img\" aria-label=\"\(escape(map.title))\">\n"
    svg += "<text x=\"\(f(frame.left))\" y=\"18\" font-size=\"12\">\(escape(String(map.title.prefix(58))))</text>\n"
    for cell in frame.cells(steps: map.steps) {
        let value = map.values[cell.v][cell.u]
        svg += "<rect x=\"\(f(cell.x))\" y=\"\(f(cell.y))\" width=\"\(f(cell.width))\" height=\"\(f(cell.height))\" "
            + "fill=\"\(hex(value.map { HeatMapFrame.color(HeatMapFrame.scaled($0, range)) } ?? 0xDDDDDD))\" data-u=\"\(cell.u)\" data-v=\"\(cell.v)\""
            + (value.map { " data-value=\"\($0)\"><title>u \(formatAlpha(Float(cell.u) / Float(map.steps - 1))), v \(formatAlpha(Float(cell.v) / Float(map.steps - 1))): \(String(format: "%.4g", $0))</title></rect>\n" } ?? "/>\n")
    }
    for (k, label) in ["0", "0.5", "1"].enumerated() {
        let at = Double(k) / 2 * frame.side
        svg += "<text x=\"\(f(frame.left + at))\" y=\"\(f(frame.top + frame.side + 14))\" font-size=\"10\" text-anchor=\"middle\">\(label)</text>"
        svg += "<text x=\"\(f(frame.left - 6))\" y=\"\(f(frame.top + at + 4))\" font-size=\"10\" text-anchor=\"end\">\(label)</text>\n"
    }
    svg += "<text x=\"\(f(frame.left + frame.side / 2))\" y=\"\(f(frame.top + frame.side + 30))\" font-size=\"11\" text-anchor=\"middle\">u (toward b, d)</text>\n"
    svg += "<text x=\"\(f(frame.left - 36))\" y=\"\(f(frame.top + frame.side / 2))\" font-size=\"11\">v</text>"
    svg += "<text x=\"\(f(frame.left - 44))\" y=\"\(f(frame.top + frame.side / 2 + 12))\" font-size=\"9\">(down)</text>\n"
    let stops = HeatMapFrame.stops.indices.map { k in
        let t = Double(k) / Double(HeatMapFrame.stops.count - 1)
        return "<stop offset=\"\(t)\" stop-color=\"\(hex(HeatMapFrame.color(1 - t)))\"/>"
    }.joined()
    let id = "heatmap-bar-\(number)"
    svg += "<defs><linearGradient id=\"\(id)\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">\(stops)</linearGradient></defs>"
    svg += "<rect x=\"\(f(frame.barLeft))\" y=\"\(f(frame.top))\" width=\"\(f(frame.barWidth))\" height=\"\(f(frame.side))\" fill=\"url(#\(id))\"/>\n"
    for (k, value) in [range.high, (range.low + range.high) / 2, range.low].enumerated() {
        svg += "<text x=\"\(f(frame.barLeft + frame.barWidth + 4))\" y=\"\(f(frame.top + Double(k) / 2 * frame.side + 4))\" font-size=\"10\">\(String(format: "%.3g", value))</text>\n"
    }
    return svg + "</svg>"
}

/// Writes `maps` as one PNG at `path` (libgd, atomically), two maps a row (a group's style and
/// content loss side by side), as the page's SVG draws them.
func writeHeatMapsPicture(_ maps: [HeatMap], path: String) throws(ReportError) {
    let frame = HeatMapFrame.standard
    let columns = min(2, maps.count), rows = (maps.count + 1) / 2
    let canvas = GDCanvas(width: Int(frame.width) * columns, height: Int(frame.height) * rows)
    canvas.fill(x: 0, y: 0, width: canvas.width, height: canvas.height, color: 0xFFFFFF)
    for (k, map) in maps.enumerated() {
        frame.draw(map, on: canvas, x: (k % 2) * Int(frame.width), y: (k / 2) * Int(frame.height))
    }
    do { try canvas.writePNG(path: path) } catch { throw .failed("cannot write \(path): \(error.description)") }
}
