// Why an image could not be read or written; every case names the file.

/// Why ``readImage(path:)`` or ``writeImage(_:path:jpegQuality:)`` failed. The description is a
/// full sentence naming the file.
public enum ImageCodecError: Error, Equatable, CustomStringConvertible {
    /// No file at the path (or a folder on the way is missing or not a folder).
    case fileNotFound(path: String)
    /// The file exists but could not be read: permissions, a folder, an I/O error, no memory.
    case unreadable(path: String, reason: String)
    /// The file holds 0 bytes.
    case emptyFile(path: String)
    /// The file starts with neither the JPEG nor the PNG signature.
    case notAnImage(path: String)
    /// A JPEG that libjpeg rejects or warns about: truncated, corrupt data, unsupported layout.
    case corruptJPEG(path: String, reason: String)
    /// A PNG that libpng rejects: truncated, bad checksum of critical data, invalid header.
    case corruptPNG(path: String, reason: String)
    /// The header declares no pixels (0 width or 0 height).
    case emptyImage(path: String)
    /// The output path's extension is not .png, .jpg or .jpeg (any case); `extension` lacks the dot.
    case unsupportedOutputExtension(path: String, extension: String)
    /// JPEG quality must lie in 1...100.
    case invalidJPEGQuality(path: String, quality: Int)
    /// The encoder failed.
    case encodingFailed(path: String, reason: String)
    /// The encoded image could not be written to the folder or renamed into place.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "image file '\(path)' does not exist"
        case .unreadable(let path, let reason):
            return "cannot read image file '\(path)': \(reason)"
        case .emptyFile(let path):
            return "image file '\(path)' is empty (0 bytes)"
        case .notAnImage(let path):
            return "'\(path)' is not a JPEG or PNG image (its first bytes are neither signature)"
        case .corruptJPEG(let path, let reason):
            return "'\(path)' is a truncated or corrupt JPEG: \(reason)"
        case .corruptPNG(let path, let reason):
            return "'\(path)' is a truncated or corrupt PNG: \(reason)"
        case .emptyImage(let path):
            return "image file '\(path)' declares an empty image (0 width or height)"
        case .unsupportedOutputExtension(let path, let ext):
            let found = ext.isEmpty ? "it has no extension" : "'.\(ext)' is not supported"
            return "cannot write image '\(path)': \(found); use .png, .jpg or .jpeg"
        case .invalidJPEGQuality(let path, let quality):
            return "cannot write image '\(path)': JPEG quality must be in 1...100, got \(quality)"
        case .encodingFailed(let path, let reason):
            return "cannot encode image '\(path)': \(reason)"
        case .writeFailed(let path, let reason):
            return "cannot write image '\(path)': \(reason)"
        }
    }
}
