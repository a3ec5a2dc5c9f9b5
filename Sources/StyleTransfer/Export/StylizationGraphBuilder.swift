// The stylization network as an ONNX graph: the encoder and the decoder walked layer by layer as
// they are built from their architecture tables, AdaIN with its statistics, and the alpha blend.

import Checkpoints
import TensorCore

/// The image size an exported graph takes.
public enum ONNXExportSize: Sendable, Equatable {
    /// Content and style images of `side` x `side` pixels (a multiple of 8, so that the decoder's
    /// output has the content's size: no crop), as the seed's `to_onnx` exports 1024 x 1024.
    case fixed(Int)
    /// Any height and width of at least ``VGGEncoder/minimumImageSide``, the content's and the
    /// style's independent (`dim_param`s `content_height`, `content_width`, `style_height`,
    /// `style_width`); the output is cropped to the content's size as ``Stylizer`` crops it.
    case dynamic
}

/// Builds `output_img = clip(g(alpha * AdaIN(f(c), f(s)) + (1 - alpha) * f(c)), 0, 1)` as an ONNX
/// model, from a loaded ``Stylizer``.
///
/// **Opset 11.** The seed (aadhithya/AdaIN-pytorch's `export.py`) exports at opset 9, but opset 9
/// cannot state this network exactly: its `MaxPool` has no `ceil_mode` (opset 10), its `Slice` and
/// `Pad` take starts, ends and pads as attributes, so a graph of dynamic size can neither crop the
/// decoder's output to the content's size nor pad the pooling input by a size known only at run
/// time, and its `Upsample` is deprecated from opset 10 on. Opset 11 has ceil-mode `MaxPool`,
/// `Pad` with mode `reflect`, `Slice` with tensor inputs, and `Resize` with
/// `coordinate_transformation_mode` `asymmetric` and `nearest_mode` `floor`, which is exactly
/// `nn.Upsample(scale_factor=2, mode='nearest')`. ONNX Runtime runs opset 11 on every platform
/// (CPU, web, mobile). IR version 6 is opset 11's.
///
/// The graph, node by node: each convolution of the encoder (``VGGEncoder``'s layers, module 0's
/// 1x1 convolution folded into module 2 as ``Stylizer`` runs it) as `Pad` (reflect) + `Conv` (+
/// `Relu`), each pooling as `MaxPool` 2x2 stride 2 with `ceil_mode` (the seed's VGG-19: zero padding as the
/// `Conv`'s `pads`, floor pooling, as its layers are built); the content and the style
/// pass share the encoder's initializers (`encoder.<module>.weight`, `.bias`). AdaIN: per channel
/// `ReduceMean` over H and W, the biased variance as the mean of the squared deviations, times
/// N / (N - 1) for the unbiased variance, N = H x W taken from the feature's `Shape` at run time
/// (so one graph serves every size), `Sqrt` with epsilon as the model's ``AdaINStatistics`` say; then
/// `(f(c) - mean_c) / std_c * std_s + mean_s` and `t * alpha + f(c) * (1 - alpha)` in
/// pytorch-AdaIN's order. The decoder (``Decoder``'s layers) with `Resize` for each upsampling;
/// for ``ONNXExportSize/dynamic`` a `Slice` to the content's height and width; `Clip` to [0, 1],
/// as torchvision's `save_image` clamps before quantising (so the output times 255, rounded, is
/// `stylectl stylize`'s 8-bit image). With a normalised ``EncoderInput`` (the seed's ImageNet statistics), the
/// images are normalised (`Sub`, `Div`) before the encoder and the decoder's output is
/// de-normalised (`Mul`, `Add`) before the crop.
///
/// Inputs: `content_img` (1, 3, H, W) and `style_img` (1, 3, H', W'), RGB in [0, 1]; `alpha`,
/// shape [1] as the seed's export takes it. Output: `output_img` (1, 3, H, W), the seed's name.
/// The graph does not check alpha: values outside [0, 1] extrapolate, where `stylize` refuses them.
public struct StylizationGraphBuilder: Sendable {
    public static let opsetVersion = 11
    public static let irVersion = 6
    public static let contentInput = "content_img"
    public static let styleInput = "style_img"
    public static let alphaInput = "alpha"
    public static let output = "output_img"

    public var size: ONNXExportSize
    /// How AdaIN measures the content's and the style's std (the model's ``ModelConventions/statistics``).
    public var statistics: AdaINStatistics
    /// The encoder's input (the model's ``ModelConventions/input``): the image as it is, or
    /// normalised before the encoder and de-normalised after the decoder.
    public var input: EncoderInput

    public init(size: ONNXExportSize, statistics: AdaINStatistics = .pytorchAdaIN, input: EncoderInput = .image) {
        self.size = size
        self.statistics = statistics
        self.input = input
    }

    /// The builder for a model's conventions (``ModelVariant/conventions``). Padding and pooling
    /// need no convention: each layer carries its own (reflection or zero padding, ceil or floor pooling).
    public init(size: ONNXExportSize, model: ModelVariant) {
        self.init(size: size, statistics: model.conventions.statistics, input: model.conventions.input)
    }

    /// The model of `stylizer`'s encoder and decoder; `producerVersion` is recorded in the file.
    public func model(of stylizer: Stylizer, producerVersion: String) -> ONNXModelDefinition {
        model(encoder: stylizer.encoder.layers, decoder: stylizer.decoder.layers, producerVersion: producerVersion)
    }

    /// The model of any encoder and decoder built from architecture tables (the encoder's last
    /// layer gives the features AdaIN takes, the decoder's last layer the image).
    func model(encoder: NetworkLayers, decoder: NetworkLayers, producerVersion: String) -> ONNXModelDefinition {
        var g = GraphAssembly()
        var normalization: (mean: String, std: String)?
        if case .normalized(let mean, let std) = input {
            normalization = (g.float("image_mean", mean, dims: [1, 3, 1, 1]), g.float("image_std", std, dims: [1, 3, 1, 1]))
        }
        var contentImage = Self.contentInput, styleImage = Self.styleInput
        if let normalization {
            contentImage = g.add("Div", "content_normalized", [g.add("Sub", "content_centered", [contentImage, normalization.mean]), normalization.std])
            styleImage = g.add("Div", "style_normalized", [g.add("Sub", "style_centered", [styleImage, normalization.mean]), normalization.std])
        }
        let contentFeature = network(encoder, weights: "encoder", input: contentImage, pass: "content_encoder", &g)
        let styleFeature = network(encoder, weights: "encoder", input: styleImage, pass: "style_encoder", &g)

        let content = channelStatistics(of: contentFeature, statistics.content, name: "adain.content", &g)
        let style = channelStatistics(of: styleFeature, statistics.style, name: "adain.style", &g)
        let normalized = g.add("Div", "adain.normalized", [content.centered, content.std])
        let scaled = g.add("Mul", "adain.scaled", [normalized, style.std])
        let adain = g.add("Add", "adain", [scaled, style.mean])
        let one = g.float("one", [1], dims: [])
        let stylized = g.add("Mul", "blend.stylized", [adain, Self.alphaInput])
        let keep = g.add("Sub", "blend.one_minus_alpha", [one, Self.alphaInput])
        let kept = g.add("Mul", "blend.content", [contentFeature, keep])
        let target = g.add("Add", "blend", [stylized, kept])

        var image = network(decoder, weights: "decoder", input: target, pass: "decoder", &g)
        if let normalization {
            image = g.add("Add", "decoder.denormalized", [g.add("Mul", "decoder.rescaled", [image, normalization.std]), normalization.mean])
        }
        if size == .dynamic {
            let contentShape = g.add("Shape", "crop.content_shape", [Self.contentInput])
            let sides = g.add("Slice", "crop.content_sides", [contentShape, g.int64("index_2", [2]), g.int64("index_4", [4]), g.int64("index_0", [0])])
            image = g.add("Slice", "crop", [image, g.int64("zeros_2", [0, 0]), sides, g.int64("axes_hw", [2, 3])])
        }
        _ = g.add("Clip", Self.output, [image, g.float("zero", [0], dims: []), one])

        let (height, width, styleHeight, styleWidth): (ONNXDimension, ONNXDimension, ONNXDimension, ONNXDimension) = switch size {
        case .fixed(let side): (.value(side), .value(side), .value(side), .value(side))
        case .dynamic: (.parameter("content_height"), .parameter("content_width"), .parameter("style_height"), .parameter("style_width"))
        }
        let graph = ONNXGraphDefinition(
            name: "stylectl_adain", nodes: g.nodes, initializers: g.initializers,
            inputs: [
                ONNXValueInfo(name: Self.contentInput, shape: [.value(1), .value(3), height, width]),
                ONNXValueInfo(name: Self.styleInput, shape: [.value(1), .value(3), styleHeight, styleWidth]),
                ONNXValueInfo(name: Self.alphaInput, shape: [.value(1)]),
            ],
            outputs: [ONNXValueInfo(name: Self.output, shape: [.value(1), .value(3), height, width])]
        )
        return ONNXModelDefinition(irVersion: Self.irVersion, opsetVersion: Self.opsetVersion, producerName: "stylectl",
                                   producerVersion: producerVersion, graph: graph)
    }

    /// The nodes of one pass through `layers` (built from an architecture table) from `input`;
    /// returns the last node's output. Convolution weights are initializers named
    /// `<weights>.<module>.weight` and `.bias`, added once however many passes use them.
    private func network(_ layers: NetworkLayers, weights: String, input: String, pass: String, _ g: inout GraphAssembly) -> String {
        var x = input
        var convolution = 0
        /// `Conv` (its own zero `pads` on every side) of `x` with the next convolution's weights, then `Relu`.
        func convolutionNode(_ w: ConvolutionWeights, pads: Int, relu: Bool, node: String) -> String {
            let module = layers.convolutionModules[convolution]
            convolution += 1
            let weight = g.float("\(weights).\(module).weight", w.weight, dims: [w.outChannels, w.inChannels, w.kernelHeight, w.kernelWidth])
            let bias = g.float("\(weights).\(module).bias", w.bias, dims: [w.outChannels])
            let output = g.add("Conv", "\(node).conv", [x, weight, bias], [
                ("kernel_shape", .ints([w.kernelHeight, w.kernelWidth])), ("pads", .ints([pads, pads, pads, pads])),
                ("strides", .ints([1, 1])), ("dilations", .ints([1, 1])), ("group", .int(1)),
            ])
            return relu ? g.add("Relu", "\(node).relu", [output]) : output
        }
        for (index, layer) in layers.layers.enumerated() {
            let node = "\(pass).\(index)"
            switch layer.operation {
            case .convolution(let w, let padding, let relu):
                if padding > 0 {
                    let pads = g.int64("pads_\(padding)", [0, 0, padding, padding, 0, 0, padding, padding])
                    x = g.add("Pad", "\(node).pad", [x, pads], [("mode", .string("reflect"))])
                }
                x = convolutionNode(w, pads: 0, relu: relu, node: node)
            case .maxPool2x2Ceil:
                x = g.add("MaxPool", "\(node).pool", [x], [
                    ("kernel_shape", .ints([2, 2])), ("strides", .ints([2, 2])), ("ceil_mode", .int(1)),
                ])
            case .zeroPaddedConvolution(let w, let padding, let relu):
                x = convolutionNode(w, pads: padding, relu: relu, node: node)
            case .maxPool2x2Floor:
                x = g.add("MaxPool", "\(node).pool", [x], [("kernel_shape", .ints([2, 2])), ("strides", .ints([2, 2])), ("ceil_mode", .int(0))])
            case .upsampleNearest2x:
                let roi = g.float("empty_roi", [], dims: [0])
                let scales = g.float("scales_2x", [1, 1, 2, 2], dims: [4])
                x = g.add("Resize", "\(node).upsample", [x, roi, scales], [
                    ("mode", .string("nearest")), ("coordinate_transformation_mode", .string("asymmetric")), ("nearest_mode", .string("floor")),
                ])
            }
        }
        return x
    }

    /// A feature's per-channel mean (1, C, 1, 1), its deviations from it, and its std by `convention`:
    /// the biased or unbiased variance, then `sqrt(var + eps)`, `sqrt(var) + eps`, or `sqrt(var)` for eps 0.
    private func channelStatistics(
        of x: String, _ convention: StandardDeviationConvention, name: String, _ g: inout GraphAssembly
    ) -> (centered: String, mean: String, std: String) {
        let overSpace: [(name: String, value: ONNXAttributeValue)] = [("axes", .ints([2, 3])), ("keepdims", .int(1))]
        let mean = g.add("ReduceMean", "\(name).mean", [x], overSpace)
        let centered = g.add("Sub", "\(name).centered", [x, mean])
        let squared = g.add("Mul", "\(name).squared", [centered, centered])
        var variance = g.add("ReduceMean", "\(name).biased_variance", [squared], overSpace)
        if convention.unbiased {
            let shape = g.add("Shape", "\(name).shape", [x])
            let sides = g.add("Slice", "\(name).sides", [shape, g.int64("index_2", [2]), g.int64("index_4", [4]), g.int64("index_0", [0])])
            let floatSides = g.add("Cast", "\(name).sides_float", [sides], [("to", .int(ONNXElementType.float.rawValue))])
            let count = g.add("ReduceProd", "\(name).count", [floatSides], [("keepdims", .int(1))])
            let countLessOne = g.add("Sub", "\(name).count_minus_one", [count, g.float("one", [1], dims: [])])
            let correction = g.add("Div", "\(name).bessel_correction", [count, countLessOne])
            variance = g.add("Mul", "\(name).variance", [variance, correction])
        }
        let std: String
        let eps = convention.eps
        if eps == 0 {
            std = g.add("Sqrt", "\(name).std", [variance])
        } else if convention.epsAddedToStd {
            let root = g.add("Sqrt", "\(name).std_no_eps", [variance])
            std = g.add("Add", "\(name).std", [root, g.float("eps_\(eps)", [eps], dims: [])])
        } else {
            let shifted = g.add("Add", "\(name).variance_eps", [variance, g.float("eps_\(eps)", [eps], dims: [])])
            std = g.add("Sqrt", "\(name).std", [shifted])
        }
        return (centered, mean, std)
    }
}

/// The nodes and initializers of a graph being built. Each node has one output, named as the
/// node; constants are added once per name.
private struct GraphAssembly {
    var nodes: [ONNXNodeDefinition] = []
    var initializers: [ONNXTensorDefinition] = []
    private var constants: Set<String> = []

    /// Adds a node and returns its output's name (the node's name).
    mutating func add(_ opType: String, _ name: String, _ inputs: [String], _ attributes: [(name: String, value: ONNXAttributeValue)] = []) -> String {
        nodes.append(ONNXNodeDefinition(name: name, opType: opType, inputs: inputs, outputs: [name], attributes: attributes))
        return name
    }

    /// A float initializer (weights, scalars).
    mutating func float(_ name: String, _ values: [Float], dims: [Int]) -> String {
        if constants.insert(name).inserted {
            initializers.append(ONNXTensorDefinition(name: name, dims: dims, values: .float(values)))
        }
        return name
    }

    /// A 1-D int64 constant (pads, slice bounds), as a `Constant` node: ``loadONNXGraph(path:)``
    /// reads float initializers only, and keeps reading the exported file.
    mutating func int64(_ name: String, _ values: [Int]) -> String {
        if constants.insert(name).inserted {
            let tensor = ONNXTensorDefinition(name: name, dims: [values.count], values: .int64(values))
            nodes.append(ONNXNodeDefinition(name: name, opType: "Constant", inputs: [], outputs: [name], attributes: [("value", .tensor(tensor))]))
        }
        return name
    }
}
