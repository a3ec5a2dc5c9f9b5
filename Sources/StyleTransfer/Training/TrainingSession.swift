// A decoder training run: the trainer, the two image folders, the seeded generator that samples
// and crops them, and the loss history; saved to and resumed from one state file.

import Foundation
import TensorCore

/// One iteration's losses and how long it took (a row of the loss curve).
public struct TrainingRecord: Sendable, Codable, Equatable {
    public var loss: TrainingLoss
    /// Wall-clock seconds of the iteration, loading the images included.
    public var seconds: Double
}

/// Decoder training over two image folders, reproducible from its seed and resumable from its
/// state file (``save(statePath:)``, ``resume(statePath:encoder:decoder:content:style:inferenceEncoder:)``): an interrupted
/// run resumed from its last state gives bit for bit the weights an uninterrupted run gives.
public struct TrainingSession: Sendable {
    /// The model whose decoder is trained (recorded in the state file).
    public let model: ModelVariant
    public private(set) var trainer: DecoderTrainer
    public let content: TrainingImageFolder
    public let style: TrainingImageFolder
    /// Images per batch (train.py `--batch_size`).
    public let batchSize: Int
    /// Draws the image order and the crops of both folders.
    public internal(set) var random: SeededRandom
    var contentSampler = ImageSampler()
    var styleSampler = ImageSampler()
    /// Every iteration's record, in order.
    public internal(set) var history: [TrainingRecord] = []

    public init(trainer: DecoderTrainer, content: TrainingImageFolder, style: TrainingImageFolder, batchSize: Int, seed: UInt64,
                model: ModelVariant = .pytorchAdaIN) {
        precondition(batchSize > 0, "batch size must be positive")
        self.model = model
        self.trainer = trainer
        self.content = content
        self.style = style
        self.batchSize = batchSize
        random = SeededRandom(seed: seed)
    }

    /// Loads a content and a style batch and takes one step.
    public mutating func iterate() throws(TrainingError) -> TrainingRecord {
        let start = DispatchTime.now().uptimeNanoseconds
        let contentBatch = try content.batch(batchSize, sampler: &contentSampler, random: &random)
        let styleBatch = try style.batch(batchSize, sampler: &styleSampler, random: &random)
        let loss = trainer.step(content: contentBatch, style: styleBatch)
        let record = TrainingRecord(loss: loss, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        history.append(record)
        return record
    }

    /// The loss curve as CSV: a header `iteration,content,style,total,lr,seconds`, then one row per
    /// iteration (content and style weighted, as train.py logs them); written atomically.
    public func writeLossCurve(path: String) throws(TrainingError) {
        var text = "iteration,content,style,total,lr,seconds\n"
        for r in history {
            text += "\(r.loss.iteration),\(r.loss.content),\(r.loss.style),\(r.loss.total),\(r.loss.learningRate),\(String(format: "%.4f", r.seconds))\n"
        }
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw .cannotWrite(path: path, reason: error.localizedDescription)
        }
    }
}
