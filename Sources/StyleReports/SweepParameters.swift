// The parameters of a sweep's definition, one table: how each is named in messages, shown in
// sheets and pages, and compared between two sweeps.

import Foundation
import StyleTransfer

/// One parameter of a ``SweepDefinition``.
struct SweepParameter: Sendable {
    /// The name in messages and in a comparison's `differsIn`, e.g. `--content-size`,
    /// `the kind of grid (--style, --interpolate, --corners or --mask)`.
    var name: String
    /// The flag and value shown for people in sheets and pages (files by name, weights with the
    /// start of their sha256); nil for a parameter that is not shown (the kind of grid, which the
    /// styles' flag shows) and for the later flags (`--crop`, `--mask-mode`, `--style-weights`, `--model`) at
    /// their defaults, so that the pages of sweeps that do not use them stay as they were.
    var shown: @Sendable (SweepDefinition) -> (flag: String, value: String)?
    /// Whether two definitions have the same value, paths and digests included.
    var same: @Sendable (SweepDefinition, SweepDefinition) -> Bool

    /// How two sweeps are compared: by their recorded values (a folder holds the same sweep only
    /// if they are all equal), or by the values shown for people (what a comparison's sheet and
    /// page say differs).
    enum Comparison {
        case recorded, shown
    }

    /// Every parameter, in the order sheets and pages show them.
    static let all: [SweepParameter] = {
        @Sendable func names(_ files: [InputFile]) -> String { files.map { URL(fileURLWithPath: $0.path).lastPathComponent }.joined(separator: ",") }
        @Sendable func weights(_ file: InputFile) -> String { "\(URL(fileURLWithPath: file.path).lastPathComponent) (\(file.sha256.prefix(8)))" }
        func parameter<Value: Equatable>(
            _ name: String, _ value: @escaping @Sendable (SweepDefinition) -> Value,
            shown: (@Sendable (SweepDefinition) -> (flag: String, value: String)?)? = nil
        ) -> SweepParameter {
            SweepParameter(name: name, shown: shown ?? { _ in nil }, same: { value($0) == value($1) })
        }
        struct Masks: Equatable {
            var files: [InputFile]
            var stretch: Bool
        }
        return [
            parameter("--content", \.contents, shown: { ("--content", names($0.contents)) }),
            parameter("the kind of grid (--style, --interpolate, --corners or --mask)", \.grid),
            parameter("the styles (--style, --interpolate or --corners)", \.styles, shown: { (styleFlag($0.grid), names($0.styles)) }),
            parameter("--mask/--stretch-mask", { Masks(files: $0.masks, stretch: $0.stretchMask) },
                      shown: { ("--mask", $0.masks.isEmpty ? "-" : names($0.masks) + ($0.stretchMask ? " (stretched)" : "")) }),
            parameter("--steps", \.steps, shown: { ("--steps", $0.steps.map(String.init) ?? "-") }),
            parameter("--alpha", \.alphas, shown: { ("--alpha", $0.alphas.map(formatAlpha).joined(separator: ",")) }),
            parameter("--preserve-color", \.preserveColors, shown: { ("--preserve-color", $0.preserveColors.joined(separator: ",")) }),
            parameter("--content-size", \.contentSizeList, shown: { ("--content-size", $0.contentSizeList.map(String.init).joined(separator: ",")) }),
            parameter("--style-size", \.styleSizeList, shown: { ("--style-size", $0.styleSizeList.map(String.init).joined(separator: ",")) }),
            parameter("--crop", \.cropsImages, shown: { $0.cropsImages ? ("--crop", "yes") : nil }),
            parameter("--mask-mode", \.spatialMaskMode, shown: { $0.spatialMaskMode == .auto ? nil : ("--mask-mode", $0.spatialMaskMode.rawValue) }),
            parameter("--style-weights", \.styleWeights, shown: { d in d.styleWeights.map { ("--style-weights", $0.map(formatAlpha).joined(separator: ",")) } }),
            parameter("--model", \.model, shown: { $0.model == .pytorchAdaIN ? nil : ("--model", $0.model.rawValue) }),
            parameter("--tile", \.tile, shown: { d in d.tile.map { ("--tile", "\($0)") } }),
            parameter("--vgg", \.vgg, shown: { ("--vgg", weights($0.vgg)) }),
            parameter("--decoder", \.decoder, shown: { ("--decoder", weights($0.decoder)) }),
            parameter("tool version", \.toolVersion, shown: { ("tool version", $0.toolVersion) }),
        ]
    }()
}

/// The parameters whose values are not the same in all `definitions`, compared as `comparison` says.
func differingParameters(_ definitions: [SweepDefinition], _ comparison: SweepParameter.Comparison) -> [SweepParameter] {
    guard let first = definitions.first else { return [] }
    return SweepParameter.all.filter { parameter in
        definitions.contains { d in
            switch comparison {
            case .recorded: !parameter.same(first, d)
            case .shown: parameter.shown(first).map(\.value) != parameter.shown(d).map(\.value)
            }
        }
    }
}

/// The flags (as shown) of the parameters whose shown values are not the same in all `definitions`.
func differingFlags(_ definitions: [SweepDefinition]) -> [String] {
    differingParameters(definitions, .shown).compactMap { parameter in definitions.lazy.compactMap(parameter.shown).first?.flag }
}

/// The names of the parameters in which two definitions differ, for messages and `differsIn`;
/// `its format` when they differ only in what the parameters do not cover.
func differenceNames(_ a: SweepDefinition, _ b: SweepDefinition) -> [String] {
    let names = differingParameters([a, b], .recorded).map(\.name)
    return names.isEmpty ? ["its format"] : names
}

/// A sweep's parameters as (flag, value) for people, in a fixed order (``SweepParameter/all``):
/// those shown for `d` or for any of `definitions` (the sweeps shown beside it, so that their
/// summaries line up), `-` where `d` has none.
func parameterSummary(_ d: SweepDefinition, among definitions: [SweepDefinition] = []) -> [(flag: String, value: String)] {
    SweepParameter.all.compactMap { parameter in
        if let shown = parameter.shown(d) { return shown }
        return definitions.lazy.compactMap(parameter.shown).first.map { ($0.flag, "-") }
    }
}
