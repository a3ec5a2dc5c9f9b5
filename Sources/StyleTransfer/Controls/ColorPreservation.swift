// Keeping the content image's colours: pytorch-AdaIN's coral and Gatys et al.'s luminance-only transfer.

import ImageCodec

/// How the content image's colours are kept in the stylized result (`--preserve-color`).
public enum ColorPreservation: String, Sendable, CaseIterable {
    /// Colours come from the style, as plain AdaIN.
    case none
    /// pytorch-AdaIN's `--preserve_color` (and AdaIN-style's `-preserveColor`): before encoding,
    /// each style image is transformed by ``coral(source:target:)`` so that its colour mean and
    /// covariance match the content image's.
    case coral
    /// Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer" (CVPR),
    /// luminance-only transfer: only luminance is stylized, with the style's luminance matched to the
    /// content's mean and standard deviation, and the content's chroma is kept (YIQ). See
    /// ``luminanceImage(_:)``, ``matchLuminance(_:to:)`` and ``recombineLuminance(_:chromaFrom:)``.
    case luminance

    /// Parses a `--preserve-color` value: `none`, `coral` or `luminance`.
    public init(parsing text: String) throws(StyleControlError) {
        guard let value = ColorPreservation(rawValue: text.lowercased()) else {
            throw .unknownColorPreservation(text)
        }
        self = value
    }

    /// The style image as it is encoded under this mode, for a content image as it is encoded.
    func styleInput(_ style: RGBImage, content: RGBImage) -> RGBImage {
        styleInput(style, colors: ContentColors(self, of: content))
    }

    /// The style image as it is encoded under this mode, for a content whose colour statistics are `colors`.
    func styleInput(_ style: RGBImage, colors: ContentColors) -> RGBImage {
        switch colors {
        case .none: return style
        case .coral(let target): return StyleTransfer.coral(source: style, target: target)
        case .luminance(let mean, let std): return matchLuminance(style, mean: mean, std: std)
        }
    }

    /// The content image as it is encoded under this mode.
    func contentInput(_ content: RGBImage) -> RGBImage {
        self == .luminance ? luminanceImage(content) : content
    }

    /// The final image from the cropped decoder output under this mode.
    func output(_ decoded: RGBImage, content: RGBImage) -> RGBImage {
        self == .luminance ? recombineLuminance(decoded, chromaFrom: content) : decoded
    }
}

// MARK: - CORAL

/// pytorch-AdaIN's `coral(source, target)` (function.py): `source` recoloured so that its colour
/// mean and covariance match `target`'s.
///
/// With `f` the 3 x N colour values of an image, `mean` and `std` per channel (the *unbiased*
/// standard deviation, `torch.std`), `n = (f - mean) / std`, and `S = n_s n_s^T + I`,
/// `T = n_t n_t^T + I` (sums over the pixels, plus the identity, as pytorch-AdaIN):
/// `result = T^(1/2) S^(-1/2) n_s * std_t + mean_t`. The matrix square roots are those of
/// symmetric positive definite matrices, computed by a Jacobi eigen-decomposition (pytorch-AdaIN
/// uses `torch.svd`, which gives the same matrices). Statistics and matrices are in Double, the
/// result in Float; it is not clamped to [0, 1]. A constant channel (std 0, where PyTorch gives
/// NaN) is left unnormalised: its `n` is 0.
///
/// The images may differ in size; the result has the source's size.
public func coral(source: RGBImage, target: RGBImage) -> RGBImage {
    coral(source: source, target: ColorStatistics(target))
}

/// What a colour-preservation mode takes from the content image to transform the styles: its
/// colour statistics (coral) or its luma's mean and unbiased standard deviation (luminance), from a
/// whole ``RGBImage`` or, in one pass per statistic over the pixels in the same order (so the same
/// sums), from 8-bit samples (a tiled stylization's content).
enum ContentColors {
    case none
    case coral(ColorStatistics)
    case luminance(mean: Double, std: Double)

    init(_ mode: ColorPreservation, of image: RGBImage) {
        switch mode {
        case .none: self = .none
        case .coral: self = .coral(ColorStatistics(image))
        case .luminance:
            let (mean, std) = meanAndUnbiasedStd(luma(image))
            self = .luminance(mean: mean, std: std)
        }
    }

    init(_ mode: ColorPreservation, of image: RGB8Image) {
        switch mode {
        case .none: self = .none
        case .coral: self = .coral(ColorStatistics(image))
        case .luminance:
            let y = rgbToYIQ.rows[0]
            let unit = (0 ... 255).map { Double(Float($0) / 255) }
            let count = image.width * image.height
            precondition(count >= 2, "a standard deviation needs at least 2 values")
            let (mean, squares) = image.samples.withUnsafeBufferPointer { p in
                func luma(_ i: Int) -> Double { y[0] * unit[Int(p[3 * i])] + y[1] * unit[Int(p[3 * i + 1])] + y[2] * unit[Int(p[3 * i + 2])] }
                let mean = (0 ..< count).reduce(0.0) { $0 + luma($1) } / Double(count)
                return (mean, (0 ..< count).reduce(0.0) { $0 + (luma($1) - mean) * (luma($1) - mean) })
            }
            self = .luminance(mean: mean, std: (squares / Double(count - 1)).squareRoot())
        }
    }
}

/// ``coral(source:target:)`` with the target's statistics.
func coral(source: RGBImage, target t: ColorStatistics) -> RGBImage {
    let s = ColorStatistics(source)
    let transfer = t.covariancePlusIdentity.symmetricPower(0.5) * s.covariancePlusIdentity.symmetricPower(-0.5)
    let plane = source.width * source.height
    var pixels = [Float](repeating: 0, count: 3 * plane)
    source.pixels.withUnsafeBufferPointer { p in
        for i in 0 ..< plane {
            let (n0, n1, n2) = (s.normalized(p[i], 0), s.normalized(p[plane + i], 1), s.normalized(p[2 * plane + i], 2))
            let (r, g, b) = transfer.apply(n0, n1, n2)
            pixels[i] = Float(r * t.std[0] + t.mean[0])
            pixels[plane + i] = Float(g * t.std[1] + t.mean[1])
            pixels[2 * plane + i] = Float(b * t.std[2] + t.mean[2])
        }
    }
    return RGBImage(width: source.width, height: source.height, pixels: pixels)
}

/// Per-channel mean and unbiased standard deviation of an image, and `n n^T + I` of its
/// standardised colours (see ``coral(source:target:)``).
struct ColorStatistics {
    var mean: [Double]
    var std: [Double]
    var covariancePlusIdentity: Matrix3

    init(_ image: RGBImage) {
        let plane = image.width * image.height
        self = image.pixels.withUnsafeBufferPointer { p in
            ColorStatistics(count: plane) { c, i in Double(p[c * plane + i]) }
        }
    }

    /// From 8-bit samples: the same sums, in the same order, as from the ``RGBImage`` they read as.
    init(_ image: RGB8Image) {
        let unit = (0 ... 255).map { Double(Float($0) / 255) }
        self = image.samples.withUnsafeBufferPointer { p in
            ColorStatistics(count: image.width * image.height) { c, i in unit[Int(p[3 * i + c])] }
        }
    }

    /// Over `count` pixels whose channel `c` at pixel `i` is `value(c, i)`.
    private init(count plane: Int, value: (Int, Int) -> Double) {
        precondition(plane >= 2, "colour statistics need at least 2 pixels")
        mean = (0 ..< 3).map { c in (0 ..< plane).reduce(0.0) { $0 + value(c, $1) } / Double(plane) }
        let m = mean
        std = (0 ..< 3).map { c in
            let squares = (0 ..< plane).reduce(0.0) { sum, i in
                let d = value(c, i) - m[c]
                return sum + d * d
            }
            let std = (squares / Double(plane - 1)).squareRoot()
            return std > 0 ? std : 1
        }
        var (s00, s01, s02, s11, s12, s22) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        let (sd0, sd1, sd2) = (std[0], std[1], std[2])
        for i in 0 ..< plane {
            let n0 = (value(0, i) - m[0]) / sd0
            let n1 = (value(1, i) - m[1]) / sd1
            let n2 = (value(2, i) - m[2]) / sd2
            s00 += n0 * n0; s01 += n0 * n1; s02 += n0 * n2
            s11 += n1 * n1; s12 += n1 * n2; s22 += n2 * n2
        }
        covariancePlusIdentity = Matrix3(rows: [[s00, s01, s02], [s01, s11, s12], [s02, s12, s22]]) + .identity
    }

    func normalized(_ value: Float, _ channel: Int) -> Double {
        (Double(value) - mean[channel]) / std[channel]
    }
}

// MARK: - Luminance-only transfer (Gatys et al. 2017)

/// RGB to YIQ (NTSC; Y is Rec. 601 luma `0.299 R + 0.587 G + 0.114 B`).
let rgbToYIQ = Matrix3(rows: [
    [0.299, 0.587, 0.114],
    [0.595716, -0.274453, -0.321263],
    [0.211456, -0.522591, 0.311135],
])
/// YIQ to RGB: the exact inverse of ``rgbToYIQ``.
let yiqToRGB = rgbToYIQ.inverse

/// The Rec. 601 luma of every pixel, computed in Double.
func luma(_ image: RGBImage) -> [Double] {
    let plane = image.width * image.height
    let y = rgbToYIQ.rows[0]
    return image.pixels.withUnsafeBufferPointer { p in
        (0 ..< plane).map { i in y[0] * Double(p[i]) + y[1] * Double(p[plane + i]) + y[2] * Double(p[2 * plane + i]) }
    }
}

/// A grey image from per-pixel values: the same value in R, G and B.
func greyImage(_ values: [Double], width: Int, height: Int) -> RGBImage {
    let grey = values.map(Float.init)
    return RGBImage(width: width, height: height, pixels: grey + grey + grey)
}

/// The content's luminance as a grey RGB image (Y in every channel), the network's input in
/// luminance-only transfer: the VGG encoder takes three channels, and a grey image is what it
/// sees of a luminance channel.
public func luminanceImage(_ image: RGBImage) -> RGBImage {
    greyImage(luma(image), width: image.width, height: image.height)
}

/// The style's luminance, matched to the content's, as a grey RGB image: Gatys et al. 2017,
/// luminance-only transfer, `L_s' = sigma_c / sigma_s * (L_s - mu_s) + mu_c`, with means and *unbiased* standard
/// deviations over all pixels (the project's convention, as `torch.std`). A constant style
/// luminance (sigma_s = 0) is only shifted. Values are not clamped.
public func matchLuminance(_ style: RGBImage, to content: RGBImage) -> RGBImage {
    let (mean, std) = meanAndUnbiasedStd(luma(content))
    return matchLuminance(style, mean: mean, std: std)
}

/// ``matchLuminance(_:to:)`` with the content luma's mean `muC` and unbiased standard deviation `sigmaC`.
func matchLuminance(_ style: RGBImage, mean muC: Double, std sigmaC: Double) -> RGBImage {
    let ls = luma(style)
    let (muS, sigmaS) = meanAndUnbiasedStd(ls)
    let scale = sigmaS > 0 ? sigmaC / sigmaS : 1
    return greyImage(ls.map { ($0 - muS) * scale + muC }, width: style.width, height: style.height)
}

/// The stylized luminance combined with the content's chroma: `Y` from `stylized` (the luma of
/// the network's output, cropped to the content's size), `I` and `Q` from `content`, back to RGB
/// with the inverse of the YIQ matrix. Not clamped (writing clamps).
public func recombineLuminance(_ stylized: RGBImage, chromaFrom content: RGBImage) -> RGBImage {
    precondition(stylized.width == content.width && stylized.height == content.height,
                 "the stylized image is \(stylized.width)x\(stylized.height), the content \(content.width)x\(content.height)")
    let plane = content.width * content.height
    let y = luma(stylized)
    var pixels = [Float](repeating: 0, count: 3 * plane)
    content.pixels.withUnsafeBufferPointer { p in
        for i in 0 ..< plane {
            let (_, ci, cq) = rgbToYIQ.apply(Double(p[i]), Double(p[plane + i]), Double(p[2 * plane + i]))
            let (r, g, b) = yiqToRGB.apply(y[i], ci, cq)
            pixels[i] = Float(r)
            pixels[plane + i] = Float(g)
            pixels[2 * plane + i] = Float(b)
        }
    }
    return RGBImage(width: content.width, height: content.height, pixels: pixels)
}

private func meanAndUnbiasedStd(_ values: [Double]) -> (mean: Double, std: Double) {
    precondition(values.count >= 2, "a standard deviation needs at least 2 values")
    let mean = values.reduce(0, +) / Double(values.count)
    let squares = values.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) }
    return (mean, (squares / Double(values.count - 1)).squareRoot())
}
