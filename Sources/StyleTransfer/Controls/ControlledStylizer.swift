// The pipeline with style controls: image files in, cached encodings, interpolation or masks, image out.

import ImageCodec
import TensorCore

/// Stylizes content image files as ``StyleControls`` describe, encoding each style once.
///
/// Style encodings are kept in ``styleCache``, keyed by file identity, sizing and colour transform
/// (``FeatureCache``), so a style used by several calls (or by several copies of this value, or by
/// other stylizers given the same cache) is encoded once. The most recent content encodings are
/// kept in ``contentCache`` (one by default), so that one content stylized with several controls
/// is encoded once too.
///
/// The output has the content image's size (after sizing), as ``Stylizer``'s.
public struct ControlledStylizer: Sendable {
    public let stylizer: Stylizer
    public let contentSizing: ImageSizing
    public let styleSizing: ImageSizing
    public let styleCache: FeatureCache
    public let contentCache: FeatureCache

    public init(
        stylizer: Stylizer, contentSizing: ImageSizing, styleSizing: ImageSizing,
        styleCache: FeatureCache = FeatureCache(), contentCache: FeatureCache = FeatureCache(capacity: 1)
    ) {
        self.stylizer = stylizer
        self.contentSizing = contentSizing
        self.styleSizing = styleSizing
        self.styleCache = styleCache
        self.contentCache = contentCache
    }

    /// What ``stylizeKeepingTensors(content:controls:)`` returns: the image and the tensors of the
    /// AdaIN paper's losses (Huang & Belongie 2017, Eq. 7 and 8).
    public struct Stylization: Sendable {
        /// The stylized image, as ``stylize(content:controls:)`` returns it.
        public var image: RGBImage
        /// `g(t)`: the decoder's output, shape (1, 3, 8 * ceil(H/8), 8 * ceil(W/8)), before the crop
        /// to the content's size, clamping, quantisation and (luminance mode) the chroma recombination.
        public var decoded: Tensor
        /// `t`: the decoder's input after the alpha blend with `f(c)`, shape (1, 512, ceil(H/8), ceil(W/8)).
        public var target: Tensor
    }

    /// Stylizes the image file `content` as `controls` describe.
    ///
    /// One style without a mask gives bit for bit what ``Stylizer/stylize(content:style:alpha:width:height:)``
    /// gives for the same encodings.
    ///
    /// - Throws: ``StyleControlError``: invalid controls, missing or unreadable images (naming
    ///   `--content`, `--style` or `--mask`), masks that do not fit.
    public func stylize(content: String, controls: StyleControls) throws(StyleControlError) -> RGBImage {
        try stylizeKeepingTensors(content: content, controls: controls).image
    }

    /// ``stylize(content:controls:)``, also returning `g(t)` and `t`.
    public func stylizeKeepingTensors(content: String, controls: StyleControls) throws(StyleControlError) -> Stylization {
        try controls.validate()
        let mode = controls.preserveColor
        let contentID = try ImageIdentity(path: content, sizing: contentSizing, option: "--content")
        let contentImage = try load(content, sizing: contentSizing)
        let contentKey = FeatureCache.Key(image: contentID, transform: mode == .luminance ? .luminance : .none)
        let contentFeatures = contentCache.features(for: contentKey) { stylizer.encode(mode.contentInput(contentImage)) }
        let (width, height) = (contentImage.width, contentImage.height)

        let regions = try controls.mask?.regionWeights(
            styleCount: controls.styles.count, contentWidth: width, contentHeight: height,
            featureWidth: contentFeatures.width, featureHeight: contentFeatures.height)
        let styleTransform = Self.styleTransform(mode, content: contentID)
        var styleFeatures: [Tensor] = []
        for path in controls.styles {
            let key = FeatureCache.Key(image: try ImageIdentity(path: path, sizing: styleSizing, option: "--style"), transform: styleTransform)
            styleFeatures.append(try styleCache.features(for: key) { () throws(StyleControlError) -> Tensor in
                stylizer.encode(mode.styleInput(try load(path, sizing: styleSizing), content: contentImage))
            })
        }

        // AdaIN, AdaIN per region or the weighted sum of AdaINs, then Stylizer's alpha blend, decoder and crop.
        let adain: Tensor
        if let regions {
            adain = try regionAdaptiveInstanceNormalization(content: contentFeatures, styles: styleFeatures, regions: regions)
        } else if styleFeatures.count == 1 {
            adain = adaptiveInstanceNormalization(content: contentFeatures, style: styleFeatures[0])
        } else {
            adain = interpolatedAdaptiveInstanceNormalization(
                content: contentFeatures, styles: styleFeatures, weights: try controls.normalizedWeights())
        }
        let target = blend(adain, contentFeatures, alpha: controls.alpha)
        let decoded = stylizer.decoder.decode(target)
        let image = mode.output(Stylizer.image(from: decoded, width: width, height: height), content: contentImage)
        return Stylization(image: image, decoded: decoded, target: target)
    }

    /// relu1_1, relu2_1, relu3_1 and relu4_1 of the style image `style` as it is encoded for the
    /// content image `content` under `preserveColor` (recoloured by coral, or luminance-matched):
    /// the style features `f_i(s)` of the style loss (Eq. 8). One encoder pass, not cached; its
    /// relu4_1 is stored in ``styleCache`` when that has no encoding of the style yet, so that a
    /// stylization with the style after this call does not encode it again (``VGGEncoder``'s
    /// relu4_1 with intermediates is bit for bit its relu4_1 alone; StyleReports' re-run tests
    /// compare sweeps primed this way with stylizations that are not).
    public func styleFeatures(style: String, content: String, preserveColor: ColorPreservation) throws(StyleControlError) -> [Tensor] {
        let styleID = try ImageIdentity(path: style, sizing: styleSizing, option: "--style")
        let contentID = try ImageIdentity(path: content, sizing: contentSizing, option: "--content")
        var image = try load(style, sizing: styleSizing)
        if preserveColor != .none { image = preserveColor.styleInput(image, content: try load(content, sizing: contentSizing)) }
        let features = stylizer.encoder.encodeWithIntermediates(Tensor(shape: [1, 3, image.height, image.width], values: image.pixels))
        let key = FeatureCache.Key(image: styleID, transform: Self.styleTransform(preserveColor, content: contentID))
        _ = styleCache.features(for: key) { features[features.count - 1] }
        return features
    }

    /// The transform of the style images under a colour-preservation mode for a content image.
    private static func styleTransform(_ mode: ColorPreservation, content: ImageIdentity) -> EncodingTransform {
        switch mode {
        case .none: .none
        case .coral: .coral(target: content)
        case .luminance: .matchedLuminance(target: content)
        }
    }

    private func load(_ path: String, sizing: ImageSizing) throws(StyleControlError) -> RGBImage {
        do { return try sizing.load(path: path) } catch { throw .transfer(error) }
    }
}
