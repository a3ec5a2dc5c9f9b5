// stylectl report: two sweeps of the same grid (without and with colour preservation) compared,
// checked against the sweeps' own manifests, images and files; bad input changes nothing.

import Foundation
import ImageCodec
@testable import StyleReports
import Testing
import TestSupport

@Suite struct ComparisonTests {
    let fixtures = ReportFixtures()

    /// Sweeps "none" and "luminance": 2 rows (mondrian, sketch) x 2 alphas each.
    func twoSweeps() throws -> (SweepManifest, SweepManifest) {
        (try fixtures.sweep("none", preserveColors: [.none]), try fixtures.sweep("luminance", preserveColors: [.luminance]))
    }

    func configuration(_ sweeps: [String], output: String = "compare", overwrite: Bool = false, rowsPerSheet: Int = 6) -> ComparisonConfiguration {
        ComparisonConfiguration(sweeps: sweeps.map(fixtures.folder), folder: fixtures.folder(output), overwrite: overwrite,
                                toolVersion: "test", rowsPerSheet: rowsPerSheet)
    }

    @Test func metricsAndImagesAreThoseOfTheSweeps() throws {
        let (none, luminance) = try twoSweeps()
        let before = try [fixtures.snapshot(fixtures.folder("none")), fixtures.snapshot(fixtures.folder("luminance"))]
        let comparison = try runComparison(configuration(["none", "luminance"]))
        let folder = fixtures.folder("compare")
        #expect(try ComparisonManifest.read(folder: folder) == comparison)
        #expect(comparison.sweeps.map(\.folder) == ["../none", "../luminance"])
        #expect(comparison.sweeps.map(\.differsIn) == [[], ["--preserve-color"]])
        for (s, name) in ["none", "luminance"].enumerated() {
            var digest = SHA256Digest()
            digest.update(try Data(contentsOf: URL(fileURLWithPath: fixtures.folder(name) + "/manifest.json")))
            #expect(comparison.sweeps[s].manifestSHA256 == digest.finalize())
        }
        #expect((comparison.rows, comparison.columns, comparison.cells.count) == (2, 2, 4))
        for (i, cell) in comparison.cells.enumerated() {
            #expect((cell.row, cell.column) == (i / 2, i % 2))
            for (s, sweep) in [none, luminance].enumerated() {
                let expected = sweep.cells[i]
                let entry = cell.sweeps[s]
                #expect((entry.seconds, entry.styleLoss, entry.contentLoss) == (expected.seconds, expected.styleLoss, expected.contentLoss))
                #expect(entry.image == "../\(["none", "luminance"][s])/\(expected.output)")
                #expect(FileManager.default.contentsEqual(atPath: folder + "/" + entry.image!,
                                                          andPath: fixtures.folder(["none", "luminance"][s]) + "/" + expected.output))
            }
        }
        // The page's metrics table shows the manifests' numbers and their differences.
        let html = try String(contentsOfFile: folder + "/index.html", encoding: .utf8)
        for (a, b) in zip(none.cells, luminance.cells) {
            for (x, y) in [(a.styleLoss!, b.styleLoss!), (a.contentLoss!, b.contentLoss!)] {
                #expect(html.contains(String(format: "%.6g", x)) && html.contains(String(format: "%.6g", y)))
                #expect(html.contains(String(format: "%+.3g", y - x)))
            }
        }
        // The sweeps are not changed.
        #expect(try [fixtures.snapshot(fixtures.folder("none")), fixtures.snapshot(fixtures.folder("luminance"))] == before)
        // The same comparison again into its folder is allowed and gives the same record.
        #expect(try runComparison(configuration(["none", "luminance"])) == comparison)
    }

    @Test func thePageReferencesOnlyFilesThatExist() throws {
        let (none, luminance) = try twoSweeps()
        let comparison = try runComparison(configuration(["none", "luminance"], rowsPerSheet: 1))
        let folder = fixtures.folder("compare")
        let references = links(in: try String(contentsOfFile: folder + "/index.html", encoding: .utf8))
        #expect(comparison.sheets == ["sheet-1.png", "sheet-2.png"])
        for expected in ["sheet-1.png", "sheet-2.png", "comparison.json", "../none/index.html", "../luminance/index.html"] {
            #expect(references.contains(expected), "\(expected) is not linked")
        }
        for cell in none.cells { #expect(references.contains("../none/" + cell.output)) }
        for cell in luminance.cells { #expect(references.contains("../luminance/" + cell.output)) }
        for reference in references {
            #expect(!reference.contains(":") && !reference.hasPrefix("/"), "\(reference) is not a relative file path")
            #expect(FileManager.default.fileExists(atPath: folder + "/" + reference), "\(reference) does not exist")
        }
    }

    @Test func unfinishedCellsAreBlankAndNotLinked() throws {
        let (_, luminance) = try twoSweeps()
        let missing = luminance.cells[1].output
        try FileManager.default.removeItem(atPath: fixtures.folder("luminance") + "/" + missing)
        let comparison = try runComparison(configuration(["none", "luminance"]))
        #expect(comparison.cells[1].sweeps[1].image == nil && comparison.cells[1].sweeps[0].image != nil)
        let html = try String(contentsOfFile: fixtures.folder("compare") + "/index.html", encoding: .utf8)
        #expect(!html.contains(missing))
        let sheet = try readImage(path: fixtures.folder("compare") + "/sheet-1.png")
        // Row 0, column 1 of the second group (after 2 cells and the group gap) is blank.
        #expect(cellProblem(sheet, origin: (16 + 136 + 3 * 136 + 24, 16 + 36 + 38 + 34), picture: nil) == nil)
    }

    @Test func theSheetHasAGroupOfColumnsPerSweep() throws {
        let (none, luminance) = try twoSweeps()
        _ = try runComparison(configuration(["none", "luminance"]))
        let sheet = try readImage(path: fixtures.folder("compare") + "/sheet-1.png")
        // Row header 136, two groups of 2 cells of 128 with gaps of 8 and a group gap of 24;
        // title 36, group names 38, headers 34, 2 rows, legend 52.
        #expect(sheet.width == 2 * 16 + 136 + 4 * 128 + 3 * 8 + 24)
        #expect(sheet.height == 2 * 16 + 36 + 38 + 34 + 2 * 128 + 8 + 8 + 52)
        #expect((sheet.width, sheet.height) == SheetLayout.size(groups: [2, 2], named: true, rows: 2))
        for (s, (name, sweep)) in [("none", none), ("luminance", luminance)].enumerated() {
            for cell in sweep.cells {
                let origin = (16 + 136 + (2 * s + cell.column) * 136 + s * 24, 16 + 36 + 38 + 34 + cell.row * 136)
                let problem = cellProblem(sheet, origin: origin, picture: try readImage(path: fixtures.folder(name) + "/" + cell.output))
                #expect(problem == nil, "\(name)/\(cell.output): \(problem ?? "")")
            }
        }
    }

    @Test func badSweepsAreRefusedAndNothingIsWritten() throws {
        _ = try twoSweeps()
        try fixtures.sweep("three-alphas", alphas: [0, 0.5, 1])
        let output = fixtures.folder("compare")
        func refused(_ sweeps: [String], mentioning words: [String]) {
            do {
                _ = try runComparison(configuration(sweeps))
                Issue.record("\(sweeps) were compared")
            } catch {
                for word in words { #expect(error.description.contains(word), "\(error.description) does not name \(word)") }
            }
            #expect(!FileManager.default.fileExists(atPath: output), "\(output) was created")
        }
        refused(["none"], mentioning: ["--sweeps", "two"])
        refused(["none", "missing"], mentioning: ["--sweeps", fixtures.folder("missing"), "does not exist"])
        refused(["none", "none"], mentioning: ["--sweeps", "twice"])
        try FileManager.default.createDirectory(atPath: fixtures.folder("notes"), withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: fixtures.folder("notes") + "/notes.txt"))
        refused(["none", "notes"], mentioning: ["--sweeps", fixtures.folder("notes"), "manifest.json"])
        try Data("{".utf8).write(to: URL(fileURLWithPath: fixtures.folder("notes") + "/manifest.json"))
        refused(["none", "notes"], mentioning: ["--sweeps", fixtures.folder("notes"), "cannot be read"])
        // 2 x 2 against 2 x 3: the shapes and the differing flag are named.
        refused(["none", "three-alphas"], mentioning: ["--sweeps", fixtures.folder("three-alphas"), "2 rows x 3 columns", "--alpha"])
        // Issue 12: another content image would be shown under the first sweep's row labels.
        try fixtures.sweep("other-content", content: "content/lenna.jpg")
        refused(["none", "other-content"], mentioning: ["--sweeps", fixtures.folder("other-content"), "lenna.jpg", "cornell.jpg", "labels"])
    }

    @Test func anOutputFolderOfOtherFilesIsRefusedUnlessOverwrite() throws {
        _ = try twoSweeps()
        let output = fixtures.folder("compare")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: output + "/notes.txt"))
        let sweepsBefore = try fixtures.snapshot(fixtures.folder("none"))
        do {
            _ = try runComparison(configuration(["none", "luminance"]))
            Issue.record("wrote into a folder of other files")
        } catch {
            #expect(error.description.contains("--output") && error.description.contains(output) && error.description.contains("--overwrite"), "\(error)")
        }
        #expect(try fixtures.snapshot(output) == ["notes.txt": Data("keep".utf8)])

        // A sweep folder is never an output, not even with --overwrite.
        for target in ["none", "luminance"] {
            var into = configuration(["none", "luminance"], output: target, overwrite: true)
            into.folder = fixtures.folder(target)
            #expect(throws: ReportError.self) { try runComparison(into) }
        }
        #expect(try fixtures.snapshot(fixtures.folder("none")) == sweepsBefore)

        // With --overwrite the comparison is written beside the other file, which stays.
        _ = try runComparison(configuration(["none", "luminance"], overwrite: true))
        #expect(try Set(fixtures.snapshot(output).keys) == ["notes.txt", "index.html", "sheet-1.png", "comparison.json"])

        // Another comparison in that folder is refused without --overwrite.
        try fixtures.sweep("none-again", preserveColors: [.none])
        #expect(throws: ReportError.self) { try runComparison(configuration(["none-again", "luminance"])) }
    }
}
