// The conventions an exported stylization graph follows where AdaIN implementations differ: the
// padding before each convolution, the pooling's rounding, and how AdaIN measures a channel's std.

/// How a convolution's input is padded (by half its kernel).
public enum ExportPadding: Sendable, Equatable {
    /// `nn.ReflectionPad2d` (pytorch-AdaIN, the Torch release): an ONNX `Pad` node, mode `reflect`.
    case reflect
    /// The convolution's own zero padding (torchvision's VGG-19): the `Conv` node's `pads`.
    case zero
}

/// How a 2x2 max-pooling of stride 2 rounds an odd side.
public enum ExportPooling: Sendable, Equatable {
    /// `ceil_mode=True` (pytorch-AdaIN, the Torch release): an odd side keeps its last row or column.
    case ceil
    /// `ceil_mode=False` (torchvision's VGG-19): an odd side drops it. The decoder's output is then
    /// 8 x floor(side / 8) pixels, and a dynamic graph's crop leaves it so: the seed resizes its
    /// images to a square of a multiple of 8 before the network.
    case floor
}

/// How AdaIN measures the standard deviation of a feature channel over its H x W values.
public struct ChannelStatisticsConvention: Sendable, Equatable {
    /// Which variance: the sum of squared deviations over N - 1 (unbiased) or over N (biased).
    public enum Variance: Sendable, Equatable {
        case unbiased
        case biased
    }

    /// Where the epsilon goes.
    public enum Epsilon: Sendable, Equatable {
        /// `sqrt(variance + eps)`.
        case underSquareRoot(Float)
        /// `sqrt(variance) + eps`.
        case addedToStd(Float)
        /// `sqrt(variance)`.
        case none
    }

    public var variance: Variance
    public var epsilon: Epsilon

    public init(variance: Variance, epsilon: Epsilon) {
        self.variance = variance
        self.epsilon = epsilon
    }

    /// pytorch-AdaIN's `calc_mean_std` (``calcMeanStd(_:eps:)``): the unbiased variance plus 1e-5
    /// under the square root.
    public static let pytorchAdaIN = ChannelStatisticsConvention(variance: .unbiased, epsilon: .underSquareRoot(1e-5))
}

/// A per-channel normalisation of the RGB images before the encoder, undone on the decoder's
/// output: `(x - mean) / std` in, `y * std + mean` out (torchvision's ImageNet statistics for
/// the seed's VGG-19; none for pytorch-AdaIN, whose VGG takes [0, 1] RGB).
public struct ImageNormalization: Sendable, Equatable {
    /// Red, green, blue.
    public var mean: SIMD3<Float>
    public var std: SIMD3<Float>

    public init(mean: SIMD3<Float>, std: SIMD3<Float>) {
        self.mean = mean
        self.std = std
    }

    /// torchvision's ImageNet statistics (the seed's `transforms.Normalize`).
    public static let imageNet = ImageNormalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
}

/// The conventions of one AdaIN implementation that an exported graph follows; each is a
/// parameter of ``StylizationGraphBuilder``, so that another model variant is another value of
/// this type, not another builder.
public struct StylizationGraphConventions: Sendable, Equatable {
    public var padding: ExportPadding
    public var pooling: ExportPooling
    /// How the content feature's mean and std are measured (the normalisation of AdaIN).
    public var contentStatistics: ChannelStatisticsConvention
    /// How the style feature's mean and std are measured (AdaIN's target).
    public var styleStatistics: ChannelStatisticsConvention
    /// The images' normalisation around the network, or nil for none.
    public var imageNormalization: ImageNormalization?

    public init(padding: ExportPadding, pooling: ExportPooling, contentStatistics: ChannelStatisticsConvention,
                styleStatistics: ChannelStatisticsConvention, imageNormalization: ImageNormalization? = nil) {
        self.padding = padding
        self.pooling = pooling
        self.contentStatistics = contentStatistics
        self.styleStatistics = styleStatistics
        self.imageNormalization = imageNormalization
    }

    /// pytorch-AdaIN's network, which ``Stylizer`` runs: reflection padding, ceil-mode pooling,
    /// ``ChannelStatisticsConvention/pytorchAdaIN`` for both features, no image normalisation.
    public static let pytorchAdaIN = StylizationGraphConventions(
        padding: .reflect, pooling: .ceil, contentStatistics: .pytorchAdaIN, styleStatistics: .pytorchAdaIN
    )
}
