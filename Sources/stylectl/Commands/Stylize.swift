// `stylectl stylize`: one pair of images, or every pair of two folders.

import ArgumentParser
import Foundation
import StyleTransfer

struct Stylize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stylize a content image with a style image (or every pair of two folders).",
        discussion: """
            Gives the same pictures as pytorch-AdaIN's test.py from the same weights. Folders for \
            --content or --style stylize every pair into the --output folder as \
            <content>_stylized_<style>.png. Images are written to a temporary file and renamed, so a \
            failure never leaves a half-written image.
            """
    )

    @Option(help: "A content image (JPEG or PNG) or a folder of them.")
    var content: String

    @Option(help: "A style image (JPEG or PNG) or a folder of them; or several images, comma-separated, for interpolation or masks.")
    var style: String

    @Option(help: "The output image (.png or .jpg), or a folder.")
    var output: String

    @Option(help: "Content-style trade-off in [0, 1]: 1 is full stylization, 0 reconstructs the content.")
    var alpha: Float = 1

    @Option(help: "Resize the content image's shorter side to this many pixels (0 keeps its size).")
    var contentSize: Int = 512

    @Option(help: "Resize the style image's shorter side to this many pixels (0 keeps its size).")
    var styleSize: Int = 512

    @Flag(help: "Take the centre square of both images after resizing.")
    var crop = false

    @OptionGroup var models: ModelOptions

    @OptionGroup(title: "Style controls") var controls: ControlOptions

    func validate() throws {
        guard (0 ... 1).contains(alpha) else { throw ValidationError("'--alpha' must be in [0, 1], got \(alpha).") }
        guard contentSize >= 0 else { throw ValidationError("'--content-size' must be 0 or more, got \(contentSize).") }
        guard styleSize >= 0 else { throw ValidationError("'--style-size' must be 0 or more, got \(styleSize).") }
    }

    func run() throws {
        if controls.applies(toStyle: style) {
            try controls.run(
                content: content, style: style, output: output, alpha: alpha,
                contentSizing: ImageSizing(size: contentSize, crop: crop),
                styleSizing: ImageSizing(size: styleSize, crop: crop),
                models: models)
            return
        }
        let pairs: [StylizationPair]
        do { pairs = try StylizationPair.plan(content: content, style: style, output: output) } catch { throw CommandFailure(error.description) }
        let batch = BatchStylization(
            stylizer: try models.loadStylizer(),
            contentSizing: ImageSizing(size: contentSize, crop: crop),
            styleSizing: ImageSizing(size: styleSize, crop: crop),
            alpha: alpha)
        var report = ProgressReport(count: pairs.count)
        batch.run(pairs) { outcome in
            report.record(index: outcome.index, output: outcome.pair.output, seconds: outcome.seconds, error: outcome.error)
        }
        try report.finish()
    }
}
