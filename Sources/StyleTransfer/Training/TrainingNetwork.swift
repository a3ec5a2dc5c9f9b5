// The encoder and decoder of AdaIN training on the plain NCHW training kernels: a forward pass that
// keeps what the backward pass needs, and the backward pass to the input and, for a trained
// network (the decoder), to the convolutions' weights and biases.

import TensorCore

/// A chain of (reflection padding, convolution, optional ReLU), 2x2 ceil-mode max-pool and nearest
/// 2x upsampling steps, with some step outputs named as features: relu1_1 ... relu4_1 for the VGG
/// encoder f, the output image for the decoder g.
///
/// This runs on ``TensorCore/TrainingKernels`` (plain NCHW, oneDNN convolutions on plain layouts),
/// not on the blocked inference path of ``VGGEncoder`` and ``Decoder``; it is slower than inference
/// but keeps every activation.
public struct TrainingNetwork: Sendable {
    /// One step of the chain.
    public enum Step: Sendable {
        /// `nn.ReflectionPad2d(padding)` (0 or 1), `nn.Conv2d` (stride 1), then a ReLU if `relu`.
        case convolution(ConvolutionWeights, padding: Int, relu: Bool)
        /// `nn.MaxPool2d(2, 2, ceil_mode=True)`.
        case maxPool
        /// `nn.Upsample(scale_factor=2, mode='nearest')`.
        case upsample
    }

    public private(set) var steps: [Step]
    /// The indices in `steps` of the steps whose outputs are the features, in order.
    public let landmarks: [Int]

    public init(steps: [Step], landmarks: [Int]) {
        precondition(!landmarks.isEmpty && landmarks.allSatisfy { steps.indices.contains($0) }, "landmarks must name steps")
        for case .convolution(_, let padding, _) in steps { precondition(padding == 0 || padding == 1, "only reflection padding 0 or 1 is supported") }
        self.steps = steps
        self.landmarks = landmarks
    }

    /// The same network as `encoder` (VGG up to relu4_1, its 1x1 convolution folded into the
    /// next), features relu1_1, relu2_1, relu3_1, relu4_1.
    public init(_ encoder: VGGEncoder) {
        let steps = Self.steps(of: encoder.network)
        // relu1_1, relu2_1, relu3_1, relu4_1 follow the convolutions 0, 2, 4 and 8 of the folded chain.
        let convolutions = steps.indices.filter { if case .convolution = steps[$0] { true } else { false } }
        self.init(steps: steps, landmarks: [0, 2, 4, 8].map { convolutions[$0] })
    }

    /// The same network as `decoder`; its one feature is the output image.
    public init(_ decoder: Decoder) {
        let steps = Self.steps(of: decoder.network)
        self.init(steps: steps, landmarks: [steps.count - 1])
    }

    private static func steps(of network: Sequential) -> [Step] {
        network.layers.map { layer in
            switch layer.operation {
            case .convolution(let w, let padding, let relu): .convolution(w, padding: padding, relu: relu)
            case .maxPool2x2Ceil: .maxPool
            case .upsampleNearest2x: .upsample
            }
        }
    }

    /// The weights of the convolution steps, in order.
    public var convolutions: [ConvolutionWeights] {
        get { steps.compactMap { if case .convolution(let w, _, _) = $0 { w } else { nil } } }
        set {
            var remaining = newValue[...]
            for i in steps.indices {
                guard case .convolution(let old, let padding, let relu) = steps[i] else { continue }
                let w = remaining.popFirst()!
                precondition(w.outChannels == old.outChannels && w.inChannels == old.inChannels
                             && w.kernelHeight == old.kernelHeight && w.kernelWidth == old.kernelWidth, "convolution \(i) changes shape")
                steps[i] = .convolution(w, padding: padding, relu: relu)
            }
            precondition(remaining.isEmpty, "\(newValue.count) convolutions given for \(newValue.count - remaining.count)")
        }
    }

    /// What a forward pass keeps for the backward pass: each step's input and output, and each
    /// max-pool's argmax.
    public struct Pass: Sendable {
        let inputs: [Tensor]
        let outputs: [Tensor]
        let argmax: [Int: [Int32]]
        /// The features (outputs of the landmark steps), in order.
        public let features: [Tensor]
        /// The last step's output.
        public var output: Tensor { outputs[outputs.count - 1] }
    }

    /// Runs the chain on `input` (N, IC, H, W), keeping the activations.
    public func forward(_ input: Tensor) -> Pass {
        var x = input
        var inputs: [Tensor] = [], outputs: [Tensor] = [], argmax: [Int: [Int32]] = [:]
        for (index, step) in steps.enumerated() {
            inputs.append(x)
            switch step {
            case .convolution(let w, let padding, let relu):
                let padded = padding == 1 ? TrainingKernels.reflectionPad1Forward(x) : x
                x = TrainingKernels.convolutionForward(padded, w)
                if relu { x = TrainingKernels.reluForward(x) }
            case .maxPool:
                let (out, arg) = TrainingKernels.maxPool2x2CeilForward(x)
                x = out
                argmax[index] = arg
            case .upsample:
                x = TrainingKernels.upsampleNearest2xForward(x)
            }
            outputs.append(x)
        }
        return Pass(inputs: inputs, outputs: outputs, argmax: argmax, features: landmarks.map { outputs[$0] })
    }

    /// The features of `input` (e.g. relu1_1 ... relu4_1 of the style images).
    public func features(_ input: Tensor) -> [Tensor] { forward(input).features }

    /// The gradient of a convolution step's weight (OC*IC*KH*KW) and bias (OC).
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
    ///   ``ConvolutionGradient`` per convolution step, in the order of ``convolutions``.
    public func backward(_ pass: Pass, featureGradients: [Tensor], weights: Bool = false) -> (input: Tensor, convolutions: [ConvolutionGradient]) {
        precondition(featureGradients.count == landmarks.count, "\(landmarks.count) feature gradients needed")
        let last = landmarks.max()!
        precondition(!weights || last == steps.count - 1, "weight gradients need the last step's output as a feature")
        var gradient = Tensor(zeros: pass.outputs[last].shape)
        var convolutionGradients: [ConvolutionGradient] = []
        for index in stride(from: last, through: 0, by: -1) {
            if let k = landmarks.firstIndex(of: index) {
                precondition(featureGradients[k].shape == gradient.shape, "feature gradient \(k) has shape \(featureGradients[k].shape), expected \(gradient.shape)")
                for i in gradient.values.indices { gradient.values[i] += featureGradients[k].values[i] }
            }
            var input = Tensor(zeros: pass.inputs[index].shape)
            switch steps[index] {
            case .convolution(let w, let padding, let relu):
                if relu {
                    var masked = Tensor(zeros: gradient.shape)
                    TrainingKernels.reluBackward(gradient, output: pass.outputs[index], accumulatingInto: &masked)
                    gradient = masked
                }
                let padded = padding == 1 ? TrainingKernels.reflectionPad1Forward(pass.inputs[index]) : pass.inputs[index]
                if weights {
                    var dw = ConvolutionGradient(weight: [Float](repeating: 0, count: w.weight.count), bias: [Float](repeating: 0, count: w.bias.count))
                    TrainingKernels.convolutionBackwardWeights(gradient, input: padded, w, accumulatingInto: &dw.weight, &dw.bias)
                    convolutionGradients.append(dw)
                }
                if padding == 1 {
                    let paddedGradient = TrainingKernels.convolutionBackwardData(gradient, w, inputShape: padded.shape)
                    TrainingKernels.reflectionPad1Backward(paddedGradient, accumulatingInto: &input)
                } else {
                    input = TrainingKernels.convolutionBackwardData(gradient, w, inputShape: input.shape)
                }
            case .maxPool:
                TrainingKernels.maxPool2x2CeilBackward(gradient, argmax: pass.argmax[index]!, accumulatingInto: &input)
            case .upsample:
                TrainingKernels.upsampleNearest2xBackward(gradient, accumulatingInto: &input)
            }
            gradient = input
        }
        return (gradient, convolutionGradients.reversed())
    }
}
