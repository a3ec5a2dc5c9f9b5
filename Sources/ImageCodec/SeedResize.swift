// The seed model's image handling (aadhithya/AdaIN-pytorch's infer.py): torchvision's Resize on a
// float tensor on the way in, scikit-image's resize on the way out.

import Foundation

/// torchvision's `Resize((height, width))` on a float tensor, as the seed's `load_image` applies it
/// after `ToTensor()`: `torch.nn.functional.interpolate(mode="bilinear", align_corners=False)`
/// without antialiasing (torchvision 0.8's only behaviour on tensors, 0.14's default), in float32
/// as PyTorch 1.13's CPU kernel computes it.
///
/// Per axis: `scale = in / out` (float32), the source coordinate `scale * (i + 0.5) - 0.5`, negative
/// values taken as 0; the two neighbours `floor(src)` and the next one (the last index repeated at
/// the far edge), weighted `1 - l` and `l` with `l = src - floor(src)`. The value is
/// `h0 * (w0 * p00 + w1 * p01) + h1 * (w0 * p10 + w1 * p11)`. Shrinking does not average: it samples.
///
/// - Throws: as ``resizeBilinear(_:width:height:limits:)``, before any allocation.
public func resizeBilinearUnantialiased(_ image: RGBImage, width: Int, height: Int, limits: ImageLimits = .standard) throws(ImageCodecError) -> RGBImage {
    try checkResize(image, width: width, height: height, limits: limits)
    if width == image.width && height == image.height { return image }
    let pixels = resampleLinearly(image.pixels, width: image.width, height: image.height,
                                  rows: linearTaps(input: image.height, output: height), columns: linearTaps(input: image.width, output: width)) { $0 }
    return RGBImage(width: width, height: height, pixels: pixels)
}

/// One output index of a linear resampling along an axis: its two source indices and their weights,
/// in the arithmetic (`Weight`) the resampling is computed in.
private struct LinearTap<Weight: BinaryFloatingPoint> {
    var first: Int, second: Int
    var firstWeight: Weight, secondWeight: Weight
}

/// Separable linear resampling of planar RGB: each output value is
/// `r0 * (c0 * p00 + c1 * p01) + r1 * (c0 * p10 + c1 * p11)` in `Weight` arithmetic (the row taps
/// `rows`, the column taps `columns`), then `finish` makes it a stored float32.
private func resampleLinearly<Weight: BinaryFloatingPoint>(
    _ planes: [Float], width inWidth: Int, height inHeight: Int, rows: [LinearTap<Weight>], columns: [LinearTap<Weight>],
    finish: (Weight) -> Float
) -> [Float] {
    let (width, height) = (columns.count, rows.count)
    let (inPlane, outPlane) = (inWidth * inHeight, width * height)
    var pixels = [Float](repeating: 0, count: 3 * outPlane)
    planes.withUnsafeBufferPointer { source in
        pixels.withUnsafeMutableBufferPointer { target in
            func value(_ i: Int) -> Weight { Weight(source[i]) }
            for c in 0 ..< 3 {
                for y in 0 ..< height {
                    let row = rows[y]
                    let top = c * inPlane + row.first * inWidth, bottom = c * inPlane + row.second * inWidth
                    let out = c * outPlane + y * width
                    for x in 0 ..< width {
                        let column = columns[x]
                        let upper = column.firstWeight * value(top + column.first) + column.secondWeight * value(top + column.second)
                        let lower = column.firstWeight * value(bottom + column.first) + column.secondWeight * value(bottom + column.second)
                        target[out + x] = finish(row.firstWeight * upper + row.secondWeight * lower)
                    }
                }
            }
        }
    }
    return pixels
}

/// PyTorch's `area_pixel_compute_source_index` (align_corners=False) and its neighbour weights.
private func linearTaps(input: Int, output: Int) -> [LinearTap<Float>] {
    let scale = Float(input) / Float(output)
    return (0 ..< output).map { i in
        let source = max(scale * (Float(i) + 0.5) - 0.5, 0)
        let first = min(Int(source), input - 1)
        let second = first < input - 1 ? first + 1 : first
        let lambda = source - Float(first)
        return LinearTap(first: first, second: second, firstWeight: 1 - lambda, secondWeight: lambda)
    }
}

/// scikit-image's `resize(image, (height, width), order=1, preserve_range=True)` with its defaults
/// (`mode="reflect"`, `anti_aliasing` on when any axis shrinks, `clip=True`), as the seed's
/// `postprocess` sends its output back to the content's size; scikit-image 0.19 with SciPy 1.10:
///
/// 1. Antialiasing: on each axis that shrinks by `f = in / out > 1`, SciPy's `gaussian_filter` with
///    `sigma = (f - 1) / 2`, radius `int(4 * sigma + 0.5)`, mode `"mirror"` (`d c b | a b c d | c b a`),
///    rows first, in double, each pass stored as float32.
/// 2. SciPy's `zoom(order=1, mode="mirror", grid_mode=True)`: the source coordinate
///    `(i + 0.5) * in / out - 0.5` in double, mirrored into `[0, in - 1]`, linear interpolation
///    between its two neighbours; stored as float32.
/// 3. Clipped to the input's minimum and maximum.
///
/// - Throws: as ``resizeBilinear(_:width:height:limits:)``, before any allocation.
public func resizeLikeScikitImage(_ image: RGBImage, width: Int, height: Int, limits: ImageLimits = .standard) throws(ImageCodecError) -> RGBImage {
    try checkResize(image, width: width, height: height, limits: limits)
    let low = image.pixels.min() ?? 0, high = image.pixels.max() ?? 0
    var planes = image.pixels
    let (inWidth, inHeight) = (image.width, image.height)
    if height < inHeight {
        planes = gaussianPass(planes, width: inWidth, height: inHeight, alongRows: false, sigma: (Double(inHeight) / Double(height) - 1) / 2)
    }
    if width < inWidth {
        planes = gaussianPass(planes, width: inWidth, height: inHeight, alongRows: true, sigma: (Double(inWidth) / Double(width) - 1) / 2)
    }
    // SciPy sums the 2 x 2 products of the separable weights in double.
    let pixels = resampleLinearly(planes, width: inWidth, height: inHeight,
                                  rows: mirroredTaps(input: inHeight, output: height), columns: mirroredTaps(input: inWidth, output: width)) {
        min(max(Float($0), low), high)
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

/// SciPy's `zoom(order=1, mode="mirror", grid_mode=True)` along one axis: `map_coordinate`'s
/// mirroring of the coordinate, then the two spline-order-1 neighbours (an index past the end mirrored).
private func mirroredTaps(input: Int, output: Int) -> [LinearTap<Double>] {
    let zoom = Double(input) / Double(output)
    return (0 ..< output).map { i in
        var coordinate = (Double(i) + 0.5) * zoom - 0.5
        if input <= 1 { return LinearTap(first: 0, second: 0, firstWeight: 1, secondWeight: 0) }
        let period = Double(2 * input - 2)
        if coordinate < 0 {
            coordinate = period * Double(Int(-coordinate / period)) + coordinate
            coordinate = coordinate <= Double(1 - input) ? coordinate + period : -coordinate
        } else if coordinate > Double(input - 1) {
            coordinate -= period * Double(Int(coordinate / period))
            if coordinate >= Double(input) { coordinate = period - coordinate }
        }
        let start = Int(coordinate.rounded(.down))
        let t = coordinate - Double(start)
        let next = start + 1 < input ? start + 1 : 2 * (input - 1) - (start + 1)
        return LinearTap(first: start, second: next, firstWeight: 1 - t, secondWeight: t)
    }
}

/// One pass of SciPy's `gaussian_filter1d` (truncate 4, mode "mirror") over each plane, along rows
/// (x) or columns (y); accumulated in double, stored as float32.
private func gaussianPass(_ planes: [Float], width: Int, height: Int, alongRows: Bool, sigma: Double) -> [Float] {
    let radius = Int(4 * sigma + 0.5)
    var weights = (-radius ... radius).map { x in exp(-0.5 / (sigma * sigma) * Double(x * x)) }
    let total = weights.reduce(0, +)
    weights = weights.map { $0 / total }
    let length = alongRows ? width : height
    func mirrored(_ i: Int) -> Int {
        guard length > 1 else { return 0 }
        let period = 2 * length - 2
        var j = i % period
        if j < 0 { j += period }
        return j < length ? j : period - j
    }
    var result = planes
    let lines = alongRows ? height : width
    let step = alongRows ? 1 : width
    for c in 0 ..< 3 {
        for line in 0 ..< lines {
            let base = c * width * height + (alongRows ? line * width : line)
            for i in 0 ..< length {
                var sum = 0.0
                for (k, weight) in weights.enumerated() {
                    sum += weight * Double(planes[base + mirrored(i + k - radius) * step])
                }
                result[base + i * step] = Float(sum)
            }
        }
    }
    return result
}
