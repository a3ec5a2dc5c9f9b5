// Reading JPEG and PNG files into RGBImage, decoded as Pillow decodes them.

import CCodecShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a JPEG or PNG file, recognised by its first bytes (the extension is not consulted).
///
/// - JPEG (libjpeg-turbo, the library Pillow uses, with Pillow's settings): the pixels equal
///   `PIL.Image.open(path).convert("RGB")` exactly. Greyscale is replicated to R, G and B; CMYK
///   is converted as Pillow does. A truncated or corrupt file is an error, not a grey-filled image.
/// - PNG (libpng), 1 to 16 bits, greyscale, greyscale with alpha, palette, RGB, RGBA, with or
///   without tRNS transparency, interlaced or not. No gamma or colour-space conversion is applied
///   (gAMA, sRGB, iCCP and cHRM chunks are ignored, as Pillow ignores them): values are the raw
///   samples divided by 255 (up to 8 bits) or 65535 (16 bits, full precision kept).
///   Transparent pixels are composited on white: `a * c + (1 - a)` with `a` the alpha in [0, 1],
///   computed in double precision and rounded once to float. (Pillow's `convert("RGB")` drops
///   alpha instead, and reduces 16-bit samples to 8 bits; opaque 8-bit PNGs match it exactly.)
///
/// The file must be a regular file of at most `limits.maxFileBytes` bytes, and its header must
/// declare at most `limits.maxPixels` pixels: both are checked before the file is read or any pixel
/// memory is allocated.
///
/// - Throws: ``ImageCodecError`` naming the file: `fileNotFound`, `unreadable`, `notARegularFile`,
///   `fileTooLarge`, `emptyFile`, `notAnImage`, `tooManyPixels`, `corruptJPEG`, `corruptPNG`,
///   `emptyImage` or `invalidLimitSetting`.
public func readImage(path: String, limits: ImageLimits = .standard) throws(ImageCodecError) -> RGBImage {
    let decoded = try decode(path: path, limits: limits)
    defer { cimage_free(decoded.samples) }
    return image(from: decoded)
}

/// Reads a JPEG or PNG file as ``readImage(path:limits:)`` does, into 8-bit samples
/// (``RGB8Image``: 3 bytes per pixel, no float copy), when its samples are 8-bit and opaque:
/// every JPEG, and PNGs of up to 8 bits without transparency. Then
/// `result.floats(x: 0, y: 0, width: w, height: h)` equals `readImage(path:)`. nil for a PNG whose
/// values are not 8-bit samples (16 bits, an alpha channel or tRNS composited on white): read it
/// with ``readImage(path:limits:)``. While it reads, the file's bytes and the decoder's samples are
/// held, then the decoder's samples and their copy.
///
/// - Throws: as ``readImage(path:limits:)``.
public func readImageBytes(path: String, limits: ImageLimits = .standard) throws(ImageCodecError) -> RGB8Image? {
    let decoded = try decode(path: path, limits: limits)
    defer { cimage_free(decoded.samples) }
    guard decoded.bit_depth == 8 && decoded.channels == 3 else { return nil }
    let (width, height) = (Int(decoded.width), Int(decoded.height))
    let samples = UnsafeBufferPointer(start: decoded.samples.assumingMemoryBound(to: UInt8.self), count: 3 * width * height)
    return RGB8Image(width: width, height: height, samples: Array(samples))
}

/// The decoder's samples of an image file, checked (``readImage(path:limits:)``'s checks); the
/// caller frees them with `cimage_free`. The file's bytes are released on return.
private func decode(path: String, limits: ImageLimits) throws(ImageCodecError) -> CImageDecoded {
    try limits.check()
    let file = try InputFile(path: path, limits: limits)
    let bytes = try file.readAll()
    let format = try imageFormat(bytes, path: path)
    if format == .png { _ = try pngHeaderSize(bytes, path: path, limits: limits) }

    var decoded = CImageDecoded()
    let maxPixels = limits.maxPixels
    let status = bytes.withUnsafeBufferPointer { data in
        format == .jpeg ? cjpeg_decode(data.baseAddress, data.count, maxPixels, &decoded)
                        : cpng_decode(data.baseAddress, data.count, maxPixels, &decoded)
    }
    do { try check(status, decoded, format: format, path: path, limits: limits) } catch {
        cimage_free(decoded.samples)
        throw error
    }
    return decoded
}

/// The width and height an image file's header declares, read without decoding any pixel
/// (``readImageHeader(path:limits:)``).
///
/// - Throws: ``ImageCodecError`` naming the file, as ``readImage(path:limits:)`` does.
public func readImageSize(path: String, limits: ImageLimits = .standard) throws(ImageCodecError) -> (width: Int, height: Int) {
    let header = try readImageHeader(path: path, limits: limits)
    return (header.width, header.height)
}

/// What an image file's header says before any pixel is decoded: for estimating the memory a
/// piece of work will need before starting it.
public struct ImageHeader: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Whether ``readImageBytes(path:limits:)`` gives the image as 8-bit samples (3 bytes per
    /// pixel) rather than nil: every JPEG, and a PNG of at most 8 bits per sample without an alpha
    /// channel (colour types 0, 2 and 3) and without a tRNS chunk before its first IDAT. false when
    /// a PNG's chunks before its first IDAT run past the bytes read (64 KB or more): not known.
    public var readsAsBytes: Bool
}

/// The header of an image file, read without decoding any pixel: a PNG's chunks up to its first
/// IDAT within the first 64 KB (its IHDR, at byte 8, gives the size), or a JPEG up to its first
/// start-of-scan marker (libjpeg's `jpeg_read_header`). The same checks as
/// ``readImage(path:limits:)`` apply to the file and the header.
///
/// - Throws: ``ImageCodecError`` naming the file, as ``readImage(path:limits:)`` does.
public func readImageHeader(path: String, limits: ImageLimits = .standard) throws(ImageCodecError) -> ImageHeader {
    try limits.check()
    let file = try InputFile(path: path, limits: limits)
    // Enough for any PNG header, and for a JPEG whose markers before the first scan are small;
    // larger metadata (EXIF thumbnails, ICC profiles) makes it read on, doubling each time.
    var prefix = try file.read(upTo: 65536)
    let format = try imageFormat(prefix, path: path)
    if format == .png {
        let (width, height) = try pngHeaderSize(prefix, path: path, limits: limits)
        return ImageHeader(width: width, height: height, readsAsBytes: pngReadsAsBytes(prefix))
    }
    while true {
        var decoded = CImageDecoded()
        let status = prefix.withUnsafeBufferPointer { cjpeg_read_size($0.baseAddress, $0.count, &decoded) }
        if status == CIMAGE_TRUNCATED_HEADER && prefix.count < file.size {
            let longer = try file.read(upTo: min(2 * prefix.count, file.size))
            if longer.count > prefix.count {  // else the file shrank meanwhile: it is truncated
                prefix = longer
                continue
            }
        }
        try check(status == CIMAGE_TRUNCATED_HEADER ? CIMAGE_CORRUPT : status, decoded, format: .jpeg, path: path, limits: limits)
        let (width, height) = (Int(decoded.width), Int(decoded.height))
        if !limits.allows(width: width, height: height) {
            throw .tooManyPixels(path: path, width: width, height: height, limit: limits.maxPixels)
        }
        return ImageHeader(width: width, height: height, readsAsBytes: true)
    }
}

private enum ImageFormat {
    case jpeg, png

    static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
}

/// The format the first bytes announce.
private func imageFormat(_ bytes: [UInt8], path: String) throws(ImageCodecError) -> ImageFormat {
    if bytes.isEmpty { throw .emptyFile(path: path) }
    if bytes.starts(with: ImageFormat.jpegSignature) { return .jpeg }
    if bytes.starts(with: ImageFormat.pngSignature) { return .png }
    throw .notAnImage(path: path)
}

/// The size a PNG's IHDR chunk (always first, at byte 8) declares, checked against the limits.
/// libpng would reject a width or height of 0 as an invalid header; this tells the case apart.
private func pngHeaderSize(_ bytes: [UInt8], path: String, limits: ImageLimits) throws(ImageCodecError) -> (width: Int, height: Int) {
    guard bytes.count >= 33 else { throw .corruptPNG(path: path, reason: "file is truncated (it ends inside the IHDR header)") }
    guard bytes[12 ..< 16].elementsEqual("IHDR".utf8) else {
        throw .corruptPNG(path: path, reason: "the file does not start with an IHDR chunk")
    }
    let bigEndian = { (at: Int) in Int(bytes[at ..< at + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
    let (width, height) = (bigEndian(16), bigEndian(20))
    if width == 0 || height == 0 { throw .emptyImage(path: path) }
    // The PNG specification's limit; libpng refuses larger values.
    if width > Int(Int32.max) || height > Int(Int32.max) {
        throw .corruptPNG(path: path, reason: "IHDR declares \(width) x \(height) pixels, above the PNG maximum of 2^31 - 1 per side")
    }
    if !limits.allows(width: width, height: height) {
        throw .tooManyPixels(path: path, width: width, height: height, limit: limits.maxPixels)
    }
    return (width, height)
}

/// Whether a PNG whose first bytes are `bytes` (its IHDR checked) decodes to 8-bit RGB samples as
/// the shim decodes it (palettes and grey expanded; 16 bits, alpha channels and tRNS kept): a bit
/// depth of at most 8, a colour type without alpha, and no tRNS chunk before the first IDAT among
/// `bytes`; false when they end before an IDAT.
private func pngReadsAsBytes(_ bytes: [UInt8]) -> Bool {
    let (depth, colourType) = (bytes[24], bytes[25])
    guard depth <= 8, [0, 2, 3].contains(colourType) else { return false }
    var at = 8
    while at + 8 <= bytes.count {
        let length = Int(bytes[at ..< at + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        let type = bytes[at + 4 ..< at + 8]
        if type.elementsEqual("IDAT".utf8) { return true }
        if type.elementsEqual("tRNS".utf8) { return false }
        at += 12 + length
    }
    return false
}

/// The error a decoder's status means, if any.
private func check(
    _ status: CImageStatus, _ decoded: CImageDecoded, format: ImageFormat, path: String, limits: ImageLimits
) throws(ImageCodecError) {
    let message = withUnsafeBytes(of: decoded.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    switch status {
    case CIMAGE_OK: return
    case CIMAGE_EMPTY: throw .emptyImage(path: path)
    case CIMAGE_OUT_OF_MEMORY: throw .unreadable(path: path, reason: message)
    case CIMAGE_TOO_MANY_PIXELS:
        throw .tooManyPixels(path: path, width: Int(decoded.width), height: Int(decoded.height), limit: limits.maxPixels)
    default: throw format == .jpeg ? .corruptJPEG(path: path, reason: message) : .corruptPNG(path: path, reason: message)
    }
}

/// An input file opened for reading, known to be a regular file within the byte limit.
///
/// It is opened with `O_NONBLOCK`, so that opening a FIFO returns at once instead of waiting for
/// a writer, and checked with `fstat` before any byte is read: a FIFO would block (or never
/// end), a device such as `/dev/zero` would never end.
private final class InputFile {
    let path: String
    let descriptor: Int32
    /// The size `fstat` reported.
    let size: Int

    init(path: String, limits: ImageLimits) throws(ImageCodecError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .fileNotFound(path: path) }
            throw .unreadable(path: path, reason: systemMessage(code))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw .unreadable(path: path, reason: systemMessage(code))
        }
        let size = Int(info.st_size)
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            if size > limits.maxFileBytes {
                close(fd)
                throw .fileTooLarge(path: path, bytes: size, limit: limits.maxFileBytes)
            }
        case S_IFDIR:
            close(fd)
            throw .unreadable(path: path, reason: "it is a folder")
        case let kind:
            close(fd)
            throw .notARegularFile(path: path, kind: fileKind(kind))
        }
        self.descriptor = fd
        self.size = size
    }

    deinit { close(descriptor) }

    /// The whole file (as large as `fstat` said: a file that grew meanwhile is read no further).
    func readAll() throws(ImageCodecError) -> [UInt8] {
        try read(upTo: size)
    }

    /// Up to `count` bytes from the start of the file; fewer if it is shorter.
    func read(upTo count: Int) throws(ImageCodecError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, count - filled, off_t(filled)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: systemMessage(errno))
            }
            if got == 0 { break }
            filled += got
        }
        bytes.removeSubrange(filled...)
        return bytes
    }
}

/// What a non-regular file is, for ``ImageCodecError/notARegularFile(path:kind:)``.
private func fileKind(_ mode: mode_t) -> String {
    switch mode {
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    default: return "a special file"
    }
}

/// `strerror` as a Swift string.
func systemMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// Planar float values from a decoder's interleaved samples, alpha composited on white.
private func image(from decoded: CImageDecoded) -> RGBImage {
    let (width, height, channels) = (Int(decoded.width), Int(decoded.height), Int(decoded.channels))
    guard decoded.bit_depth == 16 else {
        let samples = decoded.samples.assumingMemoryBound(to: UInt8.self)
        if channels == 3 { return RGBImage(width: width, height: height, interleaved: samples) }  // every JPEG
        return planarValues(samples, width: width, height: height, channels: channels, maximum: 255)
    }
    let samples = decoded.samples.assumingMemoryBound(to: UInt16.self)
    return planarValues(samples, width: width, height: height, channels: channels, maximum: 65535)
}

/// `sample / maximum` per channel (3 channels), or `a * c + (1 - a)` (4 channels, straight alpha),
/// in double precision rounded once to float: equal to `Float(sample) / maximum` computed in float.
private func planarValues<Sample: FixedWidthInteger & UnsignedInteger>(
    _ samples: UnsafePointer<Sample>, width: Int, height: Int, channels: Int, maximum: Double
) -> RGBImage {
    let plane = width * height
    let pixels = [Float](unsafeUninitializedCapacity: 3 * plane) { buffer, count in
        for i in 0 ..< plane {
            let pixel = samples + channels * i
            let alpha = channels == 4 ? Double(pixel[3]) / maximum : 1
            for c in 0 ..< 3 {
                let value = Double(pixel[c]) / maximum
                buffer[c * plane + i] = Float(channels == 4 ? alpha * value + (1 - alpha) : value)
            }
        }
        count = 3 * plane
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}
