// Plain NCHW convolution (stride 1, no padding) for training: forward, backward to the input and
// backward to the weights and bias, by oneDNN's convolution primitives on plain nchw / oihw
// memory (oneDNN picks its GEMM-based implementation for these formats). Reflection padding is
// a separate step (TrainingKernels.reflectionPad1Forward) before the convolution.

import CDNNL
import Synchronization

extension TrainingKernels {
    /// `nn.Conv2d` with stride 1 and no padding.
    ///
    /// x is (N, IC, H, W); weights (OC, IC, KH, KW) and bias (OC); out is (N, OC, H - KH + 1, W - KW + 1).
    public static func convolutionForward(_ x: Tensor, _ weights: ConvolutionWeights) -> Tensor {
        let plan = PlainConvolution.plan(for: x.shape, weights)
        var out = Tensor(zeros: plan.outputShape)
        var weight = weights.weight, bias = weights.bias, input = x.values
        out.values.withUnsafeMutableBytes { o in
            input.withUnsafeMutableBytes { i in
                weight.withUnsafeMutableBytes { w in
                    bias.withUnsafeMutableBytes { b in
                        plan.run(plan.forward, [
                            (DNNL_ARG_SRC, plan.source, i.baseAddress!), (DNNL_ARG_WEIGHTS, plan.weights, w.baseAddress!),
                            (DNNL_ARG_BIAS, plan.bias, b.baseAddress!), (DNNL_ARG_DST, plan.destination, o.baseAddress!),
                        ])
                    }
                }
            }
        }
        return out
    }

    /// Backward of ``convolutionForward(_:_:)`` to its input:
    /// dInput[n, i, y + ky, x + kx] += sum over o of dOut[n, o, y, x] * weight[o, i, ky, kx].
    ///
    /// dOut is (N, OC, H - KH + 1, W - KW + 1); dInput is (N, IC, H, W), accumulated into.
    public static func convolutionBackwardData(_ dOut: Tensor, _ weights: ConvolutionWeights, accumulatingInto dInput: inout Tensor) {
        let plan = PlainConvolution.plan(for: dInput.shape, weights)
        precondition(dOut.shape == plan.outputShape, "output gradient \(dOut.shape), expected \(plan.outputShape)")
        var result = [Float](repeating: 0, count: dInput.values.count)
        var weight = weights.weight, gradient = dOut.values
        result.withUnsafeMutableBytes { r in
            gradient.withUnsafeMutableBytes { g in
                weight.withUnsafeMutableBytes { w in
                    plan.run(plan.backwardData, [
                        (DNNL_ARG_DIFF_DST, plan.destination, g.baseAddress!), (DNNL_ARG_WEIGHTS, plan.weights, w.baseAddress!),
                        (DNNL_ARG_DIFF_SRC, plan.source, r.baseAddress!),
                    ])
                }
            }
        }
        for i in result.indices { dInput.values[i] += result[i] }
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
        var source = input.values, gradient = dOut.values
        w.withUnsafeMutableBytes { wp in
            b.withUnsafeMutableBytes { bp in
                source.withUnsafeMutableBytes { s in
                    gradient.withUnsafeMutableBytes { g in
                        plan.run(plan.backwardWeights, [
                            (DNNL_ARG_SRC, plan.source, s.baseAddress!), (DNNL_ARG_DIFF_DST, plan.destination, g.baseAddress!),
                            (DNNL_ARG_DIFF_WEIGHTS, plan.weights, wp.baseAddress!), (DNNL_ARG_DIFF_BIAS, plan.bias, bp.baseAddress!),
                        ])
                    }
                }
            }
        }
        for i in w.indices { dWeight[i] += w[i] }
        for i in b.indices { dBias[i] += b[i] }
    }
}

/// The three oneDNN convolution primitives for one input shape and kernel shape, on plain
/// nchw / oihw / x memory; cached process-wide by shape.
final class PlainConvolution: Sendable {
    let outputShape: [Int]
    let source: dnnl_memory_desc_t
    let weights: dnnl_memory_desc_t
    let bias: dnnl_memory_desc_t
    let destination: dnnl_memory_desc_t
    let forward: DNNLPrimitive
    let backwardData: DNNLPrimitive
    let backwardWeights: DNNLPrimitive

    private struct Key: Hashable { let input: [Int], kernel: [Int] }
    private static let cache = Mutex<[Key: PlainConvolution]>([:])

    /// The primitives for input `shape` and `weights`' shape; traps if oneDNN fails (it can only
    /// run out of memory for these plain layouts).
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
            fatalError("oneDNN cannot build a plain convolution for input \(shape), kernel \(key.kernel): \(error)")
        }
    }

    private init(input: [Int], kernel: [Int]) throws(DNNLError) {
        outputShape = [input[0], kernel[0], input[2] - kernel[2] + 1, input[3] - kernel[3] + 1]
        var src = try memoryDescriptor(input, dnnl_nchw)
        var wei = try memoryDescriptor(kernel, dnnl_oihw)
        var bia = try memoryDescriptor([kernel[0]], dnnl_x)
        var dst = try memoryDescriptor(outputShape, dnnl_nchw)
        (source, weights, bias, destination) = (src, wei, bia, dst)
        let attributes = try DNNLAttributes(relu: false)
        let (strides, padding): ([Int64], [Int64]) = ([1, 1], [0, 0])

        var forwardOperation = dnnl_convolution_desc_t()
        try check(dnnl_convolution_forward_desc_init(&forwardOperation, dnnl_forward_training, dnnl_convolution_direct,
                                                     &src, &wei, &bia, &dst, strides, padding, padding),
                  "dnnl_convolution_forward_desc_init (training)")
        let forwardDescriptor = try DNNLPrimitiveDescriptor(operation: &forwardOperation, attributes: attributes, what: "training convolution")
        forward = try DNNLPrimitive(forwardDescriptor, what: "training convolution")

        var dataOperation = dnnl_convolution_desc_t()
        try check(dnnl_convolution_backward_data_desc_init(&dataOperation, dnnl_convolution_direct, &src, &wei, &dst,
                                                           strides, padding, padding),
                  "dnnl_convolution_backward_data_desc_init")
        backwardData = try DNNLPrimitive(try DNNLPrimitiveDescriptor(operation: &dataOperation, attributes: attributes,
                                                                     what: "convolution backward data", hint: forwardDescriptor),
                                         what: "convolution backward data")

        var weightsOperation = dnnl_convolution_desc_t()
        try check(dnnl_convolution_backward_weights_desc_init(&weightsOperation, dnnl_convolution_direct, &src, &wei, &bia, &dst,
                                                              strides, padding, padding),
                  "dnnl_convolution_backward_weights_desc_init")
        backwardWeights = try DNNLPrimitive(try DNNLPrimitiveDescriptor(operation: &weightsOperation, attributes: attributes,
                                                                        what: "convolution backward weights", hint: forwardDescriptor),
                                            what: "convolution backward weights")
    }

    /// Runs `primitive` on plain buffers with its own stream and scratchpad; traps on failure.
    func run(_ primitive: DNNLPrimitive, _ arguments: [(argument: Int32, descriptor: dnnl_memory_desc_t, data: UnsafeMutableRawPointer)]) {
        let scratchpad = AlignedBuffer(count: (primitive.scratchpadBytes + 3) / 4)
        do {
            let stream = try DNNLStream()
            try primitive.execute(arguments, scratchpad: scratchpad.raw, stream: stream)
            try stream.wait()
        } catch {
            fatalError("oneDNN failed in a training convolution (\(primitive.implementation)): \(error)")
        }
    }
}
