// Writing RGBImage as PNG or JPEG, quantised as torchvision's save_image does, replaced atomically.

import CCodecShims
import CPNG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One value as torchvision's `save_image` turns it into a byte:
/// `tensor.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8)`, in float32 like PyTorch (two
/// roundings, then truncation toward zero). NaN gives 0, as PyTorch's conversion does on x86.
@inline(__always)
public func quantize(_ value: Float) -> UInt8 {
    let scaled = value * 255 + 0.5
    guard scaled > 0 else { return 0 }  // also NaN
    return scaled >= 255 ? 255 : UInt8(scaled)
}

/// Every value quantised with ``quantize(_:)-(Float)``, in the same order (planar stays planar).
public func quantize(_ values: [Float]) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: values.count) { buffer, count in
        values.withUnsafeBufferPointer { source in
            for i in 0 ..< source.count { buffer[i] = quantize(source[i]) }
        }
        count = values.count
    }
}

/// `floor(value * 255)` as the image's values, stored as `level / 255`: the 8-bit levels of the
/// seed's `(image * 255).astype(np.uint8)` (float32 product, truncated toward zero) and of the Lua
/// Torch image package's `image.save` (saturated, times 255 in double, C cast: the same but for a
/// product within a float32 rounding of a whole number). ``quantize(_:)-(Float)`` gives back exactly
/// these levels when the image is written.
public func truncatedToLevels(_ image: RGBImage) -> RGBImage {
    // Values outside [0, 1] are clamped (image.save saturates; the seed clamps before); NaN gives 0.
    RGBImage(width: image.width, height: image.height, pixels: image.pixels.map { unitFromByte[Int(truncatedLevel($0))] })
}

/// Writes an image as PNG or JPEG, chosen by the path's extension: `.png`, or `.jpg` / `.jpeg`
/// (any case).
///
/// Values are quantised as torchvision's `save_image` does (``quantize(_:)-(Float)``), so a PNG
/// holds the bytes pytorch-AdaIN's `test.py` would save. PNGs are 8-bit RGB (with an sRGB chunk);
/// JPEGs are baseline with 4:2:0 chroma subsampling at `jpegQuality` (1...100).
///
/// The file is encoded in memory, written to a temporary file in the destination folder, flushed
/// and renamed over `path`, so a failure never leaves a partial file (nor the temporary file).
///
/// - Throws: ``ImageCodecError`` naming the file: `unsupportedOutputExtension`,
///   `invalidJPEGQuality`, `encodingFailed` or `writeFailed`.
public func writeImage(_ image: RGBImage, path: String, jpegQuality: Int = 95) throws(ImageCodecError) {
    let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
    let dot = name.lastIndex(of: ".")
    let ext = dot.map { name[name.index(after: $0)...].lowercased() } ?? ""
    let encoded: [UInt8]
    switch ext {
    case "png":
        encoded = try encodePNG(image, path: path)
    case "jpg", "jpeg":
        guard (1 ... 100).contains(jpegQuality) else { throw .invalidJPEGQuality(path: path, quality: jpegQuality) }
        encoded = try encodeJPEG(image, quality: jpegQuality, path: path)
    default:
        throw .unsupportedOutputExtension(path: path, extension: ext)
    }
    try replaceAtomically(path: path, with: encoded)
}

/// PNG through libpng's simplified API (8-bit RGB needs no transform, hence no setjmp).
private func encodePNG(_ image: RGBImage, path: String) throws(ImageCodecError) -> [UInt8] {
    let rgb = RGB8Image(quantizing: image).samples
    // Deflate never grows data by more than a few bytes per 16 KB block; with the chunk headers
    // this is comfortably enough. Should it not be, libpng reports the size it needs.
    let raw = (3 * image.width + 1) * image.height
    var capacity = raw + raw / 8 + 4096
    for _ in 0 ..< 2 {
        var png = png_image()
        png.version = png_uint_32(PNG_IMAGE_VERSION)
        png.width = png_uint_32(image.width)
        png.height = png_uint_32(image.height)
        png.format = png_uint_32(PNG_FORMAT_RGB)
        var output = [UInt8](repeating: 0, count: capacity)
        var size = png_alloc_size_t(capacity)
        let succeeded = output.withUnsafeMutableBytes { memory in
            rgb.withUnsafeBytes { png_image_write_to_memory(&png, memory.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        if succeeded != 0 {
            output.removeSubrange(Int(size)...)
            return output
        }
        if Int(size) <= capacity {
            let message = withUnsafeBytes(of: png.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw .encodingFailed(path: path, reason: "libpng: \(message)")
        }
        capacity = Int(size)
    }
    throw .encodingFailed(path: path, reason: "libpng kept asking for a larger buffer")
}

private func encodeJPEG(_ image: RGBImage, quality: Int, path: String) throws(ImageCodecError) -> [UInt8] {
    let rgb = RGB8Image(quantizing: image).samples
    var jpeg: UnsafeMutablePointer<UInt8>?
    var size = 0
    var message = [CChar](repeating: 0, count: Int(CIMAGE_MESSAGE_LENGTH))
    let status = rgb.withUnsafeBufferPointer {
        cjpeg_encode($0.baseAddress, Int32(image.width), Int32(image.height), Int32(quality), &jpeg, &size, &message)
    }
    defer { cimage_free(jpeg) }
    guard status == CIMAGE_OK, let jpeg else {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw .encodingFailed(path: path, reason: "libjpeg: \(text)")
    }
    return Array(UnsafeBufferPointer(start: jpeg, count: size))
}

/// Writes `bytes` to a new temporary file beside `path`, named `.NAME.<pid>-<random>.tmp`, flushes
/// it to disk and renames it over `path`; on any failure the temporary file is removed. A process
/// killed meanwhile leaves the temporary file, which the name lets a later run recognise as its
/// own and remove once that process is gone (StyleReports' report folders do). The write passes
/// ``AtomicWriteGate/shared``, so that a handler exiting on a signal can wait for it.
///
/// - Throws: ``ImageCodecError/writeFailed(path:reason:)``.
public func replaceAtomically(path: String, with bytes: [UInt8]) throws(ImageCodecError) {
    try replaceAtomically(path: path) { fd in
        bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let count = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return .writeFailed(path: path, reason: systemMessage(errno))
                }
                written += count
            }
            return nil
        }
    }
}

/// ``replaceAtomically(path:with:)`` with the temporary file's contents written by `body`, given
/// its descriptor (open for writing, which `body` must not close): `body` returns the error that
/// stops it, if any, and the temporary file is then removed. The write passes
/// ``AtomicWriteGate/shared``, so that a handler exiting on a signal can wait for it.
func replaceAtomically(path: String, writing body: (Int32) -> ImageCodecError?) throws(ImageCodecError) {
    try AtomicWriteGate.shared.passing { () throws(ImageCodecError) in try writeThenRename(path: path, writing: body) }
}

/// ``replaceAtomically(path:writing:)``'s steps: create the temporary file, write, flush, rename.
private func writeThenRename(path: String, writing body: (Int32) -> ImageCodecError?) throws(ImageCodecError) {
    let (temporary, fd) = try createTemporaryFile(beside: path)
    try commitTemporaryFile(temporary, fd: fd, to: path, failure: body(fd))
}

/// A new temporary file beside `path`, named `.NAME.<pid>-<random>.tmp` (see
/// ``replaceAtomically(path:with:)``), open for writing.
func createTemporaryFile(beside path: String) throws(ImageCodecError) -> (path: String, fd: Int32) {
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    while true {
        let temporary = "\(folder).\(name).\(getpid())-\(UInt32.random(in: .min ... .max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if fd >= 0 { return (temporary, fd) }
        if errno != EEXIST { throw .writeFailed(path: path, reason: "cannot create a file in its folder: \(systemMessage(errno))") }
    }
}

/// Ends a temporary file from ``createTemporaryFile(beside:)``: unless its writing ended in
/// `failure`, flushes it to disk, closes it and renames it over `path`; on any failure closes and
/// removes it and throws that failure.
func commitTemporaryFile(_ temporary: String, fd: Int32, to path: String, failure: ImageCodecError?) throws(ImageCodecError) {
    var failure = failure
    if failure == nil && fsync(fd) != 0 { failure = .writeFailed(path: path, reason: systemMessage(errno)) }
    if close(fd) != 0 && failure == nil { failure = .writeFailed(path: path, reason: systemMessage(errno)) }
    if failure == nil && rename(temporary, path) != 0 { failure = .writeFailed(path: path, reason: systemMessage(errno)) }
    if let failure {
        unlink(temporary)
        throw failure
    }
}

/// Writes an 8-bit image as PNG or JPEG, chosen by the path's extension as
/// ``writeImage(_:path:jpegQuality:)`` does, giving the same file as that function for the
/// ``RGBImage`` whose quantised samples these are (``RGB8Image/init(quantizing:)``), byte for byte.
/// The encoders take the rows from `image` and write the file as they go (``RowBandWriter``, all
/// rows as one band), so no other copy of the image is made: for images held as bytes because a
/// float copy would not fit. JPEG's optimised Huffman tables keep the quantised coefficients in
/// memory meanwhile (about 3 bytes per pixel with 4:2:0). Written to a temporary file renamed over
/// `path`, removed on any failure.
///
/// - Throws: ``ImageCodecError`` naming the file: `unsupportedOutputExtension`,
///   `invalidJPEGQuality`, `encodingFailed` or `writeFailed`.
public func writeImage(_ image: RGB8Image, path: String, jpegQuality: Int = 95) throws(ImageCodecError) {
    let writer = try RowBandWriter(path: path, width: image.width, height: image.height, jpegQuality: jpegQuality)
    try image.samples.withUnsafeBufferPointer { (samples) throws(ImageCodecError) in try writer.write(rows: samples) }
    try writer.finish()
}
