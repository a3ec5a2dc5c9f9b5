// `stylectl train`: the flags of decoder training, passed to StyleTransfer's `DecoderTraining`,
// which loads, trains and saves; this prints its progress and draws loss.png (StyleReports).

import ArgumentParser
import StyleReports
import StyleTransfer

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an AdaIN decoder on a folder of content images and one of style images (pytorch-AdaIN's train.py).",
        discussion: """
            Each iteration takes --batch-size random content and style images, resized to \
            --image-size x --image-size and randomly cropped to --crop-size, and takes one Adam step on \
            content-weight * L_c + style-weight * L_s with the rate lr / (1 + lr-decay * iteration). \
            Every --save-interval iterations and at the end, --output-dir receives \
            decoder_iter_N.safetensors (for 'stylectl stylize --decoder'), training-state.safetensors \
            (for --resume), loss.csv and loss.png. Without --decoder the decoder starts from PyTorch's \
            default initialisation, seeded by --seed.
            """
    )

    @Option(help: "The folder of content images (JPEG or PNG).")
    var contentDir: String

    @Option(help: "The folder of style images (JPEG or PNG).")
    var styleDir: String

    @Option(help: "The VGG encoder weights (vgg_normalised.pth, .pth zip or .safetensors). Default: $STYLECTL_MODELS, then Models/.")
    var vgg: String?

    @Option(help: "Fine-tune this decoder (.pth or .safetensors) instead of training one from scratch.")
    var decoder: String?

    @Option(help: "The model to train a decoder for: only pytorch-adain (pytorch-AdaIN's train.py) is implemented.")
    var model: ModelVariant = .pytorchAdaIN

    @Option(help: "Where checkpoints, the loss curve and the training state are written.")
    var outputDir: String = "experiments"

    @Option(help: "Train until this many iterations in all (train.py's --max_iter).")
    var iterations: Int = 160_000

    @Option(help: "Images per batch.")
    var batchSize: Int = 8

    @Option(help: "Adam's initial learning rate.")
    var lr: Double = 1e-4

    @Option(help: "Learning-rate decay: iteration i uses lr / (1 + lr-decay * i).")
    var lrDecay: Double = 5e-5

    @Option(help: "Weight of the style loss.")
    var styleWeight: Float = 10

    @Option(help: "Weight of the content loss.")
    var contentWeight: Float = 1

    @Option(help: "Resize both sides of every image to this (0 keeps the images' sizes).")
    var imageSize: Int = 512

    @Option(help: "Side of the random square crop taken from each resized image.")
    var cropSize: Int = 256

    @Option(help: "Save a checkpoint every this many iterations.")
    var saveInterval: Int = 10_000

    @Option(help: "Seed of the initial weights, the image order and the crops.")
    var seed: UInt64 = 0

    @Flag(help: "Go on from --output-dir's training-state.safetensors (its saved settings are kept).")
    var resume = false

    /// The flags as the library's settings.
    var configuration: DecoderTrainingConfiguration {
        DecoderTrainingConfiguration(
            contentFolder: contentDir, styleFolder: styleDir, outputFolder: outputDir, vggWeights: vgg, initialDecoder: decoder,
            iterations: iterations, batchSize: batchSize,
            hyperparameters: TrainingHyperparameters(learningRate: lr, learningRateDecay: lrDecay, contentWeight: contentWeight, styleWeight: styleWeight),
            imageSize: imageSize, cropSize: cropSize, saveInterval: saveInterval, seed: seed, resume: resume)
    }

    /// The flag of each setting the library names in its errors (folders are named by their ``InputRole``).
    static let flags = [
        "iterations": "--iterations", "batchSize": "--batch-size", "learningRate": "--lr", "learningRateDecay": "--lr-decay",
        "styleWeight": "--style-weight", "contentWeight": "--content-weight", "cropSize": "--crop-size", "imageSize": "--image-size",
        "saveInterval": "--save-interval",
    ]

    func validate() throws {
        guard model == .pytorchAdaIN else {
            throw ValidationError("'--model \(model.rawValue)': train follows pytorch-AdaIN's train.py only; training \(model.conventions.title)'s decoder is not implemented. Use --model pytorch-adain with vgg_normalised.pth.")
        }
        do { try configuration.check() } catch {
            guard case .invalidSetting(let key, let value, let requirement) = error else { throw error }
            if key == "imageSize" { throw ValidationError("'--image-size' (\(value)) must be 0 or at least '--crop-size' (\(cropSize)).") }
            throw ValidationError("'\(Self.flags[key] ?? key)' must be \(requirement), got \(value).")
        }
    }

    func run() throws {
        let training = DecoderTraining(configuration) { history, path throws(TrainingError) in
            try writeLossPlot(history, title: "stylectl train: loss (content-weight x L_c, style-weight x L_s)", path: path)
        }
        do {
            _ = try training.run(progress: report)
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// Prints the run's progress on standard error.
    private func report(_ progress: DecoderTrainingProgress) {
        switch progress {
        case .resumed(let statePath, let iteration):
            printError("resuming at iteration \(iteration) of \(statePath)")
        case .started(let contentImages, let styleImages, let batchSize, let imageSize, let cropSize, let iterations):
            printError("training: \(contentImages) content and \(styleImages) style images, batch \(batchSize), "
                       + "\(imageSize) -> \(cropSize) crops, to iteration \(iterations)")
        case .nothingToDo(let iteration):
            printError("nothing to do: the run is at iteration \(iteration); raise --iterations to go on")
        case .iterated(let record):
            let l = record.loss
            printError(String(format: "[%d/%d] content %.4f  style %.4f  total %.4f  lr %.3g  %.2f s/iter",
                              l.iteration, iterations, l.content, l.style, l.total, l.learningRate, record.seconds))
        case .saved(let decoderPath):
            printError("saved \(decoderPath)")
        }
    }
}
