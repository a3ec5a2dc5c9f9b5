// How far a stylization's colours are from the content's: the metric of colour preservation.

import Foundation
import ImageCodec

/// The 2-Wasserstein distance between Gaussian fits of two images' chroma in CIELAB, in CIELAB
/// units (comparable to a colour difference, Delta E): 0 when the chroma distributions have the
/// same mean and covariance.
///
/// Each image is taken as it is written (values clamped and rounded to 8 bits, ``quantize(_:)``),
/// converted from sRGB (IEC 61966-2-1 transfer function and matrix) to CIELAB with the D65 white,
/// and its (a*, b*) pairs fitted by their mean m and biased covariance S; then
/// `W2^2 = |m1 - m2|^2 + tr(S1 + S2 - 2 (S2^(1/2) S1 S2^(1/2))^(1/2))`. Luminance is left out: the
/// colour-preservation methods (coral, luminance-only) keep the content's chroma, not its
/// lightness. Reference: Scripts/goldens_colour.py (numpy, eigendecomposition square roots).
///
/// The images may differ in size.
public func chromaDistance(_ a: RGBImage, _ b: RGBImage) -> Double {
    chromaDistance(chromaGaussian(a), chromaGaussian(b))
}

/// ``chromaDistance(_:_:)`` between two chroma Gaussians (``ChromaSums/gaussian``).
func chromaDistance(_ a: ((Double, Double), Symmetric2), _ b: ((Double, Double), Symmetric2)) -> Double {
    let (ma, sa) = a, (mb, sb) = b
    let root = symmetricSquareRoot(sb)
    let cross = symmetricSquareRoot(root.sandwiching(sa))
    let meanTerm = (ma.0 - mb.0) * (ma.0 - mb.0) + (ma.1 - mb.1) * (ma.1 - mb.1)
    let traceTerm = sa.trace + sb.trace - 2 * cross.trace
    return max(meanTerm + traceTerm, 0).squareRoot()
}

/// A symmetric 2x2 matrix `[[xx, xy], [xy, yy]]`.
struct Symmetric2: Equatable {
    var xx: Double, xy: Double, yy: Double

    var trace: Double { xx + yy }
    var determinant: Double { xx * yy - xy * xy }

    /// `self * m * self`, symmetric when both are.
    func sandwiching(_ m: Symmetric2) -> Symmetric2 {
        // p = self * m (not symmetric), then p * self.
        let (p11, p12, p21, p22) = (xx * m.xx + xy * m.xy, xx * m.xy + xy * m.yy, xy * m.xx + yy * m.xy, xy * m.xy + yy * m.yy)
        let (q11, q12, q21, q22) = (p11 * xx + p12 * xy, p11 * xy + p12 * yy, p21 * xx + p22 * xy, p21 * xy + p22 * yy)
        return Symmetric2(xx: q11, xy: (q12 + q21) / 2, yy: q22)
    }
}

/// The square root of a symmetric positive semi-definite 2x2 matrix M: with s = sqrt(det M) and
/// t = sqrt(tr M + 2 s), `sqrt(M) = (M + s I) / t` (zero for M = 0).
func symmetricSquareRoot(_ m: Symmetric2) -> Symmetric2 {
    let s = max(m.determinant, 0).squareRoot()
    let t = max(m.trace + 2 * s, 0).squareRoot()
    guard t > 0 else { return Symmetric2(xx: 0, xy: 0, yy: 0) }
    return Symmetric2(xx: (m.xx + s) / t, xy: m.xy / t, yy: (m.yy + s) / t)
}

/// The mean and biased covariance of an image's CIELAB (a*, b*), summed in Double.
func chromaGaussian(_ image: RGBImage) -> ((Double, Double), Symmetric2) {
    let plane = image.width * image.height
    var sums = ChromaSums()
    for i in 0 ..< plane {
        sums.add(red: quantize(image.pixels[i]), green: quantize(image.pixels[plane + i]), blue: quantize(image.pixels[2 * plane + i]))
    }
    return sums.gaussian
}

/// The sums a chroma Gaussian is formed from, over 8-bit pixels added one by one (an image's
/// tiles or bands in any order give its Gaussian up to summation order).
struct ChromaSums {
    private var sa = 0.0, sb = 0.0, saa = 0.0, sab = 0.0, sbb = 0.0, count = 0.0

    /// sRGB to linear, one table for the 256 levels an 8-bit image has.
    private static let linear = (0 ... 255).map { level -> Double in
        let v = Double(level) / 255
        return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
    }

    mutating func add(red: UInt8, green: UInt8, blue: UInt8) {
        func f(_ t: Double) -> Double {
            let delta = 6.0 / 29
            return t > delta * delta * delta ? cbrt(t) : t / (3 * delta * delta) + 4.0 / 29
        }
        let (r, g, b) = (Self.linear[Int(red)], Self.linear[Int(green)], Self.linear[Int(blue)])
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
        let (fx, fy, fz) = (f(x), f(y), f(z))
        let a = 500 * (fx - fy), bb = 200 * (fy - fz)
        sa += a; sb += bb; saa += a * a; sab += a * bb; sbb += bb * bb
        count += 1
    }

    /// Adds interleaved RGB samples.
    mutating func add(samples: UnsafeBufferPointer<UInt8>) {
        for i in stride(from: 0, to: samples.count - 2, by: 3) { add(red: samples[i], green: samples[i + 1], blue: samples[i + 2]) }
    }

    /// The mean and biased covariance of the pixels added.
    var gaussian: ((Double, Double), Symmetric2) {
        let (ma, mb) = (sa / count, sb / count)
        return ((ma, mb), Symmetric2(xx: saa / count - ma * ma, xy: sab / count - ma * mb, yy: sbb / count - mb * mb))
    }
}
