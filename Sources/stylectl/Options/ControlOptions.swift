// Options of `stylectl stylize` for style interpolation, spatial masks and colour preservation.

import ArgumentParser
import Foundation
import ImageCodec
import StyleTransfer

struct ControlOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Interpolation weights, one per --style image, comma-separated (e.g. 1,3); normalised to sum 1. Default: equal.",
        valueName: "w1,w2,..."))
    var styleWeights: String?

    @Option(help: ArgumentHelp(
        "Spatial control: one mask for two styles (white the first, black the second), one label map for more styles, or one mask per style (comma-separated).",
        valueName: "file[,file...]"))
    var mask: String?

    @Option(help: ArgumentHelp(
        "How masks are read: auto, binary (threshold 0.5), labels (grey levels or colours in increasing order, black first, map to the styles in order) or soft (grey levels are weights).",
        valueName: "mode"))
    var maskMode: String = "auto"

    @Flag(help: "Stretch a mask whose aspect ratio differs from the content's instead of failing.")
    var stretchMask = false

    @Option(help: ArgumentHelp(
        "Keep the content's colours: coral (pytorch-AdaIN's colour transfer of the style image) or luminance (stylize luminance only, keep the content's chroma).",
        valueName: "method"))
    var preserveColor: String?

    /// Whether `stylize` must run through ``run(content:styles:output:alpha:contentSizing:styleSizing:models:files:)``:
    /// several styles, or any control given. Otherwise the plain pipeline applies.
    func applies(toStyles styles: [String]) -> Bool {
        styles.count > 1 || styleWeights != nil || mask != nil || preserveColor != nil
    }

    /// Checks `--preserve-color` and `--mask-mode` at parse time; weights and masks are checked
    /// against the styles in ``run(content:styles:output:alpha:contentSizing:styleSizing:models:files:)``
    /// before any image is read.
    func validate() throws {
        if let preserveColor {
            do { _ = try ColorPreservation(parsing: preserveColor) } catch {
                throw ValidationError(escapingControlCharacters(error.description))
            }
        }
        guard SpatialMask.Mode(rawValue: maskMode.lowercased()) != nil else {
            throw ValidationError(escapingControlCharacters(StyleControlError.unknownMaskMode(maskMode).description))
        }
    }

    /// The controls for a list of style paths.
    func controls(styles: [String], alpha: Float) throws(StyleControlError) -> StyleControls {
        try StyleControls(styleList: styles.joined(separator: ","), weightList: styleWeights, maskList: mask,
                          maskMode: maskMode, stretchMask: stretchMask, preserveColor: preserveColor, alpha: alpha)
    }

    /// Stylizes every content image with the controls and writes the results.
    ///
    /// One `--style` entry may be a folder: every pair is stylized, as the plain pipeline does.
    /// Several entries must be image files; each content image gives one output, named
    /// `<content>_stylized_<style1>_<style2>....png` when `output` is a folder. Outputs are
    /// planned and checked, the controls validated and the memory estimated before the weights
    /// `files` are loaded (``StylizationJob/plan(content:styles:output:otherInputs:)``).
    func run(
        content: String, styles: [String], output: String, alpha: Float,
        contentSizing: ImageSizing, styleSizing: ImageSizing, models: ModelOptions, files: ModelFiles
    ) throws {
        var jobs: [(content: String, controls: StyleControls, output: String)] = []
        do {
            // The controls are validated before any file is planned (one style with a mask is
            // refused in the words `sweep` uses for the same mistake); their masks are inputs too.
            let masks = try controls(styles: styles, alpha: alpha).mask?.paths ?? []
            let planned = try StylizationJob.plan(
                content: content, styles: styles, output: output,
                otherInputs: masks.map { (option: "--mask", path: $0) } + files.inputs)
            for job in planned { jobs.append((job.content, try controls(styles: job.styles, alpha: alpha), job.output)) }
            try StylizationMemory.check(jobs: planned, contentSizing: contentSizing, styleSizing: styleSizing)
        } catch let error as StyleTransferError {
            throw CommandFailure(error.description)
        } catch let error as StyleControlError {
            throw CommandFailure(error.description)
        }

        let pipeline = ControlledStylizer(stylizer: try models.loadStylizer(files), contentSizing: contentSizing, styleSizing: styleSizing)
        var report = ProgressReport(count: jobs.count)
        for (index, job) in jobs.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            var failure: (any Error)?
            do {
                let image = try pipeline.stylize(content: job.content, controls: job.controls)
                do { try writeImage(image, path: job.output) } catch { throw StyleControlError.transfer(.image(error)) }
            } catch {
                failure = error
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            report.record(index: index, output: job.output, seconds: seconds, error: failure)
        }
        try report.finish()
    }
}
