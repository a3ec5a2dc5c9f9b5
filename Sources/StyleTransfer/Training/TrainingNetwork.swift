// The encoder and decoder of AdaIN training on the plain NCHW training kernels: a forward pass that
// keeps what the backward pass needs, and the backward pass to the input and, for a trained
// network (the decoder), to the convolutions' weights and biases.

import Checkpoints
import TensorCore

/// A chain of TensorCore ``TensorCore/Layer``s built from an architecture table (reflection or zero
/// padding 0 or 1, convolution, optional ReLU; 2x2 max-pool in ceil or floor mode; nearest 2x
/// upsampling: every model's networks, ``ModelConventions/encoderNetwork``), with the
/// table's landmark layers as features: relu1_1 ... relu4_1 for the VGG encoder f, the output
/// image for the decoder g.
///
/// This runs on ``TensorCore/TrainingKernels`` (plain NCHW, oneDNN convolutions on plain layouts),
/// not on the blocked inference path of ``VGGEncoder`` and ``Decoder``; it is slower than inference
/// but keeps every activation. Its layers are the same values the inference network runs (both are
/// built by one reading of the table), so the two cannot describe different networks.
public struct TrainingNetwork: Sendable {
    public private(set) var layers: [Layer]
    /// The feature layers, in the table's order.
    public let landmarks: [NetworkLandmark]
    /// The table's module of each convolution, in order: the state_dict keys of convolution k are
    /// `"<convolutionModules[k]>.weight"` and `".bias"`, as pytorch-AdaIN's `state_dict()` names them.
    public let convolutionModules: [Int]

    init(_ built: NetworkLayers) {
        precondition(!built.landmarks.isEmpty, "a training network needs a landmark")
        for layer in built.layers {
            switch layer.operation {
            case .convolution(_, let padding, _), .zeroPaddedConvolution(_, let padding, _):
                precondition(padding == 0 || padding == 1, "only padding 0 or 1 is supported (layer \(layer.name))")
            case .maxPool2x2Ceil, .maxPool2x2Floor, .upsampleNearest2x:
                break
            }
        }
        layers = built.layers
        landmarks = built.landmarks
        convolutionModules = built.convolutionModules
    }

    /// The network of `table` with the weights of `state_dict` (every key and shape the table needs
    /// is checked; 1x1 and 3x3 kernels only); `network` names it in errors.
    public init(architecture table: [ArchitectureLayer], weights: [String: StoredTensor], network: String) throws(NetworkWeightError) {
        self.init(try NetworkLayers(table, weights: weights, network: network))
    }

    /// The same network as `encoder` (VGG up to relu4_1, its 1x1 convolution folded into the
    /// next), features relu1_1, relu2_1, relu3_1, relu4_1 (the landmarks of its table).
    public init(_ encoder: VGGEncoder) { self.init(encoder.layers) }

    /// The same network as `decoder`; its one feature is the output image (its table's landmark).
    public init(_ decoder: Decoder) { self.init(decoder.layers) }

    /// The weights of the convolution layers, in order.
    public var convolutions: [ConvolutionWeights] {
        get {
            layers.compactMap {
                switch $0.operation {
                case .convolution(let w, _, _), .zeroPaddedConvolution(let w, _, _): w
                default: nil
                }
            }
        }
        set {
            var remaining = newValue[...]
            for i in layers.indices {
                let old: ConvolutionWeights, rebuilt: (ConvolutionWeights) -> Layer.Operation
                switch layers[i].operation {
                case .convolution(let w, let padding, let relu): (old, rebuilt) = (w, { .convolution($0, reflectionPadding: padding, relu: relu) })
                case .zeroPaddedConvolution(let w, let padding, let relu): (old, rebuilt) = (w, { .zeroPaddedConvolution($0, zeroPadding: padding, relu: relu) })
                default: continue
                }
                let w = remaining.popFirst()!
                precondition(w.outChannels == old.outChannels && w.inChannels == old.inChannels
                             && w.kernelHeight == old.kernelHeight && w.kernelWidth == old.kernelWidth, "convolution \(i) changes shape")
                layers[i].operation = rebuilt(w)
            }
            precondition(remaining.isEmpty, "\(newValue.count) convolutions given for \(newValue.count - remaining.count)")
        }
    }

    /// The convolutions as the network's `state_dict`: `"<module>.weight"` (out, in, kh, kw) and
    /// `"<module>.bias"` (out) for each convolution (``convolutionModules``); for the decoder, the
    /// keys and shapes of ``Decoder/stateDict``.
    public var stateDict: [String: StoredTensor] { ArchitectureLayer.stateDict(convolutions, modules: convolutionModules) }

    /// What a forward pass keeps for the backward pass: each layer's input and output, and each
    /// max-pool's argmax.
    public struct Pass: Sendable {
        let inputs: [Tensor]
        let outputs: [Tensor]
        let argmax: [Int: [Int32]]
        /// The features (outputs of the landmark layers), in order.
        public let features: [Tensor]
        /// The last layer's output.
        public var output: Tensor { outputs[outputs.count - 1] }
    }

    /// Runs the layers on `input` (N, IC, H, W), keeping the activations.
    public func forward(_ input: Tensor) -> Pass {
        var x = input
        var inputs: [Tensor] = [], outputs: [Tensor] = [], argmax: [Int: [Int32]] = [:]
        for (index, layer) in layers.enumerated() {
            inputs.append(x)
            switch layer.operation {
            case .convolution(let w, let padding, let relu), .zeroPaddedConvolution(let w, let padding, let relu):
                x = TrainingKernels.convolutionForward(Self.pad(x, layer.operation, padding: padding), w)
                if relu { x = TrainingKernels.reluForward(x) }
            case .maxPool2x2Ceil:
                let (out, arg) = TrainingKernels.maxPool2x2CeilForward(x)
                x = out
                argmax[index] = arg
            case .maxPool2x2Floor:
                let (out, arg) = TrainingKernels.maxPool2x2FloorForward(x)
                x = out
                argmax[index] = arg
            case .upsampleNearest2x:
                x = TrainingKernels.upsampleNearest2xForward(x)
            }
            outputs.append(x)
        }
        return Pass(inputs: inputs, outputs: outputs, argmax: argmax, features: landmarks.map { outputs[$0.layer] })
    }

    /// A convolution layer's input padded as the layer says: reflection (pytorch-AdaIN's and the
    /// decoders' `nn.ReflectionPad2d(1)`) or zeros (torchvision's `nn.Conv2d(padding=1)`), by 0 or 1.
    private static func pad(_ x: Tensor, _ operation: Layer.Operation, padding: Int) -> Tensor {
        guard padding > 0 else { return x }
        if case .zeroPaddedConvolution = operation { return TrainingKernels.zeroPadForward(x, padding: padding) }
        return TrainingKernels.reflectionPad1Forward(x)
    }

    /// The features of `input` (e.g. relu1_1 ... relu4_1 of the style images).
    public func features(_ input: Tensor) -> [Tensor] { forward(input).features }

    /// The gradient of a convolution layer's weight (OC*IC*KH*KW) and bias (OC).
    public struct ConvolutionGradient: Sendable {
        public var weight: [Float]
        public var bias: [Float]
    }

    /// The backward pass of a loss whose gradients with respect to the features are
    /// `featureGradients` (one per landmark, each of its feature's shape).
    ///
    /// - Parameter weights: also form the gradients of the convolutions' weights and biases
    ///   (for training the network itself; the fixed encoder skips them).
    /// - Returns: the gradient with respect to the pass's input, and with `weights` one
    ///   ``ConvolutionGradient`` per convolution layer, in the order of ``convolutions``.
    public func backward(_ pass: Pass, featureGradients: [Tensor], weights: Bool = false) -> (input: Tensor, convolutions: [ConvolutionGradient]) {
        precondition(featureGradients.count == landmarks.count, "\(landmarks.count) feature gradients needed")
        let last = landmarks.map(\.layer).max()!
        precondition(!weights || last == layers.count - 1, "weight gradients need the last layer's output as a feature")
        var gradient = Tensor(zeros: pass.outputs[last].shape)
        var convolutionGradients: [ConvolutionGradient] = []
        for index in stride(from: last, through: 0, by: -1) {
            if let k = landmarks.firstIndex(where: { $0.layer == index }) {
                precondition(featureGradients[k].shape == gradient.shape, "feature gradient \(k) has shape \(featureGradients[k].shape), expected \(gradient.shape)")
                for i in gradient.values.indices { gradient.values[i] += featureGradients[k].values[i] }
            }
            var input = Tensor(zeros: pass.inputs[index].shape)
            switch layers[index].operation {
            case .convolution(let w, let padding, let relu), .zeroPaddedConvolution(let w, let padding, let relu):
                if relu {
                    var masked = Tensor(zeros: gradient.shape)
                    TrainingKernels.reluBackward(gradient, output: pass.outputs[index], accumulatingInto: &masked)
                    gradient = masked
                }
                let padded = Self.pad(pass.inputs[index], layers[index].operation, padding: padding)
                if weights {
                    var dw = ConvolutionGradient(weight: [Float](repeating: 0, count: w.weight.count), bias: [Float](repeating: 0, count: w.bias.count))
                    TrainingKernels.convolutionBackwardWeights(gradient, input: padded, w, accumulatingInto: &dw.weight, &dw.bias)
                    convolutionGradients.append(dw)
                }
                if padding == 0 {
                    input = TrainingKernels.convolutionBackwardData(gradient, w, inputShape: input.shape)
                } else if case .zeroPaddedConvolution = layers[index].operation {
                    let paddedGradient = TrainingKernels.convolutionBackwardData(gradient, w, inputShape: padded.shape)
                    TrainingKernels.zeroPadBackward(paddedGradient, padding: padding, accumulatingInto: &input)
                } else {
                    let paddedGradient = TrainingKernels.convolutionBackwardData(gradient, w, inputShape: padded.shape)
                    TrainingKernels.reflectionPad1Backward(paddedGradient, accumulatingInto: &input)
                }
            case .maxPool2x2Ceil:
                TrainingKernels.maxPool2x2CeilBackward(gradient, argmax: pass.argmax[index]!, accumulatingInto: &input)
            case .maxPool2x2Floor:
                TrainingKernels.maxPool2x2FloorBackward(gradient, argmax: pass.argmax[index]!, accumulatingInto: &input)
            case .upsampleNearest2x:
                TrainingKernels.upsampleNearest2xBackward(gradient, accumulatingInto: &input)
            }
            gradient = input
        }
        return (gradient, convolutionGradients.reversed())
    }
}
