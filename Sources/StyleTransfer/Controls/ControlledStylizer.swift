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

    /// Stylizes the image file `content` as `controls` describe.
    ///
    /// One style without a mask gives bit for bit what ``Stylizer/stylize(content:style:alpha:width:height:)``
    /// gives for the same encodings.
    ///
    /// - Throws: ``StyleControlError``: invalid controls, missing or unreadable images (naming
    ///   `--content`, `--style` or `--mask`), masks that do not fit.
    public func stylize(content: String, controls: StyleControls) throws(StyleControlError) -> RGBImage {
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
        let styleTransform: EncodingTransform = switch mode {
        case .none: .none
        case .coral: .coral(target: contentID)
        case .luminance: .matchedLuminance(target: contentID)
        }
        var styleFeatures: [Tensor] = []
        for path in controls.styles {
            let key = FeatureCache.Key(image: try ImageIdentity(path: path, sizing: styleSizing, option: "--style"), transform: styleTransform)
            styleFeatures.append(try styleCache.features(for: key) { () throws(StyleControlError) -> Tensor in
                stylizer.encode(mode.styleInput(try load(path, sizing: styleSizing), content: contentImage))
            })
        }

        let output: RGBImage
        if let regions {
            let target = try regionAdaptiveInstanceNormalization(content: contentFeatures, styles: styleFeatures, regions: regions)
            output = decode(target, content: contentFeatures, alpha: controls.alpha, width: width, height: height)
        } else if styleFeatures.count == 1 {
            do {
                output = try stylizer.stylize(content: contentFeatures, style: styleFeatures[0], alpha: controls.alpha, width: width, height: height)
            } catch { throw .transfer(error) }
        } else {
            let target = interpolatedAdaptiveInstanceNormalization(
                content: contentFeatures, styles: styleFeatures, weights: try controls.normalizedWeights())
            output = decode(target, content: contentFeatures, alpha: controls.alpha, width: width, height: height)
        }
        return mode.output(output, content: contentImage)
    }

    /// `g(alpha * t + (1 - alpha) * f(c))`, cropped to the content's size.
    private func decode(_ target: Tensor, content: Tensor, alpha: Float, width: Int, height: Int) -> RGBImage {
        Stylizer.image(from: stylizer.decoder.decode(blend(target, content, alpha: alpha)), width: width, height: height)
    }

    private func load(_ path: String, sizing: ImageSizing) throws(StyleControlError) -> RGBImage {
        do { return try sizing.load(path: path) } catch { throw .transfer(error) }
    }
}
