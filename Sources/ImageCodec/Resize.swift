// pytorch-AdaIN's test transform: torchvision's Resize(size) on a PIL image (Pillow's antialiased
// bilinear resampling, ported from Pillow 9.4's libImaging/Resample.c) and CenterCrop(size).

/// The size torchvision's `transforms.Resize(size)` (an integer size) gives an image: the shorter
/// side becomes `size`, the longer `int(size * long / short)` (torchvision 0.14's
/// `_compute_resized_output_size`, without `max_size`).
///
/// - Throws: ``ImageCodecError/invalidOutputSize(width:height:request:)`` for a size or side of 0
///   or less, ``ImageCodecError/outputTooLarge(width:height:request:limit:)`` when the result would
///   have more than `limits.maxPixels` pixels (computed without overflow, so any `Int` is refused
///   cleanly, not wrapped).
public func shorterSideSize(
    width: Int, height: Int, to size: Int, limits: ImageLimits = .standard
) throws(ImageCodecError) -> (width: Int, height: Int) {
    try limits.check()
    let request = "to a shorter side of \(size)"
    guard width > 0 && height > 0 && size > 0 else { throw .invalidOutputSize(width: width, height: height, request: request) }
    let (short, long) = width <= height ? (width, height) : (height, width)
    let tooLarge = ImageCodecError.outputTooLarge(width: width, height: height, request: request, limit: limits.maxPixels)
    let (product, overflow) = size.multipliedReportingOverflow(by: long)
    // Python's true division of integers is correctly rounded, as is Double's (exact below 2^53;
    // larger products are far above any pixel limit).
    guard !overflow, let newLong = Int(exactly: (Double(product) / Double(short)).rounded(.towardZero)),
          limits.allows(width: size, height: newLong)
    else { throw tooLarge }
    return width <= height ? (size, newLong) : (newLong, size)
}

/// torchvision's `transforms.Resize(size)` on a PIL image: the shorter side becomes `size`
/// (``shorterSideSize(width:height:to:limits:)``), resampled with ``resizeBilinear(_:width:height:limits:)``.
/// `size == 0` returns the image unchanged, as does a size it already has.
///
/// - Throws: as ``shorterSideSize(width:height:to:limits:)``, before any allocation.
public func resizeShorterSide(_ image: RGBImage, to size: Int, limits: ImageLimits = .standard) throws(ImageCodecError) -> RGBImage {
    if size == 0 { return image }
    let target = try shorterSideSize(width: image.width, height: image.height, to: size, limits: limits)
    return try resizeBilinear(image, width: target.width, height: target.height, limits: limits)
}

/// Pillow's `Image.resize((width, height), Image.BILINEAR)` for an RGB image: a triangle filter
/// widened by the scale factor when shrinking (antialiasing), 8-bit fixed-point coefficients,
/// a horizontal pass into an 8-bit intermediate (only the rows the vertical pass reads), then a
/// vertical pass; the result is bit-identical to Pillow 9.4's, upscaling or downscaling.
///
/// Like Pillow, it works on 8-bit samples: each value is first quantised with
/// ``quantize(_:)-(Float)`` (round half up to one of 256 levels), which gives back exactly the
/// bytes of an 8-bit source. Sources with more precision (16-bit PNGs, transparency composited
/// on white) are rounded to the nearest level; Pillow, which loads 16-bit RGB as 8-bit by keeping
/// the high byte, can differ from that by one level. The result's values are multiples of 1/255.
///
/// - Throws: ``ImageCodecError/invalidOutputSize(width:height:request:)`` for a side of 0 or less,
///   ``ImageCodecError/outputTooLarge(width:height:request:limit:)`` for more than
///   `limits.maxPixels` pixels; both before any allocation.
public func resizeBilinear(_ image: RGBImage, width: Int, height: Int, limits: ImageLimits = .standard) throws(ImageCodecError) -> RGBImage {
    try checkResize(image, width: width, height: height, limits: limits)
    if width == image.width && height == image.height { return image }
    let source = quantize(image.pixels)
    let vertical = ResampleCoefficients(inputSize: image.height, outputSize: height)
    let needsHorizontal = width != image.width
    let needsVertical = height != image.height
    // The rows the vertical pass reads: Pillow resamples only those horizontally.
    let firstRow = vertical.first[0]
    let endRow = vertical.first[height - 1] + vertical.count[height - 1]

    var planes = source
    var (planeWidth, planeHeight, rowOffset) = (image.width, image.height, 0)
    if needsHorizontal {
        let horizontal = ResampleCoefficients(inputSize: image.width, outputSize: width)
        planes = resampleRows(source, width: image.width, height: image.height, rows: firstRow ..< endRow, horizontal)
        (planeWidth, planeHeight, rowOffset) = (width, endRow - firstRow, firstRow)
    }
    if needsVertical {
        planes = resampleColumns(planes, width: planeWidth, height: planeHeight, rowOffset: rowOffset, vertical)
    }
    return planes.withUnsafeBufferPointer { RGBImage(width: width, height: height, planar: $0) }
}

/// torchvision's `transforms.CenterCrop(size)`: the centred `size` x `size` square, its corner at
/// `int(round((h - size) / 2.0))`, `int(round((w - size) / 2.0))` (Python rounds halves to even).
/// A side shorter than `size` is first padded with black, `(size - side) // 2` before it.
///
/// - Throws: ``ImageCodecError/invalidOutputSize(width:height:request:)`` for a size of 0 or less,
///   ``ImageCodecError/outputTooLarge(width:height:request:limit:)`` for more than
///   `limits.maxPixels` pixels; both before any allocation.
/// With `rounding` ``CenterCropRounding/floor``, the start is Lua Torch's `image.crop(x, "c", size, size)`'s
/// `math.floor((side - size) / 2)` instead.
public func centerCrop(
    _ image: RGBImage, size: Int, rounding: CenterCropRounding = .halfToEven, limits: ImageLimits = .standard
) throws(ImageCodecError) -> RGBImage {
    try limits.check()
    let request = "to a centre square of \(size) x \(size)"
    guard size > 0 else { throw .invalidOutputSize(width: image.width, height: image.height, request: request) }
    guard limits.allows(width: size, height: size) else {
        throw .outputTooLarge(width: image.width, height: image.height, request: request, limit: limits.maxPixels)
    }
    if size == image.width && size == image.height { return image }
    func start(_ side: Int) -> Int {
        side < size ? -((size - side) / 2) : Int((Double(side - size) / 2).rounded(rounding == .floor ? .down : .toNearestOrEven))
    }
    let (top, left) = (start(image.height), start(image.width))
    let (width, height) = (image.width, image.height)
    let pixels = [Float](unsafeUninitializedCapacity: 3 * size * size) { buffer, count in
        image.pixels.withUnsafeBufferPointer { source in
            for c in 0 ..< 3 {
                for y in 0 ..< size {
                    let sy = y + top
                    for x in 0 ..< size {
                        let sx = x + left
                        let inside = sy >= 0 && sy < height && sx >= 0 && sx < width
                        buffer[(c * size + y) * size + x] = inside ? source[(c * height + sy) * width + sx] : 0
                    }
                }
            }
        }
        count = 3 * size * size
    }
    return RGBImage(width: size, height: size, pixels: pixels)
}

/// Where a centre crop starts when the margin to drop is odd.
public enum CenterCropRounding: Sendable, Equatable {
    /// torchvision's `CenterCrop`: Python's `round((side - size) / 2.0)`, halves to even.
    case halfToEven
    /// Lua Torch's `image.crop(x, "c", ...)`: `math.floor((side - size) / 2)`.
    case floor
}

// MARK: - Pillow's resampling (Resample.c)

/// Pillow's `PRECISION_BITS`: 32 bits minus 8 for the result minus 2 for overflow and sign.
private let precisionBits: Int32 = 32 - 8 - 2

/// The filter taps of one axis, as Pillow's `precompute_coeffs` and `normalize_coeffs_8bpc`
/// compute them for the bilinear (triangle) filter and the box (0, 0, inputSize, ...).
private struct ResampleCoefficients {
    /// Taps reserved per output position (Pillow's `ksize`).
    let stride: Int
    /// The first input position each output position reads (Pillow's `xmin`).
    let first: [Int]
    /// How many input positions it reads (Pillow's `xmax` after `xmax -= xmin`).
    let count: [Int]
    /// `stride` fixed-point weights per output position (`count` of them used).
    let weights: [Int32]

    init(inputSize: Int, outputSize: Int) {
        let in0: Float = 0
        let in1 = Float(inputSize)  // Pillow's box is float
        let scale = Double(in1 - in0) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = 1.0 * filterScale  // the triangle's support is 1
        let stride = Int(support.rounded(.up)) * 2 + 1
        var first = [Int](repeating: 0, count: outputSize)
        var count = [Int](repeating: 0, count: outputSize)
        var weights = [Int32](repeating: 0, count: outputSize * stride)
        var taps = [Double](repeating: 0, count: stride)
        for xx in 0 ..< outputSize {
            let center = Double(in0) + (Double(xx) + 0.5) * scale
            let ss = 1.0 / filterScale
            let xmin = max(Int(center - support + 0.5), 0)  // C's (int) truncates, as Int() does
            let xmax = min(Int(center + support + 0.5), inputSize) - xmin
            var ww = 0.0
            for x in 0 ..< xmax {
                let w = triangle((Double(x + xmin) - center + 0.5) * ss)
                taps[x] = w
                ww += w
            }
            for x in 0 ..< xmax {
                if ww != 0 { taps[x] /= ww }
                // normalize_coeffs_8bpc; triangle weights are never negative.
                weights[xx * stride + x] = Int32(0.5 + taps[x] * Double(1 << precisionBits))
            }
            first[xx] = xmin
            count[xx] = xmax
        }
        self.stride = stride
        self.first = first
        self.count = count
        self.weights = weights
    }
}

/// Pillow's `bilinear_filter`.
private func triangle(_ x: Double) -> Double {
    let x = abs(x)
    return x < 1 ? 1 - x : 0
}

/// The checks every resize makes before it allocates: a positive size within `limits`.
func checkResize(_ image: RGBImage, width: Int, height: Int, limits: ImageLimits) throws(ImageCodecError) {
    try limits.check()
    let request = "to \(width) x \(height)"
    guard width > 0 && height > 0 else { throw .invalidOutputSize(width: image.width, height: image.height, request: request) }
    guard limits.allows(width: width, height: height) else {
        throw .outputTooLarge(width: image.width, height: image.height, request: request, limit: limits.maxPixels)
    }
}

/// Pillow's `clip8`: the fixed-point sum shifted down, clamped to 0...255.
@inline(__always)
private func clip8(_ sum: Int32) -> UInt8 {
    let value = sum >> precisionBits
    return value < 0 ? 0 : value > 255 ? 255 : UInt8(truncatingIfNeeded: value)
}

/// `ImagingResampleHorizontal_8bpc` on three planes: the given rows, each resampled to
/// `coefficients.first.count` columns.
private func resampleRows(
    _ planes: [UInt8], width: Int, height: Int, rows: Range<Int>, _ coefficients: ResampleCoefficients
) -> [UInt8] {
    let outWidth = coefficients.first.count
    let outHeight = rows.count
    return [UInt8](unsafeUninitializedCapacity: 3 * outWidth * outHeight) { output, filled in
        planes.withUnsafeBufferPointer { input in
            coefficients.weights.withUnsafeBufferPointer { weights in
                coefficients.first.withUnsafeBufferPointer { first in
                    coefficients.count.withUnsafeBufferPointer { count in
                        for c in 0 ..< 3 {
                            for (yy, y) in rows.enumerated() {
                                let row = input.baseAddress! + (c * height + y) * width
                                let target = (c * outHeight + yy) * outWidth
                                for xx in 0 ..< outWidth {
                                    let k = weights.baseAddress! + xx * coefficients.stride
                                    let source = row + first[xx]
                                    var sum: Int32 = 1 << (precisionBits - 1)
                                    for x in 0 ..< count[xx] { sum &+= Int32(source[x]) &* k[x] }
                                    output[target + xx] = clip8(sum)
                                }
                            }
                        }
                    }
                }
            }
        }
        filled = 3 * outWidth * outHeight
    }
}

/// `ImagingResampleVertical_8bpc` on three planes whose first row is input row `rowOffset`.
/// Each output row accumulates whole input rows (integer sums, so the order does not matter).
private func resampleColumns(
    _ planes: [UInt8], width: Int, height: Int, rowOffset: Int, _ coefficients: ResampleCoefficients
) -> [UInt8] {
    let outHeight = coefficients.first.count
    var sums = [Int32](repeating: 0, count: width)
    return [UInt8](unsafeUninitializedCapacity: 3 * width * outHeight) { output, filled in
        planes.withUnsafeBufferPointer { input in
            coefficients.weights.withUnsafeBufferPointer { weights in
                sums.withUnsafeMutableBufferPointer { sums in
                    for c in 0 ..< 3 {
                        let plane = input.baseAddress! + c * height * width
                        for yy in 0 ..< outHeight {
                            let k = weights.baseAddress! + yy * coefficients.stride
                            let first = coefficients.first[yy] - rowOffset
                            for x in 0 ..< width { sums[x] = 1 << (precisionBits - 1) }
                            for y in 0 ..< coefficients.count[yy] {
                                let row = plane + (first + y) * width
                                let weight = k[y]
                                for x in 0 ..< width { sums[x] &+= Int32(row[x]) &* weight }
                            }
                            let target = (c * outHeight + yy) * width
                            for x in 0 ..< width { output[target + x] = clip8(sums[x]) }
                        }
                    }
                }
            }
        }
        filled = 3 * width * outHeight
    }
}
