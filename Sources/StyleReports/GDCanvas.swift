// A libgd true-colour canvas: rectangles, TrueType text, scaled images and atomic PNG output.

import CGD
import Foundation
import ImageCodec

/// A libgd true-colour image. Colours are 0xRRGGBB; text is DejaVu Sans (``SheetLayout/font``),
/// or libgd's built-in font when that file is missing.
final class GDCanvas {
    /// Where a text was drawn: the box libgd reports for it (x, y its top left), for checks that
    /// every text stays inside the sheet.
    struct TextBox: Equatable {
        var text: String
        var x: Int
        var y: Int
        var width: Int
        var height: Int
    }

    let image: gdImagePtr
    let width: Int
    let height: Int
    /// Every text drawn, in order.
    private(set) var textBoxes: [TextBox] = []

    init(width: Int, height: Int) {
        image = gdImageCreateTrueColor(Int32(width), Int32(height))
        self.width = width
        self.height = height
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
            textBoxes.append(TextBox(text: string, x: x, y: y - 10, width: 6 * string.count, height: 13))
        } else {
            // brect: lower left, lower right, upper right, upper left corners.
            textBoxes.append(TextBox(text: string, x: Int(box[6]), y: Int(box[7]), width: Int(box[2] - box[6]), height: Int(box[3] - box[7])))
        }
    }

    /// The height in pixels of `string` at `size` above its baseline (its ascent), for placing it.
    static func textAscent(_ string: String, size: Double) -> Int {
        var box = [Int32](repeating: 0, count: 8)
        if gdImageStringFT(nil, &box, 0, SheetLayout.font, size, 0, 0, 0, string) != nil { return 10 }
        return Int(-box[7])
    }

    /// A rectangle's outline `thickness` pixels wide, inside the box.
    func frame(x: Int, y: Int, width: Int, height: Int, thickness: Int, color: Int32) {
        fill(x: x, y: y, width: width, height: thickness, color: color)
        fill(x: x, y: y + height - thickness, width: width, height: thickness, color: color)
        fill(x: x, y: y, width: thickness, height: height, color: color)
        fill(x: x + width - thickness, y: y, width: thickness, height: height, color: color)
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

    /// The image as PNG bytes (8-bit RGB, not interlaced: libgd's true-colour PNG without alpha).
    func pngData(for path: String) throws(ReportError) -> Data {
        var size: Int32 = 0
        guard let bytes = gdImagePngPtr(image, &size) else { throw .failed("libgd could not encode \(path)") }
        defer { gdFree(bytes) }
        return Data(bytes: bytes, count: Int(size))
    }

    /// Writes the image as PNG, atomically.
    func writePNG(path: String) throws(ReportError) {
        let url = URL(fileURLWithPath: path)
        try ReportFolder(url.deletingLastPathComponent().path).writeAtomically(pngData(for: path), name: url.lastPathComponent)
    }
}
