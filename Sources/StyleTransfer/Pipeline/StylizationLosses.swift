// The AdaIN paper's content and style losses (Eq. 7 and 8) for a stylized result, as pytorch-AdaIN's net.py.

import TensorCore

/// The style loss's targets: the channel means and standard deviations (``calcMeanStd(_:eps:)``:
/// unbiased variance plus 1e-5 under the square root) of relu1_1, relu2_1, relu3_1 and relu4_1,
/// and their Gram matrices (``gramMatrices(_:)``) for Gatys et al.'s style loss.
public struct StyleStatistics: Sendable, Equatable {
    /// One entry per layer, each with one value per channel.
    public var means: [[Float]]
    public var stds: [[Float]]
    /// One C x C row-major Gram matrix per layer.
    public var grams: [[Float]]

    public init(means: [[Float]], stds: [[Float]], grams: [[Float]]) {
        self.means = means
        self.stds = stds
        self.grams = grams
    }

    /// The statistics of `f_i(s)`, the four intermediates of a style image.
    public init(features: [Tensor]) {
        let statistics = features.map { calcMeanStd($0) }
        self.init(means: statistics.map(\.mean), stds: statistics.map(\.std), grams: features.map(gramMatrices))
    }

    /// The weighted sums `sum_k w_k mean_k` and `sum_k w_k std_k` per layer and channel, accumulated
    /// from zero in the order of the styles (as ``interpolatedAdaptiveInstanceNormalization(content:styles:weights:)``).
    ///
    /// This is the style target of an interpolation of several styles: at relu4_1 the target
    /// `t = sum_k w_k AdaIN(f(c), f(s_k))` has exactly these channel means and stds (with `alpha` 1
    /// and weights summing to 1). A weight of 1 on one style gives that style's statistics exactly.
    /// The Gram matrices are mixed the same way (`sum_k w_k G_k`).
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
        return StyleStatistics(means: mixed(\.means), stds: mixed(\.stds), grams: mixed(\.grams))
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
/// the statistics the model's AdaIN takes (``ModelConventions/statistics``), so that a model's eps
/// and variance divisor do not move its losses by themselves. The features are the model's own
/// encoder's on its own input: pytorch-adain's and torch's losses compare directly (one VGG, one
/// input); the seed's are torchvision's VGG-19 on ImageNet-normalised images, comparable between
/// seed runs but not in absolute value with the other two.
public struct StylizationLosses: Sendable, Equatable, Codable {
    public var content: Double
    public var style: Double?
    /// Gatys et al.'s style loss (2016, Eq. 5 with equal layer weights): `sum_i MSE(G_i(g(t)), G_i)`
    /// over relu1_1 ... relu4_1, with ``gramMatrices(_:)`` and the style target's Gram matrices
    /// (``StyleStatistics/grams``): the measure most style-transfer papers report. Nil when the
    /// style loss is.
    public var gramStyle: Double?
    /// How far the image's colours are from the content's (``chromaDistance(_:_:)``), when measured.
    public var colorDistance: Double?
    /// How well each mask region took its own style (``MaskFidelity``), for a masked stylization.
    public var maskFidelity: MaskFidelity?

    public init(content: Double, style: Double?) {
        self.content = content
        self.style = style
    }

    /// - Parameters:
    ///   - output: `f_i(g(t))`, the four intermediates of the decoder's output.
    ///   - target: `t`, the decoder's input.
    ///   - style: the style loss's targets, or nil for no style loss.
    public init(output: [Tensor], target: Tensor, style: StyleStatistics?) {
        self.init(content: Double(mseLoss(output[output.count - 1].values, target.values)),
                  statistics: style == nil ? [] : output.map { calcMeanStd($0) }, grams: style == nil ? [] : output.map(gramMatrices), style: style)
    }

    /// The losses from the output's statistics rather than its maps (a tiled stylization's,
    /// accumulated over its tiles): `content` the content loss; `statistics` the channel means and
    /// standard deviations of `f_i(g(t))` (``calcMeanStd(_:eps:)``'s convention) and `grams` their
    /// Gram matrices (``gramMatrices(_:)``), one per layer, when there is a `style` target.
    init(content: Double, statistics: [(mean: [Float], std: [Float])], grams: [[Float]], style: StyleStatistics?) {
        self.content = content
        self.style = style.map { style in
            precondition(statistics.count == style.means.count, "need the same layers of output and style")
            var loss = 0.0
            for (layer, (mean, std)) in statistics.enumerated() {
                loss += Double(mseLoss(mean, style.means[layer])) + Double(mseLoss(std, style.stds[layer]))
            }
            return loss
        }
        gramStyle = style.map { style in
            zip(grams, style.grams).reduce(0.0) { $0 + Double(mseLoss($1.0, $1.1)) }
        }
    }
}

/// How well a masked stylization gives each region its own style, and how much of the other
/// styles leaks into it: the AdaIN paper's style loss (Eq. 8, pytorch-AdaIN's statistics) taken
/// over each region of the output instead of the whole image.
///
/// For region r and style s, `losses[r][s] = sum_i MSE(mean_i^r, mean_i(s)) + MSE(std_i^r, std_i(s))`
/// over relu1_1 ... relu4_1, where `mean_i^r` and `std_i^r` are the output's channel statistics
/// over region r (``regionMeanStd(_:regions:region:convention:)``: the mask read at each layer's
/// size as the stylization reads it, reliability-weighted, unbiased variance + 1e-5) and `mean_i(s)`,
/// `std_i(s)` style s's (``StyleStatistics``). Then
/// - ``ownStyleLoss``: the mean over regions of `losses[r][r]`;
/// - ``leakage``: the mean over regions of `losses[r][r] / (losses[r][r] + min_{s != r} losses[r][s])`:
///   near 0 when every region is much nearer its own style than any other, 0.5 when it is as near
///   another style as its own. Reference: Scripts/goldens_controls.py (PyTorch).
public struct MaskFidelity: Sendable, Equatable, Codable {
    public var losses: [[Double]]
    public var ownStyleLoss: Double
    public var leakage: Double

    /// - Parameters:
    ///   - output: `f_i(g(t))`, the four intermediates of the decoder's output.
    ///   - regions: the region weights at each intermediate's size, in the same order.
    ///   - styles: the styles' statistics in region order (region r's style is `styles[r]`).
    public init(output: [Tensor], regions: [RegionWeights], styles: [StyleStatistics]) throws(StyleControlError) {
        precondition(output.count == regions.count && styles.allSatisfy { $0.means.count == output.count })
        var statistics: [[(mean: [Float], std: [Float])]] = []
        for (features, weights) in zip(output, regions) {
            var layer: [(mean: [Float], std: [Float])] = []
            for r in styles.indices { layer.append(try regionMeanStd(features, regions: weights, region: r, convention: .pytorchAdaIN)) }
            statistics.append(layer)
        }
        self.init(regionStatistics: statistics, styles: styles)
    }

    /// The fidelity from each region's statistics of the output (`regionStatistics[layer][region]`,
    /// as ``regionMeanStd(_:regions:region:convention:)`` forms them; a tiled stylization's,
    /// accumulated over its tiles) rather than its maps.
    init(regionStatistics: [[(mean: [Float], std: [Float])]], styles: [StyleStatistics]) {
        precondition(styles.allSatisfy { $0.means.count == regionStatistics.count } && regionStatistics.allSatisfy { $0.count == styles.count })
        let count = styles.count
        var losses = Array(repeating: Array(repeating: 0.0, count: count), count: count)
        for (layer, statistics) in regionStatistics.enumerated() {
            for r in 0 ..< count {
                let (mean, std) = statistics[r]
                for s in 0 ..< count {
                    losses[r][s] += Double(mseLoss(mean, styles[s].means[layer])) + Double(mseLoss(std, styles[s].stds[layer]))
                }
            }
        }
        self.losses = losses
        ownStyleLoss = (0 ..< count).map { losses[$0][$0] }.reduce(0, +) / Double(count)
        leakage = (0 ..< count).map { r in
            let nearestOther = (0 ..< count).filter { $0 != r }.map { losses[r][$0] }.min() ?? .infinity
            return losses[r][r] / (losses[r][r] + nearestOther)
        }.reduce(0, +) / Double(count)
    }
}
