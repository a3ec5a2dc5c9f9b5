// The golden index written by Scripts/goldens_images.py, and helpers shared by the suites.

import Foundation
import ImageCodec
import TestSupport

/// `.goldens/images/index.json`: PIL / torchvision references (see Scripts/goldens_images.py).
struct ImageGoldens: Decodable {
    struct Decode: Decodable { let source: String; let width: Int; let height: Int; let crc32: UInt32; let bytes: String? }
    struct JPEG: Decodable { let file: String; let mode: String; let width: Int; let height: Int; let bytes: String }
    struct Resize: Decodable { let source: String; let size: Int; let crop: Bool; let width: Int; let height: Int; let bytes: String }
    struct Crop: Decodable { let source: String; let size: Int; let bytes: String }
    struct PNG: Decodable { let file: String; let width: Int; let height: Int; let expected: String }
    struct SaveImage: Decodable { let width: Int; let height: Int; let input: String; let png: String; let bytes: String }

    let decode: [Decode]
    let jpeg: [JPEG]
    let resize: [Resize]
    let crop: [Crop]
    let png: [PNG]
    let noise: String
    let save_image: SaveImage

    static func load() throws -> ImageGoldens {
        try JSONDecoder().decode(ImageGoldens.self, from: Data(contentsOf: try url("index.json")))
    }

    /// A file written by the golden script.
    static func url(_ relativePath: String) throws -> URL {
        try TestPaths.golden("images/" + relativePath)
    }

    /// A golden file's raw bytes.
    static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(relativePath)))
    }

    /// The path of a source image: the noise image lives with the goldens, the rest in ../shared/images.
    func sourcePath(_ source: String) throws -> String {
        source == noise ? try Self.url(source).path : TestPaths.sharedImages.appendingPathComponent(source).path
    }
}

/// How two byte arrays differ: the number of differing elements and the largest difference.
func byteDifference(_ ours: [UInt8], _ reference: [UInt8]) -> (differing: Int, largest: Int) {
    precondition(ours.count == reference.count, "lengths differ: \(ours.count) != \(reference.count)")
    var differing = 0
    var largest = 0
    for i in ours.indices where ours[i] != reference[i] {
        differing += 1
        largest = max(largest, abs(Int(ours[i]) - Int(reference[i])))
    }
    return (differing, largest)
}

/// zlib's CRC-32 (the checksum Python's zlib.crc32 computes).
func crc32(_ bytes: [UInt8]) -> UInt32 {
    let table: [UInt32] = (0 ..< 256).map { n in
        (0 ..< 8).reduce(UInt32(n)) { c, _ in c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

/// The error `readImage` throws for a path, or nil if it reads.
func readError(_ path: String) -> ImageCodecError? {
    do {
        _ = try readImage(path: path)
        return nil
    } catch {
        return error
    }
}

/// The error `writeImage` throws, or nil if it writes.
func writeError(_ image: RGBImage, _ path: String, jpegQuality: Int = 95) -> ImageCodecError? {
    do {
        try writeImage(image, path: path, jpegQuality: jpegQuality)
        return nil
    } catch {
        return error
    }
}

/// A new empty folder under the system's temporary folder, removed by `body`'s end.
func withTemporaryFolder(_ body: (URL) throws -> Void) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("imagecodec-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try body(folder)
}

/// A small image with a gradient and some noise, every value a multiple of 1/255.
func sampleImage(width: Int = 45, height: Int = 31) -> RGBImage {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0 ..< 3 * width * height).map { i in UInt8(truncatingIfNeeded: i * 7 / 3 + Int.random(in: 0 ..< 9, using: &generator)) }
    return RGBImage(width: width, height: height, interleavedRGB8: bytes)
}
