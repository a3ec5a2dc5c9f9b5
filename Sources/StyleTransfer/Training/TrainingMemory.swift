// The memory a decoder training run needs at its batch and crop size, checked before its loop: the
// seed's default batch of 128 crops of 256 needs tens of gigabytes, which a run must refuse in
// words rather than be killed for.

import Foundation

/// An estimate of the peak memory of decoder training, per crop pixel of the batch plus a fixed part.
///
/// A step keeps, per image and crop pixel, every activation of the encoder on g(t) (relu1_1 ...
/// relu4_1 and what lies between: about 290 floats per crop pixel) and of the decoder (about 290),
/// the content's and style's features and the backward pass's gradients of the largest layers
/// (about 200 more), and oneDNN's blocked copies of the convolutions' inputs: about 1,400 floats.
/// Both models' networks have the same layer shapes (the seed's VGG-19 lacks only the 1x1
/// convolution), so one estimate serves both. ``bytesPerCropPixel`` is set 14% above the peak
/// measured (README: peak RSS 2.8 GB at batch 8, 256 x 256, release build); the fixed part holds
/// the weights, Adam's moments (3 x 14 MB for the decoder), the encoder (2 x 9 MB) and the libraries.
public enum TrainingMemory {
    public static let fixedBytes = 256 << 20
    public static let bytesPerCropPixel = 5632

    /// The estimate for `batchSize` images of `cropSize` x `cropSize` (Int.max when it overflows).
    public static func peakBytes(batchSize: Int, cropSize: Int) -> Int {
        let (pixels, o1) = cropSize.multipliedReportingOverflow(by: cropSize)
        let (batch, o2) = pixels.multipliedReportingOverflow(by: batchSize)
        let (bytes, o3) = batch.multipliedReportingOverflow(by: bytesPerCropPixel)
        let (total, o4) = bytes.addingReportingOverflow(fixedBytes)
        return o1 || o2 || o3 || o4 ? Int.max : total
    }

    /// Refuses a run whose estimate exceeds the memory available (``StylizationMemory/available(maxMemory:environment:meminfo:)``:
    /// `STYLECTL_MAX_MEMORY`, else 3/4 of MemAvailable; no check when neither is known).
    public static func check(batchSize: Int, cropSize: Int,
                             environment: [String: String] = ProcessInfo.processInfo.environment,
                             meminfo: String = "/proc/meminfo") throws(TrainingError) {
        let available: (bytes: Int, source: String)?
        do { available = try StylizationMemory.available(environment: environment, meminfo: meminfo) } catch { throw .modelFiles(error) }
        guard let available else { return }
        let needed = peakBytes(batchSize: batchSize, cropSize: cropSize)
        guard needed <= available.bytes else {
            throw .insufficientMemory(batchSize: batchSize, cropSize: cropSize, needed: needed, available: available.bytes, source: available.source)
        }
    }
}
