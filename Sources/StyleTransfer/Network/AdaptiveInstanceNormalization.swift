// AdaIN (Huang & Belongie 2017, Eq. 8) and the content-style blend, as pytorch-AdaIN's function.py and test.py.

import TensorCore

/// pytorch-AdaIN's `calc_mean_std`: per (image, channel) mean and standard deviation over H*W,
/// with the unbiased variance plus `eps` under the square root.
///
/// feat is (N, C, H, W) with H*W >= 2; mean and std are (N, C), entry `n * C + c`.
public func calcMeanStd(_ feat: Tensor, eps: Float = 1e-5) -> (mean: [Float], std: [Float]) {
    channelMeanStd(feat, eps: eps)
}

/// `AdaIN(x, y) = std(y) * (x - mean(x)) / std(x) + mean(y)`, per image and channel, with the
/// standard deviations as `statistics` say (pytorch-AdaIN's by default; ``ModelConventions/statistics``).
///
/// content is (N, C, H, W); style is (N, C, H', W') (any spatial size); the result has the
/// content's shape. Computed in the order of pytorch-AdaIN's `adaptive_instance_normalization`.
/// `contentMoments` replaces the content's own `mean(x)` and `std(x)` (N x C each): a video's
/// averaged statistics (``TemporalSmoothing``).
public func adaptiveInstanceNormalization(
    content: Tensor, style: Tensor, statistics: AdaINStatistics = .pytorchAdaIN, contentMoments: ChannelMeanStd? = nil
) -> Tensor {
    precondition(content.batch == style.batch && content.channels == style.channels,
                 "AdaIN needs the same batch and channels, got content \(content.shape) and style \(style.shape)")
    let (contentMean, contentStd) = contentMoments.map { ($0.mean, $0.std) } ?? channelMeanStd(content, convention: statistics.content)
    let (styleMean, styleStd) = channelMeanStd(style, convention: statistics.style)
    return renormalizeChannels(content, mean: contentMean, std: contentStd, targetMean: styleMean, targetStd: styleStd)
}

/// `alpha * stylized + (1 - alpha) * content`, test.py's content-style trade-off (alpha 1 is full
/// stylization, 0 reconstructs the content).
///
/// stylized and content are (N, C, H, W) of the same shape.
public func blend(_ stylized: Tensor, _ content: Tensor, alpha: Float) -> Tensor {
    precondition(stylized.shape == content.shape, "blend needs equal shapes, got \(stylized.shape) and \(content.shape)")
    if alpha == 1 { return stylized }
    var result = stylized
    result.values.withUnsafeMutableBufferPointer { values in
        content.values.withUnsafeBufferPointer { content in
            for i in values.indices { values[i] = values[i] * alpha + content[i] * (1 - alpha) }
        }
    }
    return result
}
