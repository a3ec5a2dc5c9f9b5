// The row and column headers of a sweep's grid, as contact sheets and reports show them.

import Foundation

/// What a sweep's grid shows at the left of a row and above a column.
struct GridHeaders {
    struct Row {
        /// For people, e.g. "cornell x mondrian".
        var label: String
        /// The row's input images (content, then style) for the thumbnails, absolute paths.
        var thumbnails: [String]
    }

    var rows: [Row]
    /// For people: the swept values of each column, e.g. "alpha 0.5, luminance".
    var columns: [String]

    /// The headers of `manifest`'s grid: its rows' and columns' labels; a row's thumbnails are its
    /// content and, in a `styles` grid, its style (the other grids' rows use every style).
    init(_ manifest: SweepManifest) {
        let d = manifest.definition
        rows = manifest.rows.map { row in
            Row(label: row.label, thumbnails: [d.contents[row.content].path] + (row.style.map { [d.styles[$0].path] } ?? []))
        }
        columns = manifest.columns.map(\.label)
    }
}

/// The flag that gives a grid's styles.
func styleFlag(_ grid: SweepGrid) -> String {
    switch grid {
    case .styles, .masks: "--style"
    case .interpolation: "--interpolate"
    case .bilinear: "--corners"
    }
}
