// One training step of the AdaIN decoder (Huang & Belongie 2017, section 6 and Eq. 11), as
// pytorch-AdaIN's train.py and net.py do it: encode, AdaIN, decode, the content and style losses
// through the fixed encoder, backpropagation into the decoder, Adam with train.py's decayed rate.

import Dispatch
import TensorCore

/// The settings of decoder training that enter the step itself (train.py's defaults).
public struct TrainingHyperparameters: Sendable, Codable, Equatable {
    /// Adam's initial learning rate (train.py `--lr`).
    public var learningRate: Double = 1e-4
    /// train.py's `--lr_decay`: iteration i (from 0) uses `learningRate / (1 + learningRateDecay * i)`.
    public var learningRateDecay: Double = 5e-5
    /// lambda_c of L = lambda_c L_c + lambda_s L_s (train.py `--content_weight`).
    public var contentWeight: Float = 1
    /// lambda_s (train.py `--style_weight`; the paper's lambda is 10).
    public var styleWeight: Float = 10

    public init(learningRate: Double = 1e-4, learningRateDecay: Double = 5e-5, contentWeight: Float = 1, styleWeight: Float = 10) {
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.contentWeight = contentWeight
        self.styleWeight = styleWeight
    }

    /// train.py's `adjust_learning_rate`: the rate of iteration `i` (counted from 0), in Double as
    /// Python computes it.
    public func learningRate(at i: Int) -> Double {
        learningRate / (1 + learningRateDecay * Double(i))
    }
}

/// The losses of one step, weighted as train.py logs them.
public struct TrainingLoss: Sendable, Codable, Equatable {
    /// The iteration this step completed (1 for the first).
    public var iteration: Int
    /// contentWeight * L_c.
    public var content: Float
    /// styleWeight * L_s.
    public var style: Float
    /// content + style.
    public var total: Float
    /// The learning rate the step used.
    public var learningRate: Double
}

/// Adam's state of one convolution of the trained decoder: its weight's and its bias's moments,
/// named by the convolution's module in the decoder's table (as its state_dict keys are).
public struct ConvolutionMoments: Sendable {
    /// The convolution's module: its parameters are `"<module>.weight"` and `"<module>.bias"`.
    public let module: Int
    public internal(set) var weight: Adam.State
    public internal(set) var bias: Adam.State

    /// The state_dict key of the convolution's weight, e.g. `"1.weight"`.
    public var weightKey: String { ArchitectureLayer.keys(module: module).weight }
    /// The state_dict key of the convolution's bias, e.g. `"1.bias"`.
    public var biasKey: String { ArchitectureLayer.keys(module: module).bias }
}

/// A fixed encoder f and a trained decoder g with Adam's moments for each of g's weights and biases.
///
/// Networks are ``TrainingNetwork``s: f with the features relu1_1 ... relu4_1 (``TrainingNetwork/init(_:)-(VGGEncoder)``),
/// g with the image as its one feature; any chain of that form works (tests use tiny ones).
public struct DecoderTrainer: Sendable {
    public let encoder: TrainingNetwork
    /// The same encoder on the inference path (blocked layouts, fused ReLUs), used for the
    /// content's and style's features, which need no gradient: faster, and equal to `encoder`'s
    /// up to float rounding. Without it `encoder` computes them.
    public let inferenceEncoder: VGGEncoder?
    public private(set) var decoder: TrainingNetwork
    public var hyperparameters: TrainingHyperparameters
    /// The statistics of AdaIN and of the style loss (the model's: ``ModelVariant/trainingStatistics``).
    public let statistics: TrainingStatistics
    /// The style loss's reduction (the model's ``TrainingConventions/styleLossReduction``).
    public let styleLossReduction: StyleLossReduction
    /// Adam's update rule (the model's ``TrainingConventions/adamUpdate``).
    public let adamUpdate: Adam.Update
    /// Adam's state of each convolution of ``decoder``, in its order.
    public internal(set) var moments: [ConvolutionMoments]
    /// The number of steps taken.
    public internal(set) var iteration: Int

    public init(encoder: TrainingNetwork, decoder: TrainingNetwork, hyperparameters: TrainingHyperparameters = .init(),
                statistics: TrainingStatistics = .pytorchAdaIN, styleLossReduction: StyleLossReduction = .meanOverPlanes,
                adamUpdate: Adam.Update = .pytorch, inferenceEncoder: VGGEncoder? = nil) {
        self.encoder = encoder
        self.statistics = statistics
        self.styleLossReduction = styleLossReduction
        self.adamUpdate = adamUpdate
        self.inferenceEncoder = inferenceEncoder
        self.decoder = decoder
        self.hyperparameters = hyperparameters
        moments = zip(decoder.convolutionModules, decoder.convolutions).map { module, w in
            ConvolutionMoments(module: module, weight: Adam.State(count: w.weight.count), bias: Adam.State(count: w.bias.count))
        }
        iteration = 0
    }

    /// A trainer as `model`'s own trainer trains: its statistics (``ModelVariant/trainingStatistics``),
    /// its style loss's reduction and its Adam (``ModelVariant/trainingConventions``).
    public init(encoder: TrainingNetwork, decoder: TrainingNetwork, hyperparameters: TrainingHyperparameters, model: ModelVariant,
                inferenceEncoder: VGGEncoder? = nil) {
        let training = model.trainingConventions
        self.init(encoder: encoder, decoder: decoder, hyperparameters: hyperparameters, statistics: model.trainingStatistics,
                  styleLossReduction: training.styleLossReduction, adamUpdate: training.adamUpdate, inferenceEncoder: inferenceEncoder)
    }

    /// The losses of one batch and their gradients with respect to the decoder's convolutions:
    /// `loss_c, loss_s = net(content, style)` of net.py and `loss.backward()` of train.py, without
    /// the optimiser step.
    public struct Evaluation: Sendable {
        /// contentWeight * L_c.
        public var content: Float
        /// styleWeight * L_s.
        public var style: Float
        /// content + style.
        public var total: Float
        /// d total / d weight and bias, one per convolution of ``decoder``, in its order.
        public var gradients: [TrainingNetwork.ConvolutionGradient]
    }

    /// The forward and backward pass of one batch with the decoder's current weights.
    ///
    /// t = AdaIN(f(c), f(s)) (Eq. 9); L_c = mse(f(g(t)), t) (Eq. 12); L_s = sum over relu1_1 ...
    /// relu4_1 of the mean and std mse (Eq. 13); the gradients are d(lambda_c L_c + lambda_s L_s)/dw.
    /// AdaIN and the style loss take ``statistics``.
    ///
    /// content and style are (N, 3, H, W) and (N, 3, H', W'), the same N, as the encoder takes them
    /// (in [0, 1], or normalised for a model whose ``ModelConventions/input`` normalises); g(t) goes
    /// to the encoder as it comes out of the decoder (neither model de-normalises or clamps it in training).
    ///
    /// - Parameter trace: called after each phase with its name and wall-clock seconds.
    public func evaluate(content: Tensor, style: Tensor, trace: ((String, Double) -> Void)? = nil) -> Evaluation {
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap(_ phase: String) {
            guard let trace else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            trace(phase, Double(now - clock) / 1e9)
            clock = now
        }
        let contentFeature = inferenceEncoder?.encode(content) ?? encoder.features(content)[encoder.landmarks.count - 1]
        let styleFeatures = inferenceEncoder?.encodeWithIntermediates(style) ?? encoder.features(style)
        let t = adaptiveInstanceNormalization(content: contentFeature, style: styleFeatures[styleFeatures.count - 1], statistics: statistics.adain)
        lap("encode content and style, AdaIN")
        let pass = decoder.forward(t)
        lap("decoder forward")
        let loss = adainLoss(encoder: encoder, decoded: pass.output, target: t, styleFeatures: styleFeatures,
                             contentWeight: hyperparameters.contentWeight, styleWeight: hyperparameters.styleWeight, convention: statistics.styleLoss,
                             targetConvention: statistics.styleTarget, reduction: styleLossReduction)
        lap("loss: encoder forward and backward on g(t)")
        let gradients = decoder.backward(pass, featureGradients: [loss.gradient], weights: true).convolutions
        lap("decoder backward")
        return Evaluation(content: hyperparameters.contentWeight * loss.content, style: hyperparameters.styleWeight * loss.style,
                          total: loss.total, gradients: gradients)
    }

    /// One step on a batch: ``evaluate(content:style:trace:)``, then train.py's
    /// `adjust_learning_rate` and `optimizer.step()` (train.lua's `optim.adam`, whose decayed rate
    /// is the same): the decoder's weights take one Adam step (``adamUpdate``).
    ///
    /// - Parameter trace: called after each phase with its name and wall-clock seconds (for
    ///   stylebench's profile).
    public mutating func step(content: Tensor, style: Tensor, trace: ((String, Double) -> Void)? = nil) -> TrainingLoss {
        let rate = hyperparameters.learningRate(at: iteration)
        let evaluation = evaluate(content: content, style: style, trace: trace)
        let start = DispatchTime.now().uptimeNanoseconds
        let adam = Adam(learningRate: Float(rate), update: adamUpdate)
        let gradients = evaluation.gradients
        decoder.convolutions = decoder.convolutions.enumerated().map { k, w in
            var (weight, bias) = (w.weight, w.bias)
            adam.step(&weight, gradient: gradients[k].weight, state: &moments[k].weight)
            adam.step(&bias, gradient: gradients[k].bias, state: &moments[k].bias)
            return ConvolutionWeights(outChannels: w.outChannels, inChannels: w.inChannels, kernelHeight: w.kernelHeight,
                                      kernelWidth: w.kernelWidth, weight: weight, bias: bias)
        }
        trace?("Adam", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        iteration += 1
        return TrainingLoss(iteration: iteration, content: evaluation.content, style: evaluation.style,
                            total: evaluation.total, learningRate: rate)
    }
}
