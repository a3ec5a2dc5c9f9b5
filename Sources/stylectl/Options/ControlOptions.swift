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

    /// Checks `--preserve-color` and `--mask-mode` at parse time; weights and masks are checked
    /// against the styles by ``StylizationTask/plan(content:controls:output:otherInputs:)`` before
    /// any image is read.
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
}
