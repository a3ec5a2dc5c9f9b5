// The loss curve of decoder training as a PNG (libgd): content, style and total loss against the
// iteration, on a logarithmic loss axis.

import CGD
import Foundation
import StyleTransfer

/// Plots `history` (``StyleTransfer/TrainingSession/history``): the weighted content loss, style
/// loss and their total against the iteration, y on a log10 scale with a line at every power of 10,
/// and writes the PNG atomically. Non-positive losses are left out of the curve.
///
/// - Throws: ``StyleTransfer/TrainingError/cannotWrite(path:reason:)`` naming `path`.
public func writeLossPlot(_ history: [TrainingRecord], title: String, path: String) throws(TrainingError) {
    let (width, height) = (900, 520)
    let (left, right, top, bottom) = (70, 20, 44, 48)
    let canvas = GDCanvas(width: width, height: height)
    canvas.fill(x: 0, y: 0, width: width, height: height, color: 0xFFFFFF)
    canvas.text(title, x: left, y: 26, size: 13, color: 0x000000)
    let series: [(name: String, color: Int32, value: (TrainingRecord) -> Float)] = [
        ("total", 0x000000, { $0.loss.total }), ("content", 0x1F77B4, { $0.loss.content }), ("style", 0xD62728, { $0.loss.style }),
    ]
    let logs = history.flatMap { r in series.map { $0.value(r) } }.filter { $0 > 0 && $0.isFinite }.map { log10(Double($0)) }
    let plot = (x: left, y: top, width: width - left - right, height: height - top - bottom)
    canvas.fill(x: plot.x, y: plot.y, width: plot.width, height: plot.height, color: 0xF6F6F6)
    if let low = logs.min(), let high = logs.max(), let last = history.last?.loss.iteration, let first = history.first?.loss.iteration {
        let (yMin, yMax) = (floor(low), max(ceil(high), floor(low) + 1))
        let (xMin, xMax) = (Double(first), Double(max(last, first + 1)))
        func px(_ iteration: Int) -> Int32 { Int32(Double(plot.x) + (Double(iteration) - xMin) / (xMax - xMin) * Double(plot.width - 1)) }
        func py(_ log: Double) -> Int32 { Int32(Double(plot.y + plot.height - 1) - (log - yMin) / (yMax - yMin) * Double(plot.height - 1)) }
        for decade in stride(from: yMin, through: yMax, by: 1) {
            gdImageLine(canvas.image, Int32(plot.x), py(decade), Int32(plot.x + plot.width - 1), py(decade), 0xCCCCCC)
            canvas.text(String(format: "1e%+.0f", decade), x: 8, y: Int(py(decade)) + 4, size: 9, color: 0x333333)
        }
        for iteration in [first, (first + last) / 2, last] {
            canvas.text("\(iteration)", x: Int(px(iteration)) - 10, y: plot.y + plot.height + 18, size: 9, color: 0x333333)
        }
        canvas.text("iteration", x: plot.x + plot.width / 2 - 25, y: height - 8, size: 10, color: 0x000000)
        gdImageSetThickness(canvas.image, 2)
        for s in series {
            var previous: (Int32, Int32)?
            for r in history {
                let v = s.value(r)
                guard v > 0 && v.isFinite else { previous = nil; continue }
                let point = (px(r.loss.iteration), py(log10(Double(v))))
                if let p = previous { gdImageLine(canvas.image, p.0, p.1, point.0, point.1, s.color) } else {
                    gdImageSetPixel(canvas.image, point.0, point.1, s.color)
                }
                previous = point
            }
        }
        gdImageSetThickness(canvas.image, 1)
    }
    for (k, s) in series.enumerated() {
        let x = plot.x + plot.width - 240 + 80 * k
        canvas.fill(x: x, y: 16, width: 16, height: 4, color: s.color)
        canvas.text(s.name, x: x + 20, y: 22, size: 10, color: 0x000000)
    }
    do { try canvas.writePNG(path: path) } catch { throw .cannotWrite(path: path, reason: error.description) }
}
