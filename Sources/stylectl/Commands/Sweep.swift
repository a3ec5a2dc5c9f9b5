// `stylectl sweep`: a grid of stylizations (styles, interpolation, bilinear corners, masks) as a report.

import ArgumentParser
import Foundation
import StyleReports
import StyleTransfer

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stylize a grid of parameters into a report folder with contact sheets, metrics and an index.",
        discussion: """
            Grids: --style a,b (a row per content and style); --interpolate a,b --steps N (a row per \
            content, N weights of b from 0 to 1); --corners a,b,c,d --steps N (N x N per content, \
            bilinear weights (1-u)(1-v), u(1-v), (1-u)v, uv: a top left, d bottom right); --style a,b \
            --mask m1,m2 (a column per mask, each style in its region). Columns also sweep \
            --preserve-color and --alpha. Writes REPORTS-DIR/REPORT/: one PNG per cell, manifest.json \
            (every parameter, sha256 of inputs and weights, per-cell seconds, style and content loss), \
            sheet-N.png and index.html. Each image is encoded once. An interrupted sweep resumes: cells \
            already in the folder with a matching manifest are skipped. A folder holding a different \
            sweep is refused unless --overwrite. --spec FILE.json|.yaml gives the same parameters as \
            keys (the flags without dashes; paths relative to the file) and cannot be combined with \
            any other option: see Reports/examples/.
            """
    )

    @Option(help: "A JSON or YAML file of the sweep's parameters, instead of any other option.")
    var spec: String?

    @Option(help: "Content images, comma-separated.")
    var content: String?

    @Option(help: "Style images, comma-separated: a row each, or with --mask the styles of every cell.")
    var style: String?

    @Option(help: "Two style images, comma-separated, to interpolate between (instead of --style).")
    var interpolate: String?

    @Option(help: "Four style images, comma-separated (top left, top right, bottom left, bottom right), for a bilinear grid.")
    var corners: String?

    @Option(help: "Mask files, comma-separated, a column each (with two or more --style images; mode auto).")
    var mask: String?

    @Flag(help: "Stretch masks whose aspect ratio differs from the content's.")
    var stretchMask = false

    @Option(help: "With --interpolate or --corners only: the number of weights from 0 to 1, 2 to 101 (default 5).")
    var steps: Int?

    @Option(help: "Alphas in [0, 1], comma-separated (default 1).")
    var alpha: String?

    @Option(help: "Colour preservation modes, comma-separated: none, coral, luminance (default none).")
    var preserveColor: String?

    @Option(help: "Resize the content images' shorter side to this many pixels, 0 keeps their size (default 512).")
    var contentSize: Int?

    @Option(help: "Resize the style images' shorter side to this many pixels, 0 keeps their size (default 512).")
    var styleSize: Int?

    @Option(help: "The report's name: its folder in --reports-dir.")
    var report: String?

    @Option(help: "The folder of reports (default Reports).")
    var reportsDir: String?

    @Flag(help: "Replace a report folder that holds a different sweep.")
    var overwrite = false

    @Flag(help: "Do not measure the content and style losses (saves an encoder pass per cell).")
    var noMetrics = false

    @OptionGroup var models: ModelOptions

    /// The request from the spec file, or from the flags.
    func request() throws(SweepError) -> SweepRequest {
        if let spec {
            let flags: [(String, Bool)] = [
                ("--content", content != nil), ("--style", style != nil), ("--interpolate", interpolate != nil),
                ("--corners", corners != nil), ("--mask", mask != nil), ("--stretch-mask", stretchMask), ("--steps", steps != nil),
                ("--alpha", alpha != nil), ("--preserve-color", preserveColor != nil), ("--content-size", contentSize != nil),
                ("--style-size", styleSize != nil), ("--report", report != nil), ("--reports-dir", reportsDir != nil),
                ("--overwrite", overwrite), ("--no-metrics", noMetrics), ("--vgg", models.vgg != nil), ("--decoder", models.decoder != nil),
            ]
            if let mixed = flags.first(where: \.1) {
                throw .invalidValue(flag: mixed.0, value: "given with --spec \(spec)",
                                    expected: "either a spec file or flags: put '\(mixed.0.dropFirst(2))' in the spec file")
            }
            return try SweepRequest(specFile: spec)
        }
        var request = SweepRequest()
        guard let content else { throw .emptyList(flag: "--content") }
        request.contents = try parseList(content, flag: "--content")
        request.styles = try style.map { text throws(SweepError) in try parseList(text, flag: "--style") }
        request.interpolate = try interpolate.map { text throws(SweepError) in try parseList(text, flag: "--interpolate") }
        request.corners = try corners.map { text throws(SweepError) in try parseList(text, flag: "--corners") }
        request.masks = try mask.map { text throws(SweepError) in try parseList(text, flag: "--mask") }
        request.stretchMask = stretchMask
        if let steps { request.steps = steps }
        if let alpha { request.alphas = try parseAlphas(alpha) }
        if let preserveColor { request.preserveColors = try parsePreserveColors(preserveColor) }
        if let contentSize { request.contentSize = contentSize }
        if let styleSize { request.styleSize = styleSize }
        request.report = report
        if let reportsDir { request.reportsDirectory = reportsDir }
        request.overwrite = overwrite
        request.noMetrics = noMetrics
        request.vgg = models.vgg
        request.decoder = models.decoder
        return request
    }

    func run() throws {
        let configuration: SweepConfiguration
        do {
            let request = try request()
            let files: ModelFiles
            do { files = try ModelFiles.locate(vgg: request.vgg, decoder: request.decoder) } catch { throw CommandFailure(error.description) }
            configuration = try request.configuration(models: files, toolVersion: StyleCtl.configuration.version)
            // The inputs and the report folder are checked before the network is loaded.
            try checkSweep(configuration)
        } catch let error as SweepError {
            throw CommandFailure(error.description)
        }
        let stylizer: Stylizer
        do { stylizer = try Stylizer(models: configuration.models) } catch { throw CommandFailure(error.description) }
        let manifest: SweepManifest
        let interrupts = InterruptCleanup()
        defer { interrupts.uninstall() }
        do {
            manifest = try runSweep(configuration, stylizer: stylizer) { progress in
                FileHandle.standardError.write(Data((progress.description + "\n").utf8))
            }
        } catch {
            throw CommandFailure(error.description)
        }
        let done = manifest.cells.filter(\.isDone).count
        FileHandle.standardError.write(Data("sweep: \(counted(done, "cell")) in \(configuration.folder)/ (index.html, manifest.json)\n".utf8))
    }
}

/// SIGINT and SIGTERM during a run that writes a report folder: the folder's in-flight temporary
/// files and its lock file are removed (``removeInFlightTemporaryFiles()``), then the process
/// exits with 128 + the signal (130, 143), as a shell reports a process killed by it.
final class InterruptCleanup {
    private static let signals = [SIGINT, SIGTERM]
    private let sources: [any DispatchSourceSignal]

    /// Installs the handlers until ``uninstall()``. The signals' default action (ending the
    /// process at once) is turned off first, so that the dispatch sources receive them.
    init() {
        sources = Self.signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                removeInFlightTemporaryFiles()
                exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    /// Removes the handlers and restores the signals' default action.
    func uninstall() {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}
