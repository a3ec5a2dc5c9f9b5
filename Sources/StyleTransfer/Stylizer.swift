// The stylization pipeline of pytorch-AdaIN's test.py: images in, encoder, AdaIN, alpha blend, decoder, image out.

import Checkpoints
import ImageCodec
import TensorCore

/// An encoder and a decoder loaded from weight files, ready to stylize images.
///
/// `output = g(alpha * AdaIN(f(c), f(s)) + (1 - alpha) * f(c))` (Huang & Belongie 2017, Eq. 11),
/// with `f` the VGG-19 encoder up to relu4_1 and `g` the decoder; ported from pytorch-AdaIN's
/// `style_transfer` in test.py. The decoder's output is cropped to the content image's size: when a
/// side is not a multiple of 8, ceil-mode pooling makes it larger, and the extra rows and columns at
/// the bottom and right are dropped (pytorch-AdaIN keeps them).
///
/// The model (``variant``) is the encoder's: its conventions (input normalisation, AdaIN's
/// statistics, the decoder output's conversion) are what ``encode(_:)``, ``stylize(content:style:alpha:width:height:)``
/// and ``StylizationPipeline`` apply.
///
/// Instances hold only immutable weights and may be shared across threads.
public final class Stylizer: Sendable {
    public let encoder: VGGEncoder
    public let decoder: Decoder

    /// The model being run: the encoder's (a decoder is the same network in every model).
    public var variant: ModelVariant { encoder.variant }

    public init(encoder: VGGEncoder, decoder: Decoder) {
        self.encoder = encoder
        self.decoder = decoder
    }

    /// Loads and checks both weight files, as the model `models.variant` (when nil, the model the
    /// VGG file is recognised as: ``WeightFileIdentity/identify(path:)``, pytorch-AdaIN's when it
    /// is none of the known layouts).
    ///
    /// A file of another model or of the other network is refused naming the file, what it was
    /// recognised by and the model it belongs to (``NetworkWeightError/otherModel(expected:found:)``).
    public convenience init(models: ModelFiles) throws(StyleTransferError) {
        let vggIdentity = try WeightFileIdentity.identify(path: models.vgg)
        let variant = models.variant ?? vggIdentity?.variant ?? .pytorchAdaIN
        let decoderIdentity = try WeightFileIdentity.identify(path: models.decoder)
        for (path, identity, network) in [(models.vgg, vggIdentity, NetworkRole.encoder), (models.decoder, decoderIdentity, .decoder)] {
            guard let identity, identity.variant != variant || !identity.network.holds(network) else { continue }
            // pytorch-AdaIN's files swapped keep their own words (NetworkWeightError.vggGivenAsDecoder ...),
            // given by the network's initialiser below.
            if identity.variant == variant, variant == .pytorchAdaIN { continue }
            let first = network == .encoder
                ? variant.conventions.encoderArchitecture[0].tensors(variant.conventions.encoderNetwork)[0].key
                : Decoder.architecture[0].tensors(variant.conventions.decoderNetwork)[0].key
            let expected = variant == .torch ? "its Torch7 module \(network == .encoder ? 0 : 1)" : first
            throw .weights(path: path, .otherModel(expected: WeightFileIdentity(variant: variant, network: network, evidence: expected), found: identity))
        }
        let encoderWeights = try Self.weights(models.vgg, variant: variant, network: .encoder)
        let decoderWeights = try Self.weights(models.decoder, variant: variant, network: .decoder)
        let encoder: VGGEncoder
        let decoder: Decoder
        do { encoder = try VGGEncoder(weights: encoderWeights, variant: variant) } catch { throw .weights(path: models.vgg, error) }
        do { decoder = try Decoder(weights: decoderWeights, variant: variant) } catch { throw .weights(path: models.decoder, error) }
        self.init(encoder: encoder, decoder: decoder)
    }

    /// The tensors of `network` in the file at `path`, as `variant`'s weight layout keeps them:
    /// the whole state_dict; a Torch7 file's modules checked and keyed by position
    /// (``torch7StateDict(_:network:)``); or, for torchvision's VGG-19, only `features.0` ...
    /// `features.19` (the file's 548 MB classifier is never read); or, from the seed's ONNX export
    /// (any model's file named `.onnx`), its convolutions (``seedONNXStateDict(_:network:)``).
    static func weights(_ path: String, variant: ModelVariant, network: NetworkRole) throws(StyleTransferError) -> [String: StoredTensor] {
        if WeightFileIdentity.isONNX(path) {
            guard variant == .seed else { throw .onnxWeightsOfOtherModel(path: path, variant: variant) }
            let graph: ONNXGraph
            do { graph = try loadONNXGraph(path: path) } catch { throw .checkpoint(error) }
            do { return try seedONNXStateDict(graph, network: network) } catch { throw .weights(path: path, error) }
        }
        switch (variant.conventions.weightLayout, network) {
        case (.moduleNumbers, _), (.torchvisionAndSeedDecoder, .decoder), (.torchvisionAndSeedDecoder, .encoderAndDecoder):
            do { return try loadStateDict(path: path) } catch { throw .checkpoint(error) }
        case (.torchvisionAndSeedDecoder, .encoder):
            let conventions = variant.conventions
            let keys = conventions.encoderArchitecture.flatMap { $0.tensors(conventions.encoderNetwork).map(\.key) }
            do { return try loadStateDict(path: path, keys: Set(keys).union(WeightFileIdentity.probeKeys)) } catch { throw .checkpoint(error) }
        case (.torch7Sequential, _):
            let modules: [Torch7Module]
            do { modules = try loadTorch7Sequential(path: path) } catch { throw .checkpoint(error) }
            do { return try torch7StateDict(modules, network: network) } catch { throw .weights(path: path, error) }
        }
    }

    /// `f(image)`: the relu4_1 features of an image, shape (1, 512, ceil(H/8), ceil(W/8))
    /// (floor(H/8), floor(W/8) for the seed model), the image normalised as the model does
    /// (``ModelConventions/encoderInput(_:)``). Both sides must be at least the model's
    /// ``ModelConventions/minimumImageSide`` (``ImageSizing/load(path:minimumSide:)`` checks it).
    public func encode(_ image: RGBImage) -> Tensor {
        encoder.encode(variant.conventions.encoderInput(image))
    }

    /// Decodes `alpha * AdaIN(content, style) + (1 - alpha) * content` and crops it to
    /// `width` x `height`.
    ///
    /// - Parameters:
    ///   - content: `f(c)`, from ``encode(_:)``.
    ///   - style: `f(s)`, from ``encode(_:)``; its spatial size may differ from the content's.
    ///   - alpha: the content-style trade-off in [0, 1]; 1 is full stylization, 0 reconstructs the content.
    public func stylize(
        content: Tensor, style: Tensor, alpha: Float, width: Int, height: Int
    ) throws(StyleTransferError) -> RGBImage {
        guard (0 ... 1).contains(alpha) else { throw .alphaOutOfRange(alpha) }
        let t = blend(adaptiveInstanceNormalization(content: content, style: style, statistics: variant.conventions.statistics), content, alpha: alpha)
        return image(from: decoder.decode(t), width: width, height: height)
    }

    /// Stylizes one pair of images.
    public func stylize(content: RGBImage, style: RGBImage, alpha: Float) throws(StyleTransferError) -> RGBImage {
        try stylize(content: encode(content), style: encode(style), alpha: alpha, width: content.width, height: content.height)
    }

    /// The decoder's output `decoded` as the model's image (``ModelConventions/decoderOutput(_:)``),
    /// its top-left `width` x `height`.
    public func image(from decoded: Tensor, width: Int, height: Int) -> RGBImage {
        Self.image(from: variant.conventions.decoderOutput(decoded), width: width, height: height)
    }

    /// The top-left `width` x `height` of a (1, 3, H, W) tensor as an image.
    public static func image(from tensor: Tensor, width: Int, height: Int) -> RGBImage {
        let (h, w) = (tensor.shape[2], tensor.shape[3])
        precondition(tensor.shape[0] == 1 && tensor.shape[1] == 3 && h >= height && w >= width)
        let values = tensor.values
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        for c in 0 ..< 3 {
            for y in 0 ..< height {
                let src = (c * h + y) * w
                let dst = (c * height + y) * width
                for x in 0 ..< width { pixels[dst + x] = values[src + x] }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}

/// How an input image is sized before encoding, and the size its stylization is given back at.
///
/// ``Shape/shorterSide`` is pytorch-AdaIN's `test_transform`, ``Shape/luaShorterSide`` AdaIN-style's
/// `sizePreprocess` (test.lua), ``Shape/square`` the seed's `load_image` and `postprocess`
/// (aadhithya/AdaIN-pytorch's infer.py).
/// With `size` 0 and `crop`, the centre square of the unresized image (side: its shorter side) is
/// taken; pytorch-AdaIN has no such case (its `CenterCrop(0)` fails).
public struct ImageSizing: Sendable, Hashable {
    /// How `size` is applied.
    public enum Shape: String, Sendable, Hashable, Codable, CaseIterable {
        /// The shorter side is resized to `size` (with antialiasing, as PIL:
        /// ``resizeShorterSide(_:to:limits:)``); the stylization keeps the sized image's size.
        case shorterSide = "shorter-side"
        /// The shorter side is resized to `size` by the Lua Torch image package's
        /// `image.scale(x, "^size")` (``torchImageShorterSideSize(width:height:to:limits:)``,
        /// ``resizeLikeTorchImage(_:width:height:limits:)``); the centre square is taken before
        /// resizing, its start rounded down (`image.crop(x, "c", ...)`); the stylization keeps the
        /// sized image's size.
        case luaShorterSide = "lua-shorter-side"
        /// The image is resized to `size` x `size` (torchvision's `Resize((size, size))` on the
        /// float tensor: ``resizeBilinearUnantialiased(_:width:height:limits:)``); the stylization is
        /// resized back to the image's own size (``resizeLikeScikitImage(_:width:height:limits:)``).
        case square
    }

    /// The shorter side (``Shape/shorterSide``) or the side (``Shape/square``) the image is resized
    /// to; 0 keeps the original size.
    public var size: Int
    /// Take the centre square: after resizing (``Shape/shorterSide``; the shorter side's square for
    /// size 0), before it (``Shape/luaShorterSide``, ``Shape/square``).
    public var crop: Bool
    public var shape: Shape

    /// The largest `size` accepted: 2^14. A shorter side of 16384 pixels is at least 268 million
    /// pixels, above ImageCodec's default pixel limit (Pillow's 178,956,970), and a stylization
    /// of it needs over 200 GB (``StylizationMemory``); larger values can only be
    /// typing mistakes, so they are refused at parse time rather than after reading the image.
    public static let maximumSize = 16384

    public init(size: Int, crop: Bool = false, shape: Shape = .shorterSide) {
        self.size = size
        self.crop = crop
        self.shape = shape
    }

    /// Refuses a size outside `0 ... maximumSize` for images of `role` (content or style).
    public static func check(size: Int, of role: InputRole) throws(StyleTransferError) {
        guard (0 ... maximumSize).contains(size) else { throw .sizeOutOfRange(role: role, size: size) }
    }

    /// The width and height an image of `width` x `height` pixels (both positive) has after
    /// sizing, without ImageCodec's pixel limit (for estimates; ``load(path:minimumSide:)`` applies
    /// it); nil when a side would not fit in an `Int`.
    public func sizedDimensions(width: Int, height: Int) -> (width: Int, height: Int)? {
        switch shape {
        case .square:
            if size > 0 { return (size, size) }
            return crop ? (min(width, height), min(width, height)) : (width, height)
        case .luaShorterSide:
            let (w, h) = crop ? (min(width, height), min(width, height)) : (width, height)
            guard size > 0 else { return (w, h) }
            return try? torchImageShorterSideSize(width: w, height: h, to: size, limits: ImageLimits(maxPixels: .max))
        case .shorterSide:
            if crop {
                let side = size > 0 ? size : min(width, height)
                return (side, side)
            }
            guard size > 0 else { return (width, height) }
            return try? shorterSideSize(width: width, height: height, to: size, limits: ImageLimits(maxPixels: .max))
        }
    }

    /// Reads an image file and sizes it; fails when the result is too small to encode
    /// (`minimumSide`: the model's ``ModelConventions/minimumImageSide``).
    public func load(path: String, minimumSide: Int = VGGEncoder.minimumImageSide) throws(StyleTransferError) -> RGBImage {
        try loadGivingBack(path: path, minimumSide: minimumSide).image
    }

    /// ``load(path:minimumSide:)`` with the size a stylization of the image is given back at: the
    /// sized image's (``Shape/shorterSide``), or the read and cropped image's (``Shape/square``).
    public func loadGivingBack(
        path: String, minimumSide: Int = VGGEncoder.minimumImageSide
    ) throws(StyleTransferError) -> (image: RGBImage, outputWidth: Int, outputHeight: Int) {
        var image: RGBImage
        let output: (width: Int, height: Int)
        do {
            image = try readImage(path: path)
            switch shape {
            case .shorterSide:
                if size > 0 { image = try resizeShorterSide(image, to: size) }
                if crop { image = try centerCrop(image, size: size > 0 ? size : min(image.width, image.height)) }
                output = (image.width, image.height)
            case .luaShorterSide:
                if crop { image = try centerCrop(image, size: min(image.width, image.height), rounding: .floor) }
                if size > 0 {
                    let sized = try torchImageShorterSideSize(width: image.width, height: image.height, to: size)
                    image = try resizeLikeTorchImage(image, width: sized.width, height: sized.height)
                }
                output = (image.width, image.height)
            case .square:
                if crop { image = try centerCrop(image, size: min(image.width, image.height)) }
                output = (image.width, image.height)
                if size > 0 { image = try resizeBilinearUnantialiased(image, width: size, height: size) }
            }
        } catch {
            throw .image(error)
        }
        let minimum = minimumSide
        guard image.width >= minimum && image.height >= minimum else {
            throw .imageTooSmall(path: path, width: image.width, height: image.height, minimum: minimum)
        }
        return (image, output.width, output.height)
    }
}
