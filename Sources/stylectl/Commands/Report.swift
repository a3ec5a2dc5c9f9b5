// `stylectl report`: two or more sweeps of the same grid side by side, as a comparison folder.

import ArgumentParser
import Foundation
import StyleReports
import StyleTransfer

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two or more sweeps of the same grid side by side (e.g. with and without colour preservation).",
        discussion: """
            Reads each sweep folder's manifest.json, checks the grids have the same shape and says \
            which parameters differ. Writes the --output folder: index.html (the sweeps side by side \
            per cell, a table of style and content loss and seconds per cell and sweep with the \
            differences from the first), sheet-N.png (rows = grid rows, a group of columns per sweep) \
            and comparison.json (the sweeps with the sha256 of their manifests). Images are not \
            copied: the page links them by relative paths, so keep the folders side by side (as in \
            Reports/). An --output folder holding anything but this same comparison is refused \
            unless --overwrite.
            """
    )

    @Option(help: "Sweep folders, comma-separated (at least two); the first is the reference for differences.")
    var sweeps: String

    @Option(help: "The comparison folder to write, e.g. Reports/color-vs-none.")
    var output: String

    @Option(help: "Rows per contact sheet.")
    var rowsPerSheet: Int = 6

    @Flag(help: "Write into an --output folder that holds other files or another comparison.")
    var overwrite = false

    func validate() throws {
        guard rowsPerSheet >= 1 else { throw ValidationError("'--rows-per-sheet' must be 1 or more, got \(rowsPerSheet).") }
    }

    func run() throws {
        let interrupts = InterruptCleanup()
        defer { interrupts.uninstall() }
        do {
            let folders = try parseList(sweeps, flag: "--sweeps")
            let comparison = try runComparison(ComparisonConfiguration(
                sweeps: folders, folder: output, overwrite: overwrite,
                toolVersion: StyleCtl.configuration.version, rowsPerSheet: rowsPerSheet))
            let differing = comparison.sweeps.flatMap(\.differsIn)
            let sweepCount = counted(folders.count, "sweep")
            FileHandle.standardError.write(Data(("report: \(sweepCount) in \(output)/ (index.html, "
                + "\(comparison.sheets.joined(separator: ", ")), \(ComparisonManifest.fileName)); they differ in "
                + (differing.isEmpty ? "nothing" : Array(Set(differing)).sorted().joined(separator: ", ")) + "\n").utf8))
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
