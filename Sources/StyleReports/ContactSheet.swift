// Contact sheets (sheet-N.png) drawn with libgd: title, column headers, row thumbnails, cells, legend.

import CGD
import Foundation
import ImageCodec

/// The geometry of a contact sheet: every cell is `cell` x `cell` pixels (images are scaled to
/// fit, centred), with `gap` between cells, a row header of two thumbnails (content, style) at the
/// left, the title and column headers at the top and the legend at the bottom.
public enum SheetLayout {
    public static let margin = 16
    public static let titleHeight = 36
    public static let headerHeight = 28
    public static let cell = 128
    public static let gap = 8
    public static let thumbnail = 60
    /// Two thumbnails, the gap between them and the gap before the grid.
    public static let rowHeaderWidth = 2 * thumbnail + 2 * gap
    public static let legendHeight = 44
    public static let font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

    /// The sheet's size in pixels for a grid of `columns` x `rows` cells.
    public static func size(columns: Int, rows: Int) -> (width: Int, height: Int) {
        (2 * margin + rowHeaderWidth + columns * cell + (columns - 1) * gap,
         2 * margin + titleHeight + headerHeight + rows * cell + (rows - 1) * gap + gap + legendHeight)
    }

    /// The top-left corner of cell (`row`, `column`) on its sheet (`row` counted on the sheet).
    public static func cellOrigin(row: Int, column: Int) -> (x: Int, y: Int) {
        (margin + rowHeaderWidth + column * (cell + gap), margin + titleHeight + headerHeight + row * (cell + gap))
    }
}

/// Draws the manifest's grid on sheets of at most `rowsPerSheet` rows, `sheet-1.png`, `sheet-2.png`,
/// ...; cells not done are left blank. Returns the file names.
func writeContactSheets(_ manifest: SweepManifest, folder: String, rowsPerSheet: Int) throws(SweepError) -> [String] {
    let pages = stride(from: 0, to: manifest.rows.count, by: rowsPerSheet).map { $0 ..< min($0 + rowsPerSheet, manifest.rows.count) }
    let definition = manifest.definition
    let name = URL(fileURLWithPath: folder).lastPathComponent
    let sweptColor = definition.preserveColors.count > 1
    var thumbnails: [String: RGBImage] = [:]
    func thumbnail(_ path: String) -> RGBImage? {
        if let found = thumbnails[path] { return found }
        guard let image = try? readImage(path: path) else { return nil }
        thumbnails[path] = image
        return image
    }
    var names: [String] = []
    for (p, rows) in pages.enumerated() {
        let (width, height) = SheetLayout.size(columns: manifest.columns.count, rows: rows.count)
        let sheet = GDCanvas(width: width, height: height)
        sheet.fill(x: 0, y: 0, width: width, height: height, color: 0xFFFFFF)
        let m = SheetLayout.margin
        sheet.text("stylectl sweep \(name)" + (pages.count > 1 ? " (page \(p + 1) of \(pages.count))" : ""),
                   x: m, y: m + 22, size: 15, color: 0x000000)
        let headerY = m + SheetLayout.titleHeight + 18
        sheet.text("content / style", x: m, y: headerY, size: 9, color: 0x555555)
        for (c, column) in manifest.columns.enumerated() {
            let x = SheetLayout.cellOrigin(row: 0, column: c).x
            let lines = wrapped(column.label)
            for (l, line) in lines.enumerated() {
                sheet.text(line, x: x + 4, y: headerY + (lines.count == 1 ? 0 : 12 * l - 8), size: 9, color: 0x000000)
            }
        }
        for (r, rowIndex) in rows.enumerated() {
            let row = manifest.rows[rowIndex]
            let y = SheetLayout.cellOrigin(row: r, column: 0).y
            let content = definition.contents[row.content]
            if let image = thumbnail(content.path) {
                sheet.draw(image, x: m, y: y, width: SheetLayout.thumbnail, height: SheetLayout.thumbnail)
            }
            if let style = row.style, let image = thumbnail(definition.styles[style].path) {
                sheet.draw(image, x: m + SheetLayout.thumbnail + SheetLayout.gap, y: y,
                           width: SheetLayout.thumbnail, height: SheetLayout.thumbnail)
            }
            sheet.text(shortened(row.label, limit: 24), x: m, y: y + SheetLayout.thumbnail + 16, size: 8, color: 0x000000)
            for c in manifest.columns.indices {
                let cell = manifest.cells[rowIndex * manifest.columns.count + c]
                let origin = SheetLayout.cellOrigin(row: r, column: c)
                sheet.fill(x: origin.x, y: origin.y, width: SheetLayout.cell, height: SheetLayout.cell, color: 0xEEEEEE)
                guard cell.isDone, let image = try? readImage(path: folder + "/" + cell.output) else { continue }
                sheet.draw(image, x: origin.x, y: origin.y, width: SheetLayout.cell, height: SheetLayout.cell)
            }
        }
        let legendY = height - m - SheetLayout.legendHeight + 16
        var fixed = "content-size \(definition.contentSize), style-size \(definition.styleSize)"
        if !sweptColor { fixed += ", preserve-color \(definition.preserveColors.first ?? "none")" }
        if definition.alphas.count == 1 && definition.grid != .styles { fixed += ", alpha \(formatAlpha(definition.alphas[0]))" }
        let styles = definition.styles.map { shortened($0.stem, limit: 12) }
        switch definition.grid {
        case .styles: break
        case .interpolation: fixed += "; w = weight of \(styles[1]) against \(styles[0])"
        case .bilinear: fixed += "; corners \(styles.joined(separator: ", ")) weighted (1-u)(1-v), u(1-v), (1-u)v, uv"
        case .masks: fixed += "; styles \(styles.joined(separator: ", ")) by mask region"
        }
        sheet.text("Fixed: " + fixed, x: m, y: legendY, size: 9, color: 0x333333)
        sheet.text("vgg \(URL(fileURLWithPath: definition.vgg.path).lastPathComponent), decoder \(URL(fileURLWithPath: definition.decoder.path).lastPathComponent), stylectl \(definition.toolVersion)",
                   x: m, y: legendY + 18, size: 9, color: 0x333333)
        let file = "sheet-\(p + 1).png"
        try sheet.writePNG(path: folder + "/" + file)
        names.append(file)
    }
    return names
}

/// A column label on at most two lines of at most `limit` characters, broken after its commas.
private func wrapped(_ label: String, limit: Int = 22) -> [String] {
    var lines: [String] = []
    for part in label.components(separatedBy: ", ") {
        if let last = lines.last, last.count + 2 + part.count <= limit || lines.count == 2 {
            lines[lines.count - 1] = last + ", " + part
        } else {
            lines.append(part)
        }
    }
    return lines.map { shortened($0, limit: limit) }
}

private func shortened(_ text: String, limit: Int = 20) -> String {
    text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
}

/// A libgd true-colour image.
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
    func writePNG(path: String) throws(SweepError) {
        var size: Int32 = 0
        guard let bytes = gdImagePngPtr(image, &size) else { throw .failed("libgd could not encode \(path)") }
        defer { gdFree(bytes) }
        let data = Data(bytes: bytes, count: Int(size))
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw .failed("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
