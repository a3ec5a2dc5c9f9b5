// The seed's ONNX files (aadhithya/AdaIN-pytorch's export.py: its whole StyleNet through
// torch.onnx.export at opset 9): the weights of its convolutions, taken in graph order and keyed as
// the seed's state_dicts, so that the networks are built from the same tables as from its .pth files.

import Checkpoints

/// The state_dict of `network` from an ONNX graph of the seed's StyleNet, keyed as the seed's
/// files key it (`features.0.weight` ... of torchvision's VGG-19, `net.0.0.weight` ... of its decoder).
///
/// Only the graph's `Conv` nodes and their initializers are read: there must be exactly the
/// encoder's convolutions (``ModelConventions/seedEncoderArchitecture``, in order) followed by the
/// decoder's (``Decoder/architecture``); each takes its weight and bias from initializers of the
/// shapes those tables give. The other nodes (the concatenation of the two images, AdaIN, padding,
/// pooling, upsampling) are not trusted: stylectl runs its own tables' layers, which follow the
/// seed's model.py, whatever the file says it does between the convolutions.
///
/// - Throws: ``NetworkWeightError/onnxConvolution(index:node:found:expected:)`` for the first
///   convolution that differs or is missing, or a Conv node too many.
public func seedONNXStateDict(_ graph: ONNXGraph, network: NetworkRole) throws(NetworkWeightError) -> [String: StoredTensor] {
    let (encoder, decoder) = (seedEncoderConvolutions, seedDecoderConvolutions)
    let expected = encoder + decoder
    let convolutions = graph.nodes.filter { $0.opType == "Conv" }
    if convolutions.count > expected.count {
        let extra = convolutions[expected.count]
        throw .onnxConvolution(index: expected.count, node: extra.name, found: "a Conv node",
                               expected: "no more (the seed's StyleNet has \(expected.count): \(encoder.count) in the encoder, \(decoder.count) in the decoder)")
    }
    var state: [String: StoredTensor] = [:]
    let range = network == .encoder ? 0 ..< encoder.count : network == .decoder ? encoder.count ..< expected.count : 0 ..< expected.count
    for index in 0 ..< expected.count {
        let tensors = expected[index]
        let description = "a convolution with weight \(tensors[0].shape) and bias \(tensors[1].shape) (the seed's '\(tensors[0].key)')"
        guard index < convolutions.count else {
            throw .onnxConvolution(index: index, node: nil, found: "missing (the graph has \(convolutions.count) Conv nodes)", expected: description)
        }
        let node = convolutions[index]
        for (position, (key, shape)) in tensors.enumerated() {
            guard position + 1 < node.inputs.count, let stored = graph.initializers[node.inputs[position + 1]] else {
                throw .onnxConvolution(index: index, node: node.name, found: "a Conv whose \(position == 0 ? "weight" : "bias") is not a stored initializer",
                                       expected: description)
            }
            guard stored.shape == shape else {
                throw .onnxConvolution(index: index, node: node.name, found: "a convolution with \(position == 0 ? "weight" : "bias") \(stored.shape)",
                                       expected: description)
            }
            if range.contains(index) { state[key] = stored }
        }
    }
    return state
}

/// The seed's convolutions in graph order, each its weight's and bias's key and shape.
let seedEncoderConvolutions = ModelVariant.seed.conventions.encoderArchitecture
    .map { $0.tensors(ModelVariant.seed.conventions.encoderNetwork) }.filter { !$0.isEmpty }
let seedDecoderConvolutions = Decoder.architecture.map { $0.tensors(ModelVariant.seed.conventions.decoderNetwork) }.filter { !$0.isEmpty }
