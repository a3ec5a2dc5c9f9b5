// The one description of the encoder's and decoder's layers (their architecture tables), and the
// layers built from a table and a state_dict: what the inference `Sequential` and the
// `TrainingNetwork` both run, the named landmark layers, and each convolution's state_dict key.

import Checkpoints
import TensorCore

/// One row of a layer table, named by the index of its module in pytorch-AdaIN's `nn.Sequential`
/// (which is also the prefix of its checkpoint keys).
///
/// A table (``VGGEncoder``'s and ``Decoder``'s, or a small one of a test) is the source of truth of
/// a network: the inference ``TensorCore/Sequential`` and the ``TrainingNetwork`` are both built
/// from it, and its landmarks name the layers whose outputs are taken as features.
public enum ArchitectureLayer: Sendable, Equatable {
    /// `nn.Conv2d(inChannels, outChannels, (kernel, kernel))` at `module` (keys `"<module>.weight"`
    /// of shape (out, in, kernel, kernel) and `"<module>.bias"`), preceded by
    /// `nn.ReflectionPad2d(kernel / 2)` at `module - 1` when `kernel > 1`, followed by `nn.ReLU()`
    /// at `module + 1` when `relu`. `landmark` names the layer's output (after the ReLU) when it is
    /// a feature: relu1_1 ... relu4_1 of the encoder, the image of the decoder.
    case convolution(module: Int, inChannels: Int, outChannels: Int, kernel: Int, relu: Bool, landmark: String? = nil)
    /// `nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True)` at `module`.
    case maxPool(module: Int)
    /// `nn.Upsample(scale_factor=2, mode='nearest')` at `module`.
    case upsample(module: Int)

    /// The state_dict keys of the weight and bias of the convolution at `module`.
    static func keys(module: Int) -> (weight: String, bias: String) { ("\(module).weight", "\(module).bias") }

    /// `convolutions` as a state_dict, convolution k under the keys of `modules[k]` (a convolution
    /// past the modules under `"extra<k>.weight"`, so that a check of the keys reports it).
    static func stateDict(_ convolutions: [ConvolutionWeights], modules: [Int]) -> [String: StoredTensor] {
        var state: [String: StoredTensor] = [:]
        for (k, w) in convolutions.enumerated() {
            let keys = k < modules.count ? Self.keys(module: modules[k]) : (weight: "extra\(k).weight", bias: "extra\(k).bias")
            state[keys.weight] = StoredTensor(shape: [w.outChannels, w.inChannels, w.kernelHeight, w.kernelWidth], values: w.weight)
            state[keys.bias] = StoredTensor(shape: [w.outChannels], values: w.bias)
        }
        return state
    }

    /// The checkpoint keys this layer needs and their shapes, under pytorch-AdaIN's key layout.
    var tensors: [(key: String, shape: [Int])] { tensors(.pytorchAdaIN) }

    /// The checkpoint keys this layer needs and their shapes, named as `conventions` say.
    public func tensors(_ conventions: NetworkConventions) -> [(key: String, shape: [Int])] {
        guard case .convolution(let module, let inChannels, let outChannels, let kernel, _, _) = self else { return [] }
        let keys = conventions.keys(module: module)
        return [(keys.weight, [outChannels, inChannels, kernel, kernel]), (keys.bias, [outChannels])]
    }

    /// The layer for ``Sequential``, weights read from `state` under the keys of `conventions`,
    /// padded and pooled as they say; `network` names the network in errors.
    func layer(_ state: [String: StoredTensor], network: String, conventions: NetworkConventions) throws(NetworkWeightError) -> Layer {
        switch self {
        case .convolution(let module, let inChannels, let outChannels, _, let relu, let landmark):
            let weights = try convolutionWeights(state, network: network, conventions: conventions)
            let name = "\(network).\(module) conv \(inChannels)->\(outChannels)" + (landmark.map { " \($0)" } ?? "")
            let padding = weights.kernelHeight / 2
            return Layer(name, conventions.zeroPadding ? .zeroPaddedConvolution(weights, zeroPadding: padding, relu: relu)
                                                       : .convolution(weights, reflectionPadding: padding, relu: relu))
        case .maxPool(let module):
            return Layer("\(network).\(module) maxpool", conventions.floorPooling ? .maxPool2x2Floor : .maxPool2x2Ceil)
        case .upsample(let module):
            return Layer("\(network).\(module) upsample", .upsampleNearest2x)
        }
    }

    /// The convolution's weight and bias, checked against the table.
    func convolutionWeights(_ state: [String: StoredTensor], network: String,
                            conventions: NetworkConventions = .pytorchAdaIN) throws(NetworkWeightError) -> ConvolutionWeights {
        let tensors = self.tensors(conventions)
        precondition(tensors.count == 2, "not a convolution")
        var values: [[Float]] = []
        for (key, shape) in tensors {
            guard let stored = state[key] else { throw .missingKey(network: network, key: key, expectedShape: shape) }
            guard stored.shape == shape else { throw .wrongShape(network: network, key: key, expected: shape, found: stored.shape) }
            values.append(stored.values)
        }
        let shape = tensors[0].shape
        return ConvolutionWeights(outChannels: shape[0], inChannels: shape[1], kernelHeight: shape[2], kernelWidth: shape[3],
                                  weight: values[0], bias: values[1])
    }

    /// A 1x1 convolution with neither ReLU nor landmark: exactly folded into a following
    /// reflection-padded convolution (it commutes with reflection padding), so that one convolution
    /// runs instead of two. It does not commute with zero padding (the padding's zeros are not the
    /// 1x1 convolution's output of zeros): ``NetworkLayers`` does not fold it there.
    var isFoldablePointwise: Bool {
        if case .convolution(_, _, _, 1, false, nil) = self { true } else { false }
    }
}

/// How a network built from a table reads its keys and pads and pools: pytorch-AdaIN's
/// (``pytorchAdaIN``: keys `"<module>.weight"`, reflection padding, ceil-mode pooling) or another
/// release's (``ModelVariant``).
public struct NetworkConventions: Sendable, Equatable {
    /// Put before every key: `"features."` for torchvision's VGG-19.
    public var keyPrefix: String
    /// A module's name in the keys when it is not its number (the seed decoder's `"net.1.0"`).
    public var moduleNames: [Int: String]
    /// Zero padding (`nn.Conv2d(padding=1)`) instead of `nn.ReflectionPad2d(1)` before each 3x3 convolution.
    public var zeroPadding: Bool
    /// `nn.MaxPool2d(2, 2)` (floor mode) instead of ceil mode.
    public var floorPooling: Bool

    public init(keyPrefix: String = "", moduleNames: [Int: String] = [:], zeroPadding: Bool = false, floorPooling: Bool = false) {
        self.keyPrefix = keyPrefix
        self.moduleNames = moduleNames
        self.zeroPadding = zeroPadding
        self.floorPooling = floorPooling
    }

    public static let pytorchAdaIN = NetworkConventions()

    /// The keys of the weight and bias of the convolution at `module`.
    public func keys(module: Int) -> (weight: String, bias: String) {
        let name = keyPrefix + (moduleNames[module] ?? "\(module)")
        return ("\(name).weight", "\(name).bias")
    }
}

/// A layer whose output is a named feature of its network (a table's `landmark`).
public struct NetworkLandmark: Sendable, Equatable {
    /// The table's name for it, e.g. `"relu1_1"`.
    public let name: String
    /// Its index in the built layers (``NetworkLayers/layers``).
    public let layer: Int
}

/// A network built from its architecture table and a state_dict: TensorCore's layers, the
/// landmarks, and the table's module of each convolution, in order.
///
/// A foldable 1x1 convolution (``ArchitectureLayer/isFoldablePointwise``) followed by a convolution
/// is folded into it (the VGG encoder's module 0 into module 2), which then keeps its own module.
struct NetworkLayers: Sendable {
    /// The channels the first layer takes: the table's first convolution's (pooling and
    /// upsampling keep channels).
    let inputChannels: Int
    let layers: [Layer]
    let landmarks: [NetworkLandmark]
    /// The module of each convolution layer, in order: its state_dict keys are `"<module>.weight"`
    /// and `"<module>.bias"`.
    let convolutionModules: [Int]

    /// The layers of `table` with weights from `state`; every key and shape the table needs is
    /// checked, other keys are ignored. `network` names the network in errors and layer names;
    /// `conventions` name the keys and choose the padding and pooling.
    init(_ table: [ArchitectureLayer], weights state: [String: StoredTensor], network: String,
         conventions: NetworkConventions = .pytorchAdaIN) throws(NetworkWeightError) {
        guard case .convolution(_, let inputChannels, _, _, _, _)? = table.first(where: { $0.tensors.count == 2 }) else {
            preconditionFailure("the table of \(network) has no convolution")
        }
        var layers: [Layer] = [], landmarks: [NetworkLandmark] = [], modules: [Int] = []
        var pointwise: (module: Int, weights: ConvolutionWeights)?
        for (i, row) in table.enumerated() {
            if row.isFoldablePointwise, !conventions.zeroPadding, i + 1 < table.count, case .convolution(let module, _, _, _, _, _) = row,
               case .convolution = table[i + 1] {
                pointwise = (module, try row.convolutionWeights(state, network: network, conventions: conventions))
                continue
            }
            var layer = try row.layer(state, network: network, conventions: conventions)
            if let folded = pointwise, case .convolution(let w, let padding, let relu) = layer.operation {
                layer = Layer(layer.name + " (\(folded.module)'s 1x1 folded in)",
                              .convolution(w.folding(pointwise: folded.weights), reflectionPadding: padding, relu: relu))
                pointwise = nil
            }
            if case .convolution(let module, _, _, _, _, let landmark) = row {
                modules.append(module)
                if let landmark { landmarks.append(NetworkLandmark(name: landmark, layer: layers.count)) }
            }
            layers.append(layer)
        }
        self.inputChannels = inputChannels
        self.layers = layers
        self.landmarks = landmarks
        convolutionModules = modules
    }
}
