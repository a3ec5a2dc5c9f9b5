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
/// - xunhuang1995/AdaIN-style's `train.lua` (the paper's release): `ImageLoaderAsync`'s
///   `image.scale(img, "^512")` (the shorter side to 512 with torch/image's `scaleBilinear`) and a
///   random 256 crop of the image in [0, 1] (vgg_normalised.t7's 1x1 convolution normalises it), a
///   fresh `torch.randperm` every pass; AdaIN as `AdaptiveInstanceNormalization.lua` (the torch
///   model's statistics) at alpha 1 (train.lua has no alpha; neither has stylectl's step);
///   `ArtisticStyleLossCriterion` with `StyleINLossModule` at relu1_1 ... relu4_1 (per image the
///   sum over channels of the squared mean and std differences, the output's std
///   `sqrt(biased variance + 1e-6)` (cunn's `nn.Sqrt(1e-6)`: the module moves itself to the GPU),
///   the target's `torch.std(x, 3, true)`, biased without eps) and `ContentLossModule` at relu4_1
///   against t (`nn.MSECriterion`, averaged); style weight 1e-2, content weight 1; `optim.adam`
///   (torch/optim's: eps added to the uncorrected sqrt(v), the bias corrections in the step size) at
///   1e-4 with `learningRateDecay` 5e-5 (`lr / (1 + t * decay)`, t the steps taken before); batch 8,
///   160,000 iterations, a decoder every 2,000.
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
        /// torch/image's `image.scale(img, "^imageSize")`: the shorter side to `imageSize`, the
        /// longer `floor(long * imageSize / short)` (``ImageCodec/torchImageShorterSideSize(width:height:to:limits:)``),
        /// resampled by its `scaleBilinear` (``ImageCodec/resizeLikeTorchImage(_:width:height:limits:)``).
        case luaShorterSide
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

    /// The standard deviation of the style loss's statistics of g(t)'s features (the AdaIN of the
    /// step takes the model's ``ModelConventions/statistics``).
    public let styleLossStatistics: StandardDeviationConvention
    /// The standard deviation of the style images' statistics the style loss compares with:
    /// ``styleLossStatistics`` but for train.lua, whose target std is biased without eps.
    public let styleTargetStatistics: StandardDeviationConvention
    /// How the squared differences of the style loss are reduced.
    public let styleLossReduction: StyleLossReduction
    /// Adam's update rule.
    public let adamUpdate: Adam.Update

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
        /// `decoder_iter_N.t7`, Lua Torch's `torch.save` of the decoder's `nn.Sequential`
        /// (``Checkpoints/writeTorch7Sequential(_:path:)``), laid out as the release's decoder.t7.
        case torch7

        /// The file name of the decoder after `iteration` iterations.
        public func name(iteration: Int) -> String {
            switch self {
            case .safeTensors: "decoder_iter_\(iteration).safetensors"
            case .legacyPyTorch: "decoder_iter_\(iteration).pth"
            case .torch7: "decoder_iter_\(iteration).t7"
            }
        }
    }
    public let decoderFile: DecoderFile

    /// Where stylectl's run differs from the script's, for the README and `stylectl train --help`.
    public let differences: String

    static let pytorchAdaIN = TrainingConventions(
        script: "pytorch-AdaIN's train.py", resizing: .bothSides, sampling: .reshuffledPasses, styleLossStatistics: .pytorchAdaIN,
        styleTargetStatistics: .pytorchAdaIN, styleLossReduction: .meanOverPlanes, adamUpdate: .pytorch,
        hyperparameters: TrainingHyperparameters(), batchSize: 8, iterations: 160_000, imageSize: 512, cropSize: 256, saveInterval: 10_000,
        decoderFile: .safeTensors,
        differences: "the image order, the crops and the initial weights are drawn from stylectl's seeded generator, not torch's")

    static let seed = TrainingConventions(
        script: "aadhithya/AdaIN-pytorch's train.py", resizing: .shorterSide, sampling: .withReplacement,
        styleLossStatistics: AdaINStatistics.seed.style, styleTargetStatistics: AdaINStatistics.seed.style,
        styleLossReduction: .meanOverPlanes, adamUpdate: .pytorch,
        hyperparameters: TrainingHyperparameters(learningRate: 1e-4, learningRateDecay: 0, contentWeight: 1, styleWeight: 10),
        batchSize: 128, iterations: 5_000, imageSize: 512, cropSize: 256, saveInterval: 500, decoderFile: .legacyPyTorch,
        differences: "the image order, the crops and the initial weights are drawn from stylectl's seeded generator, not torch's; "
            + "the resizing is OpenCV's INTER_LINEAR geometry in float32, not its 8-bit fixed point (values within about one level); "
            + "the folder's own .jpg, .jpeg and .png files are read (the seed's glob reads the .jpg files one folder down); "
            + "an unreadable image is an error (the seed skips to the next one); "
            + "the decoder is saved as decoder_iter_N.pth (torch.save's legacy format, under the seed's keys), not cktp-style-net-NNNNN.tar")

    static let torch = TrainingConventions(
        script: "AdaIN-style's train.lua", resizing: .luaShorterSide, sampling: .reshuffledPasses,
        styleLossStatistics: StandardDeviationConvention(unbiased: false, eps: 1e-6), styleTargetStatistics: AdaINStatistics.torch.style,
        styleLossReduction: .sumOverChannels, adamUpdate: .torchOptim,
        hyperparameters: TrainingHyperparameters(learningRate: 1e-4, learningRateDecay: 5e-5, contentWeight: 1, styleWeight: 1e-2),
        batchSize: 8, iterations: 160_000, imageSize: 512, cropSize: 256, saveInterval: 2_000, decoderFile: .torch7,
        differences: "the image order, the crops and the initial weights are drawn from stylectl's seeded generator, not torch's "
            + "(the weights from the same uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) as nn.SpatialConvolution's reset); "
            + "one loader per folder (train.lua's two loader threads each draw their own permutation); "
            + "the folder's own .jpg, .jpeg and .png files are read (ImageLoaderAsync searches subfolders too); "
            + "an unreadable image is an error (train.lua warns and skips it); "
            + "the decoder is saved as decoder_iter_N.t7 after N steps (train.lua's maybe_save writes dec-NNNNNN.t7 inside its Nth "
            + "evaluation, before that step's update), without gradWeight and gradBias; "
            + "the arithmetic is the CPU's, not cuDNN's")
}

/// How a style loss reduces its squared differences of means and of standard deviations.
public enum StyleLossReduction: Sendable, Equatable {
    /// Averaged over the N x C planes: `F.mse_loss(mean, target_mean) + F.mse_loss(std, target_std)`
    /// (pytorch-AdaIN's `calc_style_loss`; the seed's).
    case meanOverPlanes
    /// Summed over the channels and averaged over the batch: `MSECriterion` with `sizeAverage =
    /// false`, divided by N (train.lua's `StyleINLossModule`): C times ``meanOverPlanes``.
    case sumOverChannels

    /// The factor that turns the mean over the planes into this reduction, for layers of `channels` channels.
    public func scale(channels: Int) -> Float {
        switch self {
        case .meanOverPlanes: 1
        case .sumOverChannels: Float(channels)
        }
    }
}

/// The statistics one training step takes: AdaIN's, t = AdaIN(f(c), f(s)) (the model's
/// ``ModelConventions/statistics``), and the style loss's (``TrainingConventions/styleLossStatistics``
/// for g(t)'s features, ``TrainingConventions/styleTargetStatistics`` for the style's).
public struct TrainingStatistics: Sendable, Equatable {
    public var adain: AdaINStatistics
    public var styleLoss: StandardDeviationConvention
    public var styleTarget: StandardDeviationConvention

    /// `styleTarget` nil: the style's statistics as `styleLoss`.
    public init(adain: AdaINStatistics, styleLoss: StandardDeviationConvention, styleTarget: StandardDeviationConvention? = nil) {
        self.adain = adain
        self.styleLoss = styleLoss
        self.styleTarget = styleTarget ?? styleLoss
    }

    /// pytorch-AdaIN's `calc_mean_std` everywhere.
    public static let pytorchAdaIN = TrainingStatistics(adain: .pytorchAdaIN, styleLoss: .pytorchAdaIN)
}

extension ModelVariant {
    /// This model's training conventions (its trainer's).
    public var trainingConventions: TrainingConventions { conventions.training }

    /// The statistics of this model's training step: its AdaIN's and its trainer's style loss's.
    public var trainingStatistics: TrainingStatistics {
        TrainingStatistics(adain: conventions.statistics, styleLoss: trainingConventions.styleLossStatistics,
                           styleTarget: trainingConventions.styleTargetStatistics)
    }

    /// The statistics compare-norms learns CIN with: the model's AdaIN statistics for IN, CIN and
    /// AdaIN, and its trainer's style loss's (``trainingStatistics``; CIN's loss keeps its mean
    /// reduction and its own weights).
    public var normalizationStatistics: TrainingStatistics { trainingStatistics }
}
