// Contact sheets drawn with libgd: title, column headers, row thumbnails, equal cells, legend.

import Foundation
import ImageCodec

/// Draws `grid` into `folder` as `NAME-N.png` (`sheet-1.png`, `sheet-2.png`, ...), removing older
/// `NAME-N.png` beyond the new count, and returns the file names. A sheet holds at most `rowsPerSheet` rows and, for a grid of one
/// group, ``SheetLayout/columnsPerSheet`` columns: a larger grid is split over several sheets, rows
/// first, and each title says which page, rows and columns it shows. The headers and the legend
/// are on every sheet.
func writeSheets(_ grid: SheetGrid, folder: String, rowsPerSheet: Int, name: String = "sheet") throws(ReportError) -> [String] {
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
    while ReportFolder(folder).removeFile("\(name)-\(stale).png") { stale += 1 }
    return names
}

/// Draws rows `rows` of `grid` as one sheet, `folder/file`.
private func drawSheet(_ grid: SheetGrid, rows: Range<Int>, folder: String, file: String, title: String,
                       image: (String) -> RGBImage?) throws(ReportError) {
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
