// The Lua Torch image package's scaling, as AdaIN-style's test.lua sizes its images
// (lib/utils.lua's sizePreprocess: image.scale(x, '^' .. size), bilinear).

/// The size `image.scale(x, "^size")` gives: both sides multiplied by `size / shorter side` in
/// Lua's double arithmetic and truncated toward zero when the tensor is made (`src.new(3, h, w)`).
///
/// - Throws: as ``shorterSideSize(width:height:to:limits:)``.
public func torchImageShorterSideSize(
    width: Int, height: Int, to size: Int, limits: ImageLimits = .standard
) throws(ImageCodecError) -> (width: Int, height: Int) {
    try limits.check()
    let request = "to a shorter side of \(size)"
    guard width > 0 && height > 0 && size > 0 else { throw .invalidOutputSize(width: width, height: height, request: request) }
    let shorter = Double(min(width, height))
    let scaled = (Double(width) * Double(size) / shorter, Double(height) * Double(size) / shorter)
    guard scaled.0 < Double(Int.max / 4), scaled.1 < Double(Int.max / 4), limits.allows(width: Int(scaled.0), height: Int(scaled.1)) else {
        throw .outputTooLarge(width: width, height: height, request: request, limit: limits.maxPixels)
    }
    return (Int(scaled.0), Int(scaled.1))
}

/// `image.scale(src, width, height, "bilinear")` of the Lua Torch image package (generic/image.c's
/// `scaleBilinear`) on a float tensor: each row resampled to `width` first, then each column to
/// `height`, in float32, by `scaleLinear_rowcol`:
/// - growing: align-corners linear interpolation, `scale = (in - 1) / (out - 1)`, the source
///   `i * scale` split into its integer part and fraction; the last output is the last input;
/// - shrinking: a box average over `[i * in / out, (i + 1) * in / out)`, the partly covered
///   inputs at both ends weighted by their covered fraction;
/// - equal lengths: a copy.
///
/// - Throws: as ``resizeBilinear(_:width:height:limits:)``, before any allocation.
public func resizeLikeTorchImage(_ image: RGBImage, width: Int, height: Int, limits: ImageLimits = .standard) throws(ImageCodecError) -> RGBImage {
    try checkResize(image, width: width, height: height, limits: limits)
    let (inWidth, inHeight) = (image.width, image.height)
    var rows = [Float](repeating: 0, count: 3 * inHeight * width)
    var pixels = [Float](repeating: 0, count: 3 * height * width)
    image.pixels.withUnsafeBufferPointer { source in
        rows.withUnsafeMutableBufferPointer { tmp in
            for c in 0 ..< 3 {
                for y in 0 ..< inHeight {
                    scaleLinearRowColumn(source, tmp, sourceStart: (c * inHeight + y) * inWidth, targetStart: (c * inHeight + y) * width,
                                         sourceStride: 1, targetStride: 1, sourceLength: inWidth, targetLength: width)
                }
            }
        }
    }
    rows.withUnsafeBufferPointer { tmp in
        pixels.withUnsafeMutableBufferPointer { target in
            for c in 0 ..< 3 {
                for x in 0 ..< width {
                    scaleLinearRowColumn(tmp, target, sourceStart: c * inHeight * width + x, targetStart: c * height * width + x,
                                         sourceStride: width, targetStride: width, sourceLength: inHeight, targetLength: height)
                }
            }
        }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

/// generic/image.c's `scaleLinear_rowcol` for `real` = float: one row or column.
private func scaleLinearRowColumn(
    _ source: UnsafeBufferPointer<Float>, _ target: UnsafeMutableBufferPointer<Float>,
    sourceStart: Int, targetStart: Int, sourceStride: Int, targetStride: Int, sourceLength: Int, targetLength: Int
) {
    func src(_ i: Int) -> Float { source[sourceStart + i * sourceStride] }
    func set(_ i: Int, _ value: Float) { target[targetStart + i * targetStride] = value }
    if targetLength > sourceLength {
        let scale = Float(sourceLength - 1) / Float(targetLength - 1)
        for i in 0 ..< targetLength - 1 {
            if sourceLength == 1 { set(i, src(0)); continue }
            var position = Float(i) * scale
            let index = Int(position)
            position -= Float(index)
            set(i, (1 - position) * src(index) + position * src(index + 1))
        }
        set(targetLength - 1, src(sourceLength - 1))
    } else if targetLength < sourceLength {
        let scale = Float(sourceLength) / Float(targetLength)
        var (start, startFraction): (Int, Float) = (0, 0)
        for i in 0 ..< targetLength {
            var endFraction = Float(i + 1) * scale
            let end = Int(endFraction)
            endFraction -= Float(end)
            var sum = (1 - startFraction) * src(start)
            var count = 1 - startFraction
            for j in stride(from: start + 1, to: end, by: 1) {
                sum += src(j)
                count += 1
            }
            if end < sourceLength {
                sum += endFraction * src(end)
                count += endFraction
            }
            set(i, sum / count)
            (start, startFraction) = (end, endFraction)
        }
    } else {
        for i in 0 ..< targetLength { set(i, src(i)) }
    }
}
