// `stylectl figure`: a finished sweep's grid as a label-free PNG (and PDF) for a paper.

import ArgumentParser
import Foundation
import StyleReports

struct Figure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a finished sweep's grid as a label-free high-resolution PNG (and PDF) for a paper.",
        discussion: """
            Reads REPORT/manifest.json and draws the cell images already there (nothing is \
            stylized again) as the contact sheets lay them out (two-parameter grids as rows x \
            columns; the content and style before alpha rows, the end and corner styles beside \
            interpolation rows and bilinear blocks, the masks tinted by region above masked \
            results, as the AdaIN paper's Figs. 7, 8 and 10), on white, without any text, every \
            row on one picture. --pdf also writes a one-page PDF of the same pixels (lossless), \
            sized for --dpi. A sweep with cells not done is refused.
            """
    )

    @Argument(help: "The report folder of a finished sweep, e.g. Reports/fig8.")
    var report: String

    @Option(help: "The PNG to write.")
    var output: String

    @Option(help: "Also write the figure as a one-page PDF.")
    var pdf: String?

    @Option(parsing: .unconditional, help: "The side of every cell in pixels, 32 to 1024 (default 512).")
    var cellSize: Int = FigureConfiguration.defaultCellSize

    @Option(parsing: .unconditional, help: "The resolution the PDF page is sized for, 36 to 2400 (default 300).")
    var dpi: Double = 300

    func run() throws {
        do {
            let size = try writeFigure(FigureConfiguration(folder: report, png: output, pdf: pdf, cellSize: cellSize, dpi: dpi))
            FileHandle.standardError.write(Data("figure: \(size.width) x \(size.height) pixels in \(output)\(pdf.map { " and \($0)" } ?? "")\n".utf8))
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
