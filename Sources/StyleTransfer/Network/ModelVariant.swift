// The three AdaIN systems stylectl runs, and each one's conventions in one table: weights, key
// layout, padding, pooling, input normalisation, AdaIN statistics, standard file names.

import ImageCodec
import TensorCore

/// Which released AdaIN system a pair of weight files belongs to, and so how stylectl runs it.
///
/// - ``pytorchAdaIN``: naoto0804/pytorch-AdaIN (`vgg_normalised.pth`, `decoder.pth`), stylectl's
///   reference.
/// - ``torch``: the paper's Lua Torch release, xunhuang1995/AdaIN-style (`vgg_normalised.t7`,
///   `decoder.t7`): the same networks (pytorch-AdaIN's files are converted from these), but its
///   AdaIN module takes biased statistics.
/// - ``seed``: aadhithya/AdaIN-pytorch, the implementation the article "Real-time Artwork
///   Generation using Deep Learning" links: torchvision's ImageNet VGG-19 (`vgg19-dcbb9e9d.pth`,
///   zero padding, floor-mode pooling, ImageNet normalisation instead of a 1x1 convolution), its
///   own decoder key layout and AdaIN statistics.
///
/// Everything that differs between them is in ``conventions``; the pipeline asks the variant and
/// holds no flags of its own.
public enum ModelVariant: String, CaseIterable, Sendable, Codable, Hashable {
    case pytorchAdaIN = "pytorch-adain"
    case torch
    case seed

    /// The conventions of this variant.
    public var conventions: ModelConventions {
        switch self {
        case .pytorchAdaIN: .pytorchAdaIN
        case .torch: .torch
        case .seed: .seed
        }
    }

    /// The values `--model` takes, for messages: `pytorch-adain, torch, seed`.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The statistics AdaIN takes: `AdaIN(x, y) = std_style(y) * (x - mean(x)) / std_content(x) + mean(y)`.
public struct AdaINStatistics: Sendable, Equatable, Hashable {
    /// How `std(x)` of the content (the divisor) is formed.
    public var content: StandardDeviationConvention
    /// How the target `std(y)` of the style is formed.
    public var style: StandardDeviationConvention

    public init(content: StandardDeviationConvention, style: StandardDeviationConvention) {
        self.content = content
        self.style = style
    }

    /// pytorch-AdaIN's `calc_mean_std` for both: unbiased variance, 1e-5 under the square root.
    public static let pytorchAdaIN = AdaINStatistics(content: .pytorchAdaIN, style: .pytorchAdaIN)
    /// AdaIN-style's `nn.AdaptiveInstanceNormalization`: the content normalised by
    /// `nn.SpatialBatchNormalization` in training mode (biased variance, 1e-5 inside the square
    /// root), the style's target `styleView:std(3, true)` (biased, no eps).
    public static let torch = AdaINStatistics(content: StandardDeviationConvention(unbiased: false, eps: 1e-5),
                                              style: StandardDeviationConvention(unbiased: false, eps: 0))
    /// aadhithya/AdaIN-pytorch's `_compute_mean_std` for both: `torch.std` (unbiased) + 1e-8 added to the std.
    public static let seed = AdaINStatistics(content: StandardDeviationConvention(unbiased: true, eps: 1e-8, epsAddedToStd: true),
                                             style: StandardDeviationConvention(unbiased: true, eps: 1e-8, epsAddedToStd: true))
}

/// What the encoder takes and the decoder gives, relative to an RGB image in [0, 1].
public enum EncoderInput: Sendable, Equatable {
    /// The image as it is (torchvision's `ToTensor`); the VGG's own first layer (vgg_normalised's
    /// 1x1 convolution) normalises it. The decoder's output is an image (clamped when written).
    case image
    /// torchvision's `Normalize(mean, std)` before the encoder, `(x - mean) / std` per channel in
    /// float32; the decoder's output is in the same space and is de-normalised and clamped to
    /// [0, 1] (the seed's `inv_normz`: `clamp(x * std + mean, 0, 1)`).
    case normalized(mean: [Float], std: [Float])

    /// ImageNet's mean and standard deviation, as the seed's `load_image` normalises.
    public static let imageNet = EncoderInput.normalized(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
}

/// The format and key layout of a variant's weight files.
public enum WeightLayout: Sendable, Equatable {
    /// PyTorch state_dicts (legacy or zip `.pth`, or safetensors) keyed by module number:
    /// `"0.weight"` ... of vgg_normalised, `"1.weight"` ... `"28.bias"` of the decoder.
    case moduleNumbers
    /// Torch7 `.t7` files holding an `nn.Sequential`, whose module i is pytorch-AdaIN's module i.
    case torch7Sequential
    /// torchvision's VGG-19 state_dict (`features.0.weight` ... `features.19.bias` read, the
    /// classifier and later features ignored) and the seed's decoder state_dict (`net.0.0.weight`,
    /// `net.1.0/2/4/6`, `net.2.0/2`, `net.3.0/2`), legacy or zip `.pth` or safetensors.
    case torchvisionAndSeedDecoder
}

/// How a variant turns its output values into 8-bit levels when the image is written.
public enum OutputLevels: Sendable, Equatable {
    /// Rounded: torchvision's `save_image` (`mul(255).add_(0.5).clamp_(0, 255)`), ImageCodec's
    /// ``quantize(_:)-(Float)``.
    case rounded
    /// Truncated toward zero (``truncatedToLevels(_:)``): the seed's `(img * 255).astype(np.uint8)`;
    /// the Lua Torch image package's `image.save` (`clampImage`: saturated to [0, 1], times 255, then
    /// converted to bytes by a C cast).
    case truncated
}

/// Everything that differs between the AdaIN systems (``ModelVariant``): the one place the
/// pipeline, the loaders and the command line ask.
public struct ModelConventions: Sendable {
    /// The system's name in messages, e.g. `"the seed model (aadhithya/AdaIN-pytorch)"`.
    public let title: String
    /// The encoder's layers up to relu4_1.
    public let encoderArchitecture: [ArchitectureLayer]
    /// How the encoder's keys are named, and its padding and pooling.
    public let encoderNetwork: NetworkConventions
    /// How the decoder's keys are named (the decoder is the same network in all three: reflection
    /// padding, nearest upsampling, ``Decoder/architecture``).
    public let decoderNetwork: NetworkConventions
    public let input: EncoderInput
    public let statistics: AdaINStatistics
    public let weightLayout: WeightLayout
    /// How the system sizes its images (``ImageSizing/Shape``) and the size it runs at by default
    /// (`--content-size` and `--style-size` when not given): pytorch-AdaIN's test.py and test.lua
    /// resize the shorter side to 512 (each with its own resampling), the seed's infer.py both
    /// images to 256 x 256.
    public let sizingShape: ImageSizing.Shape
    public let defaultImageSize: Int
    public let outputLevels: OutputLevels
    /// The smallest image side the encoder and decoder take: relu4_1 must be at least 2 pixels
    /// wide for the decoder's reflection padding (ceil(side / 8) >= 2, or floor(side / 8) >= 2).
    public let minimumImageSide: Int
    /// The standard file names in a models folder, first found wins.
    public let vggNames: [String]
    public let decoderNames: [String]
    /// How its own trainer trains the decoder (``TrainingConventions``).
    public let training: TrainingConventions

    static let pytorchAdaIN = ModelConventions(
        title: "the pytorch-adain model (naoto0804/pytorch-AdaIN)",
        encoderArchitecture: VGGEncoder.architecture, encoderNetwork: .pytorchAdaIN, decoderNetwork: .pytorchAdaIN,
        input: .image, statistics: .pytorchAdaIN, weightLayout: .moduleNumbers, sizingShape: .shorterSide,
        defaultImageSize: 512, outputLevels: .rounded, minimumImageSide: 9,
        vggNames: ["vgg_normalised.pth", "vgg_normalised.safetensors"], decoderNames: ["decoder.pth", "decoder.safetensors"],
        training: .pytorchAdaIN)

    static let torch = ModelConventions(
        title: "the torch model (xunhuang1995/AdaIN-style)",
        encoderArchitecture: VGGEncoder.architecture, encoderNetwork: .pytorchAdaIN, decoderNetwork: .pytorchAdaIN,
        input: .image, statistics: .torch, weightLayout: .torch7Sequential, sizingShape: .luaShorterSide,
        defaultImageSize: 512, outputLevels: .truncated, minimumImageSide: 9,
        vggNames: ["vgg_normalised.t7"], decoderNames: ["decoder.t7"], training: .torch)

    static let seed = ModelConventions(
        title: "the seed model (aadhithya/AdaIN-pytorch)",
        encoderArchitecture: seedEncoderArchitecture,
        encoderNetwork: NetworkConventions(keyPrefix: "features.", zeroPadding: true, floorPooling: true),
        decoderNetwork: NetworkConventions(moduleNames: seedDecoderModuleNames),
        input: .imageNet, statistics: .seed, weightLayout: .torchvisionAndSeedDecoder, sizingShape: .square,
        defaultImageSize: 256, outputLevels: .truncated, minimumImageSide: 16,
        vggNames: ["vgg19-dcbb9e9d.pth"], decoderNames: ["seed-decoder.pth"], training: .seed)

    /// torchvision's `vgg19().features[:21]` (conv1_1 ... relu4_1) under its module numbers:
    /// convolutions 0, 2, 5, 7, 10, 12, 14, 16, 19, max-pools 4, 9, 18. No 1x1 convolution.
    static let seedEncoderArchitecture: [ArchitectureLayer] = [
        .convolution(module: 0, inChannels: 3, outChannels: 64, kernel: 3, relu: true, landmark: "relu1_1"),
        .convolution(module: 2, inChannels: 64, outChannels: 64, kernel: 3, relu: true),
        .maxPool(module: 4),
        .convolution(module: 5, inChannels: 64, outChannels: 128, kernel: 3, relu: true, landmark: "relu2_1"),
        .convolution(module: 7, inChannels: 128, outChannels: 128, kernel: 3, relu: true),
        .maxPool(module: 9),
        .convolution(module: 10, inChannels: 128, outChannels: 256, kernel: 3, relu: true, landmark: "relu3_1"),
        .convolution(module: 12, inChannels: 256, outChannels: 256, kernel: 3, relu: true),
        .convolution(module: 14, inChannels: 256, outChannels: 256, kernel: 3, relu: true),
        .convolution(module: 16, inChannels: 256, outChannels: 256, kernel: 3, relu: true),
        .maxPool(module: 18),
        .convolution(module: 19, inChannels: 256, outChannels: 512, kernel: 3, relu: true, landmark: "relu4_1"),
    ]

    /// The seed's `VggDecoder` keys for the modules of ``Decoder/architecture``: its
    /// `nn.ModuleList` of four `nn.Sequential` blocks (`net.<block>.<index>`), the convolutions
    /// padding themselves (`padding_mode="reflect"`) and the upsampling done between blocks.
    static let seedDecoderModuleNames: [Int: String] = [
        1: "net.0.0", 5: "net.1.0", 8: "net.1.2", 11: "net.1.4", 14: "net.1.6",
        18: "net.2.0", 21: "net.2.2", 25: "net.3.0", 28: "net.3.2",
    ]

    /// Whether the encoded image's sides must be multiples of 8: with floor-mode pooling a last odd
    /// row or column is dropped, and the decoder's output would not cover the image.
    public var needsSidesMultipleOf8: Bool { encoderNetwork.floorPooling }

    /// The sizing at `size` (nil: ``defaultImageSize``), in this system's shape.
    public func sizing(size: Int?, crop: Bool) -> ImageSizing {
        ImageSizing(size: size ?? defaultImageSize, crop: crop, shape: sizingShape)
    }

    /// The encoder's input for an image: the image itself, or its normalisation.
    public func encoderInput(_ image: RGBImage) -> Tensor {
        let tensor = Tensor(shape: [1, 3, image.height, image.width], values: image.pixels)
        guard case .normalized(let mean, let std) = input else { return tensor }
        var result = tensor
        let plane = image.width * image.height
        result.values.withUnsafeMutableBufferPointer { values in
            for c in 0 ..< 3 {
                let (m, s) = (mean[c], std[c])
                for i in c * plane ..< (c + 1) * plane { values[i] = (values[i] - m) / s }
            }
        }
        return result
    }

    /// The decoder's output as image values: itself, or de-normalised and clamped to [0, 1].
    public func decoderOutput(_ decoded: Tensor) -> Tensor {
        guard case .normalized(let mean, let std) = input else { return decoded }
        var result = decoded
        let plane = decoded.height * decoded.width
        result.values.withUnsafeMutableBufferPointer { values in
            for n in 0 ..< decoded.batch {
                for c in 0 ..< 3 {
                    let (m, s) = (mean[c], std[c])
                    let start = (n * 3 + c) * plane
                    for i in start ..< start + plane { values[i] = min(max(values[i] * s + m, 0), 1) }
                }
            }
        }
        return result
    }
}
