// A one-page PDF holding a PNG's pixels, for `stylectl figure --pdf`, without a PDF library.

import Foundation

/// A one-page PDF 1.4 document showing the 8-bit RGB, non-interlaced PNG `png` (as libgd writes
/// true-colour images) at `dpi`: the page is the picture's size at that resolution, in points.
///
/// The PNG's IDAT data is a zlib stream of scanlines each prefixed by its PNG filter byte; a PDF
/// `FlateDecode` filter with `/Predictor 15` (PNG predictors, chosen per row) reads exactly that
/// (PDF 32000-1, 7.4.4.4), so the image XObject holds the PNG's compressed data as it is: lossless,
/// no zlib needed here, and the same size as the PNG.
///
/// - Throws: ``ReportError/failed(_:)`` when `png` is not a PNG of that kind.
func pdfDocument(png: [UInt8], dpi: Double) throws(ReportError) -> [UInt8] {
    func bad(_ reason: String) -> ReportError { .failed("cannot embed the figure's PNG in a PDF: \(reason)") }
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard png.count > 8, Array(png[0 ..< 8]) == signature else { throw bad("not a PNG") }
    func be32(_ i: Int) -> Int { png[i ..< i + 4].reduce(0) { $0 << 8 | Int($1) } }
    var offset = 8
    var header: (width: Int, height: Int)?
    var data: [UInt8] = []
    while offset + 12 <= png.count {
        let length = be32(offset)
        let type = String(decoding: png[offset + 4 ..< offset + 8], as: UTF8.self)
        let start = offset + 8
        guard length >= 0, start + length + 4 <= png.count else { throw bad("chunk \(type) runs past the end") }
        switch type {
        case "IHDR":
            guard length == 13 else { throw bad("IHDR of \(length) bytes") }
            let (depth, colour, interlace) = (png[start + 8], png[start + 9], png[start + 12])
            guard depth == 8, colour == 2, interlace == 0 else {
                throw bad("bit depth \(depth), colour type \(colour), interlace \(interlace); 8-bit RGB, not interlaced, is needed")
            }
            header = (be32(start), be32(start + 4))
        case "IDAT": data += png[start ..< start + length]
        default: break
        }
        offset = start + length + 4
        if type == "IEND" { break }
    }
    guard let (width, height) = header, !data.isEmpty else { throw bad("no IHDR or no IDAT") }
    let points = { (pixels: Int) in String(format: "%.2f", Double(pixels) * 72 / dpi) }
    let (pageWidth, pageHeight) = (points(width), points(height))

    var document: [UInt8] = Array("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8)
    var offsets: [Int] = []
    func object(_ body: [UInt8]) {
        offsets.append(document.count)
        document += Array("\(offsets.count) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8)
    }
    func stream(_ dictionary: String, _ bytes: [UInt8]) -> [UInt8] {
        Array("<< \(dictionary) /Length \(bytes.count) >>\nstream\n".utf8) + bytes + Array("\nendstream".utf8)
    }
    object(Array("<< /Type /Catalog /Pages 2 0 R >>".utf8))
    object(Array("<< /Type /Pages /Kids [3 0 R] /Count 1 >>".utf8))
    object(Array("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(pageWidth) \(pageHeight)] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>".utf8))
    object(stream("/Type /XObject /Subtype /Image /Width \(width) /Height \(height) /ColorSpace /DeviceRGB /BitsPerComponent 8 "
        + "/Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors 3 /BitsPerComponent 8 /Columns \(width) >>", data))
    object(stream("", Array("q \(pageWidth) 0 0 \(pageHeight) 0 0 cm /Im0 Do Q".utf8)))
    let xref = document.count
    document += Array("xref\n0 \(offsets.count + 1)\n0000000000 65535 f \n".utf8)
    for o in offsets { document += Array(String(format: "%010d 00000 n \n", o).utf8) }
    document += Array("trailer\n<< /Size \(offsets.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n".utf8)
    return document
}
