// Masks for spatial control made at any size: halves, an ellipse, bands (a label map), a soft radial fall-off.

import ImageCodec

/// A mask that stylectl draws itself (`stylectl mask`). Pixel (x, y) is sampled at its centre
/// `(x + 0.5, y + 0.5)`; values are whole 8-bit grey levels (`level / 255`), so a mask written as
/// PNG reads back exactly as generated.
public enum MaskShape: Sendable, Equatable {
    /// Left half white (first style), right half black (second): a binary mask.
    case halves
    /// A white ellipse centred in the image, its axes 60 % of the width and 80 % of the height, on
    /// black: a binary mask, the ellipse the first style.
    case ellipse
    /// `count` (>= 2) horizontal bands of equal height, top to bottom with grey levels
    /// `round(255 * i / (count - 1))`: a label map for `count` styles, the top band (black) the
    /// first (``SpatialMask/Mode/labels`` orders regions by increasing grey level).
    case bands(Int)
    /// A soft mask: white within a quarter of the shorter side from the centre, falling linearly to
    /// black at half the shorter side (the inscribed circle), black beyond; for ``SpatialMask/Mode/soft``
    /// with two styles, the centre the first.
    case radial

    /// The largest width or height ``image(width:height:)`` is asked for by `stylectl mask`: the
    /// largest content size (``ImageSizing/maximumSize``); a mask larger than the content is
    /// only sampled down.
    public static let maximumSide = ImageSizing.maximumSize
    /// The most pixels a mask may have: ImageCodec's default limit for reading an image (Pillow's
    /// 178,956,970), so that every mask written can be read back; 2.1 GB as float RGB.
    public static let maximumPixels = ImageLimits.defaultMaxPixels

    /// Refuses a size ``image(width:height:)`` must not be asked for (checked without overflow).
    public static func checkSize(width: Int, height: Int) throws(StyleControlError) {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard (1 ... maximumSide).contains(width), (1 ... maximumSide).contains(height), !overflow, pixels <= maximumPixels else {
            throw .maskSizeOutOfRange(width: width, height: height)
        }
    }

    /// The mask as a grey RGB image; the size must pass ``checkSize(width:height:)``.
    public func image(width: Int, height: Int) -> RGBImage {
        precondition(width > 0 && height > 0, "a mask needs a positive size, got \(width)x\(height)")
        if case .bands(let count) = self { precondition(count >= 2, "bands need at least 2 regions, got \(count)") }
        var grey = [Float](repeating: 0, count: width * height)
        let (w, h) = (Double(width), Double(height))
        for y in 0 ..< height {
            for x in 0 ..< width {
                let (px, py) = (Double(x) + 0.5, Double(y) + 0.5)
                let level: Double
                switch self {
                case .halves:
                    level = px < w / 2 ? 255 : 0
                case .ellipse:
                    let (dx, dy) = ((px - w / 2) / (0.3 * w), (py - h / 2) / (0.4 * h))
                    level = dx * dx + dy * dy <= 1 ? 255 : 0
                case .bands(let count):
                    let band = y * count / height
                    level = (255 * Double(band) / Double(count - 1)).rounded()
                case .radial:
                    let side = min(w, h)
                    let r = ((px - w / 2) * (px - w / 2) + (py - h / 2) * (py - h / 2)).squareRoot()
                    let inner = side / 4, outer = side / 2
                    level = (255 * min(max((outer - r) / (outer - inner), 0), 1)).rounded()
                }
                grey[y * width + x] = Float(level) / 255
            }
        }
        return RGBImage(width: width, height: height, pixels: grey + grey + grey)
    }
}
