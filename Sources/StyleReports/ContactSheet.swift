// Contact sheets (sheet-N.png) drawn with libgd: title, column headers, row thumbnails, equal cells, legend.

import Foundation
import ImageCodec

/// The geometry of a contact sheet, in pixels. Every cell is `cell` x `cell` (images are scaled to
/// fit, centred), with `gap` between cells and `groupGap` between column groups (the sweeps of a
/// comparison). From the top: the title, two lines of group names (only with named groups), two lines of
/// column headers, the rows, and a legend of `legendLines` lines. At the left of each row, the
/// row header: two thumbnails (content, style) above the row's label. Sheets are at least
/// `minimumWidth` wide so that the title and legend fit.
public enum SheetLayout {
    public static let margin = 16
    public static let titleHeight = 36
    public static let groupHeight = 38
    public static let headerHeight = 34
    public static let cell = 128
    public static let gap = 8
    public static let groupGap = 24
    public static let thumbnail = 60
    /// Two thumbnails, the gap between them and the gap before the grid.
    public static let rowHeaderWidth = 2 * thumbnail + 2 * gap
    public static let legendLines = 3
    public static let legendLineHeight = 15
    public static let legendHeight = legendLines * legendLineHeight + 7
    public static let minimumWidth = 520
    /// A grid of one group wider than this is split over several sheets.
    public static let columnsPerSheet = 10
    public static let font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

    /// The size of a sheet of `rows` rows and one unnamed group of `columns` columns.
    public static func size(columns: Int, rows: Int) -> (width: Int, height: Int) {
        size(groups: [columns], named: false, rows: rows)
    }

    /// The size of a sheet of `rows` rows and column groups of `groups[i]` columns; `named` when the
    /// groups have a header line.
    public static func size(groups: [Int], named: Bool, rows: Int) -> (width: Int, height: Int) {
        let columns = groups.reduce(0, +)
        let grid = rowHeaderWidth + columns * cell + (columns - 1) * gap + (groups.count - 1) * groupGap
        return (max(minimumWidth, 2 * margin + grid),
                2 * margin + titleHeight + (named ? groupHeight : 0) + headerHeight
                    + rows * cell + (rows - 1) * gap + gap + legendHeight)
    }

    /// The top-left corner of the cell in row `row` (counted on its sheet) and column `column` of
    /// group `group` (counted in the group).
    public static func cellOrigin(row: Int, column: Int, group: Int = 0, groups: [Int] = [], named: Bool = false) -> (x: Int, y: Int) {
        let before = groups.prefix(group).reduce(0, +)
        return (margin + rowHeaderWidth + (before + column) * (cell + gap) + group * groupGap,
                margin + titleHeight + (named ? groupHeight : 0) + headerHeight + row * (cell + gap))
    }
}

/// What a contact sheet shows, whatever made it (a sweep, or a comparison of sweeps).
struct SheetGrid {
    struct Group {
        /// Shown above the group's columns when any group has a name: a first line, and a second
        /// after a newline.
        var name: String?
        var columns: [String]
    }

    struct Row {
        var label: String
        /// Up to two images (content, style) shown as thumbnails.
        var thumbnails: [String]
        /// One image path per column of all the groups, in order; nil for a cell not done.
        var cells: [String?]
    }

    var title: String
    var groups: [Group]
    var rows: [Row]
    /// Paragraphs, each starting a line, wrapped to the sheet's width in at most ``SheetLayout/legendLines`` lines.
    var legend: [String]

    var isNamed: Bool { groups.contains { $0.name != nil } }
}

/// Draws a sweep's grid on sheets of at most `rowsPerSheet` rows, `sheet-1.png`, `sheet-2.png`, ...;
/// cells not done are left blank. Returns the file names.
func writeContactSheets(_ manifest: SweepManifest, folder: String, rowsPerSheet: Int) throws(SweepError) -> [String] {
    let definition = manifest.definition
    let headers = GridHeaders(manifest)
    let columns = manifest.columns.count
    let rows = headers.rows.enumerated().map { r, row in
        SheetGrid.Row(label: row.label, thumbnails: row.thumbnails, cells: (0 ..< columns).map { c in
            let cell = manifest.cells[r * columns + c]
            return cell.isDone ? folder + "/" + cell.output : nil
        })
    }
    var fixed = "content-size \(definition.contentSize), style-size \(definition.styleSize)"
    if definition.preserveColors.count == 1 { fixed += ", preserve-color \(definition.preserveColors[0])" }
    if definition.alphas.count == 1 { fixed += ", alpha \(formatAlpha(definition.alphas[0]))" }
    let styles = definition.styles.map(\.stem)
    switch definition.grid {
    case .styles: break
    case .interpolation: fixed += "; u = weight of \(styles[1]) against \(styles[0])"
    case .bilinear: fixed += "; corners \(styles.joined(separator: ", ")) weighted (1-u)(1-v), u(1-v), (1-u)v, uv"
    case .masks: fixed += "; styles \(styles.joined(separator: ", ")) by mask region"
    }
    let grid = SheetGrid(
        title: "stylectl sweep \(URL(fileURLWithPath: folder).lastPathComponent)",
        groups: [SheetGrid.Group(columns: headers.columns)], rows: rows,
        legend: ["Fixed: " + fixed, modelsLegend(definition)])
    return try writeSheets(grid, folder: folder, rowsPerSheet: rowsPerSheet)
}

/// The legend line naming the weights and the tool version.
func modelsLegend(_ definition: SweepDefinition) -> String {
    "vgg \(URL(fileURLWithPath: definition.vgg.path).lastPathComponent) (\(definition.vgg.sha256.prefix(8))), "
        + "decoder \(URL(fileURLWithPath: definition.decoder.path).lastPathComponent) (\(definition.decoder.sha256.prefix(8))), "
        + "stylectl \(definition.toolVersion)"
}

/// Draws `grid` into `folder` as `NAME-N.png` (`sheet-1.png`, `sheet-2.png`, ...), removing older
/// `NAME-N.png` beyond the new count, and returns the file names. A sheet holds at most `rowsPerSheet` rows and, for a grid of one
/// group, ``SheetLayout/columnsPerSheet`` columns: a larger grid is split over several sheets, rows
/// first, and each title says which page, rows and columns it shows. The headers and the legend
/// are on every sheet.
func writeSheets(_ grid: SheetGrid, folder: String, rowsPerSheet: Int, name: String = "sheet") throws(SweepError) -> [String] {
    func chunks(_ count: Int, _ size: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: size).map { $0 ..< min($0 + size, count) }
    }
    let allColumns = grid.groups.reduce(0) { $0 + $1.columns.count }
    let columns = grid.groups.count == 1 ? chunks(allColumns, SheetLayout.columnsPerSheet) : [0 ..< allColumns]
    let pages = chunks(grid.rows.count, rowsPerSheet).flatMap { rows in columns.map { (rows: rows, columns: $0) } }
    var images: [String: RGBImage] = [:]
    /// An image shrunk to cell size once (libgd takes a picture pixel by pixel, slow for large ones).
    func image(_ path: String) -> RGBImage? {
        if let found = images[path] { return found }
        guard var image = try? readImage(path: path) else { return nil }
        if min(image.width, image.height) > SheetLayout.cell {
            guard let shrunk = try? resizeShorterSide(image, to: SheetLayout.cell) else { return nil }
            image = shrunk
        }
        images[path] = image
        return image
    }
    var names: [String] = []
    for (p, page) in pages.enumerated() {
        var sheetGrid = grid
        if columns.count > 1 {
            sheetGrid.groups[0].columns = Array(grid.groups[0].columns[page.columns])
            for r in sheetGrid.rows.indices { sheetGrid.rows[r].cells = Array(grid.rows[r].cells[page.columns]) }
        }
        var title = grid.title
        if pages.count > 1 {
            title += " (page \(p + 1) of \(pages.count): rows \(page.rows.lowerBound + 1)-\(page.rows.upperBound)"
            if columns.count > 1 { title += ", columns \(page.columns.lowerBound + 1)-\(page.columns.upperBound)" }
            title += ")"
        }
        try drawSheet(sheetGrid, rows: page.rows, folder: folder, file: "\(name)-\(p + 1).png", title: title, image: image)
        names.append("\(name)-\(p + 1).png")
    }
    var stale = pages.count + 1
    while FileManager.default.fileExists(atPath: folder + "/\(name)-\(stale).png") {
        try? FileManager.default.removeItem(atPath: folder + "/\(name)-\(stale).png")
        stale += 1
    }
    return names
}

/// Draws rows `rows` of `grid` as one sheet, `folder/file`.
private func drawSheet(_ grid: SheetGrid, rows: Range<Int>, folder: String, file: String, title: String,
                       image: (String) -> RGBImage?) throws(SweepError) {
    let groupSizes = grid.groups.map(\.columns.count)
    let named = grid.isNamed
    let m = SheetLayout.margin
    let (width, height) = SheetLayout.size(groups: groupSizes, named: named, rows: rows.count)
    let sheet = GDCanvas(width: width, height: height)
    sheet.fill(x: 0, y: 0, width: width, height: height, color: 0xFFFFFF)
    sheet.text(fitted(title, width: width - 2 * m, size: 15), x: m, y: m + 22, size: 15, color: 0x000000)

    var top = m + SheetLayout.titleHeight
    if named {
        for (g, group) in grid.groups.enumerated() {
            let x = SheetLayout.cellOrigin(row: 0, column: 0, group: g, groups: groupSizes, named: true).x
            let span = group.columns.count * (SheetLayout.cell + SheetLayout.gap) - SheetLayout.gap
            let lines = (group.name ?? "").split(separator: "\n", maxSplits: 1).map(String.init)
            for (l, line) in lines.enumerated() {
                sheet.text(fitted(line, width: span, size: l == 0 ? 11 : 9), x: x, y: top + 14 + 15 * l,
                           size: l == 0 ? 11 : 9, color: l == 0 ? 0x000000 : 0x444444)
            }
            sheet.fill(x: x, y: top + SheetLayout.groupHeight - 6, width: span, height: 2, color: 0x888888)
        }
        top += SheetLayout.groupHeight
    }
    sheet.text("content / style", x: m, y: top + 13, size: 9, color: 0x555555)
    for (g, group) in grid.groups.enumerated() {
        for (c, label) in group.columns.enumerated() {
            let x = SheetLayout.cellOrigin(row: 0, column: c, group: g, groups: groupSizes, named: named).x
            for (l, line) in wrapped(label, width: SheetLayout.cell - 4, size: 9.5, lines: 2).enumerated() {
                sheet.text(line, x: x + 2, y: top + 13 + 14 * l, size: 9.5, color: 0x000000)
            }
        }
    }

    for (r, rowIndex) in rows.enumerated() {
        let row = grid.rows[rowIndex]
        let y = SheetLayout.cellOrigin(row: r, column: 0, groups: groupSizes, named: named).y
        for (t, path) in row.thumbnails.prefix(2).enumerated() {
            if let picture = image(path) {
                sheet.draw(picture, x: m + t * (SheetLayout.thumbnail + SheetLayout.gap), y: y,
                           width: SheetLayout.thumbnail, height: SheetLayout.thumbnail)
            }
        }
        let labelWidth = SheetLayout.rowHeaderWidth - SheetLayout.gap
        for (l, line) in wrapped(row.label, width: labelWidth, size: 8, lines: 4).enumerated() {
            sheet.text(line, x: m, y: y + SheetLayout.thumbnail + 16 + 13 * l, size: 8, color: 0x000000)
        }
        var index = 0
        for (g, size) in groupSizes.enumerated() {
            for c in 0 ..< size {
                let origin = SheetLayout.cellOrigin(row: r, column: c, group: g, groups: groupSizes, named: named)
                sheet.fill(x: origin.x, y: origin.y, width: SheetLayout.cell, height: SheetLayout.cell, color: 0xEEEEEE)
                if index < row.cells.count, let path = row.cells[index], let picture = image(path) {
                    sheet.draw(picture, x: origin.x, y: origin.y, width: SheetLayout.cell, height: SheetLayout.cell)
                }
                index += 1
            }
        }
    }

    var legend: [String] = []
    for paragraph in grid.legend {
        legend += wrapped(paragraph, width: width - 2 * m, size: 9, lines: SheetLayout.legendLines - legend.count)
    }
    let legendTop = height - m - SheetLayout.legendHeight
    for (l, line) in legend.prefix(SheetLayout.legendLines).enumerated() {
        sheet.text(line, x: m, y: legendTop + 14 + SheetLayout.legendLineHeight * l, size: 9, color: 0x333333)
    }
    try sheet.writePNG(path: folder + "/" + file)
}

/// `text` cut to `width` pixels at font `size`, with an ellipsis when cut.
func fitted(_ text: String, width: Int, size: Double) -> String {
    if GDCanvas.textWidth(text, size: size) <= width { return text }
    var characters = Array(text)
    while !characters.isEmpty && GDCanvas.textWidth(String(characters) + "…", size: size) > width {
        characters.removeLast()
    }
    return String(characters) + "…"
}

/// `text` broken at spaces into at most `lines` lines of `width` pixels at font `size`; a word
/// longer than a line, or the rest after the last line, is cut with an ellipsis.
func wrapped(_ text: String, width: Int, size: Double, lines: Int) -> [String] {
    guard lines > 0 else { return [] }
    var result: [String] = []
    var words = text.split(separator: " ").map(String.init)[...]
    while let first = words.first, result.count < lines {
        var line = first
        words = words.dropFirst()
        while let next = words.first, GDCanvas.textWidth(line + " " + next, size: size) <= width {
            line += " " + next
            words = words.dropFirst()
        }
        if result.count == lines - 1 && !words.isEmpty { line += " " + words.joined(separator: " ") }
        result.append(fitted(line, width: width, size: size))
    }
    return result
}
