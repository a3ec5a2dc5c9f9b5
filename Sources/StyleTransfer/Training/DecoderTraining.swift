// Decoder training as one library call (what `stylectl train` runs): the settings as typed values,
// and a run that loads the networks and folders (or the saved state), takes the steps, and saves
// the decoder, the state and the loss curve at intervals and at the end.

import Checkpoints
import Foundation
import TensorCore

/// The settings of a decoder training run (pytorch-AdaIN's train.py defaults; ``init(model:contentFolder:styleFolder:outputFolder:)``
/// takes another model's trainer's).
public struct DecoderTrainingConfiguration: Sendable, Equatable {
    /// The model whose decoder is trained, as its own trainer trains it (``ModelVariant/trainingConventions``):
    /// its encoder, AdaIN and style-loss statistics, input normalisation, image sizing and sampling.
    public var model: ModelVariant = .pytorchAdaIN
    /// The folder of content images and the folder of style images (JPEG or PNG).
    public var contentFolder: String
    public var styleFolder: String
    /// Where decoders, the state, loss.csv and loss.png are written (made if missing).
    public var outputFolder: String
    /// The VGG encoder's weights; nil looks for the model's as ``ModelFiles/locateVGG(_:variant:environment:executablePath:)`` does.
    public var vggWeights: String?
    /// A decoder to fine-tune; nil starts from PyTorch's default initialisation seeded by `seed`.
    public var initialDecoder: String?
    /// Train until this many iterations in all (train.py's `--max_iter`).
    public var iterations: Int
    /// Images per batch.
    public var batchSize: Int
    public var hyperparameters: TrainingHyperparameters
    /// Every image is resized to this (both sides, or the shorter side: the model's
    /// ``TrainingConventions/resizing``); 0 keeps the images' sizes.
    public var imageSize: Int
    /// The side of the random square crop.
    public var cropSize: Int
    /// Decoder, state and loss curve are saved every this many iterations, and at the end.
    public var saveInterval: Int
    /// Seeds the initial weights, the image order and the crops.
    public var seed: UInt64
    /// Go on from the output folder's state file, whose saved settings win.
    public var resume: Bool

    public init(contentFolder: String, styleFolder: String, outputFolder: String, vggWeights: String? = nil, initialDecoder: String? = nil,
                iterations: Int = 160_000, batchSize: Int = 8, hyperparameters: TrainingHyperparameters = .init(),
                imageSize: Int = 512, cropSize: Int = 256, saveInterval: Int = 10_000, seed: UInt64 = 0, resume: Bool = false) {
        self.contentFolder = contentFolder
        self.styleFolder = styleFolder
        self.outputFolder = outputFolder
        self.vggWeights = vggWeights
        self.initialDecoder = initialDecoder
        self.iterations = iterations
        self.batchSize = batchSize
        self.hyperparameters = hyperparameters
        self.imageSize = imageSize
        self.cropSize = cropSize
        self.saveInterval = saveInterval
        self.seed = seed
        self.resume = resume
    }

    /// The defaults of `model`'s own trainer (``TrainingConventions``) for the given folders.
    public init(model: ModelVariant, contentFolder: String, styleFolder: String, outputFolder: String) {
        let t = model.trainingConventions
        self.init(contentFolder: contentFolder, styleFolder: styleFolder, outputFolder: outputFolder, iterations: t.iterations,
                  batchSize: t.batchSize, hyperparameters: t.hyperparameters, imageSize: t.imageSize, cropSize: t.cropSize,
                  saveInterval: t.saveInterval)
        self.model = model
    }

    /// Refuses a setting a run cannot use, naming it by its property: the first of iterations,
    /// batchSize, the hyperparameters, cropSize (at least the model's ``ModelConventions/minimumImageSide``),
    /// imageSize and saveInterval that is out of range.
    public func check() throws(TrainingError) {
        let minimumCrop = model.conventions.minimumImageSide
        func refuse(_ key: String, _ value: Any, _ requirement: String) -> TrainingError {
            .invalidSetting(key: key, value: "\(value)", requirement: requirement)
        }
        let h = hyperparameters
        guard iterations >= 1 else { throw refuse("iterations", iterations, "at least 1") }
        guard batchSize >= 1 else { throw refuse("batchSize", batchSize, "at least 1") }
        guard h.learningRate > 0 && h.learningRate.isFinite else { throw refuse("learningRate", h.learningRate, "positive") }
        guard h.learningRateDecay >= 0 && h.learningRateDecay.isFinite else { throw refuse("learningRateDecay", h.learningRateDecay, "0 or more") }
        guard h.styleWeight >= 0 && h.styleWeight.isFinite else { throw refuse("styleWeight", h.styleWeight, "0 or more") }
        guard h.contentWeight >= 0 && h.contentWeight.isFinite else { throw refuse("contentWeight", h.contentWeight, "0 or more") }
        guard cropSize >= minimumCrop else { throw refuse("cropSize", cropSize, "at least \(minimumCrop) for \(model.conventions.title)") }
        guard imageSize == 0 || imageSize >= cropSize else { throw refuse("imageSize", imageSize, "0 or at least the crop size (\(cropSize))") }
        guard saveInterval >= 1 else { throw refuse("saveInterval", saveInterval, "at least 1") }
    }
}

/// What a run reports as it goes (for a progress display).
public enum DecoderTrainingProgress: Sendable {
    /// The run goes on from the state file at `statePath`, at `iteration`.
    case resumed(statePath: String, iteration: Int)
    /// The loop starts: the folders' image counts and the (possibly resumed) batch and sizes.
    case started(contentImages: Int, styleImages: Int, batchSize: Int, imageSize: Int, cropSize: Int, iterations: Int)
    /// A resumed run is already at or past ``DecoderTrainingConfiguration/iterations``: no step is taken.
    case nothingToDo(iteration: Int)
    /// One iteration was taken.
    case iterated(TrainingRecord)
    /// The decoder at `decoderPath`, the state, loss.csv and loss.png were written.
    case saved(decoderPath: String)
}

/// A decoder training run: ``run(progress:)`` does what the model's trainer (pytorch-AdaIN's
/// train.py, the seed's train.py, AdaIN-style's train.lua) does, resumably.
public struct DecoderTraining: Sendable {
    /// The name of the state file in the output folder.
    public static let stateFileName = "training-state.safetensors"
    /// The name of the loss curve's picture in the output folder, drawn by ``lossPlot``.
    public static let lossPlotFileName = "loss.png"

    public var configuration: DecoderTrainingConfiguration
    /// Draws loss.png from the history at every save (StyleReports' `writeLossPlot`: drawing is not
    /// this library's); nil leaves it out.
    public var lossPlot: (@Sendable (_ history: [TrainingRecord], _ path: String) throws(TrainingError) -> Void)?

    public init(_ configuration: DecoderTrainingConfiguration,
                lossPlot: (@Sendable (_ history: [TrainingRecord], _ path: String) throws(TrainingError) -> Void)? = nil) {
        self.configuration = configuration
        self.lossPlot = lossPlot
    }

    /// The state file this run resumes from and saves to.
    public var statePath: String { (configuration.outputFolder as NSString).appendingPathComponent(Self.stateFileName) }

    /// Checks the settings, lists the folders (named by their roles in errors),
    /// loads the VGG encoder and the initial decoder (or PyTorch's initialisation), resumes from
    /// ``statePath`` if asked, checks the memory a step needs (``TrainingMemory``), then trains to ``DecoderTrainingConfiguration/iterations``, saving
    /// the decoder (``TrainingConventions/DecoderFile``), the state, loss.csv and loss.png every `saveInterval`
    /// iterations and at the end. Returns the session as it ends.
    public func run(progress: (DecoderTrainingProgress) -> Void = { _ in }) throws(TrainingError) -> TrainingSession {
        let c = configuration
        try c.check()
        let preparation = TrainingImagePreparation(c.model, c.model.trainingConventions)
        let content = try TrainingImageFolder(path: c.contentFolder, role: .trainingContent, imageSize: c.imageSize, cropSize: c.cropSize,
                                              preparation: preparation)
        let style = try TrainingImageFolder(path: c.styleFolder, role: .trainingStyle, imageSize: c.imageSize, cropSize: c.cropSize,
                                            preparation: preparation)
        let vgg = try loadVGG()
        let encoder = TrainingNetwork(vgg)
        let initial = TrainingNetwork(try loadDecoder())
        var session: TrainingSession
        if c.resume {
            session = try TrainingSession.resume(statePath: statePath, model: c.model, encoder: encoder, decoder: initial, content: content, style: style,
                                                 inferenceEncoder: vgg)
            progress(.resumed(statePath: statePath, iteration: session.trainer.iteration))
        } else {
            let trainer = DecoderTrainer(encoder: encoder, decoder: initial, hyperparameters: c.hyperparameters, model: c.model,
                                         inferenceEncoder: vgg)
            session = TrainingSession(trainer: trainer, content: content, style: style, batchSize: c.batchSize, seed: c.seed, model: c.model)
        }
        // The (possibly resumed) batch and crops against the memory available, before the output folder and the first batch.
        try TrainingMemory.check(batchSize: session.batchSize, cropSize: max(session.content.cropSize, session.style.cropSize))
        do { try FileManager.default.createDirectory(atPath: c.outputFolder, withIntermediateDirectories: true) } catch {
            throw .cannotWrite(path: c.outputFolder, reason: error.localizedDescription)
        }
        progress(.started(contentImages: content.paths.count, styleImages: style.paths.count, batchSize: session.batchSize,
                          imageSize: session.content.imageSize, cropSize: session.content.cropSize, iterations: c.iterations))
        if session.trainer.iteration >= c.iterations { progress(.nothingToDo(iteration: session.trainer.iteration)) }
        while session.trainer.iteration < c.iterations {
            let record = try session.iterate()
            progress(.iterated(record))
            let iteration = record.loss.iteration
            if iteration % c.saveInterval == 0 || iteration == c.iterations { progress(.saved(decoderPath: try save(session))) }
        }
        return session
    }

    /// Writes the decoder under the model's decoder keys and in its trainer's format
    /// (``TrainingConventions/decoderFile``: pytorch-AdaIN's `1.weight` ... as
    /// decoder_iter_N.safetensors, the seed's `net.0.0.weight` ... as decoder_iter_N.pth, the torch
    /// model's `nn.Sequential` as decoder_iter_N.t7 (``torch7Decoder(_:)``); checked to
    /// load as the model's ``Decoder`` first), the training state, loss.csv and loss.png; returns the
    /// decoder's path.
    private func save(_ session: TrainingSession) throws(TrainingError) -> String {
        let folder = configuration.outputFolder as NSString
        let model = configuration.model
        let format = model.trainingConventions.decoderFile
        let decoderPath = folder.appendingPathComponent(format.name(iteration: session.trainer.iteration))
        // The trainer keys a convolution by its module number (`"<module>.weight"`); the model's file by its own names.
        let decoderNetwork = model.conventions.decoderNetwork
        var weights: [String: StoredTensor] = [:]
        let trained = session.trainer.decoder
        for (module, w) in zip(trained.convolutionModules, trained.convolutions) {
            let keys = decoderNetwork.keys(module: module)
            weights[keys.weight] = StoredTensor(shape: [w.outChannels, w.inChannels, w.kernelHeight, w.kernelWidth], values: w.weight)
            weights[keys.bias] = StoredTensor(shape: [w.outChannels], values: w.bias)
        }
        do { _ = try Decoder(weights: weights, variant: model) } catch { throw .weights(path: decoderPath, error) }
        do {
            switch format {
            case .safeTensors: try writeSafeTensors(weights, path: decoderPath)
            case .legacyPyTorch: try writeLegacyPyTorchCheckpoint(weights, path: decoderPath)
            case .torch7: try writeTorch7Sequential(torch7Decoder(weights), path: decoderPath)
            }
        } catch { throw .checkpoint(error) }
        try session.save(statePath: statePath)
        try session.writeLossCurve(path: folder.appendingPathComponent("loss.csv"))
        try lossPlot?(session.history, folder.appendingPathComponent(Self.lossPlotFileName))
        return decoderPath
    }

    /// The decoder as the release's decoder.t7 lays it out (``Decoder/architecture``, whose module
    /// numbers are the `nn.Sequential`'s positions): `nn.SpatialReflectionPadding(1, 1, 1, 1)`
    /// before each 3x3 convolution, `nn.SpatialConvolution` (stride 1, no padding of its own),
    /// `nn.ReLU` after each but the last, `nn.SpatialUpSamplingNearest(2)`; `weights` under
    /// `"<module>.weight"` and `"<module>.bias"` (pytorch-AdaIN's keys, the torch model's).
    private func torch7Decoder(_ weights: [String: StoredTensor]) -> [Torch7Module] {
        var modules: [Int: Torch7Module] = [:]
        for row in Decoder.architecture {
            switch row {
            case .convolution(let module, let inChannels, let outChannels, let kernel, let relu, _):
                let keys = configuration.model.conventions.decoderNetwork.keys(module: module)
                modules[module] = .convolution(Torch7Convolution(inputPlanes: inChannels, outputPlanes: outChannels, kernelWidth: kernel,
                                                                 kernelHeight: kernel, weight: weights[keys.weight]!, bias: weights[keys.bias]!))
                if kernel > 1 { modules[module - 1] = .reflectionPadding(left: kernel / 2, right: kernel / 2, top: kernel / 2, bottom: kernel / 2) }
                if relu { modules[module + 1] = .relu }
            case .upsample(let module):
                modules[module] = .nearestUpsampling(scale: 2)
            case .maxPool(let module):
                preconditionFailure("the decoder's table has no max-pooling (module \(module))")
            }
        }
        return modules.keys.sorted().map { modules[$0]! }
    }

    /// The model's VGG encoder, read as ``Stylizer/init(models:)`` reads it (torchvision's VGG-19:
    /// only the tensors up to relu4_1).
    private func loadVGG() throws(TrainingError) -> VGGEncoder {
        let model = configuration.model
        let path: String
        do { path = try ModelFiles.locateVGG(configuration.vggWeights, variant: model) } catch { throw .modelFiles(error) }
        let weights: [String: StoredTensor]
        do { weights = try Stylizer.weights(path, variant: model, network: .encoder) } catch { throw TrainingError(error) }
        do { return try VGGEncoder(weights: weights, variant: model) } catch { throw .weights(path: path, error) }
    }

    /// The initial decoder's weights, or PyTorch's default initialisation seeded by the seed.
    private func loadDecoder() throws(TrainingError) -> Decoder {
        if let path = configuration.initialDecoder {
            let model = configuration.model
            let weights: [String: StoredTensor]
            do { weights = try Stylizer.weights(path, variant: model, network: .decoder) } catch { throw TrainingError(error) }
            do { return try Decoder(weights: weights, variant: model) } catch { throw .weights(path: path, error) }
        }
        var random = SeededRandom(seed: configuration.seed ^ 0x5EED_DEC0_DE00_0000)
        do { return try Decoder(convolutions: Decoder.initialConvolutions(random: &random)) } catch {
            throw .weights(path: "initial weights", error)
        }
    }
}

extension TrainingError {
    /// A weight file's reading error as training's: the file's own (checkpoint or weights) error.
    init(_ error: StyleTransferError) {
        switch error {
        case .checkpoint(let error): self = .checkpoint(error)
        case .weights(let path, let error): self = .weights(path: path, error)
        default: self = .modelFiles(error)
        }
    }
}
