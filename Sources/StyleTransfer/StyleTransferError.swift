// Typed errors of the stylization pipeline; each names the file or flag at fault.

import Checkpoints
import ImageCodec

/// Why a stylization could not be done. The description is a full sentence for the user.
public enum StyleTransferError: Error, Equatable, CustomStringConvertible {
    /// No weight file was found for the encoder, the decoder or both.
    case modelsNotFound(missing: [String], searched: [String], variant: ModelVariant)
    /// A weight file could not be read.
    case checkpoint(CheckpointError)
    /// A weight file was read but does not fit the network.
    case weights(path: String, NetworkWeightError)
    /// An ONNX weight file given for a model other than the seed's (the only one whose ONNX export is read).
    case onnxWeightsOfOtherModel(path: String, variant: ModelVariant)
    /// An input image could not be read or an output image not written.
    case image(ImageCodecError)
    /// `alpha` must lie in [0, 1].
    case alphaOutOfRange(Float)
    /// An image is smaller than the encoder's smallest input (after resizing and cropping).
    case imageTooSmall(path: String, width: Int, height: Int, minimum: Int)
    /// An input named by a command-line option does not exist.
    case inputNotFound(role: InputRole, path: String)
    /// A folder given as input holds no JPEG or PNG files.
    case noImagesInFolder(role: InputRole, path: String)
    /// Folder inputs need a folder output; the output path is an existing file or cannot be made a folder.
    case outputNotAFolder(path: String, reason: String)
    /// Several styles were given and one is a folder; several styles must be image files.
    case severalStylesWithFolder(path: String)
    /// The output resolves to an input file (the same device and inode, through any link): writing
    /// it would replace the input.
    case outputIsInput(output: String, role: InputRole, input: String)
    /// Two stylizations would write the same output file, the second replacing the first.
    case outputNameClash(output: String, first: String, second: String)
    /// The output folder is an input folder: a later run would take this run's outputs as inputs.
    case outputFolderIsInputFolder(output: String, role: InputRole)
    /// The output's folder is missing, not a folder, or not writable (checked before any work).
    case outputFolderUnusable(path: String, folder: String, reason: String)
    /// The output's extension is not one stylectl writes (checked before any work).
    case unsupportedOutput(path: String, extension: String, allowed: [String])
    /// The content image's sides (after sizing) are not multiples of 8, which the model needs
    /// (``ModelConventions/needsSidesMultipleOf8``).
    case sidesNotMultipleOf8(path: String, width: Int, height: Int, variant: ModelVariant)
    /// `--content-size` or `--style-size` is negative or above ``ImageSizing/maximumSize``.
    case sizeOutOfRange(role: InputRole, size: Int)
    /// A stylization would need more memory than is available; `largestFittingSize` is the largest
    /// `--content-size` that fits (nil when none does).
    case insufficientMemory(path: String, width: Int, height: Int, needed: Int, available: Int,
                            source: String, largestFittingSize: Int?)
    /// The memory limit's environment variable holds something else than a byte count.
    case invalidMemorySetting(variable: String, value: String)
    /// A stylization in tiles of `tile` pixels (`--tile`) would need more memory than is available;
    /// tiles of `largestFittingTile` would fit.
    case tileTooLarge(path: String, width: Int, height: Int, tile: Int, needed: Int, available: Int, source: String, largestFittingTile: Int)
    /// Even tiles of ``Tiling/minimumTile`` need `minimum` bytes, more than is available;
    /// `largestFittingSize` is the largest `--content-size` that fits (nil when none does).
    case tilesDoNotFit(path: String, width: Int, height: Int, minimum: Int, available: Int, source: String, largestFittingSize: Int?)

    public var description: String {
        switch self {
        case .modelsNotFound(let missing, let searched, let variant):
            let (conventions, fetch) = (variant.conventions, variant == .pytorchAdaIN ? "" : " --model \(variant.rawValue)")
            return """
                model weights not found: missing \(missing.joined(separator: " and ")).
                Searched: \(searched.joined(separator: ", ")).
                The standard weights of \(conventions.title) are \(conventions.vggNames[0]) and \(conventions.decoderNames[0]); \
                download them with 'Scripts/fetch-models\(fetch)' (needs internet), or pass --vgg FILE and --decoder FILE.
                """
        case .checkpoint(let error): return error.description
        case .weights(let path, let error): return "weight file '\(path)': \(error)"
        case .onnxWeightsOfOtherModel(let path, let variant):
            return "weight file '\(path)': ONNX weights are read for the seed model only (its export.py's StyleNet); for \(variant.conventions.title) give its \((variant.conventions.vggNames + variant.conventions.decoderNames).joined(separator: ", ")) files"
        case .image(let error): return error.description
        case .alphaOutOfRange(let alpha): return "alpha must be in [0, 1], got \(alpha)"
        case .imageTooSmall(let path, let width, let height, let minimum):
            return "image '\(path)' is \(width)x\(height) pixels after sizing; the encoder needs at least \(minimum)x\(minimum)"
        case .inputNotFound(let role, let path): return "\(role.flag): '\(path)' does not exist"
        case .noImagesInFolder(let role, let path): return "\(role.flag): folder '\(path)' holds no .jpg, .jpeg or .png files"
        case .outputNotAFolder(let path, let reason):
            return "--output: '\(path)' must be a folder when --content or --style is a folder (\(reason))"
        case .severalStylesWithFolder(let path):
            return "--style: '\(path)' is a folder; several styles must be image files"
        case .outputIsInput(let output, let role, let input):
            return "--output: '\(output)' is the same file as \(role.flag) '\(input)'; writing it would replace that input. Choose another output path"
        case .outputNameClash(let output, let first, let second):
            return "--output: \(first) and \(second) would both be written to '\(output)', the second replacing the first; rename one of the inputs"
        case .outputFolderIsInputFolder(let output, let role):
            return "--output: folder '\(output)' is the \(role.flag) folder; its outputs would be taken as inputs by the next run. Choose another output folder"
        case .outputFolderUnusable(let path, let folder, let reason):
            return "--output: cannot write '\(path)': its folder '\(folder)' \(reason)"
        case .unsupportedOutput(let path, let ext, let allowed):
            let found = ext.isEmpty ? "it has no extension" : "'.\(ext)' is not supported"
            return "--output: cannot write '\(path)': \(found); use \(allowed.map { "." + $0 }.joined(separator: ", "))"
        case .sidesNotMultipleOf8(let path, let width, let height, let variant):
            return "content image '\(path)' is \(width)x\(height) pixels after sizing; \(variant.conventions.title) pools in floor mode, so its output covers only sides that are multiples of 8: use a --content-size that is a multiple of 8 (its own infer.py resizes to 256 x 256, the default with this model)"
        case .sizeOutOfRange(let role, let size):
            return "'\(role.sizeFlag ?? role.flag)' must be in 0...\(ImageSizing.maximumSize) (0 keeps the image's size), got \(size)"
        case .insufficientMemory(let path, let width, let height, let needed, let available, let source, let largest):
            let fit = largest.map { "the largest --content-size that fits is \($0)" } ?? "no --content-size fits with these style images and masks (lower --style-size, or give smaller mask files)"
            return "stylizing '\(path)' at \(width)x\(height) pixels needs about \(StylizationMemory.format(needed)) of memory, but \(StylizationMemory.format(available)) is available (\(source)); \(fit)"
        case .invalidMemorySetting(let variable, let value):
            return "\(variable) must be a number of bytes (optionally with a K, M or G suffix, powers of 1024), got '\(value)'"
        case .tileTooLarge(let path, let width, let height, let tile, let needed, let available, let source, let largest):
            return "stylizing '\(path)' at \(width)x\(height) pixels in tiles of \(tile) pixels needs about \(StylizationMemory.format(needed)) of memory, but \(StylizationMemory.format(available)) is available (\(source)); the largest --tile that fits is \(largest)"
        case .tilesDoNotFit(let path, let width, let height, let minimum, let available, let source, let largest):
            let size = largest.map { "the largest --content-size that fits is \($0)" } ?? "no --content-size fits with these style images and masks (lower --style-size, or give smaller mask files)"
            return "stylizing '\(path)' at \(width)x\(height) pixels needs about \(StylizationMemory.format(minimum)) of memory even in tiles of \(Tiling.minimumTile) pixels (the smallest), but \(StylizationMemory.format(available)) is available (\(source)); give it at least --max-memory \(StylizationMemory.flagValue(minimum)), or \(size)"
        }
    }
}
