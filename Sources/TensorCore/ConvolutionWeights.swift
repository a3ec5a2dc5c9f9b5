// The parameters of a 2-D convolution in PyTorch's layout, and folding a 1x1 convolution into the next.

/// A convolution's weight `(OC, IC, KH, KW)` and bias `(OC)`, row-major as PyTorch stores them
/// (`conv.weight`, `conv.bias`).
public struct ConvolutionWeights: Sendable, Equatable {
    public let outChannels: Int
    public let inChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    /// `OC * IC * KH * KW` values; `weight[((o * IC + i) * KH + ky) * KW + kx]`.
    public let weight: [Float]
    /// `OC` values.
    public let bias: [Float]

    /// Traps if the counts do not match the shape.
    public init(outChannels: Int, inChannels: Int, kernelHeight: Int, kernelWidth: Int, weight: [Float], bias: [Float]) {
        precondition(outChannels > 0 && inChannels > 0 && kernelHeight > 0 && kernelWidth > 0, "empty convolution")
        precondition(weight.count == outChannels * inChannels * kernelHeight * kernelWidth,
                     "weight of (\(outChannels), \(inChannels), \(kernelHeight), \(kernelWidth)) needs \(outChannels * inChannels * kernelHeight * kernelWidth) values, got \(weight.count)")
        precondition(bias.count == outChannels, "bias needs \(outChannels) values, got \(bias.count)")
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.weight = weight
        self.bias = bias
    }

    /// The single convolution equal to `pointwise` (a 1x1 convolution) followed by `self`.
    ///
    /// A 1x1 convolution acts on each pixel alone, so it commutes with reflection padding (which
    /// only copies pixels): `self(pad(pointwise(x))) == self(pad(x))` with the folded weights,
    /// bias included, exactly up to float rounding. Sums are formed in Double.
    ///
    /// pointwise weight is (M, IC, 1, 1); self's weight is (OC, M, KH, KW); the result's is (OC, IC, KH, KW).
    public func folding(pointwise: ConvolutionWeights) -> ConvolutionWeights {
        precondition(pointwise.kernelHeight == 1 && pointwise.kernelWidth == 1, "only a 1x1 convolution can be folded")
        precondition(pointwise.outChannels == inChannels, "the 1x1 convolution gives \(pointwise.outChannels) channels, this one takes \(inChannels)")
        let taps = kernelHeight * kernelWidth
        let (oc, mid, ic) = (outChannels, inChannels, pointwise.inChannels)
        var weight = [Float](repeating: 0, count: oc * ic * taps)
        var bias = [Float](repeating: 0, count: oc)
        for o in 0 ..< oc {
            var b = Double(self.bias[o])
            for m in 0 ..< mid {
                for t in 0 ..< taps { b += Double(self.weight[(o * mid + m) * taps + t]) * Double(pointwise.bias[m]) }
            }
            bias[o] = Float(b)
            for i in 0 ..< ic {
                for t in 0 ..< taps {
                    var w = 0.0
                    for m in 0 ..< mid {
                        w += Double(self.weight[(o * mid + m) * taps + t]) * Double(pointwise.weight[m * ic + i])
                    }
                    weight[(o * ic + i) * taps + t] = Float(w)
                }
            }
        }
        return ConvolutionWeights(outChannels: oc, inChannels: ic, kernelHeight: kernelHeight, kernelWidth: kernelWidth, weight: weight, bias: bias)
    }
}
