// The AdaIN paper's content and style losses (Eq. 7 and 8) for a stylized result, as pytorch-AdaIN's net.py.

import TensorCore

/// The style loss's targets: the channel means and standard deviations (``calcMeanStd(_:eps:)``:
/// unbiased variance plus 1e-5 under the square root) of relu1_1, relu2_1, relu3_1 and relu4_1.
public struct StyleStatistics: Sendable, Equatable {
    /// One entry per layer, each with one value per channel.
    public var means: [[Float]]
    public var stds: [[Float]]

    public init(means: [[Float]], stds: [[Float]]) {
        self.means = means
        self.stds = stds
    }

    /// The statistics of `f_i(s)`, the four intermediates of a style image.
    public init(features: [Tensor]) {
        let statistics = features.map { calcMeanStd($0) }
        self.init(means: statistics.map(\.mean), stds: statistics.map(\.std))
    }

    /// The weighted sums `sum_k w_k mean_k` and `sum_k w_k std_k` per layer and channel, accumulated
    /// from zero in the order of the styles (as ``interpolatedAdaptiveInstanceNormalization(content:styles:weights:)``).
    ///
    /// This is the style target of an interpolation of several styles: at relu4_1 the target
    /// `t = sum_k w_k AdaIN(f(c), f(s_k))` has exactly these channel means and stds (with `alpha` 1
    /// and weights summing to 1). A weight of 1 on one style gives that style's statistics exactly.
    public static func mix(_ statistics: [StyleStatistics], weights: [Float]) -> StyleStatistics {
        precondition(statistics.count == weights.count && !statistics.isEmpty, "\(weights.count) weights for \(statistics.count) styles")
        func mixed(_ values: KeyPath<StyleStatistics, [[Float]]>) -> [[Float]] {
            statistics[0][keyPath: values].indices.map { layer in
                var sum = [Float](repeating: 0, count: statistics[0][keyPath: values][layer].count)
                for (style, weight) in zip(statistics, weights) {
                    for c in sum.indices { sum[c] += weight * style[keyPath: values][layer][c] }
                }
                return sum
            }
        }
        return StyleStatistics(means: mixed(\.means), stds: mixed(\.stds))
    }
}

/// The losses of one stylization, as pytorch-AdaIN's `Net.forward` (net.py) computes them with
/// `nn.MSELoss` (mean over elements), from Huang & Belongie 2017, Eq. 7 and 8:
///
/// - content loss `MSE(f(g(t)), t)` at relu4_1, with `t` the AdaIN target after the alpha blend,
/// - style loss `sum_i MSE(mean(f_i(g(t))), mean_i) + MSE(std(f_i(g(t))), std_i)` over relu1_1,
///   relu2_1, relu3_1 and relu4_1, with ``StyleStatistics`` `mean_i`, `std_i`: those of the style
///   image as it was encoded (after any colour-preservation transform), or their weighted mix.
///
/// `g(t)` is the decoder's output as it is, before the crop to the content's size, clamping and
/// quantisation to 8 bits (as in training). The mean squared errors are the training code's
/// ``mseLoss(_:_:)`` (summed in Double).
///
/// One definition for every model (``ModelVariant``): the statistics are pytorch-AdaIN's whatever
/// the statistics the model's AdaIN takes (``ModelConventions/statistics``), so that a sweep's
/// losses compare across models; a model's own AdaIN would otherwise move its losses by its eps
/// and variance convention alone.
public struct StylizationLosses: Sendable, Equatable, Codable {
    public var content: Double
    public var style: Double?
    /// How far the image's colours are from the content's (``chromaDistance(_:_:)``), when measured.
    public var colorDistance: Double?

    public init(content: Double, style: Double?) {
        self.content = content
        self.style = style
    }

    /// - Parameters:
    ///   - output: `f_i(g(t))`, the four intermediates of the decoder's output.
    ///   - target: `t`, the decoder's input.
    ///   - style: the style loss's targets, or nil for no style loss.
    public init(output: [Tensor], target: Tensor, style: StyleStatistics?) {
        content = Double(mseLoss(output[output.count - 1].values, target.values))
        self.style = style.map { style in
            precondition(output.count == style.means.count, "need the same layers of output and style")
            var loss = 0.0
            for (layer, features) in output.enumerated() {
                let (mean, std) = calcMeanStd(features)
                loss += Double(mseLoss(mean, style.means[layer])) + Double(mseLoss(std, style.stds[layer]))
            }
            return loss
        }
    }
}
