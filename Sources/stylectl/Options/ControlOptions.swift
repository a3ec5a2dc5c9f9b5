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
    var maskMode: SpatialMask.Mode = .auto

    @Flag(help: "Stretch a mask whose aspect ratio differs from the content's instead of failing.")
    var stretchMask = false

    @Option(help: ArgumentHelp(
        "Keep the content's colours: coral (pytorch-AdaIN's colour transfer of the style image) or luminance (stylize luminance only, keep the content's chroma).",
        valueName: "method"))
    var preserveColor: String?

    /// Checks `--preserve-color` at parse time, in the words `sweep` uses for each item of its
    /// list (so it is not an `ExpressibleByArgument` enum, whose refusal ArgumentParser words).
    func validate() throws {
        do { _ = try preservation() } catch { throw ValidationError(escapingControlCharacters(error.description)) }
    }

    /// `--preserve-color` as a value (`.none` when not given).
    func preservation() throws(StyleControlError) -> ColorPreservation {
        guard let preserveColor else { return .none }
        return try ColorPreservation(parsing: preserveColor)
    }

    /// The typed controls for a list of style paths: `--style-weights` and `--mask` split by the one
    /// comma-list rule (``commaList(_:flag:)``), weights read as numbers; validated.
    func controls(styles: [String], alpha: Float) throws(StyleControlError) -> StyleControls {
        func list(_ text: String, flag: String) throws(StyleControlError) -> [String] {
            do { return try commaList(text, flag: flag) } catch { throw .list(error) }
        }
        var weights: [Float]?
        if let styleWeights {
            weights = []
            for entry in try list(styleWeights, flag: "--style-weights") {
                guard let weight = Float(entry) else { throw .weightNotANumber(entry) }
                weights!.append(weight)
            }
        }
        let masks = try mask.map { text throws(StyleControlError) in
            SpatialMask(paths: try list(text, flag: "--mask"), mode: maskMode, stretch: stretchMask)
        }
        let controls = StyleControls(styles: styles, weights: weights, mask: masks, preserveColor: try preservation(), alpha: alpha)
        try controls.validate()
        return controls
    }
}
