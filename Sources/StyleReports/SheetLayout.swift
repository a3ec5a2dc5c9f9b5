// The geometry of a contact sheet and what it shows, whatever made it.

import Foundation

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
