// `stylectl export --onnx FILE`: the checks made before any weight loads, and the writing.

import Checkpoints
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exports a loaded ``Stylizer`` as an ONNX model for ONNX Runtime (``StylizationGraphBuilder``).
public enum ONNXExport {
    /// The smallest fixed side: the smallest multiple of 8 the encoder takes
    /// (``VGGEncoder/minimumImageSide``).
    public static let minimumFixedSide = (VGGEncoder.minimumImageSide + 7) / 8 * 8
    /// The largest fixed side, the largest image side stylectl sizes to (``ImageSizing/maximumSize``).
    public static let maximumFixedSide = ImageSizing.maximumSize

    /// Refuses a fixed side outside ``minimumFixedSide`` ... ``maximumFixedSide`` or not a multiple
    /// of 8 (a fixed graph has no crop: the decoder's output is 8 x ceil(side / 8) pixels).
    public static func check(size: ONNXExportSize) throws(ONNXExportError) {
        guard case .fixed(let side) = size else { return }
        guard (minimumFixedSide ... maximumFixedSide).contains(side) else {
            throw .sizeOutOfRange(size: side, minimum: minimumFixedSide, maximum: maximumFixedSide)
        }
        guard side % 8 == 0 else { throw .sizeNotMultipleOf8(size: side) }
    }

    /// Refuses an output path that is not a `.onnx` file in an existing, writable folder, that is a
    /// folder, or that is the same file (through any link) as one of `inputs` (the weight files).
    /// Reads nothing but the file system's metadata.
    public static func check(output path: String, inputs: [(role: InputRole, path: String)]) throws(ONNXExportError) {
        let ext = (path as NSString).pathExtension
        guard ext.lowercased() == "onnx" else { throw .outputNotONNX(path: path, extension: ext) }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw .outputIsFolder(path: path)
        }
        let parent = (path as NSString).deletingLastPathComponent
        let folder = parent.isEmpty ? "." : parent
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else {
            throw .outputFolderUnusable(path: path, folder: folder, reason: "does not exist")
        }
        guard isFolder.boolValue else { throw .outputFolderUnusable(path: path, folder: folder, reason: "is not a folder") }
        guard access(folder, W_OK) == 0 else { throw .outputFolderUnusable(path: path, folder: folder, reason: "is not writable") }
        if let output = FileIdentity(path: path), let input = inputs.first(where: { FileIdentity(path: $0.path) == output }) {
            throw .outputIsInput(path: path, role: input.role, input: input.path)
        }
    }

    /// Writes `stylizer` as an ONNX model at `path`, atomically (a temporary file renamed), with
    /// its model's conventions (``Stylizer/variant``: statistics and input normalisation; its layers
    /// carry their padding and pooling).
    ///
    /// - Parameters:
    ///   - size: the images' size (checked by ``check(size:)``).
    ///   - producerVersion: the tool's version, recorded in the file.
    public static func write(
        _ stylizer: Stylizer, size: ONNXExportSize, producerVersion: String, to path: String
    ) throws(ONNXExportError) {
        try check(size: size)
        let model = StylizationGraphBuilder(size: size, model: stylizer.variant).model(of: stylizer, producerVersion: producerVersion)
        do { try writeONNXModel(model, path: path) } catch { throw .writing(error) }
    }
}

/// Why an export was refused or failed; every case names the flag or the file.
public enum ONNXExportError: Error, Equatable, CustomStringConvertible {
    case sizeOutOfRange(size: Int, minimum: Int, maximum: Int)
    case sizeNotMultipleOf8(size: Int)
    case outputNotONNX(path: String, extension: String)
    case outputIsFolder(path: String)
    case outputFolderUnusable(path: String, folder: String, reason: String)
    case outputIsInput(path: String, role: InputRole, input: String)
    case writing(CheckpointError)

    public var description: String {
        switch self {
        case .sizeOutOfRange(let size, let minimum, let maximum):
            return "--size must be a multiple of 8 in \(minimum)...\(maximum) (the encoder takes images of at least \(VGGEncoder.minimumImageSide)x\(VGGEncoder.minimumImageSide) pixels), got \(size)"
        case .sizeNotMultipleOf8(let size):
            let below = size / 8 * 8
            return "--size must be a multiple of 8 (a fixed-size graph does not crop the decoder's output), got \(size); use \(below) or \(below + 8), or --dynamic for any size"
        case .outputNotONNX(let path, let ext):
            let found = ext.isEmpty ? "it has no extension" : "'.\(ext)' is not '.onnx'"
            return "--onnx: cannot write '\(path)': \(found)"
        case .outputIsFolder(let path):
            return "--onnx: '\(path)' is a folder; name the .onnx file to write"
        case .outputFolderUnusable(let path, let folder, let reason):
            return "--onnx: cannot write '\(path)': its folder '\(folder)' \(reason)"
        case .outputIsInput(let path, let role, let input):
            return "--onnx: '\(path)' is the same file as \(role.flag) '\(input)'; writing it would replace the weights. Choose another output path"
        case .writing(let error):
            return error.description
        }
    }
}
