// Contact sheets drawn with libgd: title, column headers, row thumbnails, equal cells, legend.

import Foundation
import ImageCodec

/// Draws `grid` into `folder` as `NAME-N.png` (`sheet-1.png`, `sheet-2.png`, ...), removing older
/// `NAME-N.png` beyond the new count, and returns the file names. A sheet holds at most
/// `rowsPerSheet` rows, rounded down to whole row groups (``SheetGrid/rowGroup``; one group when a
/// group is longer), and, for a grid of one group, ``SheetLayout/columnsPerSheet`` columns: a
/// larger grid is split over several sheets, rows first, and each title says which page, rows and
/// columns it shows. The headers, the pinned rows and the legend are on every sheet.
func writeSheets(_ grid: SheetGrid, folder: String, rowsPerSheet: Int, name: String = "sheet") throws(ReportError) -> [String] {
    var names: [String] = []
    for (file, canvas) in renderSheets(grid, rowsPerSheet: rowsPerSheet, name: name) {
        try canvas.writePNG(path: folder + "/" + file)
        names.append(file)
    }
    var stale = names.count + 1
    while ReportFolder(folder).removeFile("\(name)-\(stale).png") { stale += 1 }
    return names
}

/// The sheets of `grid` as ``writeSheets(_:folder:rowsPerSheet:name:)`` pages them, drawn but not written.
func renderSheets(_ grid: SheetGrid, rowsPerSheet: Int, name: String = "sheet") -> [(file: String, canvas: GDCanvas)] {
    func chunks(_ count: Int, _ size: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: size).map { $0 ..< min($0 + size, count) }
    }
    let allColumns = grid.groups.reduce(0) { $0 + $1.columns.count }
    let columns = grid.groups.count == 1 ? chunks(allColumns, SheetLayout.columnsPerSheet) : [0 ..< allColumns]
    let group = max(1, grid.rowGroup)
    let rowsPerPage = max(1, rowsPerSheet / group) * group
    let pages = chunks(grid.rows.count, rowsPerPage).flatMap { rows in columns.map { (rows: rows, columns: $0) } }
    var images: [String: RGBImage] = [:]
    /// An image shrunk to cell size once (libgd takes a picture pixel by pixel, slow for large ones).
    func image(_ path: String) -> RGBImage? {
        if let found = images[path] { return found }
        guard var image = try? readImage(path: path) else { return nil }
        if min(image.width, image.height) > grid.cell {
            guard let shrunk = try? resizeShorterSide(image, to: grid.cell) else { return nil }
            image = shrunk
        }
        images[path] = image
        return image
    }
    return pages.enumerated().map { p, page in
        var sheetGrid = grid
        if columns.count > 1 {
            sheetGrid.groups[0].columns = Array(grid.groups[0].columns[page.columns])
            for r in sheetGrid.rows.indices { sheetGrid.rows[r].cells = Array(grid.rows[r].cells[page.columns]) }
            for r in sheetGrid.pinned.indices { sheetGrid.pinned[r].pictures = Array(grid.pinned[r].pictures[page.columns]) }
        }
        var title = grid.title
        if pages.count > 1 {
            title += " (page \(p + 1) of \(pages.count): rows \(page.rows.lowerBound + 1)-\(page.rows.upperBound)"
            if columns.count > 1 { title += ", columns \(page.columns.lowerBound + 1)-\(page.columns.upperBound)" }
            title += ")"
        }
        return ("\(name)-\(p + 1).png", drawSheet(sheetGrid, rows: page.rows, title: title, image: image))
    }
}

/// Draws the pinned rows and rows `rows` of `grid` as one sheet.
private func drawSheet(_ grid: SheetGrid, rows: Range<Int>, title: String, image: (String) -> RGBImage?) -> GDCanvas {
    let layout = grid.layout
    let groupSizes = layout.groups
    let m = SheetLayout.margin
    let cell = layout.cell
    let shown = grid.pinned + grid.rows[rows]
    let (width, height) = layout.size(rows: shown.count)
    let sheet = GDCanvas(width: width, height: height)
    sheet.fill(x: 0, y: 0, width: width, height: height, color: 0xFFFFFF)
    sheet.text(fitted(title, width: width - 2 * m, size: 15), x: m, y: m + 22, size: 15, color: 0x000000)

    var top = m + SheetLayout.titleHeight
    if layout.named {
        for (g, group) in grid.groups.enumerated() {
            let x = layout.cellOrigin(row: 0, column: 0, group: g).x
            let span = group.columns.count * (cell + SheetLayout.gap) - SheetLayout.gap
            let lines = (group.name ?? "").split(separator: "\n", maxSplits: 1).map(String.init)
            for (l, line) in lines.enumerated() {
                sheet.text(fitted(line, width: span, size: l == 0 ? 11 : 9), x: x, y: top + 14 + 15 * l,
                           size: l == 0 ? 11 : 9, color: l == 0 ? 0x000000 : 0x444444)
            }
            sheet.fill(x: x, y: top + SheetLayout.groupHeight - 6, width: span, height: 2, color: 0x888888)
        }
        top += SheetLayout.groupHeight
    }
    // The row header's heading names its thumbnails.
    let thumbnails = shown.map(\.thumbnails.count).max() ?? 0
    if thumbnails > 0 {
        sheet.text(thumbnails == 1 ? "content" : "content / style", x: m, y: top + 13, size: 9, color: 0x555555)
    }
    func header(_ label: String, x: Int, color: Int32 = 0x000000) {
        for (l, line) in wrapped(label, width: cell - 4, size: 9.5, lines: 2).enumerated() {
            sheet.text(line, x: x + 2, y: top + 13 + 14 * l, size: 9.5, color: color)
        }
    }
    for (c, label) in grid.before.enumerated() { header(label, x: layout.beforeOrigin(row: 0, column: c).x, color: 0x555555) }
    for (c, label) in grid.after.enumerated() { header(label, x: layout.afterOrigin(row: 0, column: c).x, color: 0x555555) }
    for (g, group) in grid.groups.enumerated() {
        for (c, label) in group.columns.enumerated() { header(label, x: layout.cellOrigin(row: 0, column: c, group: g).x) }
    }

    /// An input picture in the cell at `origin`: the image, its frame, its captions on white boxes.
    func draw(_ picture: SheetPicture, at origin: (x: Int, y: Int)) {
        sheet.fill(x: origin.x, y: origin.y, width: cell, height: cell, color: 0xEEEEEE)
        let drawn: RGBImage? = switch picture.source {
        case .file(let path): image(path)
        case .image(let made): made
        }
        if let drawn { sheet.draw(drawn, x: origin.x, y: origin.y, width: cell, height: cell) }
        if let frame = picture.frame { sheet.frame(x: origin.x, y: origin.y, width: cell, height: cell, thickness: max(2, cell / 32), color: frame) }
        let size = cell >= 96 ? 8.5 : 7.0
        for caption in picture.captions {
            let text = fitted(caption.text, width: cell - 8, size: size)
            let (w, ascent) = (GDCanvas.textWidth(text, size: size), GDCanvas.textAscent("Ay", size: size))
            let x = min(max(origin.x + 2, origin.x + Int(caption.x * Double(cell)) - w / 2 - 2), origin.x + cell - w - 6)
            let y = min(max(origin.y + 2, origin.y + Int(caption.y * Double(cell)) - ascent / 2 - 3), origin.y + cell - ascent - 8)
            sheet.fill(x: x, y: y, width: w + 4, height: ascent + 6, color: 0xFFFFFF)
            sheet.text(text, x: x + 2, y: y + 3 + ascent, size: size, color: 0x000000)
        }
    }

    for (r, row) in shown.enumerated() {
        let y = layout.rowTop(r)
        for (t, path) in row.thumbnails.prefix(2).enumerated() {
            if let picture = image(path) {
                sheet.draw(picture, x: m + t * (SheetLayout.thumbnail + SheetLayout.gap), y: y,
                           width: SheetLayout.thumbnail, height: SheetLayout.thumbnail)
            }
        }
        let labelWidth = SheetLayout.rowHeaderWidth - SheetLayout.gap
        let labelTop = row.thumbnails.isEmpty ? y + 12 : y + SheetLayout.thumbnail + 16
        let lines = layout.rowLabelLines(thumbnails: !row.thumbnails.isEmpty)
        for (l, line) in wrapped(row.label, width: labelWidth, size: 8, lines: lines).enumerated() {
            sheet.text(line, x: m, y: labelTop + SheetLayout.rowLabelLineHeight * l, size: 8, color: 0x000000)
        }
        for (c, picture) in row.before.enumerated() {
            if let picture { draw(picture, at: layout.beforeOrigin(row: r, column: c)) }
        }
        for (c, picture) in row.after.enumerated() {
            if let picture { draw(picture, at: layout.afterOrigin(row: r, column: c)) }
        }
        var index = 0
        for (g, size) in groupSizes.enumerated() {
            for c in 0 ..< size {
                let origin = layout.cellOrigin(row: r, column: c, group: g)
                let picture = index < row.pictures.count ? row.pictures[index]
                    : index < row.cells.count ? row.cells[index].map { SheetPicture.file($0) } : nil
                if let picture { draw(picture, at: origin) } else { sheet.fill(x: origin.x, y: origin.y, width: cell, height: cell, color: 0xEEEEEE) }
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
    return sheet
}
