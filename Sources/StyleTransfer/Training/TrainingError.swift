// Typed errors of decoder training; each names the setting, folder or file to fix.

import Checkpoints
import ImageCodec

/// Why decoder training cannot start or go on. The description is a full sentence for the user.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The folder of `role` (the training content or style images) does not exist or is not a folder.
    case folderNotFound(role: InputRole, path: String)
    /// The folder holds no .jpg, .jpeg or .png file.
    case noImages(role: InputRole, path: String)
    /// An image of a training folder cannot be read (the codec's error names the file).
    case unreadableImage(ImageCodecError)
    /// An image is smaller than the random crop (after resizing, if any).
    case imageSmallerThanCrop(path: String, width: Int, height: Int, crop: Int)
    /// A weight or state file cannot be read or written.
    case checkpoint(CheckpointError)
    /// A weight file was read but does not fit the network.
    case weights(path: String, NetworkWeightError)
    /// The training state file is not one this trainer wrote, or it does not fit the networks.
    case badState(path: String, detail: String)
    /// The training state file was written by an older stylectl, in a format this one cannot resume.
    case stateOfOlderVersion(path: String)
    /// A setting of ``DecoderTrainingConfiguration`` is out of range: `key` names its property.
    case invalidSetting(key: String, value: String, requirement: String)
    /// The VGG weights cannot be found (``ModelFiles/locateVGG(_:environment:executablePath:)``'s error).
    case modelFiles(StyleTransferError)
    /// An output file (loss curve, plot) cannot be written.
    case cannotWrite(path: String, reason: String)
    /// A step at this batch and crop size would need more memory than is available (``TrainingMemory``).
    case insufficientMemory(batchSize: Int, cropSize: Int, needed: Int, available: Int, source: String)
    /// The training state was written by a run for another model than the one given.
    case stateOfOtherModel(path: String, saved: ModelVariant, given: ModelVariant)

    public var description: String {
        switch self {
        case .folderNotFound(let role, let path): "\(role.flag): '\(path)' is not a folder"
        case .noImages(let role, let path): "\(role.flag): folder '\(path)' holds no .jpg, .jpeg or .png files"
        case .unreadableImage(let error): "training image: \(error.description)"
        case .imageSmallerThanCrop(let path, let width, let height, let crop):
            "training image '\(path)' is \(width)x\(height) pixels, smaller than the \(crop)x\(crop) crop; use a smaller --crop-size or a larger --image-size"
        case .checkpoint(let error): error.description
        case .weights(let path, let error): "weight file '\(path)': \(error)"
        case .badState(let path, let detail): "training state '\(path)' cannot be resumed: \(detail)"
        case .stateOfOlderVersion(let path):
            "training state '\(path)' was written by an older stylectl (format 1, tensors keyed by convolution number) "
                + "and cannot be resumed by this one; start again without --resume"
        case .invalidSetting(let key, let value, let requirement): "training setting '\(key)' is \(value); it must be \(requirement)"
        case .modelFiles(let error): error.description
        case .cannotWrite(let path, let reason): "cannot write '\(path)': \(reason)"
        case .insufficientMemory(let batchSize, let cropSize, let needed, let available, let source):
            "training at --batch-size \(batchSize) and --crop-size \(cropSize) needs about \(StylizationMemory.format(needed)) of memory, "
                + "but \(StylizationMemory.format(available)) is available (\(source)); lower --batch-size or --crop-size "
                + "(a batch of one needs about \(StylizationMemory.format(TrainingMemory.peakBytes(batchSize: 1, cropSize: cropSize)))), or set STYLECTL_MAX_MEMORY"
        case .stateOfOtherModel(let path, let saved, let given):
            "training state '\(path)' is of a run for --model \(saved.rawValue), not --model \(given.rawValue); "
                + "resume it with --model \(saved.rawValue), or give another --output-dir"
        }
    }
}
