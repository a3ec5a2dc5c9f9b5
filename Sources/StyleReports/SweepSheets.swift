// A sweep's contact sheets (sheet-N.png): its grid with the row and column headers and the legend.

import Foundation
import ImageCodec
import StyleTransfer

/// Draws a sweep's grid (``sweepSheetGrid(_:folder:)``) on sheets of at most `rowsPerSheet` rows,
/// `sheet-1.png`, `sheet-2.png`, ...; cells not done are left blank. Returns the file names.
func writeContactSheets(_ manifest: SweepManifest, folder: String, rowsPerSheet: Int) throws(ReportError) -> [String] {
    try writeSheets(sweepSheetGrid(manifest, folder: folder), folder: folder, rowsPerSheet: rowsPerSheet)
}

/// A sweep's grid as its sheets show it, at `cell` pixels a cell (nil: the manifest's, ``SweepManifest/cellSize``),
/// laid out as the AdaIN paper's figures:
///
/// - rows x columns of two parameters: the grid's own axis across (alpha in a `styles` grid, `u`
///   in `interpolation` and `bilinear` grids, the mask in a `masks` grid) and every other swept
///   column parameter (colour preservation, alpha) down, a row per value, the rows of one content
///   (one bilinear block) kept on one page (``SheetGrid/rowGroup``), so that a long row is never
///   paged at ``SheetLayout/columnsPerSheet`` columns through its alpha groups;
/// - `styles` (Fig. 7): the content and the style at cell size before each row;
/// - `interpolation`: the two end styles before and after each row (u = 0 and u = 1);
/// - `bilinear` (Fig. 8): the four corner styles beside the block's corners: a left of the first
///   row, b right of it, c left of the last row, d right of it;
/// - `masks` (Fig. 10): the content and the styles, each framed in its region's colour, before
///   each row; above the results a row of the masks, each region tinted in its style's colour
///   and labelled with its style's name (``tintedMask(_:definition:size:)``).
func sweepSheetGrid(_ manifest: SweepManifest, folder: String, cell: Int? = nil) -> SheetGrid {
    let d = manifest.definition
    let headers = GridHeaders(manifest)
    let columnCount = manifest.columns.count
    let axis = switch d.grid {
    case .styles: d.alphas.count
    case .interpolation, .bilinear: d.steps ?? 1
    case .masks: d.masks.count
    }
    let inner = max(1, axis)
    let outer = columnCount / inner
    let block = d.grid == .bilinear ? (d.steps ?? 1) : 1
    let cell = cell ?? manifest.cellSize
    func path(_ r: Int, _ c: Int) -> String? {
        let done = manifest.cells[r * columnCount + c]
        return done.isDone ? folder + "/" + done.output : nil
    }
    let styleStems = d.styles.map(\.stem)
    let colours = d.styles.indices.map { SheetPalette.colour($0) }

    // The input columns of manifest row `r`, and its thumbnails.
    func inputs(_ r: Int) -> (thumbnails: [String], before: [SheetPicture?], after: [SheetPicture?]) {
        let row = manifest.rows[r]
        let content = d.contents[row.content].path
        switch d.grid {
        case .styles:
            let styles = row.style.map { [d.styles[$0].path] } ?? d.styles.map(\.path)
            return ([], [.file(content)] + styles.map { .file($0) }, [])
        case .interpolation:
            return ([content], [.file(d.styles[0].path)], [.file(d.styles[1].path)])
        case .bilinear:
            let corner: (Int) -> SheetPicture = { .file(d.styles[$0].path, caption: "\(["a", "b", "c", "d"][$0]): \(styleStems[$0])") }
            let first = row.v == 0, last = row.v == 1
            return ([content], [first ? corner(0) : last ? corner(2) : nil], [first ? corner(1) : last ? corner(3) : nil])
        case .masks:
            return ([], [.file(content)] + d.styles.indices.map { .file(d.styles[$0].path, caption: styleStems[$0], frame: colours[$0]) }, [])
        }
    }
    let (before, after): ([String], [String]) = switch d.grid {
    case .styles where d.styleWeights != nil:
        // The weight first: a long name is cut before it.
        (["content"] + zip(styleStems, d.styleWeights!).map { "\(formatAlpha($1)) × \($0)" }, [])
    case .styles: (["content", "style"], [])
    case .interpolation: (["u 0: \(styleStems[0])"], ["u 1: \(styleStems[1])"])
    case .bilinear: (["corners a, c"], ["corners b, d"])
    case .masks: (["content"] + styleStems, [])
    }

    var rows: [SheetGrid.Row] = []
    let columnLabels: [String]
    if outer == 1 {
        columnLabels = headers.columns
        for r in manifest.rows.indices {
            let (thumbnails, b, a) = inputs(r)
            rows.append(SheetGrid.Row(label: headers.rows[r].label, thumbnails: thumbnails, cells: (0 ..< columnCount).map { path(r, $0) }, before: b, after: a))
        }
    } else {
        columnLabels = manifest.columns.prefix(inner).map { column in
            if let u = column.u { return "u \(formatAlpha(u))" }
            if let mask = column.mask { return "mask \(URL(fileURLWithPath: d.masks[mask].path).lastPathComponent)" }
            return "alpha \(formatAlpha(column.alpha))"
        }
        for start in stride(from: 0, to: manifest.rows.count, by: block) {
            for o in 0 ..< outer {
                let column = manifest.columns[o * inner]
                var parts: [String] = []
                if d.preserveColors.count > 1 { parts.append(column.preserveColor) }
                if let size = column.contentSize { parts.append("content-size \(size)") }
                if let size = column.styleSize { parts.append("style-size \(size)") }
                if d.grid != .styles && d.alphas.count > 1 { parts.append("alpha \(formatAlpha(column.alpha))") }
                for r in start ..< min(start + block, manifest.rows.count) {
                    let (thumbnails, b, a) = inputs(r)
                    rows.append(SheetGrid.Row(label: headers.rows[r].label + ", " + parts.joined(separator: ", "), thumbnails: thumbnails,
                                              cells: (0 ..< inner).map { path(r, o * inner + $0) }, before: b, after: a))
                }
            }
        }
    }
    var pinned: [SheetGrid.Row] = []
    if d.grid == .masks {
        var tinted: [Int: SheetPicture?] = [:]
        let pictures = manifest.columns.prefix(columnLabels.count).map { column -> SheetPicture? in
            guard let mask = column.mask else { return nil }
            if let made = tinted[mask] { return made }
            let made = tintedMask(d.masks[mask].path, definition: d, size: cell)
            tinted[mask] = made
            return made
        }
        pinned = [SheetGrid.Row(label: "mask regions, tinted in their style's colour", thumbnails: [], cells: [],
                                before: Array(repeating: nil, count: before.count), pictures: pictures)]
    }

    // Swept sizes are in the row labels.
    var fixedParts: [String] = []
    if d.contentSizes == nil { fixedParts.append("content-size \(d.contentSize)") }
    if d.styleSizes == nil { fixedParts.append("style-size \(d.styleSize)") }
    if d.preserveColors.count == 1 { fixedParts.append("preserve-color \(d.preserveColors[0])") }
    // A styles grid names alpha in its column labels already.
    if d.alphas.count == 1 && d.grid != .styles { fixedParts.append("alpha \(formatAlpha(d.alphas[0]))") }
    if d.cropsImages { fixedParts.append("centre squares (crop)") }
    if let mode = d.maskMode { fixedParts.append("mask-mode \(mode)") }
    var fixed = fixedParts.joined(separator: ", ")
    switch d.grid {
    case .styles:
        if let weights = d.styleWeights {
            fixed += "; styles \(styleStems.joined(separator: ", ")) mixed with weights \(weights.map(formatAlpha).joined(separator: ", "))"
        }
    case .interpolation: fixed += "; u = weight of \(styleStems[1]) against \(styleStems[0])"
    case .bilinear: fixed += "; corners \(styleStems.joined(separator: ", ")) weighted (1-u)(1-v), u(1-v), (1-u)v, uv"
    case .masks:
        fixed += "; styles by mask region: " + zip(styleStems, d.styles.indices).map { "\($0) \(SheetPalette.name($1))" }.joined(separator: ", ")
    }
    return SheetGrid(
        title: "stylectl sweep \(URL(fileURLWithPath: folder).lastPathComponent)",
        groups: [SheetGrid.Group(columns: columnLabels)], rows: rows,
        legend: ["Fixed: " + fixed, modelsLegend(d)], before: before, after: after, pinned: pinned,
        rowGroup: d.grid == .bilinear ? block : outer, cell: cell)
}

/// The colours of mask regions on sheets, one per style in order (repeating after eight).
enum SheetPalette {
    static let colours: [(name: String, rgb: Int32)] = [
        ("red", 0xE15759), ("blue", 0x4E79A7), ("green", 0x59A14F), ("orange", 0xF28E2B),
        ("purple", 0xB07AA1), ("teal", 0x76B7B2), ("yellow", 0xEDC948), ("brown", 0x9C755F),
    ]

    static func colour(_ style: Int) -> Int32 { colours[style % colours.count].rgb }
    static func name(_ style: Int) -> String { colours[style % colours.count].name }
}

/// The mask at `path` as the sweep reads it (its mode, one region per style), drawn to fit `size`
/// x `size`: each position in the colour of its style (``SheetPalette``; soft weights mix the
/// colours, positions no style covers are grey), each region captioned with its style's name at
/// its deepest point (the farthest from the other regions, ``deepestPoints(of:width:height:)``), so
/// that the caption of a ring-shaped region falls inside it. Nil when the mask cannot be read (the
/// cells then fail too).
func tintedMask(_ path: String, definition d: SweepDefinition, size: Int) -> SheetPicture? {
    guard let mask = try? MaskImage(path: path) else { return nil }
    let scale = min(Double(size) / Double(mask.width), Double(size) / Double(mask.height))
    let (width, height) = (max(1, Int((Double(mask.width) * scale).rounded())), max(1, Int((Double(mask.height) * scale).rounded())))
    let reading = SpatialMask(paths: [path], mode: d.spatialMaskMode, stretch: d.stretchMask)
    guard let regions = try? reading.regionWeights(images: [mask], styleCount: d.styles.count, featureWidth: width, featureHeight: height) else {
        return nil
    }
    let plane = width * height
    var pixels = [Float](repeating: 0, count: 3 * plane)
    for p in 0 ..< plane {
        var rgb: [Float] = [0, 0, 0]
        var total: Float = 0
        for r in 0 ..< regions.regions {
            let w = regions.values[r * plane + p]
            guard w > 0 else { continue }
            total += w
            let colour = SheetPalette.colour(r)
            for c in 0 ..< 3 { rgb[c] += w * Float((colour >> (16 - 8 * Int32(c))) & 0xFF) / 255 }
        }
        for c in 0 ..< 3 { pixels[c * plane + p] = total > 0 ? rgb[c] / total : 0.8 }
    }
    let image = RGBImage(width: width, height: height, pixels: pixels)
    // Caption positions as fractions of the cell the image is centred in.
    let (left, top) = (Double(size - width) / 2, Double(size - height) / 2)
    let captions = deepestPoints(of: regions, width: width, height: height).enumerated().compactMap { r, point -> SheetPicture.Caption? in
        point.map { SheetPicture.Caption(text: d.styles[r].stem, x: (left + Double($0.x) + 0.5) / Double(size), y: (top + Double($0.y) + 0.5) / Double(size)) }
    }
    return SheetPicture(source: .image(image), captions: captions)
}

/// For each region of `regions` (a `width` x `height` map), the position where its weight is at
/// least 0.5 that is farthest from any position where it is not (city-block distance, two-pass
/// distance transform; the image's edge counts as outside), the first in row order among equals;
/// nil for a region that covers no position.
func deepestPoints(of regions: RegionWeights, width: Int, height: Int) -> [(x: Int, y: Int)?] {
    let plane = width * height
    return (0 ..< regions.regions).map { r in
        var depth = (0 ..< plane).map { regions.values[r * plane + $0] >= 0.5 ? Int.max / 2 : 0 }
        for y in 0 ..< height {
            for x in 0 ..< width where depth[y * width + x] > 0 {
                let up = y > 0 ? depth[(y - 1) * width + x] : 0
                let left = x > 0 ? depth[y * width + x - 1] : 0
                depth[y * width + x] = min(up, left) + 1
            }
        }
        var best: (x: Int, y: Int)?
        var deepest = 0
        for y in stride(from: height - 1, through: 0, by: -1) {
            for x in stride(from: width - 1, through: 0, by: -1) where depth[y * width + x] > 0 {
                let down = y < height - 1 ? depth[(y + 1) * width + x] : 0
                let right = x < width - 1 ? depth[y * width + x + 1] : 0
                depth[y * width + x] = min(depth[y * width + x], min(down, right) + 1)
            }
        }
        for y in 0 ..< height {
            for x in 0 ..< width where depth[y * width + x] > deepest {
                deepest = depth[y * width + x]
                best = (x, y)
            }
        }
        return best
    }
}

/// The legend line naming the weights and the tool version.
func modelsLegend(_ definition: SweepDefinition) -> String {
    "vgg \(URL(fileURLWithPath: definition.vgg.path).lastPathComponent) (\(definition.vgg.sha256.prefix(8))), "
        + "decoder \(URL(fileURLWithPath: definition.decoder.path).lastPathComponent) (\(definition.decoder.sha256.prefix(8))), "
        + "stylectl \(definition.toolVersion)"
}
