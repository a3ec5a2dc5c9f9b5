// Typed errors of style interpolation, spatial masks and colour preservation; each names its flag.

import ImageCodec

/// Why a controlled stylization could not be done. The description is a full sentence for the
/// user that names the command-line flag at fault (`--style`, `--style-weights`, `--mask`,
/// `--mask-mode`, `--preserve-color`).
public enum StyleControlError: Error, CustomStringConvertible {
    /// A failure of the underlying pipeline: an unreadable image, alpha out of range, a missing file.
    case transfer(StyleTransferError)
    /// No style image was given.
    case noStyle
    /// A comma-separated flag (`--style`, `--style-weights`, `--mask`) holds an empty item or no item.
    case list(CommaListError)
    /// A mask was given with one style: nothing would say what the mask's other regions get.
    /// The words are those of `sweep` for the same mistake (``StyleControls/maskStyleRequirement``).
    case maskWithOneStyle(style: String)
    /// A `--style-weights` entry is not a number.
    case weightNotANumber(String)
    /// The number of weights differs from the number of styles.
    case weightCount(weights: Int, styles: Int)
    /// A weight is negative, infinite or NaN.
    case invalidWeight(Float)
    /// Every weight is zero, so they cannot be normalised to sum 1.
    case zeroWeights
    /// `--style-weights` and `--mask` were both given; a mask chooses the style at each position.
    case weightsWithMask
    /// `--mask-mode` is not one of the modes.
    case unknownMaskMode(String)
    /// The number of mask files does not fit the number of styles under the mode.
    case maskFileCount(masks: Int, styles: Int, mode: SpatialMask.Mode)
    /// A mask image could not be read.
    case maskUnreadable(ImageCodecError)
    /// A label map holds a different number of colours (regions) than there are styles.
    case maskRegionCount(path: String, regions: Int, styles: Int)
    /// In auto mode, one mask for two styles holds more than two colours: it may be a label map
    /// for more styles, or a soft or anti-aliased mask, and reading it as binary would be a guess.
    /// `colours` are the distinct colours as `0xRRGGBB`, increasing.
    case maskNotTwoColoured(path: String, colours: [UInt32], styles: Int)
    /// `stylectl mask`'s width or height is outside 1 ... ``MaskShape/maximumSide``, or the mask
    /// would have more than ``MaskShape/maximumPixels`` pixels.
    case maskSizeOutOfRange(width: Int, height: Int)
    /// The mask's aspect ratio differs from the content image's and stretching was not asked for.
    case maskAspectRatio(path: String, maskWidth: Int, maskHeight: Int, contentWidth: Int, contentHeight: Int)
    /// A style's region covers fewer than two positions of the feature map, so its content
    /// statistics (an unbiased variance) are undefined. `region` counts from 0.
    case maskRegionTooSmall(region: Int, featureWidth: Int, featureHeight: Int)
    /// `--preserve-color` is not one of the methods.
    case unknownColorPreservation(String)
    /// `--tile` is not a multiple of 8 of at least ``Tiling/minimumTile``.
    case badTile(Int)
    /// A tiled stylization was asked for something it cannot give: `what` (losses, masks).
    case notTiled(what: String)
    /// Smoothed content statistics (a video's `--stabilize statistics`) asked for with a mask,
    /// whose regions each have their own statistics.
    case smoothedStatisticsWithMask

    public var description: String {
        switch self {
        case .transfer(let error):
            return error.description
        case .noStyle:
            return "--style: no style image given"
        case .list(let error):
            return error.description
        case .maskWithOneStyle(let style):
            return "'--style': '\(style)' is not allowed; expected \(StyleControls.maskStyleRequirement)."
        case .weightNotANumber(let text):
            return "--style-weights: '\(text)' is not a number; give one non-negative number per style, separated by commas"
        case .weightCount(let weights, let styles):
            return "--style-weights: \(weights) weight\(weights == 1 ? "" : "s") for \(styles) style\(styles == 1 ? "" : "s") in --style; give one weight per style"
        case .invalidWeight(let weight):
            return "--style-weights: weights must be finite and not negative, got \(weight)"
        case .zeroWeights:
            return "--style-weights: the weights are all zero; at least one must be positive (they are normalised to sum 1)"
        case .weightsWithMask:
            return "--style-weights cannot be combined with --mask: the mask chooses the style at each position"
        case .unknownMaskMode(let text):
            return "--mask-mode: unknown mode '\(text)'; use one of \(SpatialMask.Mode.allCases.map(\.rawValue).joined(separator: ", "))"
        case .maskFileCount(let masks, let styles, let mode):
            let rule = switch mode {
            case .auto: "one mask for two styles (white is the first), one label map for more styles, or one mask per style"
            case .binary, .soft: "one mask for exactly two styles (white is the first), or one mask per style"
            case .labels: "exactly one label map, with one grey level or colour per style"
            }
            return "--mask: \(masks) mask file\(masks == 1 ? "" : "s") for \(styles) style\(styles == 1 ? "" : "s") in --style; --mask-mode \(mode.rawValue) takes \(rule)"
        case .maskUnreadable(let error):
            return "--mask: \(error)"
        case .maskRegionCount(let path, let regions, let styles):
            let hint = regions > styles
                ? "more regions than styles (an anti-aliased or JPEG mask has extra grey levels; save label maps as PNG without smoothing)"
                : "fewer regions than styles"
            return "--mask: '\(path)' has \(regions) distinct grey levels or colours but --style gives \(styles) styles: \(hint)"
        case .maskNotTwoColoured(let path, let colours, let styles):
            let shown = colours.prefix(8).map { "#" + String(String($0 | 0x100_0000, radix: 16, uppercase: true).dropFirst()) }
            let list = shown.joined(separator: ", ") + (colours.count > shown.count ? ", ..." : "")
            return "--mask: '\(path)' has \(colours.count) colours (\(list)) but --style gives \(styles) styles; --mask-mode auto reads one mask for two styles only when it is black and white. For a label map give one style per colour; to threshold grey levels at 0.5 use --mask-mode binary, to use them as weights --mask-mode soft"
        case .maskSizeOutOfRange(let width, let height):
            return "a mask must be 1...\(MaskShape.maximumSide) pixels wide and high and have at most \(MaskShape.maximumPixels) pixels, got --width \(width) --height \(height)"
        case .maskAspectRatio(let path, let mw, let mh, let cw, let ch):
            return "--mask: '\(path)' is \(mw)x\(mh) but the content image is \(cw)x\(ch) (after --content-size and --crop), another aspect ratio; use a mask shaped like the content, or --stretch-mask to stretch it"
        case .maskRegionTooSmall(let region, let fw, let fh):
            return "--mask: the region of style \(region + 1) covers fewer than two positions of the \(fw)x\(fh) feature map (1/8 of the content size); enlarge that region or the content"
        case .unknownColorPreservation(let text):
            return "--preserve-color: unknown method '\(text)'; use one of \(ColorPreservation.allCases.map(\.rawValue).joined(separator: ", "))"
        case .badTile(let tile):
            return "--tile must be a multiple of 8 of at least \(Tiling.minimumTile) pixels, got \(tile)"
        case .notTiled(let what):
            return "--tile: \(what) are not available on a tiled stylization yet; stylize this content without --tile"
        case .smoothedStatisticsWithMask:
            return "--stabilize statistics smooths the whole frame's statistics and cannot be used with a mask (each region has its own); use --stabilize features"
        }
    }
}
