// Forward 2-D convolution (stride 1) on activations whose reflection padding is already in their
// halo, by oneDNN's direct convolution with the bias and an optional ReLU fused.

import CDNNL

/// One convolution layer compiled by oneDNN for one input size.
///
/// input is (N, IC, H, W) stored with a halo of q = the layer's reflection padding, already filled;
/// weight is (OC, IC, KH, KW); bias is (OC);
/// output is (N, OC, H + 2q - KH + 1, W + 2q - KW + 1), stored with a halo of p.
///
/// oneDNN reads the input's whole padded plane with no padding of its own, so the interior of
/// the output is the convolution of the reflection-padded input. To hand the next layer an input
/// with its halo, oneDNN is asked for `p` pixels of zero padding: it then computes a p-wide frame
/// of extra (zero-padded, hence wrong) outputs around the interior, laid out exactly as the
/// next layer's padded input; ``fillHalo(_:_:)`` overwrites that frame (with the reflection, or zeros). This costs
/// `(Ho + 2p)(Wo + 2p) / (Ho Wo)` of the arithmetic (0.8% at 512x512, 6% at 64x64) instead of a
/// copy of every activation into a padded buffer.
final class ConvolutionForward: Sendable {
    let input: ActivationLayout
    let output: ActivationLayout
    let primitive: DNNLPrimitive
    private let sourceDescriptor: dnnl_memory_desc_t
    private let destinationDescriptor: dnnl_memory_desc_t
    private let weightsDescriptor: dnnl_memory_desc_t
    private let biasDescriptor: dnnl_memory_desc_t
    /// The weights in the layout the primitive asked for.
    private let weights: AlignedBuffer
    private let bias: AlignedBuffer

    /// - Parameter weightCache: reordered weights of earlier compilations of the same layer, to
    ///   share when the primitive asks for the same layout (it is appended to otherwise).
    init(_ parameters: ConvolutionWeights, input: ActivationLayout, output: ActivationLayout, relu: Bool,
         weightCache: inout [(descriptor: dnnl_memory_desc_t, buffer: AlignedBuffer)]) throws(DNNLError) {
        precondition(input.channels == parameters.inChannels && output.channels == parameters.outChannels)
        precondition(output.height == input.paddedHeight - parameters.kernelHeight + 1
                     && output.width == input.paddedWidth - parameters.kernelWidth + 1 && output.batch == input.batch)
        self.input = input
        self.output = output
        var source = try input.descriptor()
        var destination = try output.descriptor()
        var anyWeights = try memoryDescriptor(
            [parameters.outChannels, parameters.inChannels, parameters.kernelHeight, parameters.kernelWidth], dnnl_format_tag_any)
        var biasMD = try memoryDescriptor([parameters.outChannels], dnnl_x)
        let p = output.halo
        var operation = dnnl_convolution_desc_t()
        try check(dnnl_convolution_forward_desc_init(
            &operation, dnnl_forward_inference, dnnl_convolution_direct, &source, &anyWeights, &biasMD, &destination,
            [1, 1], [Int64(p), Int64(p)], [Int64(p), Int64(p)]), "dnnl_convolution_forward_desc_init")
        let attributes = try DNNLAttributes(relu: relu)
        let descriptor = try DNNLPrimitiveDescriptor(operation: &operation, attributes: attributes, what: "convolution")
        primitive = try DNNLPrimitive(descriptor, what: "convolution")
        sourceDescriptor = source
        destinationDescriptor = destination
        biasDescriptor = biasMD
        let layout = descriptor.memoryDescriptor(dnnl_query_weights_md)
        weightsDescriptor = layout
        bias = AlignedBuffer(parameters.bias)
        if let cached = weightCache.first(where: { sameLayout($0.descriptor, layout) }) {
            weights = cached.buffer
        } else {
            weights = try Self.reorder(parameters, to: layout)
            weightCache.append((layout, weights))
        }
    }

    /// The weights, from PyTorch's (OC, IC, KH, KW) to the layout `descriptor` describes.
    private static func reorder(_ parameters: ConvolutionWeights, to descriptor: dnnl_memory_desc_t) throws(DNNLError) -> AlignedBuffer {
        let plain = AlignedBuffer(parameters.weight)
        let plainDescriptor = try memoryDescriptor(
            [parameters.outChannels, parameters.inChannels, parameters.kernelHeight, parameters.kernelWidth], dnnl_oihw)
        let reordered = AlignedBuffer(count: (byteCount(of: descriptor) + 3) / 4)
        let attributes = try DNNLAttributes(relu: false)
        let reorder = try DNNLPrimitive(
            try DNNLPrimitiveDescriptor(reorderFrom: plainDescriptor, to: descriptor, attributes: attributes), what: "weights reorder")
        let scratchpad = AlignedBuffer(count: (reorder.scratchpadBytes + 3) / 4)
        let stream = try DNNLStream()
        try reorder.execute([(DNNL_ARG_FROM, plainDescriptor, plain.raw), (DNNL_ARG_TO, descriptor, reordered.raw)],
                            scratchpad: scratchpad.raw, stream: stream)
        try stream.wait()
        return reordered
    }

    /// input and output are buffers laid out as ``input`` and ``output``; the scratchpad holds at
    /// least `primitive.scratchpadBytes`. The output's halo is left for ``fillHalo(_:_:)``.
    func forward(input data: UnsafeMutablePointer<Float>, output result: UnsafeMutablePointer<Float>,
                 scratchpad: UnsafeMutableRawPointer, stream: DNNLStream) throws(DNNLError) {
        try primitive.execute([
            (DNNL_ARG_SRC, sourceDescriptor, UnsafeMutableRawPointer(data)),
            (DNNL_ARG_WEIGHTS, weightsDescriptor, weights.raw),
            (DNNL_ARG_BIAS, biasDescriptor, bias.raw),
            (DNNL_ARG_DST, destinationDescriptor, UnsafeMutableRawPointer(result)),
        ], scratchpad: scratchpad, stream: stream)
    }
}
