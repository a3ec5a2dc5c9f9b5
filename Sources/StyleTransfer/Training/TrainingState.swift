// The training state file: everything an interrupted decoder training needs to go on exactly,
// as one safetensors file (written atomically).

import Checkpoints
import Foundation
import TensorCore

/// The non-tensor part of the state, stored as JSON in the file's `__metadata__` under
/// ``TrainingSession/stateKey``.
struct TrainingStateHeader: Codable {
    var format = 1
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
    /// Adam's step count of every tensor (all equal to `iteration` in a run of this trainer).
    var adamSteps: [Int]
    var history: [TrainingRecord]
}

extension TrainingSession {
    /// The metadata key of the state's JSON.
    static let stateKey = "stylectl.training_state"

    /// Writes the state: the decoder's convolutions (`decoder.K.weight`, `decoder.K.bias` for
    /// convolution K in order, PyTorch's shapes), Adam's moments (`adam.K.weight.exp_avg`,
    /// `... .exp_avg_sq`, and the same for the bias), and as metadata the iteration, settings,
    /// generator, samplers and loss history. Written to a temporary file and renamed.
    public func save(statePath: String) throws(TrainingError) {
        var tensors: [String: StoredTensor] = [:]
        for (k, w) in trainer.decoder.convolutions.enumerated() {
            tensors["decoder.\(k).weight"] = StoredTensor(shape: [w.outChannels, w.inChannels, w.kernelHeight, w.kernelWidth], values: w.weight)
            tensors["decoder.\(k).bias"] = StoredTensor(shape: [w.outChannels], values: w.bias)
            for (part, state) in [("weight", trainer.moments[2 * k]), ("bias", trainer.moments[2 * k + 1])] {
                tensors["adam.\(k).\(part).exp_avg"] = StoredTensor(shape: [state.expAvg.count], values: state.expAvg)
                tensors["adam.\(k).\(part).exp_avg_sq"] = StoredTensor(shape: [state.expAvgSq.count], values: state.expAvgSq)
            }
        }
        let header = TrainingStateHeader(
            iteration: trainer.iteration, hyperparameters: trainer.hyperparameters, batchSize: batchSize,
            contentSizes: [content.imageSize, content.cropSize], styleSizes: [style.imageSize, style.cropSize], random: String(random.state),
            contentSampler: contentSampler, styleSampler: styleSampler, adamSteps: trainer.moments.map(\.step), history: history)
        guard let json = try? JSONEncoder().encode(header) else { throw .cannotWrite(path: statePath, reason: "the state cannot be encoded") }
        do { try writeSafeTensors(tensors, metadata: [Self.stateKey: String(decoding: json, as: UTF8.self)], path: statePath) } catch {
            throw .checkpoint(error)
        }
    }

    /// The session saved in `statePath`, going on with `encoder` over the folders `content` and
    /// `style` (normally the same folders again); `decoder` gives the convolutions' shapes and
    /// `inferenceEncoder` is passed to ``DecoderTrainer``.
    ///
    /// The saved settings win: hyperparameters, batch size, image and crop size come from the file;
    /// `content` and `style` are re-listed with the saved sizes.
    /// - Throws: ``TrainingError/checkpoint(_:)`` when the file cannot be read,
    ///   ``TrainingError/badState(path:detail:)`` when it is not a state file or does not fit.
    public static func resume(statePath: String, encoder: TrainingNetwork, decoder: TrainingNetwork,
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
        guard let json = metadata[stateKey], let header = try? JSONDecoder().decode(TrainingStateHeader.self, from: Data(json.utf8)),
              header.format == 1, let state = UInt64(header.random), header.contentSizes.count == 2, header.styleSizes.count == 2 else {
            throw .badState(path: statePath, detail: "it is not a stylectl training state (no valid '\(stateKey)' metadata)")
        }
        var convolutions: [ConvolutionWeights] = []
        var moments: [Adam.State] = []
        for (k, w) in decoder.convolutions.enumerated() {
            guard let weight = tensors["decoder.\(k).weight"], let bias = tensors["decoder.\(k).bias"],
                  weight.shape == [w.outChannels, w.inChannels, w.kernelHeight, w.kernelWidth], bias.shape == [w.outChannels] else {
                throw .badState(path: statePath, detail: "convolution \(k) of the decoder is missing or has another shape")
            }
            convolutions.append(ConvolutionWeights(outChannels: w.outChannels, inChannels: w.inChannels, kernelHeight: w.kernelHeight,
                                                   kernelWidth: w.kernelWidth, weight: weight.values, bias: bias.values))
            for (part, count) in [("weight", w.weight.count), ("bias", w.bias.count)] {
                guard let m = tensors["adam.\(k).\(part).exp_avg"], let v = tensors["adam.\(k).\(part).exp_avg_sq"],
                      m.values.count == count, v.values.count == count, moments.count < header.adamSteps.count else {
                    throw .badState(path: statePath, detail: "Adam's moments of convolution \(k)'s \(part) are missing or have another size")
                }
                var adam = Adam.State(count: count)
                adam.expAvg = m.values
                adam.expAvgSq = v.values
                adam.step = header.adamSteps[moments.count]
                moments.append(adam)
            }
        }
        guard tensors.count == 6 * convolutions.count else {
            throw .badState(path: statePath, detail: "it holds \(tensors.count) tensors, a decoder of \(convolutions.count) convolutions has \(6 * convolutions.count)")
        }
        var trained = decoder
        trained.convolutions = convolutions
        var trainer = DecoderTrainer(encoder: encoder, decoder: trained, hyperparameters: header.hyperparameters, inferenceEncoder: inferenceEncoder)
        trainer.moments = moments
        trainer.iteration = header.iteration
        let sized = { (folder: TrainingImageFolder, sizes: [Int]) in TrainingImageFolder(paths: folder.paths, imageSize: sizes[0], cropSize: sizes[1]) }
        var session = TrainingSession(trainer: trainer, content: sized(content, header.contentSizes), style: sized(style, header.styleSizes),
                                      batchSize: header.batchSize, seed: 0)
        session.random = SeededRandom(seed: state)
        session.contentSampler = header.contentSampler
        session.styleSampler = header.styleSampler
        session.history = header.history
        return session
    }
}
