// An 8-bit RGB image held as decoders give it and writers take it: 3 bytes per pixel.

/// An RGB image of 8-bit samples, interleaved as decoders and encoders hold them: R, G, B of the
/// top-left pixel first, rows from the top. A quarter of ``RGBImage``'s 12 bytes per pixel, for
/// images held whole while only parts of them are computed on (tiled stylization: the content
/// read, the output written). Sample `b` stands for the value `Float(b) / 255` (``RGBImage``'s
/// reading of an 8-bit sample), so ``floats(x:y:width:height:)`` of a region equals that region of
/// the ``RGBImage`` read from the same file.
public struct RGB8Image: Sendable, Equatable {
    /// Columns; at least 1.
    public let width: Int
    /// Rows; at least 1.
    public let height: Int
    /// `3 * width * height` samples, interleaved (see the type's description).
    public var samples: [UInt8]

    /// An image from interleaved samples; `samples.count` must be `3 * width * height`.
    public init(width: Int, height: Int, samples: [UInt8]) {
        precondition(width > 0 && height > 0, "an RGB8Image needs a positive size, got \(width) x \(height)")
        precondition(samples.count == 3 * width * height, "\(width) x \(height) RGB needs \(3 * width * height) bytes, got \(samples.count)")
        self.width = width
        self.height = height
        self.samples = samples
    }

    /// A black image of `width` x `height` (both positive), to be filled in.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, samples: [UInt8](repeating: 0, count: 3 * width * height))
    }

    /// The bytes ImageCodec's writers store for `image` (``quantize(_:)-(Float)`` of each value):
    /// writing this image gives the same file as writing `image`.
    public init(quantizing image: RGBImage) {
        let plane = image.width * image.height
        let samples = [UInt8](unsafeUninitializedCapacity: 3 * plane) { buffer, count in
            image.pixels.withUnsafeBufferPointer { pixels in
                for i in 0 ..< plane {
                    buffer[3 * i] = quantize(pixels[i])
                    buffer[3 * i + 1] = quantize(pixels[plane + i])
                    buffer[3 * i + 2] = quantize(pixels[2 * plane + i])
                }
            }
            count = 3 * plane
        }
        self.init(width: image.width, height: image.height, samples: samples)
    }

    /// `image` as bytes when every value is an 8-bit sample's (`Float(b) / 255`), so that nothing
    /// is lost; nil otherwise (16-bit or transparent sources, resamplers that do not round to 8 bits).
    public init?(exactly image: RGBImage) {
        let bytes = RGB8Image(quantizing: image)
        let plane = image.width * image.height
        let exact = unitFromByte.withUnsafeBufferPointer { unit in
            image.pixels.withUnsafeBufferPointer { pixels in
                bytes.samples.withUnsafeBufferPointer { samples in
                    (0 ..< plane).allSatisfy { i in
                        (0 ..< 3).allSatisfy { c in unit[Int(samples[3 * i + c])] == pixels[c * plane + i] }
                    }
                }
            }
        }
        guard exact else { return nil }
        self = bytes
    }

    /// The whole image as floats (``RGBImage``'s layout, `b / 255`).
    public var image: RGBImage { floats(x: 0, y: 0, width: width, height: height) }

    /// The `width` x `height` region whose top-left pixel is (`x`, `y`), as floats (``RGBImage``'s
    /// planar layout, `b / 255`); the region must lie inside the image.
    public func floats(x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= self.width && y + height <= self.height,
                     "region \(width) x \(height) at (\(x), \(y)) outside \(self.width) x \(self.height)")
        let plane = width * height
        let pixels = [Float](unsafeUninitializedCapacity: 3 * plane) { buffer, count in
            unitFromByte.withUnsafeBufferPointer { unit in
                samples.withUnsafeBufferPointer { source in
                    for row in 0 ..< height {
                        let from = 3 * ((y + row) * self.width + x), to = row * width
                        for i in 0 ..< width {
                            buffer[to + i] = unit[Int(source[from + 3 * i])]
                            buffer[plane + to + i] = unit[Int(source[from + 3 * i + 1])]
                            buffer[2 * plane + to + i] = unit[Int(source[from + 3 * i + 2])]
                        }
                    }
                }
            }
            count = 3 * plane
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}

/// The 8-bit level a value truncates to: `floor(value * 255)` in float32, clamped to [0, 255], NaN
/// giving 0; ``truncatedToLevels(_:)`` stores `level / 255`, which ``quantize(_:)-(Float)`` gives
/// back as this level.
@inline(__always)
public func truncatedLevel(_ value: Float) -> UInt8 {
    let level = value * 255
    return level >= 255 ? 255 : level > 0 ? UInt8(level) : 0
}
