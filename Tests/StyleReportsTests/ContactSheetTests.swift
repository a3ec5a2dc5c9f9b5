// Contact sheets: their size follows the grid, each cell shows its image where the layout puts it,
// large grids are split over pages, and headers are fitted to the cells.

import Foundation
import ImageCodec
@testable import StyleReports
import Testing
import TestSupport

@Suite struct ContactSheetTests {
    let fixtures = ReportFixtures()

    @Test func sheetsHaveTheGridGeometry() throws {
        let manifest = try fixtures.sweep("sheets", alphas: [0, 1], preserveColors: [.none, .luminance], rowsPerSheet: 1)
        let folder = fixtures.folder("sheets")
        #expect(manifest.rows.count == 2 && manifest.columns.count == 4)
        // On the sheets, a row per style and colour preservation, alpha across; the two rows of a
        // style are one group, kept on one page although a page holds one row.
        for page in 0 ..< 2 {
            let sheet = try readImage(path: folder + "/sheet-\(page + 1).png")
            // margins 16, row header 2 x 60 + 2 x 8, content and style cells of 128 with gaps of
            // 8, a group gap of 24 before the 2 cells of 128 with a gap of 8.
            #expect(sheet.width == 2 * 16 + 136 + 2 * (128 + 8) + 24 - 8 + 2 * 128 + 8)
            // margins 16, title 36, headers 34, two rows of 128 and their gaps of 8, legend 3 x 15 + 7.
            #expect(sheet.height == 2 * 16 + 36 + 34 + 2 * 128 + 8 + 8 + 52)
            let layout = SheetLayout(groups: [2], before: 2)
            #expect((sheet.width, sheet.height) == layout.size(rows: 2))
            for r in 0 ..< 2 {
                #expect(cellProblem(sheet, origin: layout.beforeOrigin(row: r, column: 0), picture: try readImage(path: manifest.cells[0].content)) == nil)
                #expect(cellProblem(sheet, origin: layout.beforeOrigin(row: r, column: 1), picture: try readImage(path: manifest.cells[page * 4].styles[0])) == nil)
                for c in 0 ..< 2 {
                    let cell = manifest.cells[page * 4 + r * 2 + c]
                    let problem = cellProblem(sheet, origin: (16 + 136 + 2 * 136 + 16 + c * 136, 16 + 36 + 34 + r * 136), picture: try readImage(path: folder + "/" + cell.output))
                    #expect(problem == nil, "sheet \(page + 1), \(cell.output): \(problem ?? "")")
                }
            }
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/sheet-3.png"))
    }

    @Test func largeSweepsAreSplitOverPagesAndOldPagesRemoved() throws {
        let styles = ["style/mondrian.jpg", "style/sketch.png", "style/asheville.jpg"]
        let manifest = try fixtures.sweep("pages", styles: styles, alphas: [1], rowsPerSheet: 2)
        let folder = fixtures.folder("pages")
        // Three rows on sheets of two: 2 + 1, the content and style before one column.
        let first = try readImage(path: folder + "/sheet-1.png")
        let second = try readImage(path: folder + "/sheet-2.png")
        let width = 2 * 16 + 136 + 2 * 136 + 16 + 128
        #expect((first.width, first.height) == (width, 2 * 16 + 36 + 34 + 2 * 128 + 8 + 8 + 52))
        #expect((second.width, second.height) == (width, 2 * 16 + 36 + 34 + 128 + 8 + 52))
        for (r, cell) in manifest.cells.enumerated() {
            let sheet = r < 2 ? first : second
            let problem = cellProblem(sheet, origin: (16 + 136 + 2 * 136 + 16, 16 + 36 + 34 + (r % 2) * 136), picture: try readImage(path: folder + "/" + cell.output))
            #expect(problem == nil, "\(cell.output): \(problem ?? "")")
        }
        let index = try String(contentsOfFile: folder + "/index.html", encoding: .utf8)
        #expect(links(in: index).contains("sheet-2.png"))

        // The same sweep on one sheet: the second page is gone and no longer linked.
        let resumed = try fixtures.sweep("pages", styles: styles, alphas: [1], rowsPerSheet: 3)
        #expect(resumed == manifest)
        #expect(try readImage(path: folder + "/sheet-1.png").height == 2 * 16 + 36 + 34 + 3 * 128 + 2 * 8 + 8 + 52)
        #expect(!FileManager.default.fileExists(atPath: folder + "/sheet-2.png"))
        #expect(!links(in: try String(contentsOfFile: folder + "/index.html", encoding: .utf8)).contains("sheet-2.png"))
    }

    @Test func wideGridsAreSplitOverPagesByColumnsToo() throws {
        // 3 rows x 12 columns on sheets of 2 rows and 10 columns: rows 1-2 and 3, columns 1-10 and 11-12.
        let folder = fixtures.folder("wide")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let pictures = ["content/cornell.jpg", "content/chicago.jpg", "style/sketch.png"].map(sharedImage)
        let rows = (0 ..< 3).map { r in
            SheetGrid.Row(label: "row \(r + 1)", thumbnails: [], cells: (0 ..< 12).map { c in c == 11 ? nil : pictures[(r + c) % 3] })
        }
        let grid = SheetGrid(title: "wide", groups: [SheetGrid.Group(columns: (1 ... 12).map { "column \($0)" })], rows: rows, legend: ["legend"])
        let names = try writeSheets(grid, folder: folder, rowsPerSheet: 2)
        #expect(names == (1 ... 4).map { "sheet-\($0).png" })
        let pages: [(rows: Range<Int>, columns: Range<Int>)] = [(0 ..< 2, 0 ..< 10), (0 ..< 2, 10 ..< 12), (2 ..< 3, 0 ..< 10), (2 ..< 3, 10 ..< 12)]
        let decoded = try pictures.map { try readImage(path: $0) }
        for (name, page) in zip(names, pages) {
            let sheet = try readImage(path: folder + "/" + name)
            let (rowCount, columnCount) = (page.rows.count, page.columns.count)
            let width: Int = max(520, 2 * 16 + 136 + columnCount * 128 + (columnCount - 1) * 8)
            let height: Int = 2 * 16 + 36 + 34 + rowCount * 128 + (rowCount - 1) * 8 + 8 + 52
            #expect((sheet.width, sheet.height) == (width, height), "\(name)")
            for (r, row) in page.rows.enumerated() {
                for (c, column) in page.columns.enumerated() {
                    let picture = column == 11 ? nil : decoded[(row + column) % 3]
                    let problem = cellProblem(sheet, origin: (16 + 136 + c * 136, 16 + 36 + 34 + r * 136), picture: picture)
                    #expect(problem == nil, "\(name), row \(row + 1), column \(column + 1): \(problem ?? "")")
                }
            }
        }
    }

    @Test func headersAreBrokenIntoLinesThatFitTheCell() throws {
        #expect(FileManager.default.fileExists(atPath: SheetLayout.font), "install fonts-dejavu-core")
        let label = "alpha 0.5, luminance, w 0.25"
        #expect(GDCanvas.textWidth(label, size: 9.5) > SheetLayout.defaultCell - 4, "the label must not fit on one line for this test")
        let lines = wrapped(label, width: SheetLayout.defaultCell - 4, size: 9.5, lines: 2)
        #expect(lines.count == 2 && lines.joined(separator: " ") == label, "\(lines)")
        for line in lines { #expect(GDCanvas.textWidth(line, size: 9.5) <= SheetLayout.defaultCell - 4, "\(line)") }
        // Too long for two lines: cut with an ellipsis, still within the width.
        let cut = wrapped(String(repeating: "luminance ", count: 8), width: SheetLayout.defaultCell - 4, size: 9.5, lines: 2)
        #expect(cut.count == 2 && cut[1].hasSuffix("…") && GDCanvas.textWidth(cut[1], size: 9.5) <= SheetLayout.defaultCell - 4, "\(cut)")
    }
}
