// The one report-folder state machine (ReportFolder.inspect/prepare/removeReportFiles) as each
// kind of report uses it: what it refuses, and that it removes only its own regular files.

import Foundation
@testable import StyleReports
import Testing

@Suite struct ReportFolderStateTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("reportfolder-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    func write(_ text: String, _ path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// A comparison of `../a` and `../b` whose record names `sheets`.
    func comparison(sheets: [String]) -> ComparisonManifest {
        ComparisonManifest(
            toolVersion: "test",
            sweeps: [.init(name: "a", folder: "../a", manifestSHA256: "", differsIn: []), .init(name: "b", folder: "../b", manifestSHA256: "", differsIn: [])],
            rows: 1, columns: 1, cells: [.init(row: 0, column: 0, sweeps: [.init(), .init()])], sheets: sheets)
    }

    /// Replacing a report removes its record, its index, its sheets and what its record names,
    /// and only regular files: a folder or a symbolic link named like a sheet, and other files,
    /// stay, and nothing outside the folder changes.
    @Test func replacingRemovesOnlyTheReportsOwnRegularFiles() throws {
        let folder = temp.appendingPathComponent("compare").path
        let outside = temp.appendingPathComponent("outside.png").path
        try FileManager.default.createDirectory(atPath: folder + "/sheet-3.png", withIntermediateDirectories: true)
        try write("precious", outside)
        try FileManager.default.createSymbolicLink(atPath: folder + "/sheet-4.png", withDestinationPath: outside)
        for name in ["index.html", "sheet-1.png", "sheet-2.png", "notes.txt"] { try write(name, folder + "/" + name) }
        try comparison(sheets: ["sheet-1.png"]).write(folder: folder)

        #expect(throws: ReportError.badOutput(folder: folder, reason: "already holds a comparison of other sweeps", overwrite: true)) {
            try ReportFolder(folder).inspect(ComparisonManifest.self, definition: ["../c", "../d"], overwrite: false)
        }
        #expect(try ReportFolder(folder).prepare(ComparisonManifest.self, definition: ["../c", "../d"], overwrite: true) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["notes.txt", "sheet-3.png", "sheet-4.png"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: outside)) == Data("precious".utf8))
    }

    /// The same comparison is written again into its folder, but not beside other files (a
    /// comparison folder is its own); a sweep's folder holding notes beside the same sweep is
    /// reused (covered by SweepTests), and an empty folder is reusable for every kind.
    @Test func theSameComparisonIsReusedOnlyWithoutOtherFiles() throws {
        let folder = temp.appendingPathComponent("same").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        guard case .reusable(nil) = try ReportFolder(folder).inspect(ComparisonManifest.self, definition: ["../a", "../b"], overwrite: false) else {
            Issue.record("an empty folder is not reusable")
            return
        }
        let record = comparison(sheets: ["sheet-1.png"])
        try record.write(folder: folder)
        try write("sheet", folder + "/sheet-1.png")
        guard case .reusable(let old) = try ReportFolder(folder).inspect(ComparisonManifest.self, definition: ["../a", "../b"], overwrite: false) else {
            Issue.record("the same comparison is not reusable")
            return
        }
        #expect(old == record)
        try write("mine", folder + "/notes.txt")
        #expect(throws: ReportError.badOutput(folder: folder, reason: "already holds a comparison of other sweeps", overwrite: true)) {
            try ReportFolder(folder).inspect(ComparisonManifest.self, definition: ["../a", "../b"], overwrite: false)
        }
        let file = temp.appendingPathComponent("file").path
        try write("x", file)
        #expect(throws: ReportError.badOutput(folder: file, reason: "is a file", overwrite: false)) {
            try ReportFolder(file).inspect(ComparisonManifest.self, definition: ["../a", "../b"], overwrite: true)
        }
    }
}
