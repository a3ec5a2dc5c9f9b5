// Plain NCHW convolution (stride 1, no padding) for training: forward, backward to the input and
// backward to the weights and bias. Tensors come and go in plain nchw / oihw. The forward pass and
// the backward pass to the input of a 3x3 layer run by Winograd F(4x4, 3x3) where the process's
// ConvolutionAlgorithm takes it (WinogradConvolutionForward on the blocked layout, the backward
// pass as the forward convolution of the zero-padded output gradient with the flipped, transposed
// kernel); everything else by oneDNN's primitives, each on the layouts oneDNN prefers (its
// blocked, vectorised implementations are much faster than its GEMM-based one on plain layouts),
// with reorders in and out. Reflection padding is a separate step
// (TrainingKernels.reflectionPad1Forward) before the convolution.

import CDNNL
import Synchronization

extension TrainingKernels {
    /// `nn.Conv2d` with stride 1 and no padding.
    ///
    /// x is (N, IC, H, W); weights (OC, IC, KH, KW) and bias (OC); out is (N, OC, H - KH + 1, W - KW + 1).
    ///
    /// - Parameter convolutions: which algorithm runs a 3x3 layer (``TrainingWinograd/takes(_:_:)``);
    ///   by default the process's.
    public static func convolutionForward(_ x: Tensor, _ weights: ConvolutionWeights,
                                          convolutions: ConvolutionAlgorithm = .process) -> Tensor {
        if TrainingWinograd.takes(weights, convolutions) { return TrainingWinograd.convolution(x, weights, zeroPadding: 0) }
        let plan = PlainConvolution.plan(for: x.shape, weights)
        var out = Tensor(zeros: plan.outputShape)
        out.values.withUnsafeMutableBytes { o in
            x.values.withUnsafeBytes { i in
                weights.weight.withUnsafeBytes { w in
                    weights.bias.withUnsafeBytes { b in
                        plan.forward.run(inputs: [(DNNL_ARG_SRC, i.baseAddress!), (DNNL_ARG_WEIGHTS, w.baseAddress!), (DNNL_ARG_BIAS, b.baseAddress!)],
                                         outputs: [(DNNL_ARG_DST, o.baseAddress!)])
                    }
                }
            }
        }
        return out
    }

    /// Backward of ``convolutionForward(_:_:)`` to its input:
    /// dInput[n, i, y + ky, x + kx] = sum over o of dOut[n, o, y, x] * weight[o, i, ky, kx].
    ///
    /// dOut is (N, OC, H - KH + 1, W - KW + 1); the result is (N, IC, H, W) for `inputShape`
    /// (N, IC, H, W).
    ///
    /// By Winograd (``TrainingWinograd``): dInput = the forward convolution of dOut zero-padded by
    /// KH - 1 = 2 with weight'[i, o, ky, kx] = weight[o, i, 2 - ky, 2 - kx] and no bias.
    public static func convolutionBackwardData(_ dOut: Tensor, _ weights: ConvolutionWeights, inputShape: [Int],
                                               convolutions: ConvolutionAlgorithm = .process) -> Tensor {
        if TrainingWinograd.takes(weights, convolutions) {
            let expected = [inputShape[0], weights.outChannels, inputShape[2] - 2, inputShape[3] - 2]
            precondition(dOut.shape == expected, "output gradient \(dOut.shape), expected \(expected)")
            return TrainingWinograd.convolution(dOut, TrainingWinograd.flippedTransposed(weights), zeroPadding: 2)
        }
        let plan = PlainConvolution.plan(for: inputShape, weights)
        precondition(dOut.shape == plan.outputShape, "output gradient \(dOut.shape), expected \(plan.outputShape)")
        var result = Tensor(zeros: inputShape)
        result.values.withUnsafeMutableBytes { r in
            dOut.values.withUnsafeBytes { g in
                weights.weight.withUnsafeBytes { w in
                    plan.backwardData.run(inputs: [(DNNL_ARG_DIFF_DST, g.baseAddress!), (DNNL_ARG_WEIGHTS, w.baseAddress!)],
                                          outputs: [(DNNL_ARG_DIFF_SRC, r.baseAddress!)])
                }
            }
        }
        return result
    }

    /// ``convolutionBackwardData(_:_:inputShape:)`` accumulated into dInput (N, IC, H, W).
    public static func convolutionBackwardData(_ dOut: Tensor, _ weights: ConvolutionWeights, accumulatingInto dInput: inout Tensor) {
        accumulate(convolutionBackwardData(dOut, weights, inputShape: dInput.shape).values, into: &dInput.values)
    }

    /// Backward of ``convolutionForward(_:_:)`` to its weights and bias:
    /// dWeight[o, i, ky, kx] += sum over n, y, x of dOut[n, o, y, x] * input[n, i, y + ky, x + kx];
    /// dBias[o] += sum over n, y, x of dOut[n, o, y, x].
    ///
    /// dOut is (N, OC, Ho, Wo); input (N, IC, H, W) is the forward's input; dWeight (OC*IC*KH*KW)
    /// and dBias (OC) are accumulated into.
    public static func convolutionBackwardWeights(_ dOut: Tensor, input: Tensor, _ weights: ConvolutionWeights,
                                                  accumulatingInto dWeight: inout [Float], _ dBias: inout [Float]) {
        let plan = PlainConvolution.plan(for: input.shape, weights)
        precondition(dOut.shape == plan.outputShape, "output gradient \(dOut.shape), expected \(plan.outputShape)")
        precondition(dWeight.count == weights.weight.count && dBias.count == weights.bias.count, "gradient sizes do not match the weights")
        var w = [Float](repeating: 0, count: dWeight.count), b = [Float](repeating: 0, count: dBias.count)
        w.withUnsafeMutableBytes { wp in
            b.withUnsafeMutableBytes { bp in
                input.values.withUnsafeBytes { s in
                    dOut.values.withUnsafeBytes { g in
                        plan.backwardWeights.run(inputs: [(DNNL_ARG_SRC, s.baseAddress!), (DNNL_ARG_DIFF_DST, g.baseAddress!)],
                                                 outputs: [(DNNL_ARG_DIFF_WEIGHTS, wp.baseAddress!), (DNNL_ARG_DIFF_BIAS, bp.baseAddress!)])
                    }
                }
            }
        }
        accumulate(w, into: &dWeight)
        accumulate(b, into: &dBias)
    }
}

/// Training's 3x3 convolutions by ``WinogradConvolutionForward``: a plain tensor copied into the
/// blocked layout of the process's channel block (``ActivationLayout/nativeBlock``), convolved, and
/// copied back. The weights change at every Adam step, so they are transformed at every call: all
/// of pytorch-AdaIN's 3x3 weights once take 126-151 ms of CPU (``WinogradWeights``, Zen 3), and an
/// iteration transforms each layer's twice (forward, backward to the input), about 1% of an
/// iteration at batch 8, 256x256 (25 s).
enum TrainingWinograd {
    /// Whether `algorithm` runs this layer by Winograd: a 3x3 kernel with the channels
    /// ``ConvolutionAlgorithm/usesWinograd(_:)`` asks for. Both passes of the layer (forward,
    /// backward to the input) check the same weights, so they agree.
    static func takes(_ weights: ConvolutionWeights, _ algorithm: ConvolutionAlgorithm) -> Bool {
        weights.kernelHeight == 3 && weights.kernelWidth == 3 && algorithm.usesWinograd(weights)
    }

    /// The kernel of the backward pass to the input: (IC, OC, 3, 3) with
    /// `result[i, o, ky, kx] = weights[o, i, 2 - ky, 2 - kx]`, bias zero.
    static func flippedTransposed(_ weights: ConvolutionWeights) -> ConvolutionWeights {
        let (oc, ic) = (weights.outChannels, weights.inChannels)
        var flipped = [Float](repeating: 0, count: weights.weight.count)
        for o in 0 ..< oc {
            for i in 0 ..< ic {
                let (from, to) = ((o * ic + i) * 9, (i * oc + o) * 9)
                for tap in 0 ..< 9 { flipped[to + tap] = weights.weight[from + 8 - tap] }
            }
        }
        return ConvolutionWeights(outChannels: ic, inChannels: oc, kernelHeight: 3, kernelWidth: 3,
                                  weight: flipped, bias: [Float](repeating: 0, count: ic))
    }

    /// `nn.Conv2d(padding=q)` of a 3x3 kernel, stride 1.
    ///
    /// x is (N, IC, H, W); weights (OC, IC, 3, 3) and bias (OC); out is (N, OC, H + 2q - 2, W + 2q - 2).
    static func convolution(_ x: Tensor, _ weights: ConvolutionWeights, zeroPadding q: Int) -> Tensor {
        let block = ActivationLayout.nativeBlock
        let input = ActivationLayout(batch: x.batch, channels: x.channels, height: x.height, width: x.width, block: block, halo: q, zeroHalo: true)
        let output = ActivationLayout(batch: x.batch, channels: weights.outChannels, height: input.paddedHeight - 2,
                                      width: input.paddedWidth - 2, block: block, halo: 0)
        let transformed = WinogradWeights(weights, inputWidth: input.channelBlocks * block, outputWidth: output.channelBlocks * block)
        let convolution = WinogradConvolutionForward(weights, input: input, output: output, relu: false, weights: transformed)
        let buffers = [BufferPool.shared.take(count: input.count), BufferPool.shared.take(count: output.count),
                       BufferPool.shared.take(count: convolution.scratchCount)]
        defer { BufferPool.shared.give(buffers) }
        importTensor(x, into: buffers[0].pointer, input)
        convolution.forward(input: buffers[0].pointer, output: buffers[1].pointer, scratch: buffers[2].pointer)
        return exportTensor(buffers[1].pointer, output)
    }
}

/// `total[i] += part[i]` for every i, on all cores for large arrays.
private func accumulate(_ part: [Float], into total: inout [Float]) {
    precondition(part.count == total.count)
    let chunk = TrainingKernels.chunk
    total.withUnsafeMutableBufferPointer { t in
        part.withUnsafeBufferPointer { p in
            let (tp, pp, count) = (UncheckedSendable(t.baseAddress!), UncheckedSendable(p.baseAddress!), p.count)
            parallelFor(TrainingKernels.chunks(count), costPerItem: chunk) { c in
                for i in c * chunk ..< min(count, (c + 1) * chunk) { tp.value[i] += pp.value[i] }
            }
        }
    }
}

/// The three oneDNN convolution primitives for one input shape and kernel shape, on plain
/// nchw / oihw / x memory; cached process-wide by shape.
final class PlainConvolution: Sendable {
    let outputShape: [Int]
    let forward: ReorderedPrimitive
    let backwardData: ReorderedPrimitive
    let backwardWeights: ReorderedPrimitive

    private struct Key: Hashable { let input: [Int], kernel: [Int] }
    private static let cache = Mutex<[Key: PlainConvolution]>([:])

    /// The primitives for input `shape` and `weights`' shape; traps if oneDNN fails (it can only
    /// run out of memory here).
    static func plan(for shape: [Int], _ weights: ConvolutionWeights) -> PlainConvolution {
        precondition(shape.count == 4 && shape[1] == weights.inChannels, "input \(shape) does not match weights with \(weights.inChannels) input channels")
        precondition(shape[2] >= weights.kernelHeight && shape[3] >= weights.kernelWidth, "input \(shape) is smaller than the kernel")
        let key = Key(input: shape, kernel: [weights.outChannels, weights.inChannels, weights.kernelHeight, weights.kernelWidth])
        if let plan = cache.withLock({ $0[key] }) { return plan }
        do {
            let plan = try PlainConvolution(input: shape, kernel: key.kernel)
            cache.withLock { $0[key] = plan }
            return plan
        } catch {
            fatalError("oneDNN cannot build a training convolution for input \(shape), kernel \(key.kernel): \(error)")
        }
    }

    private init(input: [Int], kernel: [Int]) throws(DNNLError) {
        outputShape = [input[0], kernel[0], input[2] - kernel[2] + 1, input[3] - kernel[3] + 1]
        let plain: [Int32: dnnl_memory_desc_t] = [
            DNNL_ARG_SRC: try memoryDescriptor(input, dnnl_nchw), DNNL_ARG_WEIGHTS: try memoryDescriptor(kernel, dnnl_oihw),
            DNNL_ARG_BIAS: try memoryDescriptor([kernel[0]], dnnl_x), DNNL_ARG_DST: try memoryDescriptor(outputShape, dnnl_nchw),
        ]
        var src = try memoryDescriptor(input, dnnl_format_tag_any)
        var wei = try memoryDescriptor(kernel, dnnl_format_tag_any)
        var bia = plain[DNNL_ARG_BIAS]!
        var dst = try memoryDescriptor(outputShape, dnnl_format_tag_any)
        let attributes = try DNNLAttributes(relu: false)
        let (strides, padding): ([Int64], [Int64]) = ([1, 1], [0, 0])

        var forwardOperation = dnnl_convolution_desc_t()
        try check(dnnl_convolution_forward_desc_init(&forwardOperation, dnnl_forward_training, dnnl_convolution_direct,
                                                     &src, &wei, &bia, &dst, strides, padding, padding),
                  "dnnl_convolution_forward_desc_init (training)")
        let forwardDescriptor = try DNNLPrimitiveDescriptor(operation: &forwardOperation, attributes: attributes, what: "training convolution")
        forward = try ReorderedPrimitive(forwardDescriptor, plain: plain, queries: [
            DNNL_ARG_SRC: dnnl_query_src_md, DNNL_ARG_WEIGHTS: dnnl_query_weights_md, DNNL_ARG_BIAS: dnnl_query_weights_md,
            DNNL_ARG_DST: dnnl_query_dst_md,
        ], what: "training convolution")

        var dataOperation = dnnl_convolution_desc_t()
        try check(dnnl_convolution_backward_data_desc_init(&dataOperation, dnnl_convolution_direct, &src, &wei, &dst,
                                                           strides, padding, padding),
                  "dnnl_convolution_backward_data_desc_init")
        backwardData = try ReorderedPrimitive(
            try DNNLPrimitiveDescriptor(operation: &dataOperation, attributes: attributes, what: "convolution backward data", hint: forwardDescriptor),
            plain: [DNNL_ARG_DIFF_DST: plain[DNNL_ARG_DST]!, DNNL_ARG_WEIGHTS: plain[DNNL_ARG_WEIGHTS]!, DNNL_ARG_DIFF_SRC: plain[DNNL_ARG_SRC]!],
            queries: [DNNL_ARG_DIFF_DST: dnnl_query_diff_dst_md, DNNL_ARG_WEIGHTS: dnnl_query_weights_md, DNNL_ARG_DIFF_SRC: dnnl_query_diff_src_md],
            what: "convolution backward data")

        var weightsOperation = dnnl_convolution_desc_t()
        try check(dnnl_convolution_backward_weights_desc_init(&weightsOperation, dnnl_convolution_direct, &src, &wei, &bia, &dst,
                                                              strides, padding, padding),
                  "dnnl_convolution_backward_weights_desc_init")
        backwardWeights = try ReorderedPrimitive(
            try DNNLPrimitiveDescriptor(operation: &weightsOperation, attributes: attributes, what: "convolution backward weights", hint: forwardDescriptor),
            plain: [DNNL_ARG_SRC: plain[DNNL_ARG_SRC]!, DNNL_ARG_DIFF_DST: plain[DNNL_ARG_DST]!,
                    DNNL_ARG_DIFF_WEIGHTS: plain[DNNL_ARG_WEIGHTS]!, DNNL_ARG_DIFF_BIAS: plain[DNNL_ARG_BIAS]!],
            queries: [DNNL_ARG_SRC: dnnl_query_src_md, DNNL_ARG_DIFF_DST: dnnl_query_diff_dst_md,
                      DNNL_ARG_DIFF_WEIGHTS: dnnl_query_diff_weights_md, DNNL_ARG_DIFF_BIAS: dnnl_query_diff_weights_md],
            what: "convolution backward weights")
    }
}

/// A primitive that takes and gives plain buffers but runs on the layouts its descriptor chose:
/// each argument whose chosen layout differs from the plain one goes through a reorder (into a
/// temporary buffer for an input, out of one for an output); temporaries and scratchpads come
/// from ``BufferPool``, so repeated steps touch no fresh pages.
final class ReorderedPrimitive: Sendable {
    private struct Port: Sendable {
        let plain: dnnl_memory_desc_t
        let chosen: dnnl_memory_desc_t
        /// plain -> chosen for inputs, chosen -> plain for outputs; nil when the layouts agree.
        let reorder: DNNLPrimitive?
    }

    private let primitive: DNNLPrimitive
    private let ports: [Int32: Port]

    /// - Parameters:
    ///   - plain: each argument's plain layout.
    ///   - queries: how to ask the descriptor for each argument's layout (a bias is asked with the
    ///     weights' query at index 1).
    init(_ descriptor: DNNLPrimitiveDescriptor, plain: [Int32: dnnl_memory_desc_t], queries: [Int32: dnnl_query_t], what: String) throws(DNNLError) {
        primitive = try DNNLPrimitive(descriptor, what: what)
        let attributes = try DNNLAttributes(relu: false)
        let outputs: Set<Int32> = [DNNL_ARG_DST, DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS]
        var ports: [Int32: Port] = [:]
        for (argument, layout) in plain {
            let isBias = argument == DNNL_ARG_BIAS || argument == DNNL_ARG_DIFF_BIAS
            guard let md = dnnl_primitive_desc_query_md(descriptor.handle, queries[argument]!, isBias ? 1 : 0) else {
                throw DNNLError(call: "dnnl_primitive_desc_query_md (\(what), argument \(argument))", status: dnnl_invalid_arguments)
            }
            let chosen = md.pointee
            var reorder: DNNLPrimitive?
            if !sameLayout(chosen, layout) {
                let (from, to) = outputs.contains(argument) ? (chosen, layout) : (layout, chosen)
                reorder = try DNNLPrimitive(try DNNLPrimitiveDescriptor(reorderFrom: from, to: to, attributes: attributes), what: "reorder for \(what)")
            }
            ports[argument] = Port(plain: layout, chosen: chosen, reorder: reorder)
        }
        self.ports = ports
    }

    /// Runs the primitive: `inputs` are read, `outputs` written, all in their plain layouts.
    /// Traps if oneDNN fails (it can only run out of memory here).
    func run(inputs: [(argument: Int32, data: UnsafeRawPointer)], outputs: [(argument: Int32, data: UnsafeMutableRawPointer)]) {
        do {
            let stream = try DNNLStream()
            var temporaries: [AlignedBuffer] = []
            var arguments: [(argument: Int32, descriptor: dnnl_memory_desc_t, data: UnsafeMutableRawPointer)] = []
            // oneDNN takes non-const pointers but only reads its inputs.
            for (argument, data) in inputs {
                let port = ports[argument]!, source = UnsafeMutableRawPointer(mutating: data)
                guard let reorder = port.reorder else { arguments.append((argument, port.plain, source)); continue }
                let buffer = BufferPool.shared.take(count: (byteCount(of: port.chosen) + 3) / 4)
                temporaries.append(buffer)
                try execute(reorder, [(DNNL_ARG_FROM, port.plain, source), (DNNL_ARG_TO, port.chosen, buffer.raw)], stream)
                arguments.append((argument, port.chosen, buffer.raw))
            }
            var pending: [(Port, AlignedBuffer, UnsafeMutableRawPointer)] = []
            for (argument, data) in outputs {
                let port = ports[argument]!
                guard port.reorder != nil else { arguments.append((argument, port.plain, data)); continue }
                let buffer = BufferPool.shared.take(count: (byteCount(of: port.chosen) + 3) / 4)
                temporaries.append(buffer)
                pending.append((port, buffer, data))
                arguments.append((argument, port.chosen, buffer.raw))
            }
            try execute(primitive, arguments, stream)
            for (port, buffer, data) in pending {
                try execute(port.reorder!, [(DNNL_ARG_FROM, port.chosen, buffer.raw), (DNNL_ARG_TO, port.plain, data)], stream)
            }
            try stream.wait()
            BufferPool.shared.give(temporaries)
        } catch {
            fatalError("oneDNN failed in a training convolution (\(primitive.implementation)): \(error)")
        }
    }

    private func execute(_ primitive: DNNLPrimitive, _ arguments: [(argument: Int32, descriptor: dnnl_memory_desc_t, data: UnsafeMutableRawPointer)],
                         _ stream: DNNLStream) throws(DNNLError) {
        let scratchpad = BufferPool.shared.take(count: (primitive.scratchpadBytes + 3) / 4)
        defer { BufferPool.shared.give([scratchpad]) }
        try primitive.execute(arguments, scratchpad: scratchpad.raw, stream: stream)
        try stream.wait()
    }
}
