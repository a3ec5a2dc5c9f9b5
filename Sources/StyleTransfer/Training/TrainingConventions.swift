// How each model's released trainer trains its decoder: one table per model (the training part of
// ModelConventions), so DecoderTraining, the trainer and `stylectl train` ask it and keep no flags.

import TensorCore

/// How a model's own training script trains the AdaIN decoder, as far as stylectl reproduces it.
///
/// - pytorch-AdaIN's `train.py`: images resized to 512 x 512 (torchvision's `Resize((512, 512))`,
///   Pillow's antialiased bilinear), a random 256 crop, the images as they are (vgg_normalised's 1x1
///   convolution normalises them), an endless sampler reshuffling every pass, the style loss over
///   `calc_mean_std` (unbiased variance + 1e-5 under the square root), Adam at 1e-4 decayed by
///   `lr / (1 + 5e-5 * i)`, batch 8, 160,000 iterations.
/// - aadhithya/AdaIN-pytorch's `train.py` (`Trainer.train_as_steps` with `main.py`'s defaults): the
///   shorter side resized to 512 (its `ResizeShortest` sets `self.size = 512` whatever it is
///   given, so `2 * imsize` only at the default imsize 256), `RandomCrop(imsize)` (256), ImageNet
///   normalisation; `RandomSampler(replacement=True)`; `criterion`: `mse(t, relu4_1(g(t)))` plus
///   10 x the sum over relu1_1 ... relu4_1 of the MSEs of the means and of `compute_mean_std`'s
///   stds (`torch.std`, unbiased, + 1e-8 added to the std); `Adam(decoder.parameters(), lr=1e-4)`
///   with no decay; batch 128, 5,000 iterations, a checkpoint every 500.
///
/// What stylectl does not reproduce bit for bit is named in ``differences``.
public struct TrainingConventions: Sendable, Equatable {
    /// The script followed, for messages and the README: e.g. `"pytorch-AdaIN's train.py"`.
    public let script: String

    /// How a training image is sized before its random crop.
    public enum Resizing: Sendable, Equatable {
        /// Both sides to `imageSize` (aspect not kept) with Pillow's antialiased bilinear filter
        /// (``ImageCodec/resizeBilinear(_:width:height:limits:)``): torchvision's `Resize((s, s))` on a PIL image.
        case bothSides
        /// The shorter side to `imageSize`, the longer `round(long * imageSize / short)` (half to
        /// even, albumentations' `SmallestMaxSize`), bilinear with half-pixel centres and no
        /// antialiasing (``ImageCodec/resizeBilinearUnantialiased(_:width:height:limits:)``).
        case shorterSide
    }
    public let resizing: Resizing

    /// How the images of a folder are drawn.
    public enum Sampling: Sendable, Equatable {
        /// A fresh random permutation every pass (pytorch-AdaIN's `InfiniteSamplerWrapper`).
        case reshuffledPasses
        /// Uniformly with replacement (`RandomSampler(replacement=True)`).
        case withReplacement
    }
    public let sampling: Sampling

    /// The standard deviation of the style loss's statistics (the AdaIN of the step takes the
    /// model's ``ModelConventions/statistics``).
    public let styleLossStatistics: StandardDeviationConvention

    /// The script's defaults: what `stylectl train` takes when a flag is not given.
    public let hyperparameters: TrainingHyperparameters
    public let batchSize: Int
    public let iterations: Int
    /// The resized side (``resizing``) and the crop's side.
    public let imageSize: Int
    public let cropSize: Int
    public let saveInterval: Int

    /// The format of the decoders a run saves (under the model's decoder keys).
    public enum DecoderFile: Sendable, Equatable {
        /// `decoder_iter_N.safetensors`.
        case safeTensors
        /// `decoder_iter_N.pth`, PyTorch's legacy `torch.save` format
        /// (``Checkpoints/writeLegacyPyTorchCheckpoint(_:path:)``): what the seed's `torch.load`
        /// and `load_state_dict` read, as its own `cktp-style-net-NNNNN.tar`.
        case legacyPyTorch

        /// The file name of the decoder after `iteration` iterations.
        public func name(iteration: Int) -> String {
            switch self {
            case .safeTensors: "decoder_iter_\(iteration).safetensors"
            case .legacyPyTorch: "decoder_iter_\(iteration).pth"
            }
        }
    }
    public let decoderFile: DecoderFile

    /// Where stylectl's run differs from the script's, for the README and `stylectl train --help`.
    public let differences: String

    static let pytorchAdaIN = TrainingConventions(
        script: "pytorch-AdaIN's train.py", resizing: .bothSides, sampling: .reshuffledPasses, styleLossStatistics: .pytorchAdaIN,
        hyperparameters: TrainingHyperparameters(), batchSize: 8, iterations: 160_000, imageSize: 512, cropSize: 256, saveInterval: 10_000,
        decoderFile: .safeTensors,
        differences: "the image order, the crops and the initial weights are drawn from stylectl's seeded generator, not torch's")

    static let seed = TrainingConventions(
        script: "aadhithya/AdaIN-pytorch's train.py", resizing: .shorterSide, sampling: .withReplacement,
        styleLossStatistics: AdaINStatistics.seed.style,
        hyperparameters: TrainingHyperparameters(learningRate: 1e-4, learningRateDecay: 0, contentWeight: 1, styleWeight: 10),
        batchSize: 128, iterations: 5_000, imageSize: 512, cropSize: 256, saveInterval: 500, decoderFile: .legacyPyTorch,
        differences: "the image order, the crops and the initial weights are drawn from stylectl's seeded generator, not torch's; "
            + "the resizing is OpenCV's INTER_LINEAR geometry in float32, not its 8-bit fixed point (values within about one level); "
            + "the folder's own .jpg, .jpeg and .png files are read (the seed's glob reads the .jpg files one folder down); "
            + "an unreadable image is an error (the seed skips to the next one); "
            + "the decoder is saved as decoder_iter_N.pth (torch.save's legacy format, under the seed's keys), not cktp-style-net-NNNNN.tar")
}

/// Whether stylectl trains a model's decoder (``ModelConventions/training``): by its script's
/// conventions, or not, and why.
public enum TrainingSupport: Sendable, Equatable {
    case trainer(TrainingConventions)
    case notImplemented(reason: String)

    /// The paper's Lua release (xunhuang1995/AdaIN-style's train.lua): its differences from
    /// pytorch-AdaIN's trainer go beyond statistics, and are not implemented.
    static let torch = TrainingSupport.notImplemented(reason:
        "train.lua's ArtisticStyleLossCriterion (StyleINLossModule: per image the sum over channels of the squared "
        + "mean and std differences, the output's std sqrt(biased variance + 1e-6), the target's biased; style weight 1e-2), "
        + "torch/optim's optim.adam (eps added to the uncorrected sqrt(v), the bias corrections in the step size), "
        + "and ImageLoader's image.scale of the longer side are not reproduced. "
        + "Train with --model pytorch-adain instead: the same networks (pytorch-AdaIN's vgg_normalised.pth is converted from vgg_normalised.t7)")
}

/// The statistics one training step takes: AdaIN's, t = AdaIN(f(c), f(s)) (the model's
/// ``ModelConventions/statistics``), and the style loss's (``TrainingConventions/styleLossStatistics``).
public struct TrainingStatistics: Sendable, Equatable {
    public var adain: AdaINStatistics
    public var styleLoss: StandardDeviationConvention

    public init(adain: AdaINStatistics, styleLoss: StandardDeviationConvention) {
        self.adain = adain
        self.styleLoss = styleLoss
    }

    /// pytorch-AdaIN's `calc_mean_std` everywhere.
    public static let pytorchAdaIN = TrainingStatistics(adain: .pytorchAdaIN, styleLoss: .pytorchAdaIN)
}

extension ModelVariant {
    /// This model's training conventions, or ``TrainingError/trainingNotImplemented(model:reason:)``.
    public func trainingConventions() throws(TrainingError) -> TrainingConventions {
        switch conventions.training {
        case .trainer(let training): return training
        case .notImplemented(let reason): throw .trainingNotImplemented(model: self, reason: reason)
        }
    }

    /// The statistics of this model's training step: its AdaIN's and its trainer's style loss's
    /// (for a model stylectl does not train, ``normalizationStatistics``).
    public var trainingStatistics: TrainingStatistics { normalizationStatistics }

    /// The statistics compare-norms learns CIN with: the model's AdaIN statistics for IN, CIN and
    /// AdaIN, and its trainer's style loss (the torch model, whose train.lua stylectl does not
    /// follow: its AdaIN's style statistics, biased without eps, as the loss's).
    public var normalizationStatistics: TrainingStatistics {
        guard case .trainer(let training) = conventions.training else {
            return TrainingStatistics(adain: conventions.statistics, styleLoss: conventions.statistics.style)
        }
        return TrainingStatistics(adain: conventions.statistics, styleLoss: training.styleLossStatistics)
    }
}
