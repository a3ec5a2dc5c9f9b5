// `stylectl video --report NAME`: the record of a video stylization, a strip of its frames (input
// above output) and its flicker per frame, as a report folder.

import CGD
import Foundation
import ImageCodec
import StyleTransfer
import StyleVideo

/// The record of a video report, `manifest.json`: the inputs with their SHA-256, the controls and
/// keys, and the run's ``StyleVideo/VideoResult`` (seconds per frame, flicker per frame).
public struct VideoManifest: Codable, Sendable, JSONRecord {
    public var toolVersion: String
    public var content: InputFile
    public var styles: [InputFile]
    public var masks: [InputFile]?
    public var maskVideo: InputFile?
    public var vgg: InputFile
    public var decoder: InputFile
    /// The output video, as given.
    public var output: String
    public var alpha: Float
    /// `--alpha-at` and `--style-weights-at` as given.
    public var alphaKeys: String?
    public var weightKeys: String?
    public var weights: [Float]?
    public var preserveColor: String
    /// `--stabilize`'s quantity and momentum.
    public var stabilize: String?
    public var stabilizeMomentum: Float?
    public var contentSize: Int
    public var styleSize: Int
    /// Every how many frames the strip shows one (``StyleVideo/VideoResult/sampleEvery``).
    public var sampleEvery: Int
    public var result: VideoResult
    public var flickerNote = "flicker: d_k = mean |F_k - F_(k-1)| over every 8-bit sample of two consecutive frames (levels 0-255), k = 1 ... n-1; a clip's flicker is the mean of d_k; relative flicker = output's / input's."

    public static let fileName = "manifest.json"

    public init(
        toolVersion: String, content: InputFile, styles: [InputFile], masks: [InputFile]?, maskVideo: InputFile?, vgg: InputFile, decoder: InputFile,
        output: String, alpha: Float, alphaKeys: String?, weightKeys: String?, weights: [Float]?, preserveColor: String,
        stabilize: String?, stabilizeMomentum: Float?, contentSize: Int, styleSize: Int, result: VideoResult
    ) {
        (self.toolVersion, self.content, self.styles, self.masks, self.maskVideo) = (toolVersion, content, styles, masks, maskVideo)
        (self.vgg, self.decoder, self.output, self.alpha, self.alphaKeys) = (vgg, decoder, output, alpha, alphaKeys)
        (self.weightKeys, self.weights, self.preserveColor, self.stabilize) = (weightKeys, weights, preserveColor, stabilize)
        (self.stabilizeMomentum, self.contentSize, self.styleSize, self.result) = (stabilizeMomentum, contentSize, styleSize, result)
        sampleEvery = result.sampleEvery ?? 1
    }

    /// Refuses counts beyond a sweep's limits and per-frame lists that disagree with the frame count.
    public func validate(record: String) throws(ReportError) {
        let frames = result.frames
        guard frames >= 1, frames <= 10_000_000, result.secondsPerFrame.count == frames,
              result.outputFlicker.perFrame.count == frames - 1, result.inputFlicker.perFrame.count == frames - 1 else {
            throw .invalidRecord(file: record, reason: "its per-frame lists do not match its \(frames) frames")
        }
    }
}

/// The file names a video report writes besides `manifest.json` and `index.html`.
let videoStripName = "frames.png", videoFlickerPlotName = "flicker.png"

/// The frames the strip shows, evenly spaced (``StyleVideo/stylizeVideo(_:pipeline:samples:comparingUnstabilized:identity:progress:sample:)``'s `samples`).
public let videoStripColumns = 8

/// Writes a video report into `folder`: `frames.png` (the sampled frames, input above output, the
/// frame number and time under each), `flicker.png` and the same plot as SVG on `index.html`
/// (d_k of the input, the output, and with `--stabilize` the output without it), and
/// `manifest.json`, each atomically. The folder is created if missing; one holding anything but a
/// video report is refused, unchanged, unless `overwrite`.
public func writeVideoReport(_ manifest: VideoManifest, samples: [SampledFrame], folder: String, overwrite: Bool) throws(ReportError) {
    try checkVideoReportFolder(folder, overwrite: overwrite)
    let report = ReportFolder(folder)
    let lock = try report.lock()
    defer { lock.release() }
    try writeVideoStrip(samples, framesPerSecond: manifest.result.input.framesPerSecond, path: report.file(videoStripName))
    let plot = videoFlickerPlot(manifest)
    if let plot { try writeLinePlotsPicture([plot], xLabel: videoFlickerAxis, path: report.file(videoFlickerPlotName)) }
    try writeVideoIndex(manifest, plot: plot, folder: folder)
    try manifest.write(folder: folder)
}

/// Checks, changing nothing, that a video report may be written in `folder`: missing, empty, or
/// holding a video report (replaced); anything else only with `overwrite` (the report's files are
/// then written over, others left alone). For a caller to fail before the clip is stylized.
///
/// - Throws: ``ReportError/reportExists(folder:different:reason:)``.
public func checkVideoReportFolder(_ folder: String, overwrite: Bool) throws(ReportError) {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else { return }
    guard isFolder.boolValue else { throw .reportExists(folder: folder, different: "video report", reason: "it is a file") }
    let entries = ReportFolder(folder).entries()
    let ours: Set<String> = [VideoManifest.fileName, "index.html", videoStripName, videoFlickerPlotName]
    let holdsVideoReport = (try? VideoManifest.read(folder: folder)) != nil && entries.allSatisfy(ours.contains)
    if !entries.isEmpty && !holdsVideoReport && !overwrite {
        throw .reportExists(folder: folder, different: "video report",
                            reason: "it holds other files (" + entries.prefix(3).joined(separator: ", ") + (entries.count > 3 ? ", ..." : "") + ")")
    }
}

/// The flicker plot's x axis.
private let videoFlickerAxis = "frame k (d_k compares frames k-1 and k)"

/// d_k of the input, the output and (with `--stabilize`) the output without it, against k; nil
/// for a clip of one frame.
func videoFlickerPlot(_ manifest: VideoManifest) -> (title: String, series: [PlotSeries])? {
    let result = manifest.result
    guard result.frames > 1 else { return nil }
    func series(_ name: String, _ measure: FlickerMeasure) -> PlotSeries {
        PlotSeries(name: name + String(format: " (mean %.3g)", measure.mean), points: measure.perFrame.enumerated().map { (x: Double($0.offset + 2), y: $0.element) })
    }
    var lines = [series("input", result.inputFlicker), series(manifest.stabilize.map { "output, \($0)" } ?? "output", result.outputFlicker)]
    if let plain = result.unstabilizedFlicker { lines.append(series("not stabilized", plain)) }
    return ("flicker d_k (levels, 0-255)", lines)
}

/// The strip: a column per sample, the input frame above its stylization, each fitted in 160 x 120
/// (the aspect kept), the frame number and time under the pair.
func writeVideoStrip(_ samples: [SampledFrame], framesPerSecond: Double, path: String) throws(ReportError) {
    let (cellWidth, cellHeight, gap, left, top, bottom) = (160, 120, 6, 64, 8, 30)
    let columns = max(1, samples.count)
    let canvas = GDCanvas(width: left + columns * (cellWidth + gap), height: top + 2 * (cellHeight + gap) + bottom)
    canvas.fill(x: 0, y: 0, width: canvas.width, height: canvas.height, color: 0xFFFFFF)
    canvas.text("input", x: 8, y: top + cellHeight / 2 + 4, size: 9, color: 0x000000)
    canvas.text("output", x: 8, y: top + cellHeight + gap + cellHeight / 2 + 4, size: 9, color: 0x000000)
    for (c, sample) in samples.enumerated() {
        let x = left + c * (cellWidth + gap)
        canvas.draw(sample.input, x: x, y: top, width: cellWidth, height: cellHeight)
        canvas.draw(sample.output, x: x, y: top + cellHeight + gap, width: cellWidth, height: cellHeight)
        let label = "frame \(sample.index + 1), " + String(format: "%.2f s", Double(sample.index) / framesPerSecond)
        canvas.text(label, x: x, y: top + 2 * (cellHeight + gap) + 14, size: 8, color: 0x000000)
    }
    try canvas.writePNG(path: path)
}

/// `index.html`: the parameters, the flicker figures, the strip and the plot.
func writeVideoIndex(_ manifest: VideoManifest, plot: (title: String, series: [PlotSeries])?, folder: String) throws(ReportError) {
    let result = manifest.result
    func number(_ value: Double?) -> String { value.map { String(format: "%.4g", $0) } ?? "-" }
    let seconds = result.secondsPerFrame.reduce(0, +)
    var rows: [(String, String)] = [
        ("tool version", escape(manifest.toolVersion)),
        ("content", fileList([manifest.content]) + " (\(result.input.width)x\(result.input.height), \(result.input.frameCount) frames at \(escape(result.input.frameRate)) fps, "
            + String(format: "%.2f s", result.input.duration) + (result.audio.map { ", audio " + escape($0) } ?? "") + ")"),
        ("style", fileList(manifest.styles)),
        ("output", escape(manifest.output) + " (\(result.frames) frames of \(result.width)x\(result.height))"),
        ("alpha", manifest.alphaKeys.map { "keys " + escape($0) } ?? formatAlpha(manifest.alpha)),
        ("content-size, style-size", "\(manifest.contentSize), \(manifest.styleSize)"),
        ("preserve-color", escape(manifest.preserveColor)),
        ("stabilize", manifest.stabilize.map { escape($0) + ", momentum " + formatAlpha(manifest.stabilizeMomentum ?? 0) } ?? "none"),
        ("vgg", fileList([manifest.vgg])),
        ("decoder", fileList([manifest.decoder])),
        ("seconds", String(format: "%.1f s in all, %.3f s per frame, %.2f frames/s", seconds, seconds / Double(max(1, result.frames)), Double(result.frames) / max(seconds, 1e-9))),
    ]
    if let keys = manifest.weightKeys { rows.insert(("style weights", "keys " + escape(keys)), at: 5) } else if let weights = manifest.weights {
        rows.insert(("style weights", weights.map(formatAlpha).joined(separator: ", ")), at: 5)
    }
    if let masks = manifest.masks { rows.insert(("mask", fileList(masks)), at: 5) }
    if let video = manifest.maskVideo { rows.insert(("mask video", fileList([video])), at: 5) }
    var html = "<h2>Parameters</h2>\n<table>\n" + rows.map { "<tr><th>\($0.0)</th><td>\($0.1)</td></tr>" }.joined(separator: "\n") + "\n</table>\n"
    html += "<h2>Flicker</h2>\n<p>\(escape(manifest.flickerNote))</p>\n<table>\n<tr><th>frames</th><th>flicker (levels)</th><th>relative to the input</th></tr>\n"
    html += "<tr><td>input</td><td class=\"num\">\(number(result.inputFlicker.mean))</td><td class=\"num\">1</td></tr>\n"
    html += "<tr><td>output\(manifest.stabilize.map { ", --stabilize " + escape($0) } ?? "")</td><td class=\"num\">\(number(result.outputFlicker.mean))</td>"
        + "<td class=\"num\">\(number(result.relativeFlicker))</td></tr>\n"
    if let plain = result.unstabilizedFlicker {
        html += "<tr><td>output without --stabilize</td><td class=\"num\">\(number(plain.mean))</td>"
            + "<td class=\"num\">\(number(result.inputFlicker.mean > 0 ? plain.mean / result.inputFlicker.mean : nil))</td></tr>\n"
    }
    html += "</table>\n"
    if let plot {
        html += "<div class=\"plots\">" + svgLinePlot(title: plot.title, xLabel: videoFlickerAxis, series: plot.series) + "</div>\n"
            + "<p>As a picture: <a href=\"\(videoFlickerPlotName)\">\(videoFlickerPlotName)</a>.</p>\n"
    }
    let every = switch manifest.sampleEvery {
    case 1: "Every frame"
    case 2: "Every other frame"
    case let n: "One frame in \(n)"
    }
    html += "<h2>Frames</h2>\n<p>\(every): the input above its stylization.</p>\n"
        + "<a href=\"\(videoStripName)\"><img class=\"sheet\" src=\"\(videoStripName)\" alt=\"frames\"></a>\n"
    try writePage(folder: folder, title: "stylectl video \(URL(fileURLWithPath: folder).lastPathComponent)", body: html, record: VideoManifest.fileName)
}
