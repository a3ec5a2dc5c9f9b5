// What one controlled stylization asks for: styles and their weights, masks, colour preservation, alpha.

import Foundation

/// A description of how to stylize a content image with one or more styles.
///
/// - Several styles without a mask: style interpolation,
///   `t = sum_i w_i * AdaIN(f(c), f(s_i))` with the weights normalised to sum 1 (equal weights
///   when none are given), as pytorch-AdaIN's `--style_interpolation_weights` and AdaIN-style's
///   `-styleInterpWeights`; see ``interpolatedAdaptiveInstanceNormalization(content:styles:weights:)``.
/// - With a ``SpatialMask``: each style applies to its region; see
///   ``regionAdaptiveInstanceNormalization(content:styles:regions:)``. Weights cannot be combined
///   with a mask.
/// - ``preserveColor`` keeps the content's colours (``ColorPreservation``).
/// - Then `alpha * t + (1 - alpha) * f(c)` is decoded (Huang & Belongie 2017, Sec. 7, "Content-style trade-off").
///
/// One style without a mask is exactly the plain pipeline, ``Stylizer/stylize(content:style:alpha:width:height:)``.
public struct StyleControls: Sendable, Equatable {
    /// Style image paths, in order: the order of the weights and of the mask regions.
    public var styles: [String]
    /// Interpolation weights, one per style, not negative, not all zero; nil gives equal weights.
    public var weights: [Float]?
    public var mask: SpatialMask?
    public var preserveColor: ColorPreservation
    /// The content-style trade-off in [0, 1].
    public var alpha: Float

    public init(styles: [String], weights: [Float]? = nil, mask: SpatialMask? = nil,
                preserveColor: ColorPreservation = .none, alpha: Float = 1) {
        self.styles = styles
        self.weights = weights
        self.mask = mask
        self.preserveColor = preserveColor
        self.alpha = alpha
    }

    /// What a mask needs of the styles, in the words both `stylize` and `sweep` use: a mask splits
    /// the content into regions, and with one style nothing would say what the other regions get.
    public static let maskStyleRequirement = "two or more style images with --mask"

    /// The weight of each style's AdaIN output, normalised to sum 1; equal weights when none are given.
    public func normalizedWeights() throws(StyleControlError) -> [Float] {
        try normalizedInterpolationWeights(weights ?? Array(repeating: 1, count: styles.count), styleCount: styles.count)
    }

    /// Checks everything that can be checked without reading files.
    public func validate() throws(StyleControlError) {
        guard !styles.isEmpty else { throw .noStyle }
        if mask != nil && styles.count < 2 { throw .maskWithOneStyle(style: styles.joined(separator: ",")) }
        guard (0 ... 1).contains(alpha) else { throw .transfer(.alphaOutOfRange(alpha)) }
        if weights != nil && mask != nil { throw .weightsWithMask }
        _ = try normalizedWeights()
        _ = try mask?.layout(styleCount: styles.count)
    }
}
