// Style interpolation: a weighted sum of the AdaIN outputs of several styles.

import TensorCore

/// Interpolation weights normalised to sum 1, as pytorch-AdaIN's test.py (`w / sum(weights)`) and
/// AdaIN-style's test.lua do; computed in Double and rounded to Float, as PyTorch multiplies a
/// float32 tensor by a Python float.
///
/// - Throws: ``StyleControlError/weightCount(weights:styles:)`` when there is not one weight per
///   style, ``StyleControlError/invalidWeight(_:)`` for a negative or non-finite weight,
///   ``StyleControlError/zeroWeights`` when they sum to 0.
public func normalizedInterpolationWeights(_ weights: [Float], styleCount: Int) throws(StyleControlError) -> [Float] {
    guard weights.count == styleCount else { throw .weightCount(weights: weights.count, styles: styleCount) }
    if let bad = weights.first(where: { !$0.isFinite || $0 < 0 }) { throw .invalidWeight(bad) }
    let sum = weights.reduce(0.0) { $0 + Double($1) }
    guard sum > 0 else { throw .zeroWeights }
    return weights.map { Float(Double($0) / sum) }
}

/// `t = sum_i w_i * AdaIN(f(c), f(s_i))` (Huang & Belongie 2017, Sec. 7, "Style interpolation"),
/// accumulated from zero in the order of the styles as pytorch-AdaIN's `style_transfer` does; the
/// alpha blend with `f(c)` comes after.
///
/// - Parameters:
///   - content: `f(c)`, shape (1, C, H, W).
///   - styles: `f(s_i)`, shape (1, C, H_i, W_i).
///   - weights: one per style, already normalised (``normalizedInterpolationWeights(_:styleCount:)``).
///   - statistics: AdaIN's standard deviations (``ModelConventions/statistics``).
///   - contentMoments: replaces the content's own statistics (``adaptiveInstanceNormalization(content:style:statistics:contentMoments:)``).
public func interpolatedAdaptiveInstanceNormalization(
    content: Tensor, styles: [Tensor], weights: [Float], statistics: AdaINStatistics = .pytorchAdaIN, contentMoments: ChannelMeanStd? = nil
) -> Tensor {
    precondition(styles.count == weights.count && !styles.isEmpty, "\(weights.count) weights for \(styles.count) styles")
    var sum = Tensor(zeros: content.shape)
    for (style, weight) in zip(styles, weights) {
        let adain = adaptiveInstanceNormalization(content: content, style: style, statistics: statistics, contentMoments: contentMoments)
        sum.values.withUnsafeMutableBufferPointer { total in
            adain.values.withUnsafeBufferPointer { term in
                for i in total.indices { total[i] += weight * term[i] }
            }
        }
    }
    return sum
}
