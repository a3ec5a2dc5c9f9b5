// The decoder g: pytorch-AdaIN's `decoder` (net.py), mirroring the encoder from relu4_1 back to RGB.

import Checkpoints
import TensorCore

/// The AdaIN decoder, loaded from pytorch-AdaIN's `decoder.pth`.
///
/// Its output is not cropped: for an input of (N, 512, h, w) it is (N, 3, 8h, 8w), which is
/// larger than the content image when the image's sides are not multiples of 8.
///
/// Thread safety: a decoder is immutable apart from internal, locked caches; one instance may be
/// shared by any number of threads (see ``TensorCore/Sequential``).
public final class Decoder: Sendable {
    /// pytorch-AdaIN's `decoder` modules 0 ... 28.
    public static let architecture: [ArchitectureLayer] = [
        .convolution(module: 1, inChannels: 512, outChannels: 256, kernel: 3, relu: true),
        .upsample(module: 3),
        .convolution(module: 5, inChannels: 256, outChannels: 256, kernel: 3, relu: true),
        .convolution(module: 8, inChannels: 256, outChannels: 256, kernel: 3, relu: true),
        .convolution(module: 11, inChannels: 256, outChannels: 256, kernel: 3, relu: true),
        .convolution(module: 14, inChannels: 256, outChannels: 128, kernel: 3, relu: true),
        .upsample(module: 16),
        .convolution(module: 18, inChannels: 128, outChannels: 128, kernel: 3, relu: true),
        .convolution(module: 21, inChannels: 128, outChannels: 64, kernel: 3, relu: true),
        .upsample(module: 23),
        .convolution(module: 25, inChannels: 64, outChannels: 64, kernel: 3, relu: true),
        .convolution(module: 28, inChannels: 64, outChannels: 3, kernel: 3, relu: false, landmark: "image"),
    ]

    /// The smallest feature map side the decoder takes (its first reflection padding needs 2).
    public static let minimumFeatureSide = 2

    /// The layers built from ``architecture``: what ``network`` runs and what ``TrainingNetwork/init(_:)-(Decoder)`` trains.
    let layers: NetworkLayers
    let network: Sequential

    /// Builds the decoder from a `state_dict`; every key and shape is checked and any key the
    /// decoder does not have is an error (a VGG checkpoint given by mistake is recognised).
    public convenience init(weights: [String: StoredTensor]) throws(NetworkWeightError) {
        try self.init(weights: weights, variant: .pytorchAdaIN)
    }

    /// Builds `variant`'s decoder from a `state_dict` keyed as its ``ModelConventions/decoderNetwork``
    /// says (the seed's `net.0.0.weight` ...; a Torch7 file's modules as ``torch7StateDict(_:network:)``
    /// keys them); every key and shape is checked and any other key is an error. The weights of
    /// another model or of an encoder are recognised and refused, naming them.
    public init(weights: [String: StoredTensor], variant: ModelVariant) throws(NetworkWeightError) {
        let name = "decoder"
        let conventions = variant.conventions.decoderNetwork
        let expected = Self.architecture.flatMap { $0.tensors(conventions).map(\.key) }
        if weights[expected[0]] == nil, let found = WeightFileIdentity.recognize(weights), found.network != .decoder || found.variant != variant {
            if variant != .seed && found == WeightFileIdentity(variant: .pytorchAdaIN, network: .encoder, evidence: found.evidence) {
                throw .vggGivenAsDecoder
            }
            throw .otherModel(expected: WeightFileIdentity(variant: variant, network: .decoder, evidence: expected[0]), found: found)
        }
        let known = Set(expected)
        if let extra = weights.keys.sorted().first(where: { !known.contains($0) }) {
            throw variant == .pytorchAdaIN ? .unexpectedKey(network: name, key: extra) : .unexpectedModelKey(variant: variant, key: extra)
        }
        layers = try NetworkLayers(Self.architecture, weights: weights, network: name, conventions: conventions)
        network = Sequential(inputChannels: layers.inputChannels, layers: layers.layers)
    }

    /// `g(t)`.
    ///
    /// t is (N, 512, h, w) with h and w at least ``minimumFeatureSide``; the result is (N, 3, 8h, 8w).
    /// Traps if oneDNN fails (it can only run out of memory here).
    ///
    /// - Parameter trace: called after each step with its timing.
    public func decode(_ t: Tensor, trace: ((StepTiming) -> Void)? = nil) -> Tensor {
        precondition(t.channels == 512, "the decoder takes relu4_1 features of shape (N, 512, h, w), got \(t.shape)")
        precondition(t.height >= Self.minimumFeatureSide && t.width >= Self.minimumFeatureSide,
                     "the decoder needs features of at least \(Self.minimumFeatureSide)x\(Self.minimumFeatureSide), got \(t.width)x\(t.height)")
        do {
            return try network.forward(t, keeping: [network.layers.count - 1], trace: trace)[0]
        } catch {
            fatalError("the decoder failed: \(error)")
        }
    }
}
