// The training state file: everything an interrupted decoder training needs to go on exactly,
// as one safetensors file (written atomically).

import Checkpoints
import Foundation
import ImageCodec
import TensorCore

/// The non-tensor part of the state, stored as JSON in the file's `__metadata__` under
/// ``TrainingSession/stateKey``.
struct TrainingStateHeader: Codable {
    /// Format 1 keyed the tensors by convolution number (`decoder.K.weight`, `adam.K.weight.exp_avg`);
    /// format 2 by the decoder's state_dict keys.
    static let convolutionNumberedFormat = 1
    static let currentFormat = 2

    var format = currentFormat
    /// The model trained; absent in states of stylectl before models had trainers (pytorch-AdaIN's).
    var model: ModelVariant?
    var iteration: Int
    var hyperparameters: TrainingHyperparameters
    var batchSize: Int
    /// The content folder's and the style folder's (imageSize, cropSize).
    var contentSizes: [Int]
    var styleSizes: [Int]
    /// SeededRandom's state, in decimal (JSON numbers lose bits above 2^53).
    var random: String
    var contentSampler: ImageSampler
    var styleSampler: ImageSampler
    /// Adam's step count of every tensor, each convolution's weight then bias in the decoder's order
    /// (all equal to `iteration` in a run of this trainer).
    var adamSteps: [Int]
    var history: [TrainingRecord]

    /// The most iterations a state may record: far beyond any run (train.py's default is 160,000),
    /// far below where counting on would overflow.
    static let maxIteration = 1 << 40

    /// Refuses a header whose numbers this trainer could not have written, or that do not fit the
    /// folders and the network (`contentCount` and `styleCount` images, `parameterCount` tensors):
    /// every number is checked before it sizes, indexes or divides anything, the same rules as
    /// `stylectl train`'s options. The detail names the field.
    func check(contentCount: Int, styleCount: Int, parameterCount: Int) throws(StateFieldError) {
        guard (0 ... Self.maxIteration).contains(iteration) else {
            throw StateFieldError(field: "iteration", problem: "is \(iteration); it must be in 0...\(Self.maxIteration)")
        }
        let h = hyperparameters
        guard h.learningRate > 0 && h.learningRate.isFinite else {
            throw StateFieldError(field: "hyperparameters.learningRate", problem: "is \(h.learningRate); it must be positive")
        }
        for (name, value) in [("learningRateDecay", h.learningRateDecay), ("contentWeight", Double(h.contentWeight)), ("styleWeight", Double(h.styleWeight))]
            where !(value >= 0 && value.isFinite) {
            throw StateFieldError(field: "hyperparameters.\(name)", problem: "is \(value); it must be 0 or more")
        }
        guard batchSize >= 1 else { throw StateFieldError(field: "batchSize", problem: "is \(batchSize); it must be at least 1") }
        for (name, sizes) in [("contentSizes", contentSizes), ("styleSizes", styleSizes)] {
            let (imageSize, cropSize) = (sizes[0], sizes[1])
            let minimumCrop = (model ?? .pytorchAdaIN).conventions.minimumImageSide
            guard cropSize >= minimumCrop else {
                throw StateFieldError(field: name, problem: "holds the crop size \(cropSize); it must be at least \(minimumCrop)")
            }
            guard imageSize == 0 || imageSize >= cropSize else {
                throw StateFieldError(field: name, problem: "holds the image size \(imageSize); it must be 0 or at least the crop size \(cropSize)")
            }
            let limits = ImageLimits.standard
            guard limits.allows(width: imageSize, height: imageSize), limits.allows(width: cropSize, height: cropSize),
                  limits.allows(width: cropSize * cropSize, height: batchSize)  // cropSize^2 fits: checked just before
            else {
                throw StateFieldError(field: name, problem: "holds the sizes \(sizes) with batchSize \(batchSize): more than \(limits.maxPixels) pixels per image or batch")
            }
        }
        for (name, sampler, count) in [("contentSampler", contentSampler, contentCount), ("styleSampler", styleSampler, styleCount)] {
            // A pass over another number of images is replaced by a new one; its order is still checked.
            guard sampler.order.sorted() == Array(0 ..< sampler.order.count) else {
                throw StateFieldError(field: "\(name).order", problem: "is not an order of the images 0..<\(sampler.order.count) (\(count) in the folder)")
            }
            guard (0 ... sampler.order.count).contains(sampler.position) else {
                throw StateFieldError(field: "\(name).position", problem: "is \(sampler.position); it must be in 0...\(sampler.order.count)")
            }
        }
        guard adamSteps.count == parameterCount else {
            throw StateFieldError(field: "adamSteps", problem: "holds \(adamSteps.count) step counts; the decoder has \(parameterCount) parameter tensors")
        }
        if let bad = adamSteps.first(where: { $0 != iteration }) {
            throw StateFieldError(field: "adamSteps", problem: "holds the step count \(bad); every one must equal the iteration, \(iteration)")
        }
        guard history.count == iteration else {
            throw StateFieldError(field: "history", problem: "holds \(history.count) records for \(iteration) iterations")
        }
        if let i = history.indices.first(where: { history[$0].loss.iteration != $0 + 1 }) {
            throw StateFieldError(field: "history", problem: "record \(i) is of iteration \(history[i].loss.iteration), not \(i + 1)")
        }
    }
}

/// A field of the state's header that is out of range, for ``TrainingError/badState(path:detail:)``.
struct StateFieldError: Error {
    var field: String
    var problem: String

    var detail: String { "field '\(field)' \(problem)" }
}

extension TrainingSession {
    /// The metadata key of the state's JSON.
    static let stateKey = "stylectl.training_state"

    /// The keys of a convolution's Adam moments: its parameter's state_dict key with torch.optim.Adam's
    /// state names, e.g. `"1.weight.exp_avg"` and `"1.weight.exp_avg_sq"`.
    static func momentKeys(_ parameter: String) -> (expAvg: String, expAvgSq: String) {
        ("\(parameter).exp_avg", "\(parameter).exp_avg_sq")
    }

    /// Writes the state: the decoder's convolutions under its state_dict keys (`"1.weight"`,
    /// `"1.bias"`, ..., as ``Decoder/stateDict`` and the saved decoders name them), Adam's moments
    /// under the same keys with `.exp_avg` and `.exp_avg_sq` appended, and as metadata the
    /// iteration, settings, generator, samplers and loss history. Written to a temporary file and renamed.
    public func save(statePath: String) throws(TrainingError) {
        var tensors = trainer.decoder.stateDict
        for moments in trainer.moments {
            for (key, state) in [(moments.weightKey, moments.weight), (moments.biasKey, moments.bias)] {
                let keys = Self.momentKeys(key)
                tensors[keys.expAvg] = StoredTensor(shape: [state.expAvg.count], values: state.expAvg)
                tensors[keys.expAvgSq] = StoredTensor(shape: [state.expAvgSq.count], values: state.expAvgSq)
            }
        }
        let header = TrainingStateHeader(
            model: model, iteration: trainer.iteration, hyperparameters: trainer.hyperparameters, batchSize: batchSize,
            contentSizes: [content.imageSize, content.cropSize], styleSizes: [style.imageSize, style.cropSize], random: String(random.state),
            contentSampler: contentSampler, styleSampler: styleSampler, adamSteps: trainer.moments.flatMap { [$0.weight.step, $0.bias.step] },
            history: history)
        guard let json = try? JSONEncoder().encode(header) else { throw .cannotWrite(path: statePath, reason: "the state cannot be encoded") }
        do { try writeSafeTensors(tensors, metadata: [Self.stateKey: String(decoding: json, as: UTF8.self)], path: statePath) } catch {
            throw .checkpoint(error)
        }
    }

    /// The session saved in `statePath`, going on with `encoder` over the folders `content` and
    /// `style` (normally the same folders again); `decoder` gives the convolutions' keys and shapes
    /// and `inferenceEncoder` is passed to ``DecoderTrainer``. The state must be of a run for `model`
    /// (whose statistics the trainer takes); the folders' preparation is `content`'s and `style`'s.
    ///
    /// The saved settings win: hyperparameters, batch size, image and crop size come from the file;
    /// `content` and `style` are re-listed with the saved sizes.
    /// - Throws: ``TrainingError/checkpoint(_:)`` when the file cannot be read,
    ///   ``TrainingError/stateOfOlderVersion(path:)`` for a state in the key scheme of format 1,
    ///   ``TrainingError/stateOfOtherModel(path:saved:given:)`` for a state of another model's run,
    ///   ``TrainingError/badState(path:detail:)`` when it is not a state file or does not fit.
    public static func resume(statePath: String, model: ModelVariant = .pytorchAdaIN, encoder: TrainingNetwork, decoder: TrainingNetwork,
                              content: TrainingImageFolder, style: TrainingImageFolder,
                              inferenceEncoder: VGGEncoder? = nil) throws(TrainingError) -> TrainingSession {
        guard FileManager.default.fileExists(atPath: statePath) else {
            throw .badState(path: statePath, detail: "there is no such file (start without --resume, or give the --output-dir of the run to resume)")
        }
        let tensors: [String: StoredTensor], metadata: [String: String]
        do {
            metadata = try loadSafeTensorsMetadata(path: statePath)
            tensors = try loadStateDict(path: statePath)
        } catch { throw .checkpoint(error) }
        guard let json = metadata[stateKey], let header = try? JSONDecoder().decode(TrainingStateHeader.self, from: Data(json.utf8)) else {
            throw .badState(path: statePath, detail: "it is not a stylectl training state (no valid '\(stateKey)' metadata)")
        }
        if header.format == TrainingStateHeader.convolutionNumberedFormat { throw .stateOfOlderVersion(path: statePath) }
        guard header.format == TrainingStateHeader.currentFormat, let state = UInt64(header.random),
              header.contentSizes.count == 2, header.styleSizes.count == 2 else {
            throw .badState(path: statePath, detail: "it is not a stylectl training state (no valid '\(stateKey)' metadata)")
        }
        let saved = header.model ?? .pytorchAdaIN
        guard saved == model else { throw .stateOfOtherModel(path: statePath, saved: saved, given: model) }
        do {
            try header.check(contentCount: content.paths.count, styleCount: style.paths.count, parameterCount: 2 * decoder.convolutions.count)
        } catch {
            throw .badState(path: statePath, detail: error.detail)
        }
        let shapes = decoder.stateDict
        var convolutions: [ConvolutionWeights] = []
        var moments: [ConvolutionMoments] = []
        for (module, w) in zip(decoder.convolutionModules, decoder.convolutions) {
            let (weightKey, biasKey) = ArchitectureLayer.keys(module: module)
            guard let weight = tensors[weightKey], let bias = tensors[biasKey],
                  weight.shape == shapes[weightKey]?.shape, bias.shape == shapes[biasKey]?.shape else {
                throw .badState(path: statePath, detail: "tensor '\(weightKey)' or '\(biasKey)' of the decoder is missing or has another shape")
            }
            for (key, tensor) in [(weightKey, weight), (biasKey, bias)] where !tensor.values.allSatisfy(\.isFinite) {
                throw .badState(path: statePath, detail: "tensor '\(key)' holds a value that is not finite (NaN or infinity)")
            }
            convolutions.append(ConvolutionWeights(outChannels: w.outChannels, inChannels: w.inChannels, kernelHeight: w.kernelHeight,
                                                   kernelWidth: w.kernelWidth, weight: weight.values, bias: bias.values))
            var pair: [Adam.State] = []
            for (key, count) in [(weightKey, w.weight.count), (biasKey, w.bias.count)] {
                let keys = momentKeys(key)
                guard let m = tensors[keys.expAvg], let v = tensors[keys.expAvgSq], m.values.count == count, v.values.count == count else {
                    throw .badState(path: statePath, detail: "Adam's moments of '\(key)' ('\(keys.expAvg)', '\(keys.expAvgSq)') are missing or have another size")
                }
                // exp_avg_sq is a running mean of squares: a negative value would give NaN from its square root.
                guard m.values.allSatisfy(\.isFinite), v.values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                    throw .badState(path: statePath, detail: "tensor '\(keys.expAvg)' or '.exp_avg_sq' holds a value that is not finite (or a negative exp_avg_sq)")
                }
                var adam = Adam.State(count: count)
                adam.expAvg = m.values
                adam.expAvgSq = v.values
                adam.step = header.adamSteps[2 * moments.count + pair.count]
                pair.append(adam)
            }
            moments.append(ConvolutionMoments(module: module, weight: pair[0], bias: pair[1]))
        }
        guard tensors.count == 6 * convolutions.count else {
            throw .badState(path: statePath, detail: "it holds \(tensors.count) tensors, a decoder of \(convolutions.count) convolutions has \(6 * convolutions.count)")
        }
        var trained = decoder
        trained.convolutions = convolutions
        var trainer = DecoderTrainer(encoder: encoder, decoder: trained, hyperparameters: header.hyperparameters, model: model,
                                     inferenceEncoder: inferenceEncoder)
        trainer.moments = moments
        trainer.iteration = header.iteration
        let sized = { (folder: TrainingImageFolder, sizes: [Int]) in
            TrainingImageFolder(paths: folder.paths, imageSize: sizes[0], cropSize: sizes[1], preparation: folder.preparation)
        }
        var session = TrainingSession(trainer: trainer, content: sized(content, header.contentSizes), style: sized(style, header.styleSizes),
                                      batchSize: header.batchSize, seed: 0, model: model)
        session.random = SeededRandom(seed: state)
        session.contentSampler = header.contentSampler
        session.styleSampler = header.styleSampler
        session.history = header.history
        return session
    }
}
