// `stylectl sweep`: a grid of stylizations over content, style, alpha and colour preservation, as a report.

import ArgumentParser
import Foundation
import StyleReports
import StyleTransfer

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stylize a grid of parameters into a report folder with contact sheets, metrics and an index.",
        discussion: """
            Rows are content x style pairs, columns the swept --preserve-color and --alpha values; \
            with --interpolate a,b --steps N, rows are the contents and columns also the N weights of b. \
            Writes Reports/NAME/: one PNG per cell, manifest.json (parameters, sha256 of inputs and \
            weights, per-cell seconds, style and content loss), sheet-N.png and index.html. Each image \
            is encoded once. An interrupted sweep resumes: cells already in the folder with a matching \
            manifest are skipped. A folder holding a different sweep is refused unless --overwrite.
            """
    )

    @Option(help: "Content images, comma-separated.")
    var content: String

    @Option(help: "Style images, comma-separated.")
    var style: String?

    @Option(help: "Two style images, comma-separated, to interpolate between (instead of --style).")
    var interpolate: String?

    @Option(help: "With --interpolate: the number of weights from the first style to the second.")
    var steps: Int = 5

    @Option(help: "Alphas in [0, 1], comma-separated.")
    var alpha: String = "1"

    @Option(help: "Colour preservation modes, comma-separated: none, coral, luminance.")
    var preserveColor: String = "none"

    @Option(help: "Resize the content images' shorter side to this many pixels (0 keeps their size).")
    var contentSize: Int = 512

    @Option(help: "Resize the style images' shorter side to this many pixels (0 keeps their size).")
    var styleSize: Int = 512

    @Option(help: "The report's name: its folder in --reports-dir.")
    var report: String

    @Option(help: "The folder of reports.")
    var reportsDir: String = "Reports"

    @Flag(help: "Replace a report folder that holds a different sweep.")
    var overwrite = false

    @OptionGroup var models: ModelOptions

    func validate() throws {
        guard (style == nil) != (interpolate == nil) else {
            throw ValidationError("give either '--style' or '--interpolate' (two styles).")
        }
        guard !report.isEmpty, !report.contains("/"), report != ".", report != ".." else {
            throw ValidationError("'--report' must be a plain folder name, got '\(report)'.")
        }
    }

    func makeConfiguration() throws -> SweepConfiguration {
        do {
            var configuration = SweepConfiguration(
                contents: try parseList(content, flag: "--content"),
                styles: try interpolate.map { text throws(SweepError) in try parseList(text, flag: "--interpolate") }
                    ?? parseList(style ?? "", flag: "--style"),
                alphas: try parseAlphas(alpha),
                preserveColors: try parsePreserveColors(preserveColor),
                contentSize: contentSize, styleSize: styleSize,
                models: ModelFiles(vgg: "", decoder: ""),
                folder: URL(fileURLWithPath: reportsDir).appendingPathComponent(report).path,
                overwrite: overwrite,
                toolVersion: StyleCtl.configuration.version,
                interpolationSteps: interpolate == nil ? nil : steps)
            try configuration.validate()
            configuration.models = try ModelFiles.locate(vgg: models.vgg, decoder: models.decoder)
            return configuration
        } catch let error as SweepError {
            throw CommandFailure(error.description)
        } catch let error as StyleTransferError {
            throw CommandFailure(error.description)
        }
    }

    func run() throws {
        let configuration = try makeConfiguration()
        // The inputs and the report folder are checked before the network is loaded.
        do { try checkSweep(configuration) } catch { throw CommandFailure(error.description) }
        let stylizer = try models.loadStylizer()
        let manifest: SweepManifest
        do {
            manifest = try runSweep(configuration, stylizer: stylizer) { progress in
                FileHandle.standardError.write(Data((progress.description + "\n").utf8))
            }
        } catch {
            throw CommandFailure(error.description)
        }
        let done = manifest.cells.filter(\.isDone).count
        FileHandle.standardError.write(Data("sweep: \(done) cells in \(configuration.folder)/ (index.html, manifest.json)\n".utf8))
    }
}
