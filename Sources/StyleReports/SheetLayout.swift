// The geometry of a contact sheet and what it shows, whatever made it.

import Foundation
import ImageCodec

/// The geometry of a contact sheet, in pixels. Every cell is `cell` x `cell` (images are scaled to
/// fit, centred) at the top of a row ``rowHeight`` tall, with `gap` between cells and `groupGap`
/// between column groups (the sweeps of a comparison) and between the results and the input
/// columns (the paper-style content, style and corner images before and after them). From the
/// top: the title, two lines of group names (only with named groups), two lines of column headers,
/// the rows, and a legend of `legendLines` lines. At the left of each row, the row header: up to
/// two thumbnails (content, style) above the row's label. Sheets are at least `minimumWidth` wide
/// so that the title and legend fit.
public struct SheetLayout: Sendable, Equatable {
    public static let margin = 16
    public static let titleHeight = 36
    public static let groupHeight = 38
    public static let headerHeight = 34
    /// The cell size of sheets made without `--cell-size`.
    public static let defaultCell = 128
    /// The cell sizes `--cell-size` takes: from thumbnails that still show a picture to about a
    /// printed page's column at 300 dpi.
    public static let cellSizes = 32 ... 1024
    public static let gap = 8
    public static let groupGap = 24
    public static let thumbnail = 60
    /// Two thumbnails, the gap between them and the gap before the grid.
    public static let rowHeaderWidth = 2 * thumbnail + 2 * gap
    /// The row label's line height and the most lines it takes.
    public static let rowLabelLineHeight = 13
    public static let rowLabelLines = 4
    /// A row is at least this tall, whatever the cell size: the thumbnails and one line of label.
    public static let minimumRowHeight = thumbnail + 16 + 4
    public static let legendLines = 3
    public static let legendLineHeight = 15
    public static let legendHeight = legendLines * legendLineHeight + 7
    public static let minimumWidth = 520
    /// A grid of one group wider than this is split over several sheets.
    public static let columnsPerSheet = 10
    public static let font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

    /// The side of every cell, in pixels.
    public var cell: Int
    /// The number of result columns of each group.
    public var groups: [Int]
    /// Whether the groups have a header line.
    public var named: Bool
    /// The number of input columns before and after the results.
    public var before: Int
    public var after: Int

    public init(cell: Int = SheetLayout.defaultCell, groups: [Int], named: Bool = false, before: Int = 0, after: Int = 0) {
        self.cell = cell
        self.groups = groups
        self.named = named
        self.before = before
        self.after = after
    }

    /// The height of a row: the cell, or the row header's thumbnails and a line of label when that is taller.
    public var rowHeight: Int { max(cell, Self.minimumRowHeight) }

    /// The row label's lines that fit below the thumbnails (or from the row's top without them).
    func rowLabelLines(thumbnails: Bool) -> Int {
        let top = thumbnails ? Self.thumbnail + 16 : 12
        return min(Self.rowLabelLines, 1 + (rowHeight - top) / Self.rowLabelLineHeight)
    }

    /// The left edge of the first result column.
    private var resultsLeft: Int {
        Self.margin + Self.rowHeaderWidth + before * (cell + Self.gap) + (before > 0 ? Self.groupGap - Self.gap : 0)
    }

    /// The size of a sheet of `rows` rows.
    public func size(rows: Int) -> (width: Int, height: Int) {
        let columns = groups.reduce(0, +)
        let results = columns * cell + (columns - 1) * Self.gap + (groups.count - 1) * Self.groupGap
        let inputsAfter = after > 0 ? Self.groupGap + after * cell + (after - 1) * Self.gap : 0
        return (max(Self.minimumWidth, resultsLeft + results + inputsAfter + Self.margin),
                2 * Self.margin + Self.titleHeight + (named ? Self.groupHeight : 0) + Self.headerHeight
                    + rows * rowHeight + (rows - 1) * Self.gap + Self.gap + Self.legendHeight)
    }

    /// The size of a sheet of `rows` rows and one unnamed group of `columns` columns at the default cell size.
    public static func size(columns: Int, rows: Int) -> (width: Int, height: Int) {
        SheetLayout(groups: [columns]).size(rows: rows)
    }

    /// The size of a sheet of `rows` rows and column groups of `groups[i]` columns at the default
    /// cell size; `named` when the groups have a header line.
    public static func size(groups: [Int], named: Bool, rows: Int) -> (width: Int, height: Int) {
        SheetLayout(groups: groups, named: named).size(rows: rows)
    }

    /// The top of row `row` (counted on its sheet).
    public func rowTop(_ row: Int) -> Int {
        Self.margin + Self.titleHeight + (named ? Self.groupHeight : 0) + Self.headerHeight + row * (rowHeight + Self.gap)
    }

    /// The top-left corner of the cell in row `row` (counted on its sheet) and column `column` of
    /// group `group` (counted in the group).
    public func cellOrigin(row: Int, column: Int, group: Int = 0) -> (x: Int, y: Int) {
        let previous = groups.prefix(group).reduce(0, +)
        return (resultsLeft + (previous + column) * (cell + Self.gap) + group * Self.groupGap, rowTop(row))
    }

    /// The top-left corner of input column `column` before the results.
    public func beforeOrigin(row: Int, column: Int) -> (x: Int, y: Int) {
        (Self.margin + Self.rowHeaderWidth + column * (cell + Self.gap), rowTop(row))
    }

    /// The top-left corner of input column `column` after the results.
    public func afterOrigin(row: Int, column: Int) -> (x: Int, y: Int) {
        let last = cellOrigin(row: row, column: groups.last.map { $0 - 1 } ?? 0, group: groups.count - 1)
        return (last.x + cell + Self.groupGap + column * (cell + Self.gap), last.y)
    }
}

/// An input picture drawn in a cell beside the results (a paper-style content, style, corner or
/// mask image): a file, or an image made for the sheet (a tinted mask), with a coloured frame and
/// captions drawn over it.
struct SheetPicture {
    enum Source {
        case file(String)
        case image(RGBImage)
    }

    /// A short text drawn over the picture on a white box, centred at (`x`, `y`) given as
    /// fractions of the cell.
    struct Caption {
        var text: String
        var x: Double
        var y: Double
    }

    var source: Source
    var captions: [Caption] = []
    /// A frame of this colour (0xRRGGBB) drawn inside the cell's edge.
    var frame: Int32?

    static func file(_ path: String, caption: String? = nil, frame: Int32? = nil) -> SheetPicture {
        SheetPicture(source: .file(path), captions: caption.map { [Caption(text: $0, x: 0.5, y: 0.88)] } ?? [], frame: frame)
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
        /// One picture per input column before and after the results (``SheetGrid/before``,
        /// ``SheetGrid/after``); nil leaves the cell blank.
        var before: [SheetPicture?] = []
        var after: [SheetPicture?] = []
        /// Pictures drawn in the result columns in place of ``cells`` (a pinned row's tinted masks).
        var pictures: [SheetPicture?] = []
    }

    var title: String
    var groups: [Group]
    var rows: [Row]
    /// Paragraphs, each starting a line, wrapped to the sheet's width in at most ``SheetLayout/legendLines`` lines.
    var legend: [String]
    /// The headers of the input columns before and after the results.
    var before: [String] = []
    var after: [String] = []
    /// Rows shown at the top of every page, above the page's rows (a mask grid's masks).
    var pinned: [Row] = []
    /// Rows that belong together (an alpha's rows of one content, a bilinear block): a page holds
    /// whole groups of this many rows (or one group, when a group is longer than a page).
    var rowGroup = 1
    var cell = SheetLayout.defaultCell

    var isNamed: Bool { groups.contains { $0.name != nil } }

    var layout: SheetLayout {
        SheetLayout(cell: cell, groups: groups.map(\.columns.count), named: isNamed, before: before.count, after: after.count)
    }
}
