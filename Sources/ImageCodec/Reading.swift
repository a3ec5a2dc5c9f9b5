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
/// - Throws: ``ImageCodecError`` naming the file: `fileNotFound`, `unreadable`, `emptyFile`,
///   `notAnImage`, `corruptJPEG`, `corruptPNG` or `emptyImage`.
public func readImage(path: String) throws(ImageCodecError) -> RGBImage {
    let bytes = try readFile(path: path)
    if bytes.isEmpty { throw .emptyFile(path: path) }
    let format: ImageFormat
    if bytes.starts(with: ImageFormat.jpegSignature) {
        format = .jpeg
    } else if bytes.starts(with: ImageFormat.pngSignature) {
        format = .png
        if declaresEmptyPNG(bytes) { throw .emptyImage(path: path) }
    } else {
        throw .notAnImage(path: path)
    }

    var decoded = CImageDecoded()
    let status = bytes.withUnsafeBufferPointer { data in
        format == .jpeg ? cjpeg_decode(data.baseAddress, data.count, &decoded)
                        : cpng_decode(data.baseAddress, data.count, &decoded)
    }
    defer { cimage_free(decoded.samples) }
    let message = withUnsafeBytes(of: decoded.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    switch status {
    case CIMAGE_OK: break
    case CIMAGE_EMPTY: throw .emptyImage(path: path)
    case CIMAGE_OUT_OF_MEMORY: throw .unreadable(path: path, reason: message)
    default: throw format == .jpeg ? .corruptJPEG(path: path, reason: message) : .corruptPNG(path: path, reason: message)
    }
    return image(from: decoded)
}

private enum ImageFormat {
    case jpeg, png

    static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
}

/// Whether a PNG's IHDR chunk (always first, at byte 8) declares a width or height of 0.
/// libpng would reject such a header as invalid; this tells the case apart.
private func declaresEmptyPNG(_ bytes: [UInt8]) -> Bool {
    guard bytes.count >= 24, bytes[12 ..< 16].elementsEqual("IHDR".utf8) else { return false }
    let bigEndian = { (at: Int) in bytes[at ..< at + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
    return bigEndian(16) == 0 || bigEndian(20) == 0
}

/// The whole file, or the reason it cannot be read.
private func readFile(path: String) throws(ImageCodecError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        let code = errno
        if code == ENOENT || code == ENOTDIR { throw .fileNotFound(path: path) }
        throw .unreadable(path: path, reason: systemMessage(code))
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, reason: systemMessage(errno)) }
    if (info.st_mode & S_IFMT) == S_IFDIR { throw .unreadable(path: path, reason: "it is a folder") }

    var bytes = [UInt8](repeating: 0, count: max(Int(info.st_size), 0))
    var filled = 0
    while true {
        if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 65536))) }
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
        if count < 0 {
            if errno == EINTR { continue }
            throw .unreadable(path: path, reason: systemMessage(errno))
        }
        if count == 0 { break }
        filled += count
    }
    bytes.removeSubrange(filled...)
    return bytes
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
