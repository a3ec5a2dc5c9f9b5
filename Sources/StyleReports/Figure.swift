// `stylectl figure`: a finished sweep's grid as a label-free PNG (and PDF) for a paper.

import Foundation
import ImageCodec
import StyleTransfer

/// What ``writeFigure(_:)`` draws and where.
public struct FigureConfiguration: Sendable {
    /// The report folder of a finished sweep (its `manifest.json`).
    public var folder: String
    /// The PNG to write (`--output`), and optionally a PDF of the same picture (`--pdf`).
    public var png: String
    public var pdf: String?
    /// The side of every cell in pixels (`--cell-size`), in ``SheetLayout/cellSizes``.
    public var cellSize: Int
    /// The resolution the PDF's page is sized for (`--dpi`): a cell of 512 px at 300 dpi is 43 mm wide.
    public var dpi: Double

    public static let defaultCellSize = 512
    public static let dpiRange = 36.0 ... 2400.0

    public init(folder: String, png: String, pdf: String? = nil, cellSize: Int = FigureConfiguration.defaultCellSize, dpi: Double = 300) {
        self.folder = folder
        self.png = png
        self.pdf = pdf
        self.cellSize = cellSize
        self.dpi = dpi
    }
}

/// The geometry of a figure: the sheet's cells without margins, headers, labels or legend; `gap`
/// between cells, `inputGap` between the input columns (content, styles, corners) and the results.
struct FigureLayout {
    let cell: Int
    let columns: Int
    let before: Int
    let after: Int
    let rows: Int

    var gap: Int { max(2, cell / 32) }
    var inputGap: Int { 3 * gap }

    var width: Int {
        before * (cell + gap) + (before > 0 ? inputGap - gap : 0) + columns * cell + (columns - 1) * gap
            + (after > 0 ? inputGap + after * cell + (after - 1) * gap : 0)
    }

    var height: Int { rows * cell + (rows - 1) * gap }

    func beforeOrigin(row: Int, column: Int) -> (x: Int, y: Int) { (column * (cell + gap), row * (cell + gap)) }

    func cellOrigin(row: Int, column: Int) -> (x: Int, y: Int) {
        (before * (cell + gap) + (before > 0 ? inputGap - gap : 0) + column * (cell + gap), row * (cell + gap))
    }

    func afterOrigin(row: Int, column: Int) -> (x: Int, y: Int) {
        (cellOrigin(row: row, column: columns - 1).x + cell + inputGap + column * (cell + gap), row * (cell + gap))
    }
}

/// Draws the finished sweep in `configuration.folder` as one label-free picture: the grid of its
/// contact sheets (``sweepSheetGrid(_:folder:cell:)``: two-parameter grids as rows x columns, the
/// content, style, end, corner styles and tinted masks beside the results as the AdaIN paper's
/// Figs. 7, 8 and 10) on white, with no text, every row on one picture, cells of
/// `configuration.cellSize` pixels drawn from the cell images (not stylized again). Writes it as
/// PNG and, when asked, as a one-page PDF holding that PNG's pixels losslessly (``pdfDocument(png:dpi:)``),
/// both atomically. Returns the picture's size.
///
/// - Throws: ``ReportError/invalidValue(flag:value:expected:)`` for a cell size or resolution out of
///   range, an output name of the wrong kind, or an output that is one of the report's files or
///   inputs; ``ReportError/failed(_:)`` for a sweep with cells not done or a picture above the
///   image pixel limit (``ImageLimits``); the manifest's reading errors. Nothing is written then.
@discardableResult
public func writeFigure(_ configuration: FigureConfiguration) throws(ReportError) -> (width: Int, height: Int) {
    let cellSize = configuration.cellSize
    if !SheetLayout.cellSizes.contains(cellSize) {
        throw .invalidValue(flag: "--cell-size", value: "\(cellSize)", expected: "\(SheetLayout.cellSizes.lowerBound) to \(SheetLayout.cellSizes.upperBound) pixels")
    }
    if !FigureConfiguration.dpiRange.contains(configuration.dpi) {
        throw .invalidValue(flag: "--dpi", value: "\(configuration.dpi)", expected: "\(Int(FigureConfiguration.dpiRange.lowerBound)) to \(Int(FigureConfiguration.dpiRange.upperBound))")
    }
    let outputs = [("--output", configuration.png, "png")] + (configuration.pdf.map { [("--pdf", $0, "pdf")] } ?? [])
    for (flag, path, ext) in outputs where URL(fileURLWithPath: path).pathExtension.lowercased() != ext {
        throw .invalidValue(flag: flag, value: path, expected: "a .\(ext) file")
    }
    let manifest = try SweepManifest.read(folder: configuration.folder)
    let folder = configuration.folder
    let notDone = manifest.cells.filter { !$0.isDone }.count
    if notDone > 0 {
        throw .failed("\(folder): \(counted(notDone, "cell")) of \(manifest.cells.count) not done; a figure shows a finished sweep: "
            + "finish it with stylectl sweep --spec \(folder)/\(SweepManifest.fileName)")
    }
    let d = manifest.definition
    let standard = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
    let protected = Set((manifest.cells.map { folder + "/" + $0.output } + [folder + "/" + SweepManifest.fileName, folder + "/index.html",
                        folder + "/" + metricsTableName] + (d.contents + d.styles + d.masks).map(\.path)).map(standard))
    for (flag, path, _) in outputs where protected.contains(standard(path)) {
        throw .invalidValue(flag: flag, value: path, expected: "a file that is not one of the report's images, records or inputs")
    }
    if let pdf = configuration.pdf, standard(pdf) == standard(configuration.png) {
        throw .invalidValue(flag: "--pdf", value: pdf, expected: "another file than --output")
    }

    let grid = sweepSheetGrid(manifest, folder: folder, cell: cellSize)
    let rows = grid.pinned + grid.rows
    let layout = FigureLayout(cell: cellSize, columns: grid.groups.reduce(0) { $0 + $1.columns.count },
                              before: grid.before.count, after: grid.after.count, rows: rows.count)
    guard ImageLimits.standard.allows(width: layout.width, height: layout.height) else {
        throw .failed("the figure would be \(layout.width) x \(layout.height) pixels, more than the image limit of "
            + "\(ImageLimits.standard.maxPixels) (\(ImageLimits.maxPixelsVariable)); give a smaller --cell-size")
    }
    let canvas = GDCanvas(width: layout.width, height: layout.height)
    canvas.fill(x: 0, y: 0, width: layout.width, height: layout.height, color: 0xFFFFFF)
    var images: [String: RGBImage] = [:]
    func draw(_ picture: SheetPicture?, at origin: (x: Int, y: Int)) throws(ReportError) {
        guard let picture else { return }
        var drawn: RGBImage
        switch picture.source {
        case .image(let made): drawn = made
        case .file(let path):
            if let found = images[path] { drawn = found } else {
                do {
                    drawn = try readImage(path: path)
                    if min(drawn.width, drawn.height) > cellSize { drawn = try resizeShorterSide(drawn, to: cellSize) }
                } catch {
                    throw .failed("cannot draw \(path) into the figure: \(error.description)")
                }
                images[path] = drawn
            }
        }
        canvas.draw(drawn, x: origin.x, y: origin.y, width: cellSize, height: cellSize)
        if let frame = picture.frame { canvas.frame(x: origin.x, y: origin.y, width: cellSize, height: cellSize, thickness: max(2, cellSize / 32), color: frame) }
    }
    for (r, row) in rows.enumerated() {
        for (c, picture) in row.before.enumerated() { try draw(picture, at: layout.beforeOrigin(row: r, column: c)) }
        for (c, picture) in row.after.enumerated() { try draw(picture, at: layout.afterOrigin(row: r, column: c)) }
        let results = row.pictures.isEmpty ? row.cells.map { $0.map { SheetPicture.file($0) } } : row.pictures
        for (c, picture) in results.enumerated() {
            // A figure is label-free: a tinted mask without its captions.
            try draw(picture.map { SheetPicture(source: $0.source, frame: $0.frame) }, at: layout.cellOrigin(row: r, column: c))
        }
    }
    let png = try canvas.pngData(for: configuration.png)
    let pdf = try configuration.pdf.map { path throws(ReportError) in (path, try pdfDocument(png: [UInt8](png), dpi: configuration.dpi)) }
    let url = URL(fileURLWithPath: configuration.png)
    try ReportFolder(url.deletingLastPathComponent().path).writeAtomically(png, name: url.lastPathComponent)
    if let (path, document) = pdf {
        let pdfURL = URL(fileURLWithPath: path)
        try ReportFolder(pdfURL.deletingLastPathComponent().path).writeAtomically(Data(document), name: pdfURL.lastPathComponent)
    }
    return (layout.width, layout.height)
}
