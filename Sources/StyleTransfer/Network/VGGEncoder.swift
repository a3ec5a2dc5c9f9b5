// The encoder f: pytorch-AdaIN's normalised VGG-19 up to relu4_1 (modules 0 ... 30 of net.py's `vgg`).

import Checkpoints
import TensorCore

/// The VGG-19 encoder of AdaIN up to relu4_1, loaded from pytorch-AdaIN's `vgg_normalised.pth`.
///
/// The 1x1 convolution at module 0 is folded into the convolution at module 2 (exact: a 1x1
/// convolution commutes with reflection padding), so the encoder runs 9 convolutions.
///
/// Thread safety: an encoder is immutable apart from internal, locked caches; one instance may be
/// shared by any number of threads (see ``TensorCore/Sequential``).
public final class VGGEncoder: Sendable {
    /// pytorch-AdaIN's `vgg` modules 0 ... 30. The full checkpoint also holds modules up to 52
    /// (relu5_4), which the encoder ignores.
    public static let architecture: [ArchitectureLayer] = [
        .convolution(module: 0, inChannels: 3, outChannels: 3, kernel: 1, relu: false),
        .convolution(module: 2, inChannels: 3, outChannels: 64, kernel: 3, relu: true, landmark: "relu1_1"),
        .convolution(module: 5, inChannels: 64, outChannels: 64, kernel: 3, relu: true),
        .maxPool(module: 7),
        .convolution(module: 9, inChannels: 64, outChannels: 128, kernel: 3, relu: true, landmark: "relu2_1"),
        .convolution(module: 12, inChannels: 128, outChannels: 128, kernel: 3, relu: true),
        .maxPool(module: 14),
        .convolution(module: 16, inChannels: 128, outChannels: 256, kernel: 3, relu: true, landmark: "relu3_1"),
        .convolution(module: 19, inChannels: 256, outChannels: 256, kernel: 3, relu: true),
        .convolution(module: 22, inChannels: 256, outChannels: 256, kernel: 3, relu: true),
        .convolution(module: 25, inChannels: 256, outChannels: 256, kernel: 3, relu: true),
        .maxPool(module: 27),
        .convolution(module: 29, inChannels: 256, outChannels: 512, kernel: 3, relu: true, landmark: "relu4_1"),
    ]

    /// The outputs ``encodeWithIntermediates(_:trace:)`` returns, in order: the landmarks of
    /// ``architecture`` (relu1_1, relu2_1, relu3_1, relu4_1).
    public static let landmarks = architecture.compactMap { if case .convolution(_, _, _, _, _, let landmark?) = $0 { landmark } else { nil } }

    /// The smallest image height and width pytorch-AdaIN's encoder takes: relu4_1 is ceil(side / 8)
    /// pixels wide and the decoder's reflection padding needs at least 2 (each variant's:
    /// ``ModelConventions/minimumImageSide``).
    public static let minimumImageSide = 9

    /// The model whose encoder this is (its table, keys, padding and pooling).
    public let variant: ModelVariant
    /// The layers built from the variant's table (``architecture`` for pytorch-AdaIN and Torch):
    /// what ``network`` runs and what ``TrainingNetwork/init(_:)-(VGGEncoder)`` runs.
    let layers: NetworkLayers
    let network: Sequential
    /// The indices in `network` of the layers whose outputs are the landmarks.
    private var landmarkLayers: [Int] { layers.landmarks.map(\.layer) }

    /// Builds the encoder from a `state_dict`; every needed key and shape is checked, and keys of
    /// modules past 30 are ignored. Module 0's 1x1 convolution is folded into module 2 (see
    /// ``NetworkLayers``).
    public convenience init(weights: [String: StoredTensor]) throws(NetworkWeightError) {
        try self.init(weights: weights, variant: .pytorchAdaIN)
    }

    /// Builds `variant`'s encoder from a `state_dict` keyed as its ``ModelConventions/encoderNetwork``
    /// says (a Torch7 file's modules as ``torch7StateDict(_:network:)`` keys them); every needed key
    /// and shape is checked, other keys are ignored. The weights of another model or of a decoder
    /// are recognised and refused, naming them (``NetworkWeightError/otherModel(expected:found:key:)``).
    public init(weights: [String: StoredTensor], variant: ModelVariant) throws(NetworkWeightError) {
        let name = "VGG encoder"
        let conventions = variant.conventions
        let first = conventions.encoderArchitecture[0].tensors(conventions.encoderNetwork)[0].key
        if weights[first] == nil, let found = WeightFileIdentity.recognize(weights), found.network != .encoder || found.variant != variant {
            if variant != .seed && found == WeightFileIdentity(variant: .pytorchAdaIN, network: .decoder, evidence: found.evidence) {
                throw .decoderGivenAsVGG
            }
            throw .otherModel(expected: WeightFileIdentity(variant: variant, network: .encoder, evidence: first), found: found)
        }
        self.variant = variant
        layers = try NetworkLayers(conventions.encoderArchitecture, weights: weights, network: name, conventions: conventions.encoderNetwork)
        network = Sequential(inputChannels: layers.inputChannels, layers: layers.layers)
    }

    /// `f(image)`: relu4_1.
    ///
    /// image is (N, 3, H, W), RGB in [0, 1] as torchvision's `ToTensor` gives, with H and W at least
    /// ``minimumImageSide``; the result is (N, 512, ceil(H/8), ceil(W/8)).
    /// Traps if oneDNN fails (it can only run out of memory here).
    ///
    /// - Parameter trace: called after each step with its timing.
    public func encode(_ image: Tensor, trace: ((StepTiming) -> Void)? = nil) -> Tensor {
        run(image, keeping: [landmarkLayers.last!], trace: trace)[0]
    }

    /// relu1_1, relu2_1, relu3_1 and relu4_1 of `image` (the style loss's features).
    ///
    /// image is (N, 3, H, W) as for ``encode(_:trace:)``; the results are (N, 64, H, W),
    /// (N, 128, ceil(H/2), ceil(W/2)), (N, 256, ceil(H/4), ceil(W/4)), (N, 512, ceil(H/8), ceil(W/8)).
    public func encodeWithIntermediates(_ image: Tensor, trace: ((StepTiming) -> Void)? = nil) -> [Tensor] {
        run(image, keeping: landmarkLayers, trace: trace)
    }

    private func run(_ image: Tensor, keeping: [Int], trace: ((StepTiming) -> Void)?) -> [Tensor] {
        precondition(image.channels == 3, "the encoder takes RGB images of shape (N, 3, H, W), got \(image.shape)")
        let minimum = variant.conventions.minimumImageSide
        precondition(image.height >= minimum && image.width >= minimum,
                     "the encoder needs images of at least \(minimum)x\(minimum) pixels, got \(image.width)x\(image.height)")
        do {
            return try network.forward(image, keeping: keeping, trace: trace)
        } catch {
            fatalError("the VGG encoder failed: \(error)")
        }
    }
}
