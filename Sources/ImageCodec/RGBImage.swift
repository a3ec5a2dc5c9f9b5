// The image type every stage of stylectl exchanges: torchvision's `ToTensor()` layout.

/// An RGB image laid out as torchvision's `ToTensor()` gives it to the network.
///
/// `pixels` is planar (CHW, float32): the red plane, then the green plane, then the blue plane,
/// each row after row from the top, each row left to right; the value of channel `c` at
/// column `x`, row `y` is `pixels[(c * height + y) * width + x]`. Values lie in [0, 1]: an 8-bit
/// sample `b` reads as `Float(b) / 255` (bit for bit what `ToTensor()` computes), a 16-bit sample
/// `v` as `Float(v) / 65535`. Images computed by the network may hold values outside [0, 1];
/// `quantize` clamps them when writing.
public struct RGBImage: Sendable, Equatable {
    /// Columns; at least 1.
    public let width: Int
    /// Rows; at least 1.
    public let height: Int
    /// `3 * width * height` values, planar R, G, B (see the type's description).
    public let pixels: [Float]

    /// An image from planar CHW values; `pixels.count` must be `3 * width * height`.
    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width > 0 && height > 0, "an RGBImage needs a positive size, got \(width) x \(height)")
        precondition(pixels.count == 3 * width * height,
                     "\(width) x \(height) RGB needs \(3 * width * height) values, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image from 8-bit interleaved RGB samples (R, G, B of the top-left pixel first, rows
    /// from the top), as decoders and `numpy.asarray(pil_image)` hold them; `b` becomes `b / 255`.
    public init(width: Int, height: Int, interleavedRGB8 bytes: [UInt8]) {
        precondition(bytes.count == 3 * width * height,
                     "\(width) x \(height) RGB needs \(3 * width * height) bytes, got \(bytes.count)")
        self = bytes.withUnsafeBufferPointer { RGBImage(width: width, height: height, interleaved: $0.baseAddress!) }
    }

    /// From `3 * width * height` interleaved 8-bit samples.
    init(width: Int, height: Int, interleaved source: UnsafePointer<UInt8>) {
        let plane = width * height
        let pixels = [Float](unsafeUninitializedCapacity: 3 * plane) { buffer, count in
            unitFromByte.withUnsafeBufferPointer { unit in
                for i in 0 ..< plane {
                    buffer[i] = unit[Int(source[3 * i])]
                    buffer[plane + i] = unit[Int(source[3 * i + 1])]
                    buffer[2 * plane + i] = unit[Int(source[3 * i + 2])]
                }
            }
            count = 3 * plane
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// From `3 * width * height` planar (CHW) 8-bit samples.
    init(width: Int, height: Int, planar source: UnsafeBufferPointer<UInt8>) {
        let pixels = [Float](unsafeUninitializedCapacity: source.count) { buffer, count in
            unitFromByte.withUnsafeBufferPointer { unit in
                for i in 0 ..< source.count { buffer[i] = unit[Int(source[i])] }
            }
            count = source.count
        }
        self.init(width: width, height: height, pixels: pixels)
    }
}

/// `Float(b) / 255` for every byte `b`: a division in float32, as `ToTensor()` does it.
let unitFromByte: [Float] = (0 ... 255).map { Float($0) / 255 }
