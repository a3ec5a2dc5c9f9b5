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
        case .decoderGivenAsVGG:
            return "this looks like a decoder checkpoint, not a VGG (it starts at '1.weight' of shape [256, 512, 3, 3]); pass it as the decoder and give vgg_normalised.pth as the VGG encoder"
        }
    }
}
