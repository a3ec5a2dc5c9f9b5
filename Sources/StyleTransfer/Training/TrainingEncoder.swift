// The fixed encoder of AdaIN training on the plain NCHW training kernels: a forward pass that keeps
// what the backward pass needs, and the backward pass to the input image only (the encoder's
// weights are not trained, so no weight gradients are formed).

import TensorCore

/// A chain of (reflection padding, convolution, optional ReLU) and 2x2 ceil-mode max-pool steps,
/// with some step outputs named as features (relu1_1 ... relu4_1 for the VGG encoder).
///
/// This runs on ``TensorCore/TrainingKernels`` (plain NCHW, oneDNN GEMM convolutions), not on the
/// blocked inference path of ``VGGEncoder``; it is slower than inference but keeps every activation.
public struct TrainingEncoder: Sendable {
    /// One step of the chain.
    public enum Step: Sendable {
        /// `nn.ReflectionPad2d(padding)` (0 or 1), `nn.Conv2d` (stride 1), then a ReLU if `relu`.
        case convolution(ConvolutionWeights, padding: Int, relu: Bool)
        /// `nn.MaxPool2d(2, 2, ceil_mode=True)`.
        case maxPool
    }

    public let steps: [Step]
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
        var steps: [Step] = []
        for layer in encoder.network.layers {
            switch layer.operation {
            case .convolution(let w, let padding, let relu): steps.append(.convolution(w, padding: padding, relu: relu))
            case .maxPool2x2Ceil: steps.append(.maxPool)
            case .upsampleNearest2x: preconditionFailure("the VGG encoder has no upsampling")
            }
        }
        // relu1_1, relu2_1, relu3_1, relu4_1 follow the convolutions 0, 2, 4 and 8 of the folded chain.
        let convolutions = steps.indices.filter { if case .convolution = steps[$0] { true } else { false } }
        self.init(steps: steps, landmarks: [0, 2, 4, 8].map { convolutions[$0] })
    }

    /// What a forward pass keeps for the backward pass: each step's input shape and output, and
    /// each max-pool's argmax.
    public struct Pass: Sendable {
        let inputShapes: [[Int]]
        let outputs: [Tensor]
        let argmax: [Int: [Int32]]
        /// The features (outputs of the landmark steps), in order.
        public let features: [Tensor]
    }

    /// Runs the chain on `image` (N, IC, H, W), keeping the activations.
    public func forward(_ image: Tensor) -> Pass {
        var x = image
        var shapes: [[Int]] = [], outputs: [Tensor] = [], argmax: [Int: [Int32]] = [:]
        for (index, step) in steps.enumerated() {
            shapes.append(x.shape)
            switch step {
            case .convolution(let w, let padding, let relu):
                let padded = padding == 1 ? TrainingKernels.reflectionPad1Forward(x) : x
                x = TrainingKernels.convolutionForward(padded, w)
                if relu { x = TrainingKernels.reluForward(x) }
            case .maxPool:
                let (out, arg) = TrainingKernels.maxPool2x2CeilForward(x)
                x = out
                argmax[index] = arg
            }
            outputs.append(x)
        }
        return Pass(inputShapes: shapes, outputs: outputs, argmax: argmax, features: landmarks.map { outputs[$0] })
    }

    /// The features of `image` (e.g. relu1_1 ... relu4_1 of the style images).
    public func features(_ image: Tensor) -> [Tensor] { forward(image).features }

    /// The gradient with respect to the pass's input image of a loss whose gradients with respect
    /// to the features are `featureGradients` (one per landmark, each of its feature's shape).
    public func backward(_ pass: Pass, featureGradients: [Tensor]) -> Tensor {
        precondition(featureGradients.count == landmarks.count, "\(landmarks.count) feature gradients needed")
        let last = landmarks.max()!
        var gradient = Tensor(zeros: pass.outputs[last].shape)
        for index in stride(from: last, through: 0, by: -1) {
            if let k = landmarks.firstIndex(of: index) {
                precondition(featureGradients[k].shape == gradient.shape, "feature gradient \(k) has shape \(featureGradients[k].shape), expected \(gradient.shape)")
                for i in gradient.values.indices { gradient.values[i] += featureGradients[k].values[i] }
            }
            var input = Tensor(zeros: pass.inputShapes[index])
            switch steps[index] {
            case .convolution(let w, let padding, let relu):
                if relu {
                    var masked = Tensor(zeros: gradient.shape)
                    TrainingKernels.reluBackward(gradient, output: pass.outputs[index], accumulatingInto: &masked)
                    gradient = masked
                }
                if padding == 1 {
                    let s = input.shape
                    var padded = Tensor(zeros: [s[0], s[1], s[2] + 2, s[3] + 2])
                    TrainingKernels.convolutionBackwardData(gradient, w, accumulatingInto: &padded)
                    TrainingKernels.reflectionPad1Backward(padded, accumulatingInto: &input)
                } else {
                    TrainingKernels.convolutionBackwardData(gradient, w, accumulatingInto: &input)
                }
            case .maxPool:
                TrainingKernels.maxPool2x2CeilBackward(gradient, argmax: pass.argmax[index]!, accumulatingInto: &input)
            }
            gradient = input
        }
        return gradient
    }
}
