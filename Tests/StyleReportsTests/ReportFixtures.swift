// Small sweeps for the contact-sheet and comparison tests, and reading pixels and links back.

import Foundation
import ImageCodec
@testable import StyleReports
import StyleTransfer
import TestSupport

/// A folder of small sweeps (64-pixel images, seeded golden weights), removed by the caller's
/// temporary directory.
struct ReportFixtures {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("stylereports-\(UUID().uuidString)")

    func folder(_ name: String) -> String { temp.appendingPathComponent(name).path }

    /// Runs a sweep of cornell.jpg with `styles` over `alphas` and `preserveColors` into `name`.
    @discardableResult
    func sweep(
        _ name: String, content: String = "content/cornell.jpg", styles: [String] = ["style/mondrian.jpg", "style/sketch.png"],
        alphas: [Float] = [0.5, 1], preserveColors: [ColorPreservation] = [.none], rowsPerSheet: Int = 6
    ) throws -> SweepManifest {
        guard let models = goldenModels, let stylizer = goldenStylizer else {
            _ = try TestPaths.golden("network/vgg_legacy.pth")
            _ = try TestPaths.golden("network/decoder_legacy.pth")
            throw ReportError.failed("the golden weights in .goldens/network/ do not load")
        }
        let configuration = SweepConfiguration(
            contents: [sharedImage(content)], styles: styles.map(sharedImage), alphas: alphas,
            preserveColors: preserveColors, contentSize: 64, styleSize: 64, models: models, folder: folder(name),
            toolVersion: "test", rowsPerSheet: rowsPerSheet)
        return try runSweep(configuration, stylizer: stylizer)
    }

    /// Every file in a folder with its bytes (empty when the folder does not exist).
    func snapshot(_ folder: String) throws -> [String: Data] {
        guard FileManager.default.fileExists(atPath: folder) else { return [:] }
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return files
    }
}

/// The values of every `src="..."` and `href="..."` in a page.
func links(in html: String) -> [String] {
    var references: [String] = []
    for attribute in ["src=\"", "href=\""] {
        var rest = html[...]
        while let start = rest.range(of: attribute) {
            rest = rest[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            references.append(String(rest[..<end]))
        }
    }
    return references
}

/// The 8-bit colour 0xRRGGBB of pixel (x, y).
func pixel(_ image: RGBImage, x: Int, y: Int) -> Int {
    let plane = image.width * image.height
    let i = y * image.width + x
    return (0 ..< 3).reduce(0) { $0 << 8 | Int((image.pixels[$1 * plane + i] * 255).rounded()) }
}

/// Checks that the cell at `origin` holds `picture` scaled to fit the cell and centred (letterbox
/// bands of the cell's grey 0xEEEEEE where the aspect differs), or only grey when `picture` is nil;
/// and that the gap left of the cell is the sheet's white. A `framed` cell (an input picture with
/// a coloured frame) is not checked for letterbox bands, which the frame covers. Returns what is
/// wrong, nil when all is right.
func cellProblem(_ sheet: RGBImage, origin: (x: Int, y: Int), picture: RGBImage?, size: Int = SheetLayout.defaultCell, framed: Bool = false) -> String? {
    if pixel(sheet, x: origin.x - 1, y: origin.y + size / 2) != 0xFFFFFF { return "no white gap left of \(origin)" }
    guard let picture else {
        for (x, y) in [(0, 0), (size / 2, size / 2), (size - 1, size - 1)] where pixel(sheet, x: origin.x + x, y: origin.y + y) != 0xEEEEEE {
            return "blank cell at \(origin) not grey at (\(x), \(y))"
        }
        return nil
    }
    let scale = min(Double(size) / Double(picture.width), Double(size) / Double(picture.height))
    let (w, h) = (Int((Double(picture.width) * scale).rounded()), Int((Double(picture.height) * scale).rounded()))
    let (left, top) = ((size - w) / 2, (size - h) / 2)
    if top > 1 && !framed && pixel(sheet, x: origin.x + size / 2, y: origin.y + top / 2) != 0xEEEEEE { return "no letterbox above the image at \(origin)" }
    if left > 1 && !framed && pixel(sheet, x: origin.x + left / 2, y: origin.y + size / 2) != 0xEEEEEE { return "no letterbox left of the image at \(origin)" }
    // The image's mean colour over its central half, on the sheet and in the file.
    func mean(_ image: RGBImage, x0: Int, y0: Int, w: Int, h: Int) -> [Double] {
        let plane = image.width * image.height
        return (0 ..< 3).map { c in
            var sum = 0.0
            for y in y0 + h / 4 ..< y0 + 3 * h / 4 { for x in x0 + w / 4 ..< x0 + 3 * w / 4 { sum += Double(image.pixels[c * plane + y * image.width + x]) } }
            return sum / Double((3 * h / 4 - h / 4) * (3 * w / 4 - w / 4))
        }
    }
    let drawn = mean(sheet, x0: origin.x + left, y0: origin.y + top, w: w, h: h)
    let source = mean(picture, x0: 0, y0: 0, w: picture.width, h: picture.height)
    if zip(drawn, source).contains(where: { abs($0 - $1) > 0.03 }) { return "cell at \(origin) shows \(drawn), the image's mean is \(source)" }
    return nil
}
