// `stylectl train`: trains an AdaIN decoder as pytorch-AdaIN's train.py does, on the CPU.

import ArgumentParser
import Checkpoints
import Foundation
import StyleReports
import StyleTransfer
import TensorCore

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

    func validate() throws {
        guard iterations >= 1 else { throw ValidationError("'--iterations' must be at least 1, got \(iterations).") }
        guard batchSize >= 1 else { throw ValidationError("'--batch-size' must be at least 1, got \(batchSize).") }
        guard lr > 0 && lr.isFinite else { throw ValidationError("'--lr' must be positive, got \(lr).") }
        guard lrDecay >= 0 && lrDecay.isFinite else { throw ValidationError("'--lr-decay' must be 0 or more, got \(lrDecay).") }
        guard styleWeight >= 0 && styleWeight.isFinite else { throw ValidationError("'--style-weight' must be 0 or more, got \(styleWeight).") }
        guard contentWeight >= 0 && contentWeight.isFinite else { throw ValidationError("'--content-weight' must be 0 or more, got \(contentWeight).") }
        guard cropSize >= VGGEncoder.minimumImageSide else {
            throw ValidationError("'--crop-size' must be at least \(VGGEncoder.minimumImageSide), got \(cropSize).")
        }
        guard imageSize == 0 || imageSize >= cropSize else {
            throw ValidationError("'--image-size' (\(imageSize)) must be 0 or at least '--crop-size' (\(cropSize)).")
        }
        guard saveInterval >= 1 else { throw ValidationError("'--save-interval' must be at least 1, got \(saveInterval).") }
    }

    func run() throws {
        do {
            try train()
        } catch let error as TrainingError {
            throw CommandFailure(error.description)
        } catch let error as StyleTransferError {
            throw CommandFailure(error.description)
        }
    }

    private func train() throws {
        let content = try TrainingImageFolder(path: contentDir, option: "--content-dir", imageSize: imageSize, cropSize: cropSize)
        let style = try TrainingImageFolder(path: styleDir, option: "--style-dir", imageSize: imageSize, cropSize: cropSize)
        let vgg = try loadVGG()
        let encoder = TrainingNetwork(vgg)
        let initial = TrainingNetwork(try loadDecoder())
        let statePath = (outputDir as NSString).appendingPathComponent("training-state.safetensors")
        var session: TrainingSession
        if resume {
            session = try TrainingSession.resume(statePath: statePath, encoder: encoder, decoder: initial, content: content, style: style,
                                                   inferenceEncoder: vgg)
            printError("resuming at iteration \(session.trainer.iteration) of \(statePath)")
        } else {
            let hyperparameters = TrainingHyperparameters(learningRate: lr, learningRateDecay: lrDecay, contentWeight: contentWeight, styleWeight: styleWeight)
            session = TrainingSession(trainer: DecoderTrainer(encoder: encoder, decoder: initial, hyperparameters: hyperparameters, inferenceEncoder: vgg),
                                      content: content, style: style, batchSize: batchSize, seed: seed)
        }
        do { try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true) } catch {
            throw TrainingError.cannotWrite(path: outputDir, reason: error.localizedDescription)
        }
        printError("training: \(content.paths.count) content and \(style.paths.count) style images, batch \(session.batchSize), "
                   + "\(session.content.imageSize) -> \(session.content.cropSize) crops, to iteration \(iterations)")
        if session.trainer.iteration >= iterations {
            printError("nothing to do: the run is at iteration \(session.trainer.iteration); raise --iterations to go on")
        }
        while session.trainer.iteration < iterations {
            let record = try session.iterate()
            let l = record.loss
            printError(String(format: "[%d/%d] content %.4f  style %.4f  total %.4f  lr %.3g  %.2f s/iter",
                              l.iteration, iterations, l.content, l.style, l.total, l.learningRate, record.seconds))
            if l.iteration % saveInterval == 0 || l.iteration == iterations { try save(session) }
        }
    }

    /// Writes decoder_iter_N.safetensors, the training state, loss.csv and loss.png.
    private func save(_ session: TrainingSession) throws {
        let folder = outputDir as NSString
        let decoderPath = folder.appendingPathComponent("decoder_iter_\(session.trainer.iteration).safetensors")
        let decoder: Decoder
        do { decoder = try Decoder(convolutions: session.trainer.decoder.convolutions) } catch {
            throw TrainingError.weights(path: decoderPath, error)
        }
        do { try writeSafeTensors(decoder.stateDict, path: decoderPath) } catch { throw TrainingError.checkpoint(error) }
        try session.save(statePath: folder.appendingPathComponent("training-state.safetensors"))
        try session.writeLossCurve(path: folder.appendingPathComponent("loss.csv"))
        try writeLossPlot(session.history, title: "stylectl train: loss (content-weight x L_c, style-weight x L_s)",
                          path: folder.appendingPathComponent("loss.png"))
        printError("saved \(decoderPath)")
    }

    private func loadVGG() throws -> VGGEncoder {
        let path = try ModelFiles.locateVGG(vgg)
        do { return try VGGEncoder(weights: loadStateDict(path: path)) } catch let error as CheckpointError {
            throw TrainingError.checkpoint(error)
        } catch let error as NetworkWeightError { throw TrainingError.weights(path: path, error) }
    }

    /// --decoder's weights, or PyTorch's default initialisation seeded by --seed.
    private func loadDecoder() throws -> Decoder {
        if let path = decoder {
            do { return try Decoder(weights: loadStateDict(path: path)) } catch let error as CheckpointError {
                throw TrainingError.checkpoint(error)
            } catch let error as NetworkWeightError { throw TrainingError.weights(path: path, error) }
        }
        var random = SeededRandom(seed: seed ^ 0x5EED_DEC0_DE00_0000)
        do { return try Decoder(convolutions: Decoder.initialConvolutions(random: &random)) } catch {
            throw TrainingError.weights(path: "initial weights", error)
        }
    }
}
