// Hostile inputs refused before any work: decompression bombs (tiny files declaring huge images),
// FIFOs and devices, files above the byte limit; and readImageSize, which reads only the header.

import Foundation
@testable import ImageCodec
import Testing
import TestSupport

@Suite struct LimitTests {
    /// A 1-bit greyscale PNG declaring `width` x `height` pixels, with a few bytes of IDAT: the
    /// shape of a decompression bomb (a real one holds a zlib stream of zeros, 48 KB for 20000^2).
    static func pngBomb(width: UInt32, height: UInt32) -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
        }
        let header = bigEndian(width) + bigEndian(height) + [1, 0, 0, 0, 0]  // 1 bit, greyscale
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        return signature + chunk("IHDR", header) + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00]) + chunk("IEND", [])
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }
    }

    /// A small JPEG written by writeImage, its SOF0 header patched to declare `width` x `height`.
    static func jpegDeclaring(width: UInt16, height: UInt16, in folder: URL) throws -> [UInt8] {
        let path = folder.appendingPathComponent("small.jpg").path
        try writeImage(sampleImage(width: 16, height: 16), path: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let sof = try #require((0 ..< bytes.count - 1).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes[sof + 5 ... sof + 8] = [UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF)]
        return bytes
    }

    static func write(_ bytes: [UInt8], _ name: String, in folder: URL) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func pngBombIsRefusedFromItsHeader() throws {
        try withTemporaryFolder { folder in
            for side: UInt32 in [20000, 40000] {
                let path = try Self.write(Self.pngBomb(width: side, height: side), "bomb-\(side).png", in: folder)
                let error = readError(path)
                let expected = ImageCodecError.tooManyPixels(path: path, width: Int(side), height: Int(side), limit: 178_956_970)
                #expect(error == expected)
                #expect(error?.description.contains("set STYLECTL_MAX_IMAGE_PIXELS to at least \(Int(side) * Int(side))") == true)
                #expect(throws: expected) { try readImageSize(path: path) }
            }
            // PNG's largest legal header, 2^31 - 1 per side: the pixel count is computed without overflow.
            let widest = try Self.write(Self.pngBomb(width: UInt32(Int32.max), height: UInt32(Int32.max)), "widest.png", in: folder)
            #expect(readError(widest) == .tooManyPixels(path: widest, width: Int(Int32.max), height: Int(Int32.max), limit: 178_956_970))
            let illegal = try Self.write(Self.pngBomb(width: UInt32.max, height: 1), "illegal.png", in: folder)
            guard case .corruptPNG(illegal, _) = readError(illegal) else { Issue.record("not corruptPNG"); return }
        }
    }

    @Test func jpegBombIsRefusedFromItsHeader() throws {
        try withTemporaryFolder { folder in
            let path = try Self.write(Self.jpegDeclaring(width: 65000, height: 65000, in: folder), "bomb.jpg", in: folder)
            let expected = ImageCodecError.tooManyPixels(path: path, width: 65000, height: 65000, limit: 178_956_970)
            #expect(readError(path) == expected)
            #expect(throws: expected) { try readImageSize(path: path) }
        }
    }

    @Test func pixelLimitIsConfigurable() throws {
        try withTemporaryFolder { folder in
            let png = folder.appendingPathComponent("image.png").path
            let jpeg = folder.appendingPathComponent("image.jpg").path
            try writeImage(sampleImage(width: 20, height: 10), path: png)
            try writeImage(sampleImage(width: 20, height: 10), path: jpeg)
            for path in [png, jpeg] {
                #expect(try readImage(path: path, limits: ImageLimits(maxPixels: 200)).width == 20)
                let expected = ImageCodecError.tooManyPixels(path: path, width: 20, height: 10, limit: 199)
                #expect(throws: expected) { try readImage(path: path, limits: ImageLimits(maxPixels: 199)) }
                #expect(throws: expected) { try readImageSize(path: path, limits: ImageLimits(maxPixels: 199)) }
            }
        }
    }

    @Test func environmentSettingOfThePixelLimit() throws {
        #expect(ImageLimits.standard.maxPixels == ProcessInfo.processInfo.environment["STYLECTL_MAX_IMAGE_PIXELS"].flatMap(Int.init) ?? 178_956_970)
        #expect(ImageLimits(maxPixelsSetting: nil) == ImageLimits())
        #expect(ImageLimits(maxPixelsSetting: "400000000").maxPixels == 400_000_000)
        for bad in ["", "lots", "-5", "0", "1e9", "99999999999999999999"] {
            let limits = ImageLimits(maxPixelsSetting: bad)
            let expected = ImageCodecError.invalidLimitSetting(variable: "STYLECTL_MAX_IMAGE_PIXELS", value: bad)
            #expect(throws: expected) { try readImage(path: "/nonexistent.png", limits: limits) }
            #expect(throws: expected) { try readImageSize(path: "/nonexistent.png", limits: limits) }
            #expect(expected.description.contains("must be a positive number of pixels"))
        }
    }

    @Test func readImageSizeReadsOnlyTheHeader() throws {
        try withTemporaryFolder { folder in
            let png = folder.appendingPathComponent("image.png").path
            let jpeg = folder.appendingPathComponent("image.jpg").path
            try writeImage(sampleImage(width: 23, height: 17), path: png)
            try writeImage(sampleImage(width: 23, height: 17), path: jpeg)
            #expect(try imageSize(png) == [23, 17])
            #expect(try imageSize(jpeg) == [23, 17])

            // Only the header: a file cut right after it still tells its size (readImage refuses it).
            let pngBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: png)))
            let cutPNG = try Self.write(Array(pngBytes.prefix(33)), "cut.png", in: folder)
            #expect(try imageSize(cutPNG) == [23, 17])
            let inHeader = try Self.write(Array(pngBytes.prefix(30)), "in-header.png", in: folder)
            let truncated = ImageCodecError.corruptPNG(path: inHeader, reason: "file is truncated (it ends inside the IHDR header)")
            #expect(readSizeError(inHeader) == truncated)
            #expect(readError(inHeader) == truncated)
            let jpegBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: jpeg)))
            let scan = try #require((0 ..< jpegBytes.count - 1).first { jpegBytes[$0] == 0xFF && jpegBytes[$0 + 1] == 0xDA })
            let cutJPEG = try Self.write(Array(jpegBytes.prefix(scan + 20)), "cut.jpg", in: folder)
            #expect(try imageSize(cutJPEG) == [23, 17])
            guard case .corruptJPEG = readError(cutJPEG) else { Issue.record("a cut JPEG decoded"); return }

            // 128 KB of APP15 markers before the frame header: read on past the first 64 KB.
            let marker: [UInt8] = [0xFF, 0xEF, 0xFF, 0xFF] + [UInt8](repeating: 0x41, count: 65533)
            let padded = try Self.write(Array(jpegBytes.prefix(2)) + marker + marker + jpegBytes.dropFirst(2), "padded.jpg", in: folder)
            #expect(try imageSize(padded) == [23, 17])
            #expect(try readImage(path: padded).width == 23)
            // Cut inside that metadata: a truncated header, not a hang or a size.
            let cutPadded = try Self.write(Array(jpegBytes.prefix(2)) + marker + marker.prefix(1000), "cut-padded.jpg", in: folder)
            guard case .corruptJPEG(cutPadded, _)? = readSizeError(cutPadded) else { Issue.record("no corruptJPEG"); return }

            #expect(readSizeError(folder.appendingPathComponent("none.png").path) == .fileNotFound(path: folder.appendingPathComponent("none.png").path))
            let text = try Self.write(Array("hello".utf8), "text.png", in: folder)
            #expect(readSizeError(text) == .notAnImage(path: text))
            let empty = try Self.write([], "empty.png", in: folder)
            #expect(readSizeError(empty) == .emptyFile(path: empty))
            let flat = try Self.write(Self.pngBomb(width: 0, height: 7), "flat.png", in: folder)
            #expect(readSizeError(flat) == .emptyImage(path: flat))
        }
    }

    @Test func fifoIsRefusedWithoutBlocking() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("pipe.png").path
            #expect(mkfifo(path, 0o600) == 0)
            let start = Date()
            let expected = ImageCodecError.notARegularFile(path: path, kind: "a FIFO (named pipe)")
            #expect(readError(path) == expected)
            #expect(readSizeError(path) == expected)
            #expect(Date().timeIntervalSince(start) < 5)
            #expect(expected.description == "cannot read image file '\(path)': it is a FIFO (named pipe), not a regular file")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(names == ["pipe.png"])
        }
    }

    @Test func deviceIsRefusedWithoutReading() {
        let expected = ImageCodecError.notARegularFile(path: "/dev/zero", kind: "a character device")
        #expect(readError("/dev/zero") == expected)
        #expect(readSizeError("/dev/zero") == expected)
    }

    @Test func fileAboveTheByteLimitIsRefused() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("image.png").path
            try writeImage(sampleImage(width: 20, height: 10), path: path)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            #expect(try readImage(path: path, limits: ImageLimits(maxFileBytes: size)).width == 20)
            let expected = ImageCodecError.fileTooLarge(path: path, bytes: size, limit: size - 1)
            #expect(throws: expected) { try readImage(path: path, limits: ImageLimits(maxFileBytes: size - 1)) }
            #expect(throws: expected) { try readImageSize(path: path, limits: ImageLimits(maxFileBytes: size - 1)) }
            #expect(ImageLimits.standard.maxFileBytes == 1 << 30)
        }
    }
}

/// The error `readImageSize` throws for a path, or nil if it reads.
func readSizeError(_ path: String) -> ImageCodecError? {
    do {
        _ = try readImageSize(path: path)
        return nil
    } catch {
        return error
    }
}

/// `readImageSize` as [width, height].
func imageSize(_ path: String) throws -> [Int] {
    let size = try readImageSize(path: path)
    return [size.width, size.height]
}
