// The decoder as a list of convolutions and as a pytorch-AdaIN `state_dict`, and PyTorch's default
// initialisation of its convolutions (for training from scratch).

import Checkpoints
import TensorCore

extension Decoder {
    /// The decoder made of `convolutions` (the 9 convolutions of ``architecture``, in order, as
    /// ``convolutions`` gives them); their shapes are checked as a checkpoint's are.
    public convenience init(convolutions: [ConvolutionWeights]) throws(NetworkWeightError) {
        try self.init(weights: Self.stateDict(convolutions))
    }

    /// The 9 convolutions (modules 1, 5, 8, 11, 14, 18, 21, 25, 28), in order.
    public var convolutions: [ConvolutionWeights] {
        network.layers.compactMap { if case .convolution(let w, _, _) = $0.operation { w } else { nil } }
    }

    /// pytorch-AdaIN's `decoder.state_dict()`: `"1.weight"` (256, 512, 3, 3), `"1.bias"` (256), ...,
    /// `"28.bias"` (3); what `torch.save(decoder.state_dict())` would hold, readable by
    /// ``init(weights:)`` and by pytorch-AdaIN's `decoder.load_state_dict`.
    public var stateDict: [String: StoredTensor] { Self.stateDict(convolutions) }

    /// The state_dict of `convolutions` keyed by the modules of ``architecture``, in order (extra
    /// or missing convolutions leave keys that ``init(weights:)`` reports).
    static func stateDict(_ convolutions: [ConvolutionWeights]) -> [String: StoredTensor] {
        ArchitectureLayer.stateDict(convolutions, modules: architecture.compactMap { if case .convolution(let module, _, _, _, _, _) = $0 { module } else { nil } })
    }

    /// The decoder's convolutions initialised as PyTorch 1.13's `nn.Conv2d.reset_parameters`
    /// (kaiming_uniform_ with a = sqrt(5)): weight and bias uniform in
    /// [-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = IC * KH * KW, drawn from `random` in order
    /// (the distribution, not PyTorch's generator).
    public static func initialConvolutions(random: inout SeededRandom) -> [ConvolutionWeights] {
        architecture.compactMap { row -> ConvolutionWeights? in
            guard case .convolution(_, let inChannels, let outChannels, let kernel, _, _) = row else { return nil }
            let fanIn = inChannels * kernel * kernel
            let bound = 1 / Float(fanIn).squareRoot()
            return ConvolutionWeights(outChannels: outChannels, inChannels: inChannels, kernelHeight: kernel, kernelWidth: kernel,
                                      weight: (0 ..< outChannels * fanIn).map { _ in random.uniform() * bound },
                                      bias: (0 ..< outChannels).map { _ in random.uniform() * bound })
        }
    }
}
