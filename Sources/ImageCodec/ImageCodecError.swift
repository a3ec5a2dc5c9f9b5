// Why an image could not be read or written; every case names the file.

/// Why ``readImage(path:limits:)``, ``readImageSize(path:limits:)``, a resize or crop, or
/// ``writeImage(_:path:jpegQuality:)`` failed. The description is a full sentence naming the file.
public enum ImageCodecError: Error, Equatable, CustomStringConvertible {
    /// No file at the path (or a folder on the way is missing or not a folder).
    case fileNotFound(path: String)
    /// The file exists but could not be read: permissions, a folder, an I/O error, no memory.
    case unreadable(path: String, reason: String)
    /// The path is not a regular file (a FIFO, a device, a socket); `kind` says what it is.
    case notARegularFile(path: String, kind: String)
    /// The file holds more than ``ImageLimits/maxFileBytes``.
    case fileTooLarge(path: String, bytes: Int, limit: Int)
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
    /// The header declares more pixels than ``ImageLimits/maxPixels`` (a decompression bomb, or a
    /// photograph larger than the limit); refused before any pixel memory is allocated.
    case tooManyPixels(path: String, width: Int, height: Int, limit: Int)
    /// `STYLECTL_MAX_IMAGE_PIXELS` is set to something other than a positive integer.
    case invalidLimitSetting(variable: String, value: String)
    /// Resizing or cropping a `width` x `height` image as `request` says (such as "to a shorter
    /// side of 512") would give more than `limit` pixels, or more than an Int can count.
    case outputTooLarge(width: Int, height: Int, request: String, limit: Int)
    /// A resize or crop asked for a size of 0 or less.
    case invalidOutputSize(width: Int, height: Int, request: String)
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
        case .notARegularFile(let path, let kind):
            return "cannot read image file '\(path)': it is \(kind), not a regular file"
        case .fileTooLarge(let path, let bytes, let limit):
            return "cannot read image file '\(path)': it holds \(bytes) bytes, more than the limit of \(limit) bytes"
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
        case .tooManyPixels(let path, let width, let height, let limit):
            return "image file '\(path)' declares \(width) x \(height) pixels, more than the limit of \(limit) pixels "
                + "(a decompression bomb?); to read it, set \(ImageLimits.maxPixelsVariable) to at least \(width * height)"
        case .invalidLimitSetting(let variable, let value):
            return "\(variable) must be a positive number of pixels, such as \(ImageLimits.defaultMaxPixels) (the default), got '\(value)'"
        case .outputTooLarge(let width, let height, let request, let limit):
            return "cannot resize or crop a \(width) x \(height) image \(request): the result would have more than the limit of "
                + "\(limit) pixels; use a smaller size, or raise the limit with \(ImageLimits.maxPixelsVariable)"
        case .invalidOutputSize(let width, let height, let request):
            return "cannot resize or crop a \(width) x \(height) image \(request): sizes must be positive"
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
