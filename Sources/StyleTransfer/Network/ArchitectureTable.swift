// The vocabulary of the encoder's and decoder's layer tables, and reading one convolution's
// weights out of a state_dict with its key and shape checked.

import Checkpoints
import TensorCore

/// One row of a layer table, named by the index of its module in pytorch-AdaIN's `nn.Sequential`
/// (which is also the prefix of its checkpoint keys).
enum ArchitectureLayer {
    /// `nn.Conv2d(inChannels, outChannels, (kernel, kernel))` at `module` (keys `"<module>.weight"`
    /// of shape (out, in, kernel, kernel) and `"<module>.bias"`), preceded by
    /// `nn.ReflectionPad2d((1, 1, 1, 1))` at `module - 1` when `kernel == 3`, followed by `nn.ReLU()`
    /// at `module + 1` when `relu`. `landmark` names the ReLU's output when it is one (e.g. relu1_1).
    case convolution(module: Int, inChannels: Int, outChannels: Int, kernel: Int, relu: Bool, landmark: String? = nil)
    /// `nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True)` at `module`.
    case maxPool(module: Int)
    /// `nn.Upsample(scale_factor=2, mode='nearest')` at `module`.
    case upsample(module: Int)

    /// The checkpoint keys this layer needs and their shapes.
    var tensors: [(key: String, shape: [Int])] {
        guard case .convolution(let module, let inChannels, let outChannels, let kernel, _, _) = self else { return [] }
        return [("\(module).weight", [outChannels, inChannels, kernel, kernel]), ("\(module).bias", [outChannels])]
    }

    /// The layer for ``Sequential``, weights read from `state`; `network` names the network in errors.
    func layer(_ state: [String: StoredTensor], network: String) throws(NetworkWeightError) -> Layer {
        switch self {
        case .convolution(let module, let inChannels, let outChannels, _, let relu, let landmark):
            let weights = try convolutionWeights(state, network: network)
            let name = "\(network).\(module) conv \(inChannels)->\(outChannels)" + (landmark.map { " \($0)" } ?? "")
            return Layer(name, .convolution(weights, reflectionPadding: weights.kernelHeight / 2, relu: relu))
        case .maxPool(let module):
            return Layer("\(network).\(module) maxpool", .maxPool2x2Ceil)
        case .upsample(let module):
            return Layer("\(network).\(module) upsample", .upsampleNearest2x)
        }
    }

    /// The convolution's weight and bias, checked against the table.
    func convolutionWeights(_ state: [String: StoredTensor], network: String) throws(NetworkWeightError) -> ConvolutionWeights {
        let tensors = self.tensors
        precondition(tensors.count == 2, "not a convolution")
        var values: [[Float]] = []
        for (key, shape) in tensors {
            guard let stored = state[key] else { throw .missingKey(network: network, key: key, expectedShape: shape) }
            guard stored.shape == shape else { throw .wrongShape(network: network, key: key, expected: shape, found: stored.shape) }
            values.append(stored.values)
        }
        let shape = tensors[0].shape
        return ConvolutionWeights(outChannels: shape[0], inChannels: shape[1], kernelHeight: shape[2], kernelWidth: shape[3],
                                  weight: values[0], bias: values[1])
    }
}
