// A libgd true-colour canvas: rectangles, TrueType text, scaled images and atomic PNG output.

import CGD
import Foundation
import ImageCodec

/// A libgd true-colour image. Colours are 0xRRGGBB; text is DejaVu Sans (``SheetLayout/font``),
/// or libgd's built-in font when that file is missing.
final class GDCanvas {
    let image: gdImagePtr

    init(width: Int, height: Int) {
        image = gdImageCreateTrueColor(Int32(width), Int32(height))
    }

    deinit { gdImageDestroy(image) }

    func fill(x: Int, y: Int, width: Int, height: Int, color: Int32) {
        gdImageFilledRectangle(image, Int32(x), Int32(y), Int32(x + width - 1), Int32(y + height - 1), color)
    }

    /// TrueType text with its baseline at `y`, falling back to libgd's built-in font without the font file.
    func text(_ string: String, x: Int, y: Int, size: Double, color: Int32) {
        var box = [Int32](repeating: 0, count: 8)
        let error = gdImageStringFT(image, &box, color, SheetLayout.font, size, 0, Int32(x), Int32(y), string)
        if error != nil {
            var bytes = Array(string.utf8.map { $0 < 128 ? $0 : UInt8(ascii: "?") }) + [0]
            gdImageString(image, gdFontGetSmall(), Int32(x), Int32(y - 10), &bytes, color)
        }
    }

    /// The width in pixels that ``text(_:x:y:size:color:)`` gives `string`.
    static func textWidth(_ string: String, size: Double) -> Int {
        var box = [Int32](repeating: 0, count: 8)
        if gdImageStringFT(nil, &box, 0, SheetLayout.font, size, 0, 0, 0, string) != nil {
            return 6 * string.count // gdFontSmall is 6 pixels wide
        }
        return Int(box[2] - box[0])
    }

    /// Draws `picture` scaled to fit `width` x `height` (aspect kept), centred in that box.
    func draw(_ picture: RGBImage, x: Int, y: Int, width: Int, height: Int) {
        guard let source = gdImageCreateTrueColor(Int32(picture.width), Int32(picture.height)) else { return }
        defer { gdImageDestroy(source) }
        let bytes = quantize(picture.pixels)
        let plane = picture.width * picture.height
        for py in 0 ..< picture.height {
            for px in 0 ..< picture.width {
                let i = py * picture.width + px
                let color = Int32(bytes[i]) << 16 | Int32(bytes[plane + i]) << 8 | Int32(bytes[2 * plane + i])
                gdImageSetPixel(source, Int32(px), Int32(py), color)
            }
        }
        let scale = min(Double(width) / Double(picture.width), Double(height) / Double(picture.height))
        let w = max(1, Int((Double(picture.width) * scale).rounded()))
        let h = max(1, Int((Double(picture.height) * scale).rounded()))
        gdImageCopyResampled(image, source, Int32(x + (width - w) / 2), Int32(y + (height - h) / 2), 0, 0,
                             Int32(w), Int32(h), Int32(picture.width), Int32(picture.height))
    }

    /// Writes the image as PNG, atomically.
    func writePNG(path: String) throws(ReportError) {
        var size: Int32 = 0
        guard let bytes = gdImagePngPtr(image, &size) else { throw .failed("libgd could not encode \(path)") }
        defer { gdFree(bytes) }
        let url = URL(fileURLWithPath: path)
        try ReportFolder(url.deletingLastPathComponent().path).writeAtomically(Data(bytes: bytes, count: Int(size)), name: url.lastPathComponent)
    }
}
