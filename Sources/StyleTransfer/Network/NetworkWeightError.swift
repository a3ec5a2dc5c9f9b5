// Why a state_dict does not fit the encoder or decoder; every case names the offending key.

/// A weight file was read but its tensors do not fit the network. The description is a full
/// sentence for the user (the caller adds the file's path).
public enum NetworkWeightError: Error, Equatable, CustomStringConvertible {
    /// A tensor the network needs is absent.
    case missingKey(network: String, key: String, expectedShape: [Int])
    /// A tensor has the wrong shape.
    case wrongShape(network: String, key: String, expected: [Int], found: [Int])
    /// The decoder's file holds a tensor the decoder does not have.
    case unexpectedKey(network: String, key: String)
    /// The file given for the decoder holds a VGG encoder.
    case vggGivenAsDecoder
    /// The file given for the VGG encoder holds a decoder.
    case decoderGivenAsVGG
    /// A decoder file of another model than pytorch-AdaIN's holds a tensor its decoder does not have.
    case unexpectedModelKey(variant: ModelVariant, key: String)
    /// The file holds another model's network, or the other network of the model (recognised by
    /// `found.evidence`, a key or a Torch7 module), where `expected` was needed.
    case otherModel(expected: WeightFileIdentity, found: WeightFileIdentity)
    /// A Torch7 `nn.Sequential` does not have the module the architecture needs at `index`
    /// (0-based; Lua's `model:get(index + 1)`), or ends before it.
    case torch7Module(network: String, index: Int, found: String, expected: String)
    /// The Conv node `index` (0-based, in graph order; `node` its name, nil when missing) of an
    /// ONNX file is not the seed's convolution there (``seedONNXStateDict(_:network:)``).
    case onnxConvolution(index: Int, node: String?, found: String, expected: String)

    public var description: String {
        switch self {
        case .missingKey(let network, let key, let shape):
            return "the \(network) needs tensor '\(key)' of shape \(shape), which the file does not hold"
        case .wrongShape(let network, let key, let expected, let found):
            return "tensor '\(key)' has shape \(found), the \(network) needs \(expected)"
        case .unexpectedKey(let network, let key):
            return "tensor '\(key)' is not part of the \(network) (pytorch-AdaIN's decoder has only the keys 1.weight, 1.bias, 5.weight, ... 28.bias)"
        case .vggGivenAsDecoder:
            return "this looks like a VGG checkpoint, not a decoder (it holds the VGG's '0.weight', a 3x3x1x1 convolution); pass it as the VGG encoder and give pytorch-AdaIN's decoder.pth as the decoder"
        case .unexpectedModelKey(let variant, let key):
            let keys = Decoder.architecture.flatMap { $0.tensors(variant.conventions.decoderNetwork).map(\.key) }
            return "tensor '\(key)' is not part of the decoder of \(variant.conventions.title), whose keys are \(keys[0]), \(keys[1]), ... \(keys[keys.count - 1])"
        case .otherModel(let expected, let found):
            let hint = found.variant == expected.variant
                ? "give it as the \(found.network == .encoder ? "VGG encoder (--vgg)" : "decoder (--decoder)")"
                : "run that model with --model \(found.variant.rawValue) and both of its files, or give the \(expected.network.title) of \(expected.variant.conventions.title) (\((expected.network == .encoder ? expected.variant.conventions.vggNames : expected.variant.conventions.decoderNames).joined(separator: " or ")))"
            return "this is the \(found.network.title) of \(found.variant.conventions.title), recognised by \(found.evidence); the \(expected.network.title) of \(expected.variant.conventions.title) is needed here (its first tensor is '\(expected.evidence)'): \(hint)"
        case .torch7Module(let network, let index, let found, let expected):
            return "module \(index) of the \(network) (Lua's model:get(\(index + 1))) is \(found); AdaIN-style's \(network) has \(expected) there"
        case .onnxConvolution(let index, let node, let found, let expected):
            let name = node.map { " ('\($0)')" } ?? ""
            return "Conv node \(index)\(name) of the ONNX graph is \(found); the seed's StyleNet export (aadhithya/AdaIN-pytorch's export.py) has \(expected) there"
        case .decoderGivenAsVGG:
            return "this looks like a decoder checkpoint, not a VGG (it starts at '1.weight' of shape [256, 512, 3, 3]); pass it as the decoder and give vgg_normalised.pth as the VGG encoder"
        }
    }
}
