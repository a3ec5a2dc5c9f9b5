// Conditional instance normalisation (Dumoulin, Shlens & Kudlur, ICLR 2017, Eq. 5) at the relu4_1
// bottleneck, with instance normalisation and AdaIN as its two special cases, its backward pass to
// the per-style scale and shift, and the convex combination of two learned styles.

import TensorCore

/// `CIN(x, s) = gamma_s * (x - mu(x)) / sigma(x) + beta_s`, per image and channel, with one learned
/// scale `gamma_s` and shift `beta_s` per style `s` and channel (2 x C x S parameters).
///
/// mu and sigma are the model's content statistics (``statistics``: pytorch-AdaIN's
/// ``calcMeanStd(_:eps:)``, unbiased variance plus 1e-5 under the square root, by default; the torch
/// model's biased ones, the seed's unbiased std + 1e-8), the AdaIN row's gamma its style statistics,
/// so that the three normalisations of the comparison differ only in gamma and beta:
/// - instance normalisation (Ulyanov et al. 2016): gamma 1, beta 0 (``instanceNormalization(channels:styles:)``);
/// - AdaIN (Huang & Belongie 2017, Eq. 8): gamma = sigma(f(s)), beta = mu(f(s)), computed from a
///   style image and not learned (``init(adainStatisticsOf:)``);
/// - CIN: gamma and beta learned per style by gradient descent (``learnConditionalInstanceNorm``).
///
/// Shapes: `gamma` and `beta` are (S, C), entry `s * C + c`; x is (N, C, H, W) and every image of
/// the batch is normalised with the same style's row.
public struct ConditionalInstanceNorm: Sendable, Equatable {
    public let channels: Int
    /// (S, C), row-major: `gamma[s * channels + c]`.
    public var gamma: [Float]
    /// (S, C), row-major: `beta[s * channels + c]`.
    public var beta: [Float]
    /// How mu(x) and sigma(x) are formed (``AdaINStatistics/content``), and AdaIN's gamma (``AdaINStatistics/style``).
    public let statistics: AdaINStatistics

    public var styleCount: Int { gamma.count / channels }
    /// 2 x C x S: what CIN adds to a network for S styles.
    public var parameterCount: Int { gamma.count + beta.count }

    /// Parameters as given; the arrays must both hold a whole number of rows of `channels`.
    public init(channels: Int, gamma: [Float], beta: [Float], statistics: AdaINStatistics = .pytorchAdaIN) {
        precondition(channels > 0 && !gamma.isEmpty && gamma.count % channels == 0 && beta.count == gamma.count,
                     "CIN parameters are (S, \(channels)), got \(gamma.count) scales and \(beta.count) shifts")
        self.channels = channels
        self.gamma = gamma
        self.beta = beta
        self.statistics = statistics
    }

    /// Instance normalisation for every style: gamma 1, beta 0. The learning starts here (the
    /// fairer test: nothing of the style image is given to CIN, it must learn it from the loss).
    public static func instanceNormalization(channels: Int, styles: Int = 1, statistics: AdaINStatistics = .pytorchAdaIN) -> ConditionalInstanceNorm {
        ConditionalInstanceNorm(channels: channels, gamma: [Float](repeating: 1, count: styles * channels),
                                beta: [Float](repeating: 0, count: styles * channels), statistics: statistics)
    }

    /// AdaIN's scale and shift as CIN parameters: row s is gamma = sigma(f(s_s)), beta = mu(f(s_s)).
    ///
    /// - Parameter styleFeatures: f(s) of each style, (1, C, H_s, W_s).
    public init(adainStatisticsOf styleFeatures: [Tensor], statistics: AdaINStatistics = .pytorchAdaIN) {
        precondition(!styleFeatures.isEmpty && styleFeatures.allSatisfy { $0.batch == 1 && $0.channels == styleFeatures[0].channels },
                     "one (1, C, H, W) feature map per style needed")
        var gamma: [Float] = [], beta: [Float] = []
        for feature in styleFeatures {
            let (mean, std) = channelMeanStd(feature, convention: statistics.style)
            gamma += std
            beta += mean
        }
        self.init(channels: styleFeatures[0].channels, gamma: gamma, beta: beta, statistics: statistics)
    }

    /// Row `style` of gamma and beta, repeated for `batch` images: the (N, C) targets of
    /// ``TensorCore/renormalizeChannels(_:mean:std:targetMean:targetStd:)``.
    private func rows(_ style: Int, batch: Int) -> (gamma: [Float], beta: [Float]) {
        let range = style * channels ..< (style + 1) * channels
        let g = Array(gamma[range]), b = Array(beta[range])
        return (Array([[Float]](repeating: g, count: batch).joined()), Array([[Float]](repeating: b, count: batch).joined()))
    }

    // Forward and backward side by side. With xhat = (x - mu(x)) / sigma(x) per (n, c) plane:
    //   forward:  y[n, c, i] = gamma[s, c] * xhat[n, c, i] + beta[s, c]      x, y: (N, C, H, W)
    //   backward: dgamma[s, c] = sum over n, i of dy[n, c, i] * xhat[n, c, i]  dgamma, dbeta: (S, C),
    //             dbeta[s, c]  = sum over n, i of dy[n, c, i]                  rows other than s are 0.
    // The gradient to x is not formed: the content features f(c) are inputs, not parameters.

    /// `CIN(x, style)`, in the order of operations of pytorch-AdaIN's `adaptive_instance_normalization`
    /// (`(x - mu) / sigma * gamma + beta`), so that AdaIN's statistics as parameters give AdaIN's result
    /// bit for bit.
    ///
    /// x is (N, C, H, W) with H*W >= 2; the result has x's shape.
    public func apply(_ x: Tensor, style: Int) -> Tensor {
        precondition(x.channels == channels && (0 ..< styleCount).contains(style), "CIN for \(styleCount) styles of \(channels) channels applied to \(x.shape), style \(style)")
        let (mean, std) = channelMeanStd(x, convention: statistics.content)
        let (g, b) = rows(style, batch: x.batch)
        return renormalizeChannels(x, mean: mean, std: std, targetMean: b, targetStd: g)
    }

    /// The gradients of a loss with respect to gamma and beta, given its gradient `outputGradient`
    /// with respect to `apply(x, style: style)`; both (S, C), zero outside row `style`. Sums in Double.
    public func backward(_ x: Tensor, style: Int, outputGradient dy: Tensor) -> (gamma: [Float], beta: [Float]) {
        precondition(dy.shape == x.shape && x.channels == channels && (0 ..< styleCount).contains(style), "CIN backward: shapes do not match")
        let (mean, std) = channelMeanStd(x, convention: statistics.content)
        let count = x.height * x.width
        var dGamma = [Float](repeating: 0, count: gamma.count), dBeta = [Float](repeating: 0, count: beta.count)
        for c in 0 ..< channels {
            var sumXhat = 0.0, sum = 0.0
            for n in 0 ..< x.batch {
                let plane = n * channels + c
                let (m, s) = (Double(mean[plane]), Double(std[plane]))
                for i in plane * count ..< (plane + 1) * count {
                    let g = Double(dy.values[i])
                    sumXhat += g * (Double(x.values[i]) - m) / s
                    sum += g
                }
            }
            dGamma[style * channels + c] = Float(sumXhat)
            dBeta[style * channels + c] = Float(sum)
        }
        return (dGamma, dBeta)
    }

    /// One style whose gamma and beta are `sum_s w_s * gamma_s` and `sum_s w_s * beta_s`: the convex
    /// combination of Dumoulin et al. 2017 (Sec. 4, "style interpolation"), accumulated from zero in
    /// the order of the styles. Weights are as ``normalizedInterpolationWeights(_:styleCount:)`` gives
    /// them (one per style, summing to 1); a weight of 1 on one style gives that style's row exactly.
    public func interpolated(weights: [Float]) -> ConditionalInstanceNorm {
        precondition(weights.count == styleCount, "\(weights.count) weights for \(styleCount) styles")
        var g = [Float](repeating: 0, count: channels), b = [Float](repeating: 0, count: channels)
        for (s, w) in weights.enumerated() {
            for c in 0 ..< channels {
                g[c] += w * gamma[s * channels + c]
                b[c] += w * beta[s * channels + c]
            }
        }
        return ConditionalInstanceNorm(channels: channels, gamma: g, beta: b, statistics: statistics)
    }
}
