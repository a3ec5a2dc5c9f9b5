// Forward convolution with few output channels (the decoder's last layer, 64 -> 3): a 1x1
// convolution to one channel per (tap, output channel), then a shifted sum over the taps.

import CDNNL

/// A convolution whose output channels would fill only a small part of a channel block.
///
/// oneDNN computes every channel of a block, so a 64 -> 3 convolution in blocks of 8 does 8/3 of
/// the arithmetic at a poor rate. Instead, a 1x1 convolution (oneDNN) gives for every pixel of the
/// padded input and every tap (ky, kx) and output channel o the partial sum
/// `P[(ky * KW + kx) * OC + o] = sum_i weight[o, i, ky, kx] * input[i]` (27 channels for a 3x3
/// kernel and OC = 3, which fill their blocks well), and ``shiftedTapSumForward`` adds the taps:
/// `output[o, y, x] = sum_{ky, kx} P[(ky * KW + kx) * OC + o, y + ky, x + kx] + bias[o]`.
///
/// input is (N, IC, H, W) with its halo q filled; weight is (OC, IC, KH, KW);
/// partial sums are (N, KH * KW * OC, H + 2q, W + 2q); output is (N, OC, H + 2q - KH + 1, W + 2q - KW + 1).
final class NarrowConvolutionForward: Sendable {
    /// The 1x1 convolution to the partial sums.
    let taps: ConvolutionForward
    let kernelHeight: Int
    let kernelWidth: Int
    let bias: [Float]
    let relu: Bool

    /// Whether a convolution to `outChannels` is better done this way with channel blocks of `block`.
    static func suits(_ parameters: ConvolutionWeights, block: Int) -> Bool {
        parameters.kernelHeight * parameters.kernelWidth > 1 && 2 * parameters.outChannels <= block
    }

    init(_ parameters: ConvolutionWeights, input: ActivationLayout, relu: Bool,
         weightCache: inout [(descriptor: dnnl_memory_desc_t, buffer: AlignedBuffer)]) throws(DNNLError) {
        let (oc, ic) = (parameters.outChannels, parameters.inChannels)
        let tapCount = parameters.kernelHeight * parameters.kernelWidth
        var weight = [Float](repeating: 0, count: tapCount * oc * ic)
        for o in 0 ..< oc {
            for i in 0 ..< ic {
                for t in 0 ..< tapCount { weight[(t * oc + o) * ic + i] = parameters.weight[(o * ic + i) * tapCount + t] }
            }
        }
        let pointwise = ConvolutionWeights(outChannels: tapCount * oc, inChannels: ic, kernelHeight: 1, kernelWidth: 1,
                                           weight: weight, bias: [Float](repeating: 0, count: tapCount * oc))
        let partialSums = ActivationLayout(batch: input.batch, channels: tapCount * oc, height: input.paddedHeight,
                                           width: input.paddedWidth, block: ActivationLayout.nativeBlock, halo: 0)
        taps = try ConvolutionForward(pointwise, input: input, output: partialSums, relu: false, weightCache: &weightCache)
        kernelHeight = parameters.kernelHeight
        kernelWidth = parameters.kernelWidth
        bias = parameters.bias
        self.relu = relu
    }

    /// Floats of scratch the partial sums need.
    var partialSumCount: Int { taps.output.count }
}

/// Adds the taps' partial sums of a ``NarrowConvolutionForward``, adds the bias and applies the
/// ReLU if asked; the channels that pad the output's last block are set to zero.
///
/// partialSums is (N, KH * KW * OC, H + KH - 1, W + KW - 1) without halo; output is (N, OC, H, W),
/// whose halo is not written.
func shiftedTapSumForward(_ partialSums: UnsafePointer<Float>, _ sumsLayout: ActivationLayout,
                          kernelHeight: Int, kernelWidth: Int, bias: [Float], relu: Bool,
                          _ output: UnsafeMutablePointer<Float>, _ outputLayout: ActivationLayout) {
    let (oc, ho, wo) = (outputLayout.channels, outputLayout.height, outputLayout.width)
    let tapCount = kernelHeight * kernelWidth
    precondition(sumsLayout.halo == 0 && sumsLayout.channels == tapCount * oc
                 && sumsLayout.height == ho + kernelHeight - 1 && sumsLayout.width == wo + kernelWidth - 1)
    let (sb, ob) = (sumsLayout.block, outputLayout.block)
    // offsets[o][t]: where the partial sum of tap t for output channel o is, relative to the
    // output pixel's position in the partial sums' first plane.
    let offsets: [[Int]] = (0 ..< oc).map { o in
        (0 ..< tapCount).map { t in
            let c = t * oc + o
            return (c / sb) * sumsLayout.planeStride + (t / kernelWidth) * sumsLayout.rowStride + (t % kernelWidth) * sb + c % sb
        }
    }
    parallelFor(outputLayout.batch * ho, costPerItem: wo * oc * tapCount) { item in
        let (n, y) = item.quotientAndRemainder(dividingBy: ho)
        let origin = partialSums + n * sumsLayout.channelBlocks * sumsLayout.planeStride + y * sumsLayout.rowStride
        for o in 0 ..< outputLayout.channelBlocks * ob {
            let row = output + outputLayout.offset(plane: n * outputLayout.channelBlocks + o / ob, y: y, x: 0) + o % ob
            guard o < oc else {
                for x in 0 ..< wo { row[x * ob] = 0 }
                continue
            }
            let taps = offsets[o]
            for x in 0 ..< wo {
                let pixel = origin + x * sb
                var sum: Float = 0
                for t in 0 ..< tapCount { sum += pixel[taps[t]] }
                sum += bias[o]
                row[x * ob] = relu ? max(sum, 0) : sum
            }
        }
    }
}
