// The largest sweeps and reports the tool runs: checked before any file is read or any work starts.

/// Limits on what a sweep, a comparison or a record may ask for. Each is far above a useful
/// report and far below what exhausts the machine; a request beyond one is refused naming the
/// flag (or spec key) and the limit, before any input is hashed or any image computed.
public enum SweepLimits {
    /// `--steps`, per axis: 101 gives the weights 0, 0.01, ..., 1; a finer step changes an 8-bit
    /// image by less than one level per step, and a bilinear grid of 101 x 101 is already about
    /// the ``cells`` limit.
    public static let steps = 101
    /// Cells of one sweep: at about a second per 512-pixel cell on a CPU, 10,000 cells is hours of
    /// work, a manifest of about 10 MB and a thousand contact sheets; more is a mistake in a list.
    public static let cells = 10_000
    /// Items of `--content`, `--style` and `--mask`: each is hashed and encoded before the first
    /// cell, and a grid needs at least one row or column per item.
    public static let files = 1_000
    /// Items of `--alpha`: 101 gives every 0.01.
    public static let alphas = 101
    /// Items of `--content-size` and `--style-size`: a stroke-size sweep needs a few sizes.
    public static let sizes = 16
    /// Items of `--preserve-color`: none, coral and luminance.
    public static let preserveColors = 3
    /// Rows of one contact sheet: a sheet of 100 rows is 13,600 pixels tall.
    public static let rowsPerSheet = 100
    /// Sweeps in one comparison: they are named A to Z on the page and the sheets.
    public static let comparedSweeps = 26
    /// Columns of a comparison sheet (the sweeps' columns side by side, not split): 256 cells are
    /// about 35,000 pixels wide, a 150 MB image while drawn.
    public static let comparisonColumns = 256
}
