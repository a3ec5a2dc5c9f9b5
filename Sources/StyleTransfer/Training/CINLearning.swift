// Learning conditional instance normalisation's scale and shift per style (Dumoulin et al. 2017)
// with a fixed encoder and decoder, on the AdaIN content and style losses in the model's statistics.

import TensorCore

/// The settings of ``learnConditionalInstanceNorm(encoder:decoder:contents:styles:options:progress:)``.
public struct CINLearningOptions: Sendable, Equatable, Codable {
    /// Adam steps per style.
    public var iterations: Int
    /// Adam's learning rate (torch.optim.Adam's other defaults).
    public var learningRate: Float
    public var contentWeight: Float
    /// pytorch-AdaIN train.py's default is 10.
    public var styleWeight: Float
    /// Seeds the order in which the content images are visited.
    public var seed: UInt64

    public init(iterations: Int = 100, learningRate: Float = 0.05, contentWeight: Float = 1, styleWeight: Float = 10, seed: UInt64 = 1) {
        self.iterations = iterations
        self.learningRate = learningRate
        self.contentWeight = contentWeight
        self.styleWeight = styleWeight
        self.seed = seed
    }
}

/// Reported after every Adam step.
public struct CINLearningProgress: Sendable {
    public var style: Int
    public var styles: Int
    /// 1 ... iterations.
    public var iteration: Int
    public var iterations: Int
    /// The content image of this step (index into the contents).
    public var content: Int
    /// The loss at the parameters before this step.
    public var contentLoss: Float
    public var styleLoss: Float
    public var totalLoss: Float

    public var description: String {
        "CIN style \(style + 1)/\(styles), step \(iteration)/\(iterations): loss " + String(format: "%.4g (content %.4g, style %.4g)", totalLoss, contentLoss, styleLoss)
    }
}

/// What the learning gives.
public struct CINLearningResult: Sendable {
    public var parameters: ConditionalInstanceNorm
    /// Wall-clock seconds for all styles (feature extraction included).
    public var seconds: Double
    /// Per style, the total loss before each step (`iterations` values), in step order.
    public var lossHistory: [[Float]]
}

/// Learns one (gamma_s, beta_s) per style with Adam, starting from instance normalisation
/// (gamma 1, beta 0), the decoder and the encoder kept fixed.
///
/// Each step takes one content image c (in a seeded random order, each image once per pass over
/// the set) and minimises `contentWeight * loss_c + styleWeight * loss_s` of `g(t)`,
/// `t = CIN(f(c), s)` (CIN normalising with `statistics.adain`), with pytorch-AdaIN's losses (the
/// style loss's statistics `statistics.styleLoss` and `statistics.styleTarget`: the model's trainer's, ``ModelVariant/normalizationStatistics``,
/// reduced as their mean over the planes whatever the trainer's reduction, so that `styleWeight` means the same for every model) (``adainLoss(encoder:decoded:target:styleFeatures:contentWeight:styleWeight:)``):
/// `loss_c = mse(f(g(t)), t)` and `loss_s` the relu1_1 ... relu4_1 mean/std loss against f(s).
/// The content target is CIN's own output t, held constant (as AdaIN training treats t: it has
/// no gradient there; Scripts/goldens_norms.py uses `t.detach()`), so the gradient flows
/// loss -> g(t) -> decoder backward to t -> CIN backward to gamma_s, beta_s only. Were t's own
/// gradient kept, the content loss could also fall by moving t toward f(g(t)), which is not what
/// "reconstruct the normalised features" means. Each style is learned independently of the others:
/// its contents are drawn style after style from one seeded generator, and step i of every style
/// whose content has the same size runs as one batch through the decoder and the encoder
/// (``adainLossPerImage(encoder:decoded:target:styleStatistics:contentWeight:styleWeight:)``: each
/// image's loss and gradient its own), which gives each style the steps it would take alone, in
/// fewer, larger passes (measured in the README). Progress comes step by step, styles within a step.
///
/// - Parameters:
///   - encoder: the VGG encoder as a ``TrainingNetwork`` (features relu1_1 ... relu4_1).
///   - decoder: the decoder as a ``TrainingNetwork``.
///   - contents: content images, each (1, 3, H, W) (sizes may differ).
///   - styles: style images, each (1, 3, H, W).
///   - statistics: the model's (``ModelVariant/normalizationStatistics``); pytorch-AdaIN's by default.
///   Images are as the encoder takes them (normalised for the seed model: ``ModelConventions/encoderInput(_:)``).
public func learnConditionalInstanceNorm(
    encoder: TrainingNetwork, decoder: TrainingNetwork, contents: [Tensor], styles: [Tensor],
    options: CINLearningOptions, statistics: TrainingStatistics = .pytorchAdaIN, progress: (CINLearningProgress) -> Void = { _ in }
) -> CINLearningResult {
    precondition(!contents.isEmpty && !styles.isEmpty && options.iterations >= 0, "CIN learning needs content and style images")
    let clock = ContinuousClock()
    let start = clock.now
    let contentFeatures = contents.map { encoder.features($0).last! }
    let styleStatistics = styles.map { encoder.features($0).map { channelMeanStd($0, convention: statistics.styleTarget) } }
    let channels = contentFeatures[0].channels
    var cin = ConditionalInstanceNorm.instanceNormalization(channels: channels, styles: styles.count, statistics: statistics.adain)
    let adam = Adam(learningRate: options.learningRate)
    // The content of each style's steps: a new pass over the set in seeded order whenever one ends.
    var random = SeededRandom(seed: options.seed)
    let schedule: [[Int]] = styles.indices.map { _ in
        var order: [Int] = []
        return (0 ..< options.iterations).map { _ in
            if order.isEmpty { order = random.permutation(contents.count) }
            return order.removeLast()
        }
    }
    var gammaStates = styles.indices.map { _ in Adam.State(count: channels) }, betaStates = gammaStates
    var history = styles.indices.map { _ in [Float]() }
    for step in 0 ..< options.iterations {
        // The styles whose content this step has the same size, batched, in style order.
        var batches: [[Int]] = []
        for s in styles.indices {
            if let b = batches.firstIndex(where: { contentFeatures[schedule[$0[0]][step]].shape == contentFeatures[schedule[s][step]].shape }) {
                batches[b].append(s)
            } else {
                batches.append([s])
            }
        }
        for batch in batches {
            let xs = batch.map { contentFeatures[schedule[$0][step]] }
            let ts = zip(batch, xs).map { s, x in cin.apply(x, style: s) }
            let t = Tensor(shape: [batch.count] + ts[0].shape.dropFirst(), values: ts.flatMap(\.values))
            let pass = decoder.forward(t)
            let targets = encoder.landmarks.indices.map { layer in
                (mean: batch.flatMap { styleStatistics[$0][layer].mean }, std: batch.flatMap { styleStatistics[$0][layer].std })
            }
            let loss = adainLossPerImage(encoder: encoder, decoded: pass.output, target: t, styleStatistics: targets,
                                         contentWeight: options.contentWeight, styleWeight: options.styleWeight, convention: statistics.styleLoss)
            let dt = decoder.backward(pass, featureGradients: [loss.gradient]).input
            let size = dt.values.count / batch.count
            for (n, s) in batch.enumerated() {
                let row = s * channels ..< (s + 1) * channels
                let dImage = Tensor(shape: xs[n].shape, values: Array(dt.values[n * size ..< (n + 1) * size]))
                let (dGamma, dBeta) = cin.backward(xs[n], style: s, outputGradient: dImage)
                var gamma = Array(cin.gamma[row]), beta = Array(cin.beta[row])
                adam.step(&gamma, gradient: Array(dGamma[row]), state: &gammaStates[s])
                adam.step(&beta, gradient: Array(dBeta[row]), state: &betaStates[s])
                cin.gamma.replaceSubrange(row, with: gamma)
                cin.beta.replaceSubrange(row, with: beta)
                let own = loss.losses[n]
                history[s].append(own.total)
                progress(CINLearningProgress(style: s, styles: styles.count, iteration: step + 1, iterations: options.iterations,
                                             content: schedule[s][step], contentLoss: own.content, styleLoss: own.style, totalLoss: own.total))
            }
        }
    }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return CINLearningResult(parameters: cin, seconds: seconds, lossHistory: history)
}
