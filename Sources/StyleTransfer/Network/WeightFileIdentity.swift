// Which model and network a weight file holds, recognised from its format and key names: the
// default of `--model`, and the clear error when files of two models are mixed.

import Checkpoints

/// The two networks a model's weight files hold.
public enum NetworkRole: String, Sendable, Equatable, Hashable {
    case encoder
    case decoder
    /// Both in one file: the seed's ONNX export of its whole StyleNet.
    case encoderAndDecoder

    /// `"VGG encoder"`, `"decoder"` or `"VGG encoder and decoder"`, for messages.
    public var title: String {
        switch self {
        case .encoder: "VGG encoder"
        case .decoder: "decoder"
        case .encoderAndDecoder: "VGG encoder and decoder"
        }
    }

    /// Whether a file holding this network holds `network`.
    public func holds(_ network: NetworkRole) -> Bool { self == network || self == .encoderAndDecoder }
}

/// A weight file's model and network, and what showed them (a key, or a Torch7 module).
public struct WeightFileIdentity: Sendable, Equatable, Hashable {
    public var variant: ModelVariant
    public var network: NetworkRole
    /// What the file was recognised by, for messages: `"its tensor 'net.0.0.weight'"`.
    public var evidence: String

    public init(variant: ModelVariant, network: NetworkRole, evidence: String) {
        self.variant = variant
        self.network = network
        self.evidence = evidence
    }

    /// The keys whose presence (and shape) tell the models' state_dicts apart; reading only these
    /// from a file (``Checkpoints/loadStateDict(path:keys:)``) is enough to ``recognize(_:)`` it.
    static let probeKeys: Set<String> = ["features.0.weight", "net.0.0.weight", "0.weight", "1.weight"]

    /// The model and network of a state_dict, from its keys: torchvision's VGG-19
    /// (`features.0.weight`, the seed's encoder), the seed's decoder (`net.0.0.weight`),
    /// pytorch-AdaIN's vgg_normalised (`0.weight`, a 3x3x1x1 convolution) or decoder (`1.weight` of
    /// shape [256, 512, 3, 3] without `0.weight`); nil for anything else.
    public static func recognize(_ weights: [String: StoredTensor]) -> WeightFileIdentity? {
        if weights["features.0.weight"] != nil { return WeightFileIdentity(variant: .seed, network: .encoder, evidence: "its tensor 'features.0.weight'") }
        if weights["net.0.0.weight"] != nil { return WeightFileIdentity(variant: .seed, network: .decoder, evidence: "its tensor 'net.0.0.weight'") }
        if weights["0.weight"]?.shape == [3, 3, 1, 1] {
            return WeightFileIdentity(variant: .pytorchAdaIN, network: .encoder, evidence: "its tensor '0.weight' (the 1x1 convolution of vgg_normalised)")
        }
        if weights["0.weight"] == nil, weights["1.weight"]?.shape == [256, 512, 3, 3] {
            return WeightFileIdentity(variant: .pytorchAdaIN, network: .decoder, evidence: "its tensor '1.weight' of shape [256, 512, 3, 3]")
        }
        return nil
    }

    /// The model and network of a Torch7 `nn.Sequential`: AdaIN-style's vgg_normalised.t7 starts
    /// with a 1x1 convolution of 3 planes, its decoder.t7 with a reflection padding and a
    /// convolution of 512 input planes; nil for anything else.
    public static func recognize(_ modules: [Torch7Module]) -> WeightFileIdentity? {
        if case .convolution(let c)? = modules.first, c.inputPlanes == 3, c.kernelWidth == 1 {
            return WeightFileIdentity(variant: .torch, network: .encoder, evidence: "its Torch7 module 0, a 1x1 nn.SpatialConvolution of 3 planes")
        }
        if modules.count > 1, case .reflectionPadding = modules[0], case .convolution(let c) = modules[1], c.inputPlanes == 512 {
            return WeightFileIdentity(variant: .torch, network: .decoder, evidence: "its Torch7 modules 0 and 1, a reflection padding and an nn.SpatialConvolution of 512 planes")
        }
        return nil
    }

    /// The model and network of an ONNX graph: the seed's StyleNet export (both networks) when it
    /// has the seed's 18 Conv nodes and the first one's weight is an initializer of torchvision's
    /// conv1_1 shape, [64, 3, 3, 3]; nil otherwise (stylectl's own exports, which encode the content
    /// and the style with two copies of the encoder's nodes, have 27).
    public static func recognize(_ graph: ONNXGraph) -> WeightFileIdentity? {
        let convolutions = graph.nodes.filter { $0.opType == "Conv" }
        guard convolutions.count == seedEncoderConvolutions.count + seedDecoderConvolutions.count,
              let first = convolutions.first, first.inputs.count > 1, graph.initializers[first.inputs[1]]?.shape == [64, 3, 3, 3]
        else { return nil }
        return WeightFileIdentity(variant: .seed, network: .encoderAndDecoder,
                                  evidence: "its first Conv node '\(first.name)', torchvision's conv1_1 of shape [64, 3, 3, 3]")
    }

    /// Whether `path` names an ONNX file (by its extension, `.onnx` in any case).
    public static func isONNX(_ path: String) -> Bool { path.lowercased().hasSuffix(".onnx") }

    /// The model and network of the weight file at `path`: an ONNX file (``isONNX(_:)``) by its
    /// convolutions, a Torch7 file by its modules, a PyTorch or safetensors file by the tensors of
    /// ``probeKeys`` (only those are read); nil when the file is readable but of none of the known
    /// layouts.
    ///
    /// - Throws: ``StyleTransferError/checkpoint(_:)`` when the file cannot be read.
    public static func identify(path: String) throws(StyleTransferError) -> WeightFileIdentity? {
        if isONNX(path) {
            do { return recognize(try loadONNXGraph(path: path)) } catch { throw .checkpoint(error) }
        }
        do {
            return recognize(try loadStateDict(path: path, keys: probeKeys))
        } catch .unknownFormat(let unknown) {
            // Not a PyTorch or safetensors file: a Torch7 one, or (for a name not ending in .t7,
            // when the Torch7 reader fails too) of no known format.
            do { return recognize(try loadTorch7Sequential(path: path)) } catch {
                throw .checkpoint(path.lowercased().hasSuffix(".t7") ? error : .unknownFormat(path: unknown))
            }
        } catch {
            throw .checkpoint(error)
        }
    }
}
