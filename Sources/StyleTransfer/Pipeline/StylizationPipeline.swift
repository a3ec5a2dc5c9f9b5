// The one stylization pipeline: image files and controls in, cached encodings, AdaIN, decoder, image out.

import Dispatch
import ImageCodec
import TensorCore

/// Turns a content image file and ``StyleControls`` into a stylized image: the only path every
/// command takes (`stylize`, `sweep`, `compare-norms` through ``StylizationRunner`` or the
/// building blocks below).
///
/// `output = g(alpha * t + (1 - alpha) * f(c))` with `t` AdaIN, the weighted sum of AdaINs
/// (interpolation) or AdaIN per mask region (Huang & Belongie 2017, Eq. 11 and Sec. 7), `f` the
/// VGG-19 encoder up to relu4_1 and `g` the decoder of ``stylizer``. One style without a mask gives
/// bit for bit what ``Stylizer/stylize(content:style:alpha:width:height:)`` gives for the same
/// encodings. The output has the content image's size (after sizing).
///
/// Encodings are kept in two ``EncodingCache``s under one key (file identity, sizing, colour
/// transform): ``styleCache`` (unbounded by default), so a style used by several calls, copies of
/// this value or other pipelines given the same cache is encoded once, and ``contentCache`` (the
/// most recent content by default), so one content stylized with several controls is encoded once
/// too. The style loss's statistics are stored with a style's encoding when a measured stylization
/// first asks for them, from the same encoder pass.
public struct StylizationPipeline: Sendable {
    public let stylizer: Stylizer
    public let contentSizing: ImageSizing
    public let styleSizing: ImageSizing
    public let styleCache: EncodingCache
    public let contentCache: EncodingCache
    /// Contents whose sized image has a side longer than `tiling.tile` are stylized in tiles
    /// (``Tiling``); nil: every content whole.
    public let tiling: Tiling?
    /// Called after each tile of a tiled stylization, with the tiles done and the time left.
    public let tileProgress: (@Sendable (TileProgress) -> Void)?

    public init(
        stylizer: Stylizer, contentSizing: ImageSizing, styleSizing: ImageSizing,
        styleCache: EncodingCache = EncodingCache(), contentCache: EncodingCache = EncodingCache(capacity: 1), tiling: Tiling? = nil,
        tileProgress: (@Sendable (TileProgress) -> Void)? = nil
    ) {
        self.tiling = tiling
        self.tileProgress = tileProgress
        self.stylizer = stylizer
        self.contentSizing = contentSizing
        self.styleSizing = styleSizing
        self.styleCache = styleCache
        self.contentCache = contentCache
    }

    /// A stylized image with the tensors of the AdaIN paper's losses (Huang & Belongie 2017, Eq. 7 and 8).
    public struct Stylization: Sendable {
        /// The stylized image, as ``stylize(content:controls:)`` returns it.
        public var image: RGBImage
        /// `g(t)`: the decoder's output, shape (1, 3, 8 * ceil(H/8), 8 * ceil(W/8)), before the crop
        /// to the content's size, clamping, quantisation and (luminance mode) the chroma recombination;
        /// nil for a tiled stylization, which never holds it whole.
        public var decoded: Tensor?
        /// `t`: the decoder's input after the alpha blend with `f(c)`, shape (1, 512, ceil(H/8), ceil(W/8));
        /// nil for a tiled stylization.
        public var target: Tensor?
        /// The style loss's targets: the style's statistics, or the weighted mix of the styles'
        /// (``StyleStatistics/mix(_:weights:)``); nil when not measured, or with a mask (regions have
        /// no single target).
        public var styleTarget: StyleStatistics?
        /// The content image as it was sized, when measuring: for the colour distance of ``losses(of:)``.
        public var contentImage: RGBImage?
        /// A masked stylization's mask and styles' statistics, when measuring: for ``MaskFidelity``.
        public var regionTargets: RegionTargets?
        /// A tiled stylization's losses, when measuring: measured over its tiles as they were
        /// decoded (``measuredTiledStylization(content:controls:writingTo:jpegQuality:)``), since it
        /// holds no `g(t)`; ``losses(of:)`` gives them.
        public var tiledLosses: StylizationLosses?
        /// Seconds this call spent encoding (reading, sizing and transforming the images it was the
        /// first to need, and the encoder passes); 0 when every encoding came from the caches.
        public var encodingSeconds = 0.0
        /// Seconds in the decoder, the crop and (luminance mode) the chroma recombination; for a tiled
        /// stylization, whose tiles interleave encoding and decoding, all its seconds.
        public var decodingSeconds = 0.0
    }

    /// Stylizes the image file `content` as `controls` describe.
    ///
    /// - Throws: ``StyleControlError``: invalid controls, missing or unreadable images (naming
    ///   `--content`, `--style` or `--mask`), masks that do not fit.
    public func stylize(content: String, controls: StyleControls) throws(StyleControlError) -> RGBImage {
        try stylize(content: content, controls: controls, measuring: false).image
    }

    /// ``stylize(content:controls:)`` with `g(t)` and `t`; when `measuring`, also the style loss's
    /// targets (``Stylization/styleTarget``, for ``losses(of:)``), computed by the encoder pass that
    /// encodes each style (once per style and colour transform). With `smoothing` (a video's frames
    /// in order), AdaIN normalises the content with averaged statistics, or the decoder decodes
    /// averaged features (``TemporalSmoothing``; not in tiles, and statistics not with a mask).
    public func stylize(
        content: String, controls: StyleControls, measuring: Bool, smoothing: TemporalSmoothing? = nil
    ) throws(StyleControlError) -> Stylization {
        try controls.validate()
        let mode = controls.preserveColor
        var encodingSeconds = 0.0
        func timed<T>(_ body: () throws(StyleControlError) -> T) throws(StyleControlError) -> T {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { encodingSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            return try body()
        }
        let contentID = try ImageIdentity(path: content, sizing: contentSizing, role: .content)
        // The content image is read only when needed (to encode it), then kept with its encoding.
        var sized: (image: RGBImage, outputWidth: Int, outputHeight: Int)?
        var loaded: RGBImage?
        func sizedContent() throws(StyleControlError) -> (image: RGBImage, outputWidth: Int, outputHeight: Int) {
            if let sized { return sized }
            let result = try loadContent(content)
            (sized, loaded) = (result, result.image)
            return result
        }
        func contentImage() throws(StyleControlError) -> RGBImage {
            if let loaded { return loaded }
            return try sizedContent().image
        }
        let contentKey = EncodingCache.Key(image: contentID, transform: mode == .luminance ? .luminance : .none)
        if let tiling, !contentCache.contains(contentKey), tiles(content, tiling: tiling) {
            if smoothing != nil { throw .notTiled(what: "smoothed frames (--stabilize)") }
            // All its seconds are the decoding's: its tiles interleave encoding and decoding.
            let start = DispatchTime.now().uptimeNanoseconds
            let tiled = try tiledBytes(content, contentID: contentID, controls: controls, tiling: tiling, measuring: measuring)
            var stylization = Stylization(image: tiled.image.image, decoded: nil, target: nil, styleTarget: nil)
            stylization.tiledLosses = tiled.losses
            stylization.decodingSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return stylization
        }
        let contentEncoding = try contentCache.encoding(for: contentKey) { _ throws(StyleControlError) -> Encoding in
            try timed { () throws(StyleControlError) -> Encoding in
                let sized = try sizedContent()
                return Encoding(features: stylizer.encode(mode.contentInput(sized.image)), statistics: nil,
                                width: sized.image.width, height: sized.image.height, image: sized.image,
                                outputWidth: sized.outputWidth, outputHeight: sized.outputHeight)
            }
        }
        if loaded == nil { loaded = contentEncoding.image }
        let contentFeatures = contentEncoding.features
        let (width, height) = (contentEncoding.width, contentEncoding.height)

        // The mask files are read once: for the relu4_1 regions here and, when measuring, for each
        // layer's regions in losses(of:).
        var maskImages: [MaskImage]?
        var regions: RegionWeights?
        if let mask = controls.mask {
            let images = try mask.images(styleCount: controls.styles.count, contentWidth: width, contentHeight: height)
            regions = try mask.regionWeights(images: images, styleCount: controls.styles.count,
                                             featureWidth: contentFeatures.width, featureHeight: contentFeatures.height)
            maskImages = images
        }
        let (styles, styleSeconds) = try styleEncodings(controls, content: contentID, measuring: measuring,
                                                        contentColors: { () throws(StyleControlError) in ContentColors(mode, of: try contentImage()) })
        encodingSeconds += styleSeconds

        // AdaIN, AdaIN per region or the weighted sum of AdaINs (with the model's statistics), then
        // Stylizer's alpha blend, decoder and crop.
        let statistics = stylizer.variant.conventions.statistics
        var contentMoments: ChannelMeanStd?
        if let smoothing, smoothing.quantity == .statistics {
            let own = channelMeanStd(contentFeatures, convention: statistics.content)
            contentMoments = smoothing.statistics(ChannelMeanStd(mean: own.mean, std: own.std))
        }
        let adain: Tensor
        var styleTarget: StyleStatistics?
        var regionTargets: RegionTargets?
        if let regions {
            if contentMoments != nil { throw .smoothedStatisticsWithMask }
            adain = try regionAdaptiveInstanceNormalization(content: contentFeatures, styles: styles.map(\.features), regions: regions,
                                                            statistics: statistics)
            if measuring, let mask = controls.mask, let maskImages {
                regionTargets = RegionTargets(mask: mask, images: maskImages, styles: styles.map { $0.statistics! })
            }
        } else if styles.count == 1 {
            adain = adaptiveInstanceNormalization(content: contentFeatures, style: styles[0].features, statistics: statistics,
                                                  contentMoments: contentMoments)
            styleTarget = styles[0].statistics
        } else {
            let weights = try controls.normalizedWeights()
            adain = interpolatedAdaptiveInstanceNormalization(content: contentFeatures, styles: styles.map(\.features), weights: weights,
                                                              statistics: statistics, contentMoments: contentMoments)
            if measuring { styleTarget = StyleStatistics.mix(styles.map { $0.statistics! }, weights: weights) }
        }
        let blended = blend(adain, contentFeatures, alpha: controls.alpha)
        let target = smoothing?.features(blended) ?? blended
        let decodeStart = DispatchTime.now().uptimeNanoseconds
        var stylization = try decode(target, content: contentEncoding, styleTarget: styleTarget,
                                     luminanceOf: mode == .luminance ? try contentImage() : nil)
        stylization.decodingSeconds = Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e9
        stylization.encodingSeconds = encodingSeconds
        if measuring { stylization.contentImage = try contentImage() }
        stylization.regionTargets = regionTargets
        return stylization
    }

    /// `f(content)` of an image file as it is encoded without colour preservation, from
    /// ``contentCache``: for callers that build `t` themselves (``NormalizationMethod``'s IN and CIN).
    public func contentEncoding(_ content: String) throws(StyleControlError) -> Encoding {
        let key = EncodingCache.Key(image: try ImageIdentity(path: content, sizing: contentSizing, role: .content), transform: .none)
        return try contentCache.encoding(for: key) { _ throws(StyleControlError) -> Encoding in
            let sized = try loadContent(content)
            var encoding = encode(sized.image, statistics: false)
            (encoding.outputWidth, encoding.outputHeight) = (sized.outputWidth, sized.outputHeight)
            return encoding
        }
    }

    /// `f(style)` with the style loss's statistics, without colour preservation, from ``styleCache``.
    public func styleEncoding(_ style: String) throws(StyleControlError) -> Encoding {
        let key = EncodingCache.Key(image: try ImageIdentity(path: style, sizing: styleSizing, role: .style), transform: .none)
        return try styleCache.encoding(for: key, statistics: true) { statistics throws(StyleControlError) -> Encoding in
            encode(try load(style, sizing: styleSizing), statistics: statistics)
        }
    }

    /// Decodes `t` into the stylized image of `content`: the last step of every stylization. The
    /// decoder's output is cropped to the encoded content's size; with `luminanceOf` (the sized
    /// content image, luminance-only colour preservation) its luminance is recombined with that
    /// image's chroma; for ``ImageSizing/Shape/square`` it is resized back to the content's own size
    /// (``resizeLikeScikitImage(_:width:height:limits:)``); a model whose ``ModelConventions/outputLevels``
    /// truncate has its values truncated to 8-bit levels. `styleTarget` is kept for ``losses(of:)``.
    ///
    /// - Throws: ``StyleControlError/transfer(_:)`` when the image cannot be resized back (a limit
    ///   of ImageCodec's, such as `STYLECTL_MAX_PIXELS` lowered since the content was read).
    public func decode(
        _ target: Tensor, content: Encoding, styleTarget: StyleStatistics? = nil, luminanceOf: RGBImage? = nil
    ) throws(StyleControlError) -> Stylization {
        let decoded = stylizer.decoder.decode(target)
        let image = try finished(stylizer.image(from: decoded, width: content.width, height: content.height),
                                 outputWidth: content.outputWidth, outputHeight: content.outputHeight, luminanceOf: luminanceOf)
        return Stylization(image: image, decoded: decoded, target: target, styleTarget: styleTarget)
    }

    /// The decoder's image at the sized content's size made the stylized image (the tail of
    /// ``decode(_:content:styleTarget:luminanceOf:)``): the luminance recombination, the resize back
    /// to the content's own size, the model's output levels.
    private func finished(_ decodedImage: RGBImage, outputWidth: Int, outputHeight: Int, luminanceOf: RGBImage?) throws(StyleControlError) -> RGBImage {
        var image = decodedImage
        if let luminanceOf { image = ColorPreservation.luminance.output(image, content: luminanceOf) }
        if (outputWidth, outputHeight) != (image.width, image.height) {
            do { image = try resizeLikeScikitImage(image, width: outputWidth, height: outputHeight) } catch {
                throw .transfer(.image(error))
            }
        }
        if stylizer.variant.conventions.outputLevels == .truncated { image = truncatedToLevels(image) }
        return image
    }

    /// Each style's encoding as `controls` use it (colour-preservation transform toward the
    /// content, whose statistics `contentColors` gives when a style needs them), from
    /// ``styleCache``, with the style loss's statistics when `measuring`; and the seconds spent
    /// encoding the styles the cache did not hold.
    func styleEncodings(
        _ controls: StyleControls, content: ImageIdentity, measuring: Bool, contentColors: () throws(StyleControlError) -> ContentColors
    ) throws(StyleControlError) -> (encodings: [Encoding], seconds: Double) {
        let mode = controls.preserveColor
        let styleTransform = Self.styleTransform(mode, content: content)
        var styles: [Encoding] = []
        var seconds = 0.0
        for path in controls.styles {
            let key = EncodingCache.Key(image: try ImageIdentity(path: path, sizing: styleSizing, role: .style), transform: styleTransform)
            styles.append(try styleCache.encoding(for: key, statistics: measuring) { statistics throws(StyleControlError) -> Encoding in
                let start = DispatchTime.now().uptimeNanoseconds
                defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
                let image = mode == .none ? try load(path, sizing: styleSizing) : mode.styleInput(try load(path, sizing: styleSizing), colors: try contentColors())
                return encode(image, statistics: statistics)
            })
        }
        return (styles, seconds)
    }

    /// The content and style losses of a stylization (``StylizationLosses``): one encoder pass of
    /// `g(t)`; the style loss when the stylization has a style target; the colour distance
    /// (``chromaDistance(_:_:)``) of the image from the content when it has the content image; the
    /// mask fidelity (``MaskFidelity``) when it has region targets.
    ///
    /// - Throws: ``StyleControlError`` when a region has fewer than two positions at some layer.
    public func losses(of stylization: Stylization) throws(StyleControlError) -> StylizationLosses {
        if let tiledLosses = stylization.tiledLosses { return tiledLosses }
        guard let decoded = stylization.decoded, let target = stylization.target else {
            preconditionFailure("a tiled stylization not measuring has no g(t) to measure (stylize(content:controls:measuring:) with measuring)")
        }
        let output = stylizer.encoder.encodeWithIntermediates(decoded)
        var losses = StylizationLosses(output: output, target: target, style: stylization.styleTarget)
        losses.colorDistance = stylization.contentImage.map { chromaDistance(stylization.image, $0) }
        if let targets = stylization.regionTargets {
            var regions: [RegionWeights] = []
            for features in output {
                regions.append(try targets.mask.regionWeights(images: targets.images, styleCount: targets.styles.count,
                                                              featureWidth: features.width, featureHeight: features.height))
            }
            losses.maskFidelity = try MaskFidelity(output: output, regions: regions, styles: targets.styles)
        }
        return losses
    }

    /// One encoder pass: relu4_1 alone, or with the statistics of relu1_1 ... relu4_1.
    private func encode(_ image: RGBImage, statistics: Bool) -> Encoding {
        guard statistics else {
            return Encoding(features: stylizer.encode(image), statistics: nil, width: image.width, height: image.height)
        }
        let features = stylizer.encoder.encodeWithIntermediates(stylizer.variant.conventions.encoderInput(image))
        return Encoding(features: features[features.count - 1], statistics: StyleStatistics(features: features),
                        width: image.width, height: image.height)
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
        do { return try sizing.load(path: path, minimumSide: stylizer.variant.conventions.minimumImageSide) } catch { throw .transfer(error) }
    }

    /// The content image, sized, with the size its stylization is given back at; for a model whose
    /// output covers only sides that are multiples of 8 (``ModelConventions/needsSidesMultipleOf8``),
    /// other sides are refused.
    func loadContent(_ path: String) throws(StyleControlError) -> (image: RGBImage, outputWidth: Int, outputHeight: Int) {
        let sized: (image: RGBImage, outputWidth: Int, outputHeight: Int)
        do {
            sized = try contentSizing.loadGivingBack(path: path, minimumSide: stylizer.variant.conventions.minimumImageSide)
        } catch {
            throw .transfer(error)
        }
        try checkContentSize(path, width: sized.image.width, height: sized.image.height)
        return sized
    }

    /// Refuses a sized content the model cannot stylize: a side below its minimum (``ImageSizing/loadGivingBack(path:minimumSide:)``
    /// checks it too), or sides that are not multiples of 8 when it needs them.
    func checkContentSize(_ path: String, width: Int, height: Int) throws(StyleControlError) {
        let conventions = stylizer.variant.conventions
        if width < conventions.minimumImageSide || height < conventions.minimumImageSide {
            throw .transfer(.imageTooSmall(path: path, width: width, height: height, minimum: conventions.minimumImageSide))
        }
        if conventions.needsSidesMultipleOf8, !width.isMultiple(of: 8) || !height.isMultiple(of: 8) {
            throw .transfer(.sidesNotMultipleOf8(path: path, width: width, height: height, variant: stylizer.variant))
        }
    }
}

/// What ``MaskFidelity`` measures a masked stylization against: its mask and the mask images the
/// stylization read (sampled at each layer's size as it sampled them at relu4_1), and the styles'
/// statistics in region order.
public struct RegionTargets: Sendable {
    public var mask: SpatialMask
    public var images: [MaskImage]
    public var styles: [StyleStatistics]

    public init(mask: SpatialMask, images: [MaskImage], styles: [StyleStatistics]) {
        self.mask = mask
        self.images = images
        self.styles = styles
    }
}
