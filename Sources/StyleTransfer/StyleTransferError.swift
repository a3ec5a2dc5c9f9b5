// Typed errors of the stylization pipeline; each names the file or flag at fault.

import Checkpoints
import ImageCodec

/// Why a stylization could not be done. The description is a full sentence for the user.
public enum StyleTransferError: Error, CustomStringConvertible {
    /// No weight file was found for the encoder, the decoder or both.
    case modelsNotFound(missing: [String], searched: [String])
    /// A weight file could not be read.
    case checkpoint(CheckpointError)
    /// A weight file was read but does not fit the network.
    case weights(path: String, NetworkWeightError)
    /// An input image could not be read or an output image not written.
    case image(ImageCodecError)
    /// `alpha` must lie in [0, 1].
    case alphaOutOfRange(Float)
    /// An image is smaller than the encoder's smallest input (after resizing and cropping).
    case imageTooSmall(path: String, width: Int, height: Int, minimum: Int)
    /// An input named by a command-line option does not exist.
    case inputNotFound(option: String, path: String)
    /// A folder given as input holds no JPEG or PNG files.
    case noImagesInFolder(option: String, path: String)
    /// Folder inputs need a folder output; the output path is an existing file or cannot be made a folder.
    case outputNotAFolder(path: String, reason: String)

    public var description: String {
        switch self {
        case .modelsNotFound(let missing, let searched):
            return """
                model weights not found: missing \(missing.joined(separator: " and ")).
                Searched: \(searched.joined(separator: ", ")).
                The standard weights are pytorch-AdaIN's vgg_normalised.pth and decoder.pth; download them with \
                'Scripts/fetch-models' (needs internet), or pass --vgg FILE and --decoder FILE.
                """
        case .checkpoint(let error): return error.description
        case .weights(let path, let error): return "weight file '\(path)': \(error)"
        case .image(let error): return error.description
        case .alphaOutOfRange(let alpha): return "alpha must be in [0, 1], got \(alpha)"
        case .imageTooSmall(let path, let width, let height, let minimum):
            return "image '\(path)' is \(width)x\(height) pixels after sizing; the encoder needs at least \(minimum)x\(minimum)"
        case .inputNotFound(let option, let path): return "\(option): '\(path)' does not exist"
        case .noImagesInFolder(let option, let path): return "\(option): folder '\(path)' holds no .jpg, .jpeg or .png files"
        case .outputNotAFolder(let path, let reason):
            return "--output: '\(path)' must be a folder when --content or --style is a folder (\(reason))"
        }
    }
}
