// `stylectl train`: the flags of decoder training, passed to StyleTransfer's `DecoderTraining`,
// which loads, trains and saves; this prints its progress and draws loss.png (StyleReports).

import ArgumentParser
import Foundation
import StyleReports
import StyleTransfer

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an AdaIN decoder on a folder of content images and one of style images, as the model's own trainer does.",
        discussion: """
            --model pytorch-adain follows pytorch-AdaIN's train.py, --model seed aadhithya/AdaIN-pytorch's \
            train.py (torchvision's VGG-19 with zero padding and floor pooling, ImageNet normalisation, \
            its std: unbiased + 1e-8), --model torch AdaIN-style's train.lua (its style loss summed over \
            the channels, the output's std sqrt(biased variance + 1e-6), the target's biased; optim.adam; \
            image.scale of the shorter side). Default: recognised from the --vgg file, else pytorch-adain. \
            Each iteration takes --batch-size random content and style images, resized to --image-size \
            (pytorch-adain: both sides; seed and torch: the shorter side) and randomly cropped to \
            --crop-size, and takes one Adam step on content-weight * L_c + style-weight * L_s with the \
            rate lr / (1 + lr-decay * iteration). Every --save-interval iterations and at the end, \
            --output-dir receives the decoder under the model's keys (pytorch-adain: \
            decoder_iter_N.safetensors; seed: decoder_iter_N.pth, torch.save's format, which the seed's \
            torch.load reads; torch: decoder_iter_N.t7, an nn.Sequential as the release's decoder.t7), \
            for 'stylectl stylize --model M --decoder', training-state.safetensors (for --resume), \
            loss.csv and loss.png. Without --decoder the decoder starts from PyTorch's default \
            initialisation (the same distribution as Torch's nn.SpatialConvolution), seeded by --seed. \
            Options not given take the model's trainer's defaults (pytorch-adain: batch 8, 160000 \
            iterations, lr 1e-4, lr-decay 5e-5, image 512, crop 256, save every 10000, style weight 10; \
            seed: batch 128, 5000 iterations, lr 1e-4, lr-decay 0, image 512, crop 256, save every 500, \
            style weight 10; torch: batch 8, 160000 iterations, lr 1e-4, lr-decay 5e-5, image 512, crop \
            256, save every 2000, style weight 1e-2; content weight 1 for all).
            """
    )

    @Option(help: "The folder of content images (JPEG or PNG).")
    var contentDir: String

    @Option(help: "The folder of style images (JPEG or PNG).")
    var styleDir: String

    @Option(help: "The VGG encoder weights (vgg_normalised.pth, .pth zip or .safetensors; the torch model's vgg_normalised.t7; the seed's vgg19-dcbb9e9d.pth). Default: $STYLECTL_MODELS, then Models/.")
    var vgg: String?

    @Option(help: "Fine-tune this decoder (.pth or .safetensors, the model's keys; the torch model's .t7) instead of training one from scratch.")
    var decoder: String?

    @Option(help: "The model to train a decoder for: pytorch-adain (pytorch-AdaIN's train.py), torch (AdaIN-style's train.lua) or seed (aadhithya/AdaIN-pytorch's train.py). Default: recognised from --vgg, else pytorch-adain.")
    var model: ModelVariant?

    @Option(help: "Where checkpoints, the loss curve and the training state are written.")
    var outputDir: String = "experiments"

    @Option(help: "Train until this many iterations in all (train.py's --max_iter).")
    var iterations: Int?

    @Option(help: "Images per batch.")
    var batchSize: Int?

    @Option(help: "Adam's initial learning rate.")
    var lr: Double?

    @Option(help: "Learning-rate decay: iteration i uses lr / (1 + lr-decay * i).")
    var lrDecay: Double?

    @Option(help: "Weight of the style loss.")
    var styleWeight: Float?

    @Option(help: "Weight of the content loss.")
    var contentWeight: Float?

    @Option(help: "Resize every image to this (pytorch-adain: both sides; seed and torch: the shorter side); 0 keeps the images' sizes.")
    var imageSize: Int?

    @Option(help: "Side of the random square crop taken from each resized image.")
    var cropSize: Int?

    @Option(help: "Save a checkpoint every this many iterations.")
    var saveInterval: Int?

    @Option(help: "Seed of the initial weights, the image order and the crops.")
    var seed: UInt64 = 0

    @Flag(help: "Go on from --output-dir's training-state.safetensors (its saved settings are kept).")
    var resume = false

    /// The model trained: --model, else the one the --vgg file is recognised as (only its
    /// identifying tensors are read), else pytorch-adain.
    var resolvedModel: ModelVariant {
        get throws {
            if let model { return model }
            guard let vgg, FileManager.default.fileExists(atPath: vgg) else { return .pytorchAdaIN }
            do { return try WeightFileIdentity.identify(path: vgg)?.variant ?? .pytorchAdaIN } catch { throw CommandFailure(error.description) }
        }
    }

    /// The flags as the library's settings: the model's trainer's defaults (``TrainingConventions``)
    /// where a flag is not given.
    func configuration() throws -> DecoderTrainingConfiguration {
        let model = try resolvedModel
        var c = DecoderTrainingConfiguration(model: model, contentFolder: contentDir, styleFolder: styleDir, outputFolder: outputDir)
        c.vggWeights = vgg
        c.initialDecoder = decoder
        c.iterations = iterations ?? c.iterations
        c.batchSize = batchSize ?? c.batchSize
        c.hyperparameters.learningRate = lr ?? c.hyperparameters.learningRate
        c.hyperparameters.learningRateDecay = lrDecay ?? c.hyperparameters.learningRateDecay
        c.hyperparameters.styleWeight = styleWeight ?? c.hyperparameters.styleWeight
        c.hyperparameters.contentWeight = contentWeight ?? c.hyperparameters.contentWeight
        c.imageSize = imageSize ?? c.imageSize
        c.cropSize = cropSize ?? c.cropSize
        c.saveInterval = saveInterval ?? c.saveInterval
        c.seed = seed
        c.resume = resume
        return c
    }

    /// The flag of each setting the library names in its errors (folders are named by their ``InputRole``).
    static let flags = [
        "iterations": "--iterations", "batchSize": "--batch-size", "learningRate": "--lr", "learningRateDecay": "--lr-decay",
        "styleWeight": "--style-weight", "contentWeight": "--content-weight", "cropSize": "--crop-size", "imageSize": "--image-size",
        "saveInterval": "--save-interval",
    ]

    func validate() throws {
        let configuration = try configuration()
        do { try configuration.check() } catch {
            guard case .invalidSetting(let key, let value, let requirement) = error else { throw ValidationError(error.description) }
            if key == "imageSize" { throw ValidationError("'--image-size' (\(value)) must be 0 or at least '--crop-size' (\(configuration.cropSize)).") }
            throw ValidationError("'\(Self.flags[key] ?? key)' must be \(requirement), got \(value).")
        }
    }

    func run() throws {
        let configuration = try configuration()
        let training = DecoderTraining(configuration) { history, path throws(TrainingError) in
            try writeLossPlot(history, title: "stylectl train: loss (content-weight x L_c, style-weight x L_s)", path: path)
        }
        do {
            _ = try training.run { report($0, configuration: configuration) }
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// Prints the run's progress on standard error: once the folders, weights and memory are
    /// checked (`.started`), what is followed and where the run differs from it by design.
    private func report(_ progress: DecoderTrainingProgress, configuration: DecoderTrainingConfiguration) {
        switch progress {
        case .resumed(let statePath, let iteration):
            printError("resuming at iteration \(iteration) of \(statePath)")
        case .started(let contentImages, let styleImages, let batchSize, let imageSize, let cropSize, let iterations):
            let conventions = configuration.model.trainingConventions
            printError("training \(configuration.model.conventions.title)'s decoder as \(conventions.script); differences: \(conventions.differences)")
            printError("training: \(contentImages) content and \(styleImages) style images, batch \(batchSize), "
                       + "\(imageSize) -> \(cropSize) crops, to iteration \(iterations)")
        case .nothingToDo(let iteration):
            printError("nothing to do: the run is at iteration \(iteration); raise --iterations to go on")
        case .iterated(let record):
            let l = record.loss
            printError(String(format: "[%d/%d] content %.4f  style %.4f  total %.4f  lr %.3g  %.2f s/iter",
                              l.iteration, configuration.iterations, l.content, l.style, l.total, l.learningRate, record.seconds))
        case .saved(let decoderPath):
            printError("saved \(decoderPath)")
        }
    }
}
