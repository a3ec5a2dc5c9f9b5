// The AdaIN training losses as pytorch-AdaIN's net.py computes them, with their gradients:
// mean squared error, calc_mean_std's backward, the content loss (Eq. 7) and the style loss (Eq. 8).

import TensorCore

/// `F.mse_loss(input, target)` (mean reduction): `sum((input - target)^2) / count`, summed in Double.
public func mseLoss(_ input: [Float], _ target: [Float]) -> Float {
    precondition(input.count == target.count && !input.isEmpty, "mse_loss needs equally long, non-empty arrays")
    var sum = 0.0
    for i in input.indices { let d = Double(input[i]) - Double(target[i]); sum += d * d }
    return Float(sum / Double(input.count))
}

/// The gradient of `scale * mseLoss(input, target)` with respect to `input`:
/// `scale * 2 * (input - target) / count`.
public func mseLossBackward(_ input: [Float], _ target: [Float], scale: Float = 1) -> [Float] {
    precondition(input.count == target.count && !input.isEmpty, "mse_loss needs equally long, non-empty arrays")
    let factor = scale * 2 / Float(input.count)
    return zip(input, target).map { factor * ($0 - $1) }
}

/// Backward of ``calcMeanStd(_:eps:)`` (pytorch-AdaIN's statistics): with n = H*W, mean = sum(x) / n
/// and std = sqrt(sum((x - mean)^2) / (n - 1) + eps),
/// dx += dMean / n + dStd * (x - mean) / ((n - 1) * std).
///
/// x is (N, C, H, W); dMean and dStd are (N, C), entry `n * C + c`; dInput is (N, C, H, W),
/// accumulated into.
public func calcMeanStdBackward(_ x: Tensor, dMean: [Float], dStd: [Float], eps: Float = 1e-5, accumulatingInto dInput: inout Tensor) {
    channelMeanStdBackward(x, dMean: dMean, dStd: dStd, convention: StandardDeviationConvention(unbiased: true, eps: eps), accumulatingInto: &dInput)
}

/// Backward of ``TensorCore/channelMeanStd(_:convention:)``: with n = H*W, d the variance's
/// divisor (n - 1 unbiased, n biased) and r the square root the standard deviation is formed from
/// (`sqrt(var + eps)` with eps under the root, `sqrt(var)` when eps is added to the std),
/// dx += dMean / n + dStd * (x - mean) / (d * r).
///
/// A plane whose r is 0 (all its values equal, eps added to the std: the seed model's
/// `torch.std(x) + 1e-8`) passes no gradient through its std, as PyTorch's `std_backward` masks
/// `grad / (2 * std)` to 0 where the std is 0 (rather than 0 / 0).
///
/// x is (N, C, H, W); dMean and dStd are (N, C), entry `n * C + c`; dInput is (N, C, H, W),
/// accumulated into.
public func channelMeanStdBackward(_ x: Tensor, dMean: [Float], dStd: [Float], convention: StandardDeviationConvention,
                                   accumulatingInto dInput: inout Tensor) {
    let planes = x.batch * x.channels, count = x.height * x.width
    precondition(dMean.count == planes && dStd.count == planes && dInput.shape == x.shape, "mean and std backward: shapes do not match \(x.shape)")
    let (mean, std) = channelMeanStd(x, convention: convention)
    let divisor = Float(convention.unbiased ? count - 1 : count)
    for plane in 0 ..< planes {
        let a = dMean[plane] / Float(count)
        let root = convention.epsAddedToStd ? std[plane] - convention.eps : std[plane]
        let b = root > 0 ? dStd[plane] / (divisor * root) : 0
        let m = mean[plane]
        for i in plane * count ..< (plane + 1) * count {
            dInput.values[i] += a + b * (x.values[i] - m)
        }
    }
}

/// pytorch-AdaIN's `calc_content_loss(input, target)`: `mse_loss(input, target)` and its gradient
/// with respect to `input` times `scale`.
///
/// input and target are (N, C, H, W) of the same shape; the gradient has their shape.
public func contentLoss(_ input: Tensor, target: Tensor, scale: Float = 1) -> (loss: Float, gradient: Tensor) {
    precondition(input.shape == target.shape, "content loss needs equal shapes, got \(input.shape) and \(target.shape)")
    return (mseLoss(input.values, target.values),
            Tensor(shape: input.shape, values: mseLossBackward(input.values, target.values, scale: scale)))
}

/// pytorch-AdaIN's `calc_style_loss(input, target)`:
/// `mse_loss(mean(input), mean(target)) + mse_loss(std(input), std(target))` with `calc_mean_std`'s
/// statistics (or those of `convention`: the seed's trainer takes its `compute_mean_std`), reduced
/// as `reduction` says (train.lua's `StyleINLossModule` sums over the channels: C times the mean),
/// and its gradient with respect to `input` times `scale`.
///
/// input is (N, C, H, W); targetMean and targetStd are the target's (N, C) statistics (the target
/// may have another spatial size); the gradient has input's shape.
public func styleLoss(_ input: Tensor, targetMean: [Float], targetStd: [Float], scale: Float = 1,
                      convention: StandardDeviationConvention = .pytorchAdaIN,
                      reduction: StyleLossReduction = .meanOverPlanes) -> (loss: Float, gradient: Tensor) {
    let (mean, std) = channelMeanStd(input, convention: convention)
    precondition(targetMean.count == mean.count && targetStd.count == std.count, "style statistics for \(mean.count) planes needed")
    let factor = reduction.scale(channels: input.channels)
    let loss = factor * (mseLoss(mean, targetMean) + mseLoss(std, targetStd))
    var gradient = Tensor(zeros: input.shape)
    let s = scale * factor
    channelMeanStdBackward(input, dMean: mseLossBackward(mean, targetMean, scale: s), dStd: mseLossBackward(std, targetStd, scale: s),
                           convention: convention, accumulatingInto: &gradient)
    return (loss, gradient)
}

/// The loss of one AdaIN training step and its gradient with respect to the decoder's output.
public struct AdaINLoss: Sendable {
    /// `calc_content_loss(f(g(t)), t)` (Eq. 7), unweighted.
    public let content: Float
    /// The sum over relu1_1 ... relu4_1 of `calc_style_loss` (Eq. 8), unweighted.
    public let style: Float
    /// `contentWeight * content + styleWeight * style`.
    public let total: Float
    /// d total / d g(t), of g(t)'s shape (N, 3, H, W).
    public let gradient: Tensor
}

/// pytorch-AdaIN net.py's loss for a decoded image `g(t)` and its gradient, through the fixed
/// encoder, with respect to `g(t)` (to be passed on to the decoder's backward pass).
///
/// `loss_c = mse(f(g(t)), t)`; `loss_s = sum over i of calc_style_loss(phi_i(g(t)), phi_i(s))` for
/// relu1_1 ... relu4_1; `total = contentWeight * loss_c + styleWeight * loss_s` (train.py's
/// defaults are 1 and 10). The statistics of the style loss are those of `convention` for g(t)'s
/// features and of `targetConvention` (nil: `convention`) for the style's (pytorch-AdaIN's
/// `calc_mean_std` by default; ``TrainingConventions/styleLossStatistics`` and
/// ``TrainingConventions/styleTargetStatistics``), reduced as `reduction` says
/// (``TrainingConventions/styleLossReduction``).
///
/// - Parameters:
///   - decoded: g(t), (N, 3, H, W).
///   - target: t, the AdaIN output, of f(g(t))'s shape (N, C4, ceil(H/8), ceil(W/8)).
///   - styleFeatures: phi_1(s) ... phi_4(s) of the style images (batch N, any size), as
///     ``TrainingNetwork/features(_:)`` gives them.
public func adainLoss(encoder: TrainingNetwork, decoded: Tensor, target: Tensor, styleFeatures: [Tensor],
                      contentWeight: Float = 1, styleWeight: Float = 10, convention: StandardDeviationConvention = .pytorchAdaIN,
                      targetConvention: StandardDeviationConvention? = nil, reduction: StyleLossReduction = .meanOverPlanes) -> AdaINLoss {
    precondition(styleFeatures.count == encoder.landmarks.count, "\(encoder.landmarks.count) style features needed, got \(styleFeatures.count)")
    let pass = encoder.forward(decoded)
    let features = pass.features
    let (content, contentGradient) = contentLoss(features[features.count - 1], target: target, scale: contentWeight)
    var style: Float = 0
    var gradients: [Tensor] = []
    for (feature, styleFeature) in zip(features, styleFeatures) {
        let (mean, std) = channelMeanStd(styleFeature, convention: targetConvention ?? convention)
        let (loss, gradient) = styleLoss(feature, targetMean: mean, targetStd: std, scale: styleWeight, convention: convention, reduction: reduction)
        style += loss
        gradients.append(gradient)
    }
    gradients[gradients.count - 1].values.withUnsafeMutableBufferPointer { g in
        for i in g.indices { g[i] += contentGradient.values[i] }
    }
    let gradient = encoder.backward(pass, featureGradients: gradients).input
    return AdaINLoss(content: content, style: style, total: contentWeight * content + styleWeight * style, gradient: gradient)
}

/// ``adainLoss(encoder:decoded:target:styleFeatures:contentWeight:styleWeight:)`` of each image of a
/// batch on its own: image n's losses, and its rows of the gradient, are those of the batch of that
/// image alone (each mean squared error is over its own image's values, not the batch's), so a
/// batch of images with their own style targets and their own parameters (a step of CIN learning
/// for several styles) takes one pass through the networks instead of one per image.
///
/// - Parameters:
///   - decoded: g(t), (N, 3, H, W).
///   - target: t, (N, C4, ceil(H/8), ceil(W/8)).
///   - styleStatistics: per landmark (relu1_1 ... relu4_1), the style targets' statistics in
///     `convention` (`calc_mean_std`'s by default), N x C each (image n's style at entries `n * C ..< (n + 1) * C`).
/// - Returns: per image, its content, style and total loss; d(sum of the totals) / d g(t).
public func adainLossPerImage(encoder: TrainingNetwork, decoded: Tensor, target: Tensor, styleStatistics: [(mean: [Float], std: [Float])],
                              contentWeight: Float = 1, styleWeight: Float = 10,
                              convention: StandardDeviationConvention = .pytorchAdaIN) -> (losses: [(content: Float, style: Float, total: Float)], gradient: Tensor) {
    precondition(styleStatistics.count == encoder.landmarks.count, "\(encoder.landmarks.count) style statistics needed, got \(styleStatistics.count)")
    let pass = encoder.forward(decoded)
    let features = pass.features
    let images = decoded.batch
    precondition(features[features.count - 1].shape == target.shape, "content loss needs equal shapes, got \(features[features.count - 1].shape) and \(target.shape)")
    var content = [Float](repeating: 0, count: images), style = [Float](repeating: 0, count: images)
    var gradients: [Tensor] = []
    for (feature, statistics) in zip(features, styleStatistics) {
        let (mean, std) = channelMeanStd(feature, convention: convention)
        let channels = feature.channels
        precondition(statistics.mean.count == mean.count && statistics.std.count == std.count, "style statistics for \(mean.count) planes needed")
        var dMean = [Float](), dStd = [Float]()
        for n in 0 ..< images {
            let rows = n * channels ..< (n + 1) * channels
            let (m, sd, tm, ts) = (Array(mean[rows]), Array(std[rows]), Array(statistics.mean[rows]), Array(statistics.std[rows]))
            style[n] += mseLoss(m, tm) + mseLoss(sd, ts)
            dMean += mseLossBackward(m, tm, scale: styleWeight)
            dStd += mseLossBackward(sd, ts, scale: styleWeight)
        }
        var gradient = Tensor(zeros: feature.shape)
        channelMeanStdBackward(feature, dMean: dMean, dStd: dStd, convention: convention, accumulatingInto: &gradient)
        gradients.append(gradient)
    }
    let last = features[features.count - 1]
    let size = last.values.count / images
    for n in 0 ..< images {
        let values = n * size ..< (n + 1) * size
        let (input, goal) = (Array(last.values[values]), Array(target.values[values]))
        content[n] = mseLoss(input, goal)
        let contentGradient = mseLossBackward(input, goal, scale: contentWeight)
        for (i, g) in zip(values, contentGradient) { gradients[gradients.count - 1].values[i] += g }
    }
    let gradient = encoder.backward(pass, featureGradients: gradients).input
    return ((0 ..< images).map { (content[$0], style[$0], contentWeight * content[$0] + styleWeight * style[$0]) }, gradient)
}
