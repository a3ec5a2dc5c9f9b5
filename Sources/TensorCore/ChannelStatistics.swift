// Per-channel statistics over the spatial dimensions (pytorch-AdaIN's calc_mean_std and the other
// AdaIN releases' conventions), moving a tensor's per-channel statistics to others (the
// arithmetic of AdaIN), and Gram matrices (Gatys et al.'s style representation).

import COpenBLAS

/// How a standard deviation over the H*W values of a plane is formed from the sum of squared
/// deviations: the variance's divisor, and where `eps` goes.
///
/// - pytorch-AdaIN's `calc_mean_std`: unbiased variance, `sqrt(var + 1e-5)` (``pytorchAdaIN``).
/// - AdaIN-style's Lua module: the content through `nn.SpatialBatchNormalization` (biased variance,
///   `sqrt(var + 1e-5)`), the style target `std(3, true)` (biased, no eps).
/// - aadhithya/AdaIN-pytorch: `torch.std(...) + 1e-8` (unbiased, eps added to the float32 std).
public struct StandardDeviationConvention: Sendable, Equatable, Hashable {
    /// Divide by H*W - 1 (`torch.var`'s default) rather than by H*W.
    public var unbiased: Bool
    public var eps: Float
    /// `sqrt(var) + eps` (rounded to Float first, as a float32 `torch.std(x) + eps`) rather than `sqrt(var + eps)`.
    public var epsAddedToStd: Bool

    public init(unbiased: Bool, eps: Float, epsAddedToStd: Bool = false) {
        self.unbiased = unbiased
        self.eps = eps
        self.epsAddedToStd = epsAddedToStd
    }

    /// pytorch-AdaIN's: unbiased variance, 1e-5 under the square root.
    public static let pytorchAdaIN = StandardDeviationConvention(unbiased: true, eps: 1e-5)

    /// The standard deviation of `count` values (reliability weights summing to `count` for
    /// the biased divisor, `unbiasedCount` for the unbiased one) whose squared deviations from
    /// their mean sum to `squares`.
    @inline(__always)
    public func std(squares: Double, count: Double, unbiasedCount: Double) -> Float {
        let variance = squares / (unbiased ? unbiasedCount : count)
        if epsAddedToStd { return Float(variance.squareRoot()) + eps }
        return Float((variance + Double(eps)).squareRoot())
    }
}

/// The mean and standard deviation of every (image, channel) plane of `x` over its H*W values.
///
/// The variance is the *unbiased* one (divided by H*W - 1, `torch.var`'s default), and `eps` is
/// added to it before the square root: `std = sqrt(var + eps)`, as pytorch-AdaIN's
/// `calc_mean_std`. Sums are formed in Double, in two passes.
///
/// x is (N, C, H, W) with H*W >= 2; mean and std are (N, C), entry `n * C + c`.
public func channelMeanStd(_ x: Tensor, eps: Float = 1e-5) -> (mean: [Float], std: [Float]) {
    channelMeanStd(x, convention: StandardDeviationConvention(unbiased: true, eps: eps))
}

/// The mean and standard deviation of every (image, channel) plane of `x` over its H*W values,
/// the standard deviation as `convention` says. Sums are formed in Double, in two passes.
///
/// x is (N, C, H, W) with H*W >= 2 for an unbiased convention (>= 1 otherwise); mean and std are
/// (N, C), entry `n * C + c`.
public func channelMeanStd(_ x: Tensor, convention: StandardDeviationConvention) -> (mean: [Float], std: [Float]) {
    let count = x.height * x.width
    precondition(count >= (convention.unbiased ? 2 : 1),
                 "the \(convention.unbiased ? "unbiased " : "")variance needs at least \(convention.unbiased ? 2 : 1) values per channel, the planes are \(x.height)x\(x.width)")
    let planes = x.batch * x.channels
    var mean = [Float](repeating: 0, count: planes)
    var std = [Float](repeating: 0, count: planes)
    x.values.withUnsafeBufferPointer { values in
        mean.withUnsafeMutableBufferPointer { meanOut in
            std.withUnsafeMutableBufferPointer { stdOut in
                let (source, means, stds) = (UncheckedSendable(values.baseAddress!), UncheckedSendable(meanOut.baseAddress!), UncheckedSendable(stdOut.baseAddress!))
                parallelFor(planes, costPerItem: 2 * count) { plane in
                    let v = source.value + plane * count
                    let m = sum(count) { Double(v[$0]) } / Double(count)
                    let squares = sum(count) { let d = Double(v[$0]) - m; return d * d }
                    means.value[plane] = Float(m)
                    stds.value[plane] = convention.std(squares: squares, count: Double(count), unbiasedCount: Double(count - 1))
                }
            }
        }
    }
    return (mean, std)
}

/// `(x - mean) / std * targetStd + targetMean` for every (image, channel) plane, in that order of
/// operations (pytorch-AdaIN's `adaptive_instance_normalization`).
///
/// x is (N, C, H, W); mean, std, targetMean and targetStd are (N, C), entry `n * C + c`; the
/// result is (N, C, H, W).
public func renormalizeChannels(_ x: Tensor, mean: [Float], std: [Float], targetMean: [Float], targetStd: [Float]) -> Tensor {
    let planes = x.batch * x.channels
    precondition(mean.count == planes && std.count == planes && targetMean.count == planes && targetStd.count == planes,
                 "statistics for \(planes) planes needed")
    let count = x.height * x.width
    var result = x
    result.values.withUnsafeMutableBufferPointer { values in
        let base = UncheckedSendable(values.baseAddress!)
        parallelFor(planes, costPerItem: count) { plane in
            let (m, s, tm, ts) = (mean[plane], std[plane], targetMean[plane], targetStd[plane])
            let v = base.value + plane * count
            for i in 0 ..< count { v[i] = (v[i] - m) / s * ts + tm }
        }
    }
    return result
}

/// `term(0) + ... + term(count - 1)` with four interleaved partial sums (independent additions
/// keep the FPU busy; the order differs from a plain loop only by Double rounding).
@inline(__always)
private func sum(_ count: Int, _ term: (Int) -> Double) -> Double {
    var partial = (0.0, 0.0, 0.0, 0.0)
    var i = 0
    while i + 4 <= count {
        partial.0 += term(i)
        partial.1 += term(i + 1)
        partial.2 += term(i + 2)
        partial.3 += term(i + 3)
        i += 4
    }
    while i < count {
        partial.0 += term(i)
        i += 1
    }
    return (partial.0 + partial.1) + (partial.2 + partial.3)
}

/// The Gram matrix of every image of `x` (N, C, H, W): `G = F F^T / (C H W)` with `F` the C x (H W)
/// matrix of its features (Gatys, Ecker and Bethge 2016's style representation, normalised as the
/// PyTorch neural-style tutorial's `gram_matrix`, so that images of different sizes compare), one
/// C x C row-major block per image, through OpenBLAS's `cblas_sgemm`.
public func gramMatrices(_ x: Tensor) -> [Float] {
    let (c, plane) = (x.channels, x.height * x.width)
    var result = [Float](repeating: 0, count: x.batch * c * c)
    let scale = 1 / Float(c * plane)
    x.values.withUnsafeBufferPointer { features in
        result.withUnsafeMutableBufferPointer { gram in
            for n in 0 ..< x.batch {
                let f = features.baseAddress! + n * c * plane
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(c), Int32(c), Int32(plane), scale,
                            f, Int32(plane), f, Int32(plane), 0, gram.baseAddress! + n * c * c, Int32(c))
            }
        }
    }
    return result
}
