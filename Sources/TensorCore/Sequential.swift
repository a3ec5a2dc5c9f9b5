// A feed-forward stack of layers (convolution, max-pool, upsample) run by oneDNN on the CPU.

import Synchronization

/// One layer of a ``Sequential`` network.
public struct Layer: Sendable {
    /// What a layer computes.
    public enum Operation: Sendable {
        /// `nn.ReflectionPad2d(reflectionPadding)`, then `nn.Conv2d` (stride 1, no dilation), then
        /// a ReLU if `relu`. input is (N, IC, H, W); output is (N, OC, H + 2p - KH + 1, W + 2p - KW + 1).
        case convolution(ConvolutionWeights, reflectionPadding: Int, relu: Bool)
        /// `nn.Conv2d(padding=zeroPadding)` (zero padding, stride 1, no dilation), then a ReLU if
        /// `relu`: torchvision's VGG convolutions. Shapes as for ``convolution(_:reflectionPadding:relu:)``.
        case zeroPaddedConvolution(ConvolutionWeights, zeroPadding: Int, relu: Bool)
        /// `nn.MaxPool2d(2, 2, ceil_mode=True)`: (N, C, H, W) to (N, C, ceil(H/2), ceil(W/2)).
        case maxPool2x2Ceil
        /// `nn.MaxPool2d(2, 2)` (floor mode, torchvision's VGG): (N, C, H, W) to (N, C, floor(H/2), floor(W/2));
        /// a last odd row or column is dropped.
        case maxPool2x2Floor
        /// `nn.Upsample(scale_factor=2, mode='nearest')`: (N, C, H, W) to (N, C, 2H, 2W).
        case upsampleNearest2x
    }

    /// A name for traces and messages, e.g. `"conv5 64->64"`.
    public var name: String
    public var operation: Operation

    public init(_ name: String, _ operation: Operation) {
        self.name = name
        self.operation = operation
    }

    /// The convolution's weights, padding (reflection or zero), and ReLU; nil for other layers.
    public var convolution: (weights: ConvolutionWeights, padding: Int, zeroPadding: Bool, relu: Bool)? {
        switch operation {
        case .convolution(let w, let p, let relu): (w, p, false, relu)
        case .zeroPaddedConvolution(let w, let p, let relu): (w, p, true, relu)
        case .maxPool2x2Ceil, .maxPool2x2Floor, .upsampleNearest2x: nil
        }
    }

    /// The channels, height and width this layer outputs for an input of `channels x height x width`.
    func outputSize(channels: Int, height: Int, width: Int) -> (channels: Int, height: Int, width: Int) {
        switch operation {
        case .convolution(let w, let p, _), .zeroPaddedConvolution(let w, let p, _):
            return (w.outChannels, height + 2 * p - w.kernelHeight + 1, width + 2 * p - w.kernelWidth + 1)
        case .maxPool2x2Ceil:
            return (channels, (height + 1) / 2, (width + 1) / 2)
        case .maxPool2x2Floor:
            return (channels, height / 2, width / 2)
        case .upsampleNearest2x:
            return (channels, 2 * height, 2 * width)
        }
    }
}

/// How long one step of a forward pass took, for profiles.
public struct StepTiming: Sendable {
    /// The layer's name, or `"input"` for the conversion of the input.
    public let name: String
    public let seconds: Double
    /// Floating-point operations of the step (2 per multiply-add of a convolution; 0 for others).
    public let flops: Double
    /// What ran the step: oneDNN's implementation name (e.g. `"jit:avx2"`) or `"swift"`.
    public let implementation: String

    public init(name: String, seconds: Double, flops: Double, implementation: String) {
        self.name = name
        self.seconds = seconds
        self.flops = flops
        self.implementation = implementation
    }
}

/// A chain of layers, each taking the previous one's output, run on the CPU with oneDNN.
///
/// Inside a forward pass activations stay in oneDNN's channel-blocked layout with their reflection
/// or zero padding stored around them (see ``ActivationLayout``); only the input and the requested outputs
/// are converted from and to plain ``Tensor``s. The work for each input shape (oneDNN primitives,
/// weights in the primitives' layout) is prepared on the first pass with that shape and cached
/// (the 8 most recently used shapes and algorithms); activation buffers are recycled between passes.
///
/// Thread safety: a `Sequential` is immutable apart from its internal caches, which are locked;
/// it may be shared, and several threads may run forward passes on it at once (each pass has
/// its own buffers and stream; oneDNN then runs each pass with all cores, so concurrent passes
/// compete for them).
public final class Sequential: Sendable {
    public let inputChannels: Int
    public let layers: [Layer]

    private struct Caches {
        var plans: [(shape: [Int], algorithm: ConvolutionAlgorithm, plan: ForwardPlan)] = []
        var weights = WeightCache()
    }
    private let caches = Mutex(Caches())
    private static let cachedShapes = 8

    /// Traps if a layer's input channels do not match the previous layer's output channels.
    public init(inputChannels: Int, layers: [Layer]) {
        var channels = inputChannels
        for layer in layers {
            if let (w, p, _, _) = layer.convolution {
                precondition(w.inChannels == channels, "layer \(layer.name) takes \(w.inChannels) channels, gets \(channels)")
                precondition(p >= 0, "layer \(layer.name): negative padding")
            }
            channels = layer.outputSize(channels: channels, height: 1, width: 1).channels
        }
        self.inputChannels = inputChannels
        self.layers = layers
    }

    /// The output shape for an input of shape (N, C, H, W).
    public func outputShape(forInput shape: [Int]) -> [Int] {
        var size = (channels: shape[1], height: shape[2], width: shape[3])
        for layer in layers { size = layer.outputSize(channels: size.channels, height: size.height, width: size.width) }
        return [shape[0], size.channels, size.height, size.width]
    }

    /// The last layer's output.
    public func forward(_ input: Tensor) throws(DNNLError) -> Tensor {
        try forward(input, keeping: [layers.count - 1])[0]
    }

    /// The outputs of the layers at the indices in `keeping`, in that order.
    ///
    /// input is (N, inputChannels, H, W). Traps if the shape is wrong or too small for a layer
    /// (reflection padding needs more rows and columns than it pads, as in PyTorch).
    ///
    /// - Parameters:
    ///   - convolutions: which algorithm runs the 3x3 convolutions; by default the process's
    ///     (``ConvolutionAlgorithm/process``, `STYLECTL_CONVOLUTION` or automatic).
    ///   - trace: called after each step with its timing: first `"input"` (the conversion
    ///     of `input`), then every layer (a kept output's conversion counts with its layer).
    public func forward(_ input: Tensor, keeping: [Int], convolutions: ConvolutionAlgorithm = .process,
                        trace: ((StepTiming) -> Void)? = nil) throws(DNNLError) -> [Tensor] {
        precondition(input.channels == inputChannels, "the network takes \(inputChannels) channels, the input has shape \(input.shape)")
        precondition(keeping.allSatisfy { layers.indices.contains($0) }, "no layer at some of \(keeping)")
        let plan = try self.plan(for: input.shape, algorithm: convolutions)
        let outputs = try plan.run(input, keeping: Set(keeping), trace: trace)
        return keeping.map { outputs[$0]! }
    }

    /// The cached plan for an input shape and algorithm, made if needed.
    private func plan(for shape: [Int], algorithm: ConvolutionAlgorithm) throws(DNNLError) -> ForwardPlan {
        try caches.withLock { (caches: inout Caches) throws(DNNLError) -> ForwardPlan in
            if let i = caches.plans.firstIndex(where: { $0.shape == shape && $0.algorithm == algorithm }) {
                let entry = caches.plans.remove(at: i)
                caches.plans.append(entry)
                return entry.plan
            }
            let plan = try ForwardPlan(layers: layers, inputShape: shape, algorithm: algorithm, weights: &caches.weights)
            caches.plans.append((shape, algorithm, plan))
            if caches.plans.count > Self.cachedShapes { caches.plans.removeFirst() }
            return plan
        }
    }
}
