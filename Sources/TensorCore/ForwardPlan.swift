// A Sequential network prepared for one input shape: the layout of every activation, the oneDNN
// primitives, and the buffers a pass needs.

import CDNNL
import Dispatch

/// Convolution weights shared by the plans of one network, per layer index: reordered for oneDNN,
/// and transformed for Winograd (once per network, whatever the input sizes).
struct WeightCache {
    var layers: [Int: [(descriptor: dnnl_memory_desc_t, buffer: AlignedBuffer)]] = [:]
    var winograd: [Int: WinogradWeights] = [:]
    var upsampled: [Int: UpsampledConvolutionWeights] = [:]
}

/// The steps of a forward pass for one input shape.
///
/// Activation `i` is the input of layer `i` (activation 0 is the network's input). Every
/// activation is channel-blocked (``ActivationLayout/nativeBlock``), except a network input with
/// fewer channels than a block that goes straight into a convolution, which stays plain NCHW
/// (oneDNN has dedicated first-layer kernels for it). An activation that feeds a convolution
/// carries that convolution's padding (reflection or zero) as its halo. Two buffers of the largest
/// activation's size alternate as input and output of the layers; a third holds oneDNN's
/// scratchpad, a fourth the partial sums of narrow convolutions (``NarrowConvolutionForward``) and
/// a fifth the tiles of Winograd convolutions (``WinogradConvolutionForward``) and the gathered
/// taps of upsampled convolutions (``UpsampledConvolutionForward``), each shared by all layers.
/// Which 3x3 convolutions run by Winograd, and which upsamplings run with the convolution after
/// them, is the plan's ``ConvolutionAlgorithm``; the upsampled activation of such a pair is never
/// written (its layout still sizes the buffers).
final class ForwardPlan: Sendable {
    private enum Step: Sendable {
        case convolution(ConvolutionForward)
        case narrowConvolution(NarrowConvolutionForward)
        case winograd(WinogradConvolutionForward)
        /// An upsampling and the convolution after it, run as one at the convolution's index.
        case upsampledConvolution(UpsampledConvolutionForward)
        case maxPool
        case upsample
        /// An upsampling that the next step (``upsampledConvolution(_:)``) computes with its convolution.
        case upsampleInNextStep
    }

    private let layerNames: [String]
    private let flops: [Double]
    private let layouts: [ActivationLayout]
    private let steps: [Step]
    private let bufferCount: Int
    private let scratchpadBytes: Int
    /// Floats for the partial sums of narrow convolutions in a buffer of their own: 0 if there are
    /// none or if they fit in their destination buffer (``partialSumOffset(outputCount:)``).
    private let partialSumCount: Int
    /// Floats for the tiles of Winograd convolutions and the gathered taps of upsampled ones (0 if there are none).
    private let winogradScratchCount: Int

    init(layers: [Layer], inputShape shape: [Int], algorithm: ConvolutionAlgorithm, weights: inout WeightCache) throws(DNNLError) {
        precondition(shape.count == 4 && shape.allSatisfy { $0 > 0 }, "bad input shape \(shape)")
        let block = ActivationLayout.nativeBlock
        func halo(before index: Int) -> Int {
            guard index < layers.count, let convolution = layers[index].convolution else { return 0 }
            return convolution.padding
        }
        func zeroHalo(before index: Int) -> Bool { index < layers.count && layers[index].convolution?.zeroPadding == true }
        var firstIsConvolution = false
        if layers.first?.convolution != nil { firstIsConvolution = true }
        var layouts = [ActivationLayout(
            batch: shape[0], channels: shape[1], height: shape[2], width: shape[3],
            block: firstIsConvolution && shape[1] < block ? 1 : block, halo: halo(before: 0), zeroHalo: zeroHalo(before: 0))]
        var steps: [Step] = []
        var scratchpadBytes = 0
        var partialSumCount = 0
        var winogradScratchCount = 0
        for (index, layer) in layers.enumerated() {
            let input = layouts[index]
            let size = layer.outputSize(channels: input.channels, height: input.height, width: input.width)
            // Reflection padding needs more rows and columns than it pads; zero padding does not.
            precondition((input.zeroHalo || input.halo < input.height && input.halo < input.width) && size.height > 0 && size.width > 0,
                         "layer \(layer.name) cannot take a \(input.height)x\(input.width) input (network input \(shape))")
            let output = ActivationLayout(batch: input.batch, channels: size.channels, height: size.height, width: size.width,
                                          block: block, halo: halo(before: index + 1), zeroHalo: zeroHalo(before: index + 1))
            switch layer.operation {
            case .convolution(let parameters, _, let relu), .zeroPaddedConvolution(let parameters, _, let relu):
                var cache = weights.layers[index] ?? []
                if case .upsampleInNextStep = steps.last, let convolution = layer.convolution {
                    let upsampleInput = layouts[index - 1]
                    let (inputWidth, outputWidth) = (upsampleInput.channelBlocks * upsampleInput.block, output.channelBlocks * output.block)
                    var combined = weights.upsampled[index]
                    if combined?.inputWidth != inputWidth || combined?.outputWidth != outputWidth {
                        combined = UpsampledConvolutionWeights(parameters, inputWidth: inputWidth, outputWidth: outputWidth)
                        weights.upsampled[index] = combined
                    }
                    let fused = UpsampledConvolutionForward(parameters, input: upsampleInput, output: output, relu: relu,
                                                            zeroPadding: convolution.zeroPadding, weights: combined!)
                    winogradScratchCount = max(winogradScratchCount, fused.scratchCount)
                    steps.append(.upsampledConvolution(fused))
                } else if NarrowConvolutionForward.suits(parameters, block: block) {
                    let convolution = try NarrowConvolutionForward(parameters, input: input, relu: relu, weightCache: &cache)
                    scratchpadBytes = max(scratchpadBytes, convolution.taps.primitive.scratchpadBytes)
                    partialSumCount = max(partialSumCount, convolution.partialSumCount)
                    steps.append(.narrowConvolution(convolution))
                } else if WinogradConvolutionForward.suits(parameters, input: input), algorithm.usesWinograd(parameters) {
                    let (inputWidth, outputWidth) = (input.channelBlocks * input.block, output.channelBlocks * output.block)
                    var transformed = weights.winograd[index]
                    if transformed?.inputWidth != inputWidth || transformed?.outputWidth != outputWidth {
                        transformed = WinogradWeights(parameters, inputWidth: inputWidth, outputWidth: outputWidth)
                        weights.winograd[index] = transformed
                    }
                    let convolution = WinogradConvolutionForward(parameters, input: input, output: output, relu: relu, weights: transformed!)
                    winogradScratchCount = max(winogradScratchCount, convolution.scratchCount)
                    steps.append(.winograd(convolution))
                } else {
                    let convolution = try ConvolutionForward(parameters, input: input, output: output, relu: relu, weightCache: &cache)
                    scratchpadBytes = max(scratchpadBytes, convolution.primitive.scratchpadBytes)
                    steps.append(.convolution(convolution))
                }
                weights.layers[index] = cache
            case .maxPool2x2Ceil, .maxPool2x2Floor:
                steps.append(.maxPool)
            case .upsampleNearest2x:
                if index + 1 < layers.count, let next = layers[index + 1].convolution,
                   UpsampledConvolutionForward.suits(next.weights, padding: next.padding, input: input),
                   algorithm.fusesUpsampling(next.weights) {
                    steps.append(.upsampleInNextStep)
                } else {
                    steps.append(.upsample)
                }
            }
            layouts.append(output)
        }
        self.layerNames = layers.map(\.name)
        self.flops = layers.indices.map { index in
            guard let w = layers[index].convolution?.weights else { return 0 }
            let output = layouts[index + 1]
            return 2 * Double(output.batch * output.height * output.width) * Double(w.outChannels * w.inChannels * w.kernelHeight * w.kernelWidth)
        }
        let bufferCount = layouts.map(\.count).max()!
        // The decoder's last layer (64 -> 3) at 512x512: 34 MB of partial sums, which fit after its
        // 8 MB output in the destination buffer (68 MB, sized for the 64-channel activations): a
        // fresh process then touches 34 MB less memory (the kernel zeroing each page it first gives).
        let sumsFit = steps.indices.allSatisfy { index in
            guard case .narrowConvolution(let convolution) = steps[index] else { return true }
            return Self.partialSumOffset(outputCount: layouts[index + 1].count) + convolution.partialSumCount <= bufferCount
        }
        if sumsFit { partialSumCount = 0 }
        for case .upsampledConvolution(let convolution) in steps {
            precondition(Self.partialSumOffset(outputCount: convolution.input.count) + convolution.borderedCount <= bufferCount,
                         "the bordered input of an upsampled convolution does not fit after its input")
        }
        self.layouts = layouts
        self.steps = steps
        self.bufferCount = bufferCount
        self.scratchpadBytes = scratchpadBytes
        self.partialSumCount = partialSumCount
        self.winogradScratchCount = winogradScratchCount
    }

    /// Where a narrow convolution's partial sums start in its destination buffer when they fit
    /// there: after its output's `outputCount` floats, rounded up to 64 bytes. An upsampled
    /// convolution's bordered input starts there in its source buffer, after the input's floats:
    /// the buffer is sized for the upsampled activation, `(2H + 2q) x (2W + 2q)` pixels, which
    /// exceeds the input's `H x W` and the bordered `(H + 2) x (W + 2)` together.
    private static func partialSumOffset(outputCount: Int) -> Int { (outputCount + 15) / 16 * 16 }

    /// Runs the pass; returns the outputs of the layers in `keeping`, by layer index.
    func run(_ input: Tensor, keeping: Set<Int>, trace: ((StepTiming) -> Void)?) throws(DNNLError) -> [Int: Tensor] {
        let pool = BufferPool.shared
        let buffers = [pool.take(count: bufferCount), pool.take(count: bufferCount), pool.take(count: (scratchpadBytes + 3) / 4),
                       pool.take(count: winogradScratchCount)] + (partialSumCount > 0 ? [pool.take(count: partialSumCount)] : [])
        defer { pool.give(buffers) }
        let stream = try DNNLStream()
        var start = DispatchTime.now().uptimeNanoseconds
        func lap(_ name: String, flops: Double = 0, implementation: String = "swift") {
            guard let trace else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            trace(StepTiming(name: name, seconds: Double(now - start) / 1e9, flops: flops, implementation: implementation))
            start = now
        }

        var source = buffers[0].pointer, destination = buffers[1].pointer
        importTensor(input, into: source, layouts[0])
        lap("input")
        var outputs: [Int: Tensor] = [:]
        for (index, step) in steps.enumerated() {
            let (from, to) = (layouts[index], layouts[index + 1])
            var implementation = "swift"
            switch step {
            case .convolution(let convolution):
                try convolution.forward(input: source, output: destination, scratchpad: buffers[2].raw, stream: stream)
                try stream.wait()
                implementation = convolution.primitive.implementation
            case .narrowConvolution(let convolution):
                let sums = partialSumCount > 0 ? buffers[4].pointer : destination + Self.partialSumOffset(outputCount: to.count)
                try convolution.taps.forward(input: source, output: sums, scratchpad: buffers[2].raw, stream: stream)
                try stream.wait()
                shiftedTapSumForward(sums, convolution.taps.output, kernelHeight: convolution.kernelHeight,
                                     kernelWidth: convolution.kernelWidth, bias: convolution.bias, relu: convolution.relu, destination, to)
                implementation = "1x1 \(convolution.taps.primitive.implementation) + tap sum"
            case .winograd(let convolution):
                convolution.forward(input: source, output: destination, scratch: buffers[3].pointer)
                implementation = "winograd F(4x4,3x3) + sgemm"
            case .upsampledConvolution(let convolution):
                convolution.forward(input: source, bordered: source + Self.partialSumOffset(outputCount: convolution.input.count),
                                    output: destination, scratch: buffers[3].pointer)
                implementation = "upsampled: 4 phases of 2x2 + sgemm"
            case .maxPool:
                maxPool2x2Forward(source, from, destination, to)
            case .upsample:
                upsampleNearest2xForward(source, from, destination, to)
            case .upsampleInNextStep:
                // The input stays in `source` for the next step. A kept output is upsampled into
                // `destination`, which the next step then overwrites.
                if keeping.contains(index) {
                    upsampleNearest2xForward(source, from, destination, to)
                    outputs[index] = exportTensor(destination, to)
                }
                lap(layerNames[index], implementation: "in the next step")
                continue
            }
            fillHalo(destination, to)
            if keeping.contains(index) { outputs[index] = exportTensor(destination, to) }
            lap(layerNames[index], flops: flops[index], implementation: implementation)
            swap(&source, &destination)
        }
        return outputs
    }
}
