// Learning conditional instance normalisation's scale and shift per style (Dumoulin et al. 2017)
// with a fixed encoder and decoder, on pytorch-AdaIN's content and style losses.

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
/// `t = CIN(f(c), s)`, with pytorch-AdaIN's losses (``adainLoss(encoder:decoded:target:styleFeatures:contentWeight:styleWeight:)``):
/// `loss_c = mse(f(g(t)), t)` and `loss_s` the relu1_1 ... relu4_1 mean/std loss against f(s).
/// The content target is CIN's own output t, held constant (as AdaIN training treats t: it has
/// no gradient there; Scripts/goldens_norms.py uses `t.detach()`), so the gradient flows
/// loss -> g(t) -> decoder backward to t -> CIN backward to gamma_s, beta_s only. Were t's own
/// gradient kept, the content loss could also fall by moving t toward f(g(t)), which is not what
/// "reconstruct the normalised features" means. Each style is learned independently of the others.
///
/// - Parameters:
///   - encoder: the VGG encoder as a ``TrainingNetwork`` (features relu1_1 ... relu4_1).
///   - decoder: the decoder as a ``TrainingNetwork``.
///   - contents: content images, each (1, 3, H, W) (sizes may differ).
///   - styles: style images, each (1, 3, H, W).
public func learnConditionalInstanceNorm(
    encoder: TrainingNetwork, decoder: TrainingNetwork, contents: [Tensor], styles: [Tensor],
    options: CINLearningOptions, progress: (CINLearningProgress) -> Void = { _ in }
) -> CINLearningResult {
    precondition(!contents.isEmpty && !styles.isEmpty && options.iterations >= 0, "CIN learning needs content and style images")
    let clock = ContinuousClock()
    let start = clock.now
    let contentFeatures = contents.map { encoder.features($0).last! }
    let styleFeatures = styles.map { encoder.features($0) }
    let channels = contentFeatures[0].channels
    var cin = ConditionalInstanceNorm.instanceNormalization(channels: channels, styles: styles.count)
    let adam = Adam(learningRate: options.learningRate)
    var random = SeededRandom(seed: options.seed)
    var history: [[Float]] = []
    for s in styles.indices {
        let row = s * channels ..< (s + 1) * channels
        var gamma = Array(cin.gamma[row]), beta = Array(cin.beta[row])
        var gammaState = Adam.State(count: channels), betaState = Adam.State(count: channels)
        var order: [Int] = []
        var losses: [Float] = []
        for iteration in stride(from: 1, through: options.iterations, by: 1) {
            if order.isEmpty { order = random.permutation(contents.count) }
            let k = order.removeLast()
            let x = contentFeatures[k]
            let t = cin.apply(x, style: s)
            let pass = decoder.forward(t)
            let loss = adainLoss(encoder: encoder, decoded: pass.output, target: t, styleFeatures: styleFeatures[s],
                                 contentWeight: options.contentWeight, styleWeight: options.styleWeight)
            let dt = decoder.backward(pass, featureGradients: [loss.gradient]).input
            let (dGamma, dBeta) = cin.backward(x, style: s, outputGradient: dt)
            adam.step(&gamma, gradient: Array(dGamma[row]), state: &gammaState)
            adam.step(&beta, gradient: Array(dBeta[row]), state: &betaState)
            cin.gamma.replaceSubrange(row, with: gamma)
            cin.beta.replaceSubrange(row, with: beta)
            losses.append(loss.total)
            progress(CINLearningProgress(style: s, styles: styles.count, iteration: iteration, iterations: options.iterations, content: k,
                                         contentLoss: loss.content, styleLoss: loss.style, totalLoss: loss.total))
        }
        history.append(losses)
    }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return CINLearningResult(parameters: cin, seconds: seconds, lossHistory: history)
}
