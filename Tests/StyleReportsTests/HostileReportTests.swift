// Report folders and records an attacker (or an accident) shaped: tampered manifests whose names
// leave the folder or whose grids do not add up, two runs at once, bad cell images on resume, the
// temporaries of killed runs, and requests beyond the limits. Each test builds its hostile input.

import Foundation
import ImageCodec
@testable import StyleReports
import StyleTransfer
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct HostileReportTests {
    let fixtures = ReportFixtures()

    /// A one-style, one-alpha sweep of 64-pixel images (two cells with two alphas).
    func smallSweep(_ name: String, alphas: [Float] = [1]) throws -> SweepManifest {
        try fixtures.sweep(name, styles: ["style/mondrian.jpg"], alphas: alphas)
    }

    /// The folder's manifest.json as a JSON object, changed by `edit`, written back.
    func tamper(_ folder: String, file: String = SweepManifest.fileName, _ edit: (inout [String: Any]) -> Void) throws {
        let url = URL(fileURLWithPath: folder + "/" + file)
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    /// Sets cell `index`'s `key` in a tampered manifest.
    func setCell(_ object: inout [String: Any], _ index: Int, _ key: String, _ value: Any) {
        var cells = object["cells"] as! [[String: Any]]
        cells[index][key] = value
        object["cells"] = cells
    }

    /// A folder beside the report with a file in it, to check nothing outside the report is touched.
    func sibling(of folder: String) throws -> String {
        let path = URL(fileURLWithPath: folder).deletingLastPathComponent().appendingPathComponent("sibling-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: path + "/keep.txt"))
        return path
    }

    func configuration(_ folder: String, alphas: [Float], overwrite: Bool) -> SweepConfiguration {
        SweepConfiguration(contents: [sharedImage("content/cornell.jpg")], styles: [sharedImage("style/mondrian.jpg")], alphas: alphas,
                           contentSize: 64, styleSize: 64, models: goldenModels!, folder: folder, overwrite: overwrite, toolVersion: "test")
    }

    // MARK: 1, 9. Names and values read from a manifest

    @Test(arguments: ["..", "", ".", "../sibling", "/tmp", "a\u{0}b"])
    func overwriteRemovesNothingOutsideTheFolder(output: String) throws {
        let folder = fixtures.folder("victim")
        _ = try smallSweep("victim")
        let outside = try sibling(of: folder)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
        try tamper(folder) { setCell(&$0, 0, "output", output == "../sibling" ? "../" + URL(fileURLWithPath: outside).lastPathComponent : output) }

        // The record is refused naming the file and the field.
        do {
            _ = try SweepManifest.read(folder: folder)
            Issue.record("a manifest with output '\(output)' was read")
        } catch {
            #expect(error.description.contains(folder + "/manifest.json") && error.description.contains("cells[0].output"), "\(error)")
        }
        // A different sweep with --overwrite replaces the report without following the names.
        let replaced = try runSweep(configuration(folder, alphas: [0.5], overwrite: true), stylizer: goldenStylizer!)
        #expect(replaced.cells.allSatisfy { $0.isDone })
        #expect(try fixtures.snapshot(outside) == ["keep.txt": Data("precious".utf8)])
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/notes.txt")) == Data("mine".utf8))
    }

    @Test func overwriteRemovesOnlyRegularFiles() throws {
        let folder = fixtures.folder("dirs")
        let first = try smallSweep("dirs")
        // A folder named as a cell image and as a stale sheet, and a link named as the index.
        let image = folder + "/" + first.cells[0].output
        try FileManager.default.removeItem(atPath: image)
        try FileManager.default.createDirectory(atPath: image, withIntermediateDirectories: false)
        try Data("inside".utf8).write(to: URL(fileURLWithPath: image + "/inside.txt"))
        try FileManager.default.createDirectory(atPath: folder + "/sheet-7.png", withIntermediateDirectories: false)
        try Data("inside".utf8).write(to: URL(fileURLWithPath: folder + "/sheet-7.png/inside.txt"))
        let outside = try sibling(of: folder)
        try FileManager.default.removeItem(atPath: folder + "/index.html")
        try FileManager.default.createSymbolicLink(atPath: folder + "/index.html", withDestinationPath: outside + "/keep.txt")

        _ = try runSweep(configuration(folder, alphas: [0.5], overwrite: true), stylizer: goldenStylizer!)
        #expect(FileManager.default.fileExists(atPath: image + "/inside.txt"))
        #expect(FileManager.default.fileExists(atPath: folder + "/sheet-7.png/inside.txt"))
        #expect(try fixtures.snapshot(outside) == ["keep.txt": Data("precious".utf8)])
    }

    @Test func normComparisonOverwriteRemovesNothingOutsideTheFolder() throws {
        let folder = fixtures.folder("norms")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let outside = try sibling(of: folder)
        let input = try InputFile(path: sharedImage("content/cornell.jpg"))
        let definition = NormComparisonDefinition(toolVersion: "test", contents: [input], styles: [input], contentSize: 64, styleSize: 64,
                                                  vgg: input, decoder: input, interpolationWeights: [])
        let name = URL(fileURLWithPath: outside).lastPathComponent
        for output in ["..", "", "../" + name] {
            let record = NormComparisonManifest(
                definition: definition, cin: .init(channels: 1, styles: 1, parameterCount: 2),
                cells: [.init(content: 0, method: .instance, style: 0, output: output, contentLoss: 0)], interpolation: [], sheets: ["../" + name])
            try record.write(folder: folder)
            #expect(throws: ReportError.self) { try NormComparisonManifest.read(folder: folder) }
            var other = definition
            other.contentSize = 32
            _ = try ReportFolder(folder).prepare(NormComparisonManifest.self, definition: other, overwrite: true)
            #expect(try fixtures.snapshot(outside) == ["keep.txt": Data("precious".utf8)])
            #expect(FileManager.default.fileExists(atPath: folder))
        }
    }

    @Test func absurdManifestValuesAreRefused() throws {
        let folder = fixtures.folder("absurd")
        _ = try smallSweep("absurd", alphas: [0.5, 1])
        let good = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
        let edits: [(String, (inout [String: Any]) -> Void)] = [
            ("cells[0] is row -1", { setCell(&$0, 0, "row", -1) }),
            ("cells[1] is row 0, column 0", { setCell(&$0, 1, "column", 0) }),
            ("1 cell for a grid of 1 row x 2 columns", { $0["cells"] = Array(($0["cells"] as! [Any]).prefix(1)) }),
            ("rows[0] names a content", { var rows = $0["rows"] as! [[String: Any]]; rows[0]["content"] = 1 << 40; $0["rows"] = rows }),
            ("definition.steps is 4611686018427387904", { var d = $0["definition"] as! [String: Any]; d["steps"] = 1 << 62; $0["definition"] = d }),
            ("cells[0].seconds is -1.0", { setCell(&$0, 0, "seconds", -1) }),
            ("a grid of 20000 rows", { $0["rows"] = Array(repeating: ($0["rows"] as! [Any])[0], count: 20_000) }),
        ]
        for (reason, edit) in edits {
            try good.write(to: URL(fileURLWithPath: folder + "/manifest.json"))
            try tamper(folder, edit)
            do {
                _ = try SweepManifest.read(folder: folder)
                Issue.record("a manifest with \(reason) was read")
            } catch {
                #expect(error == .invalidRecord(file: folder + "/manifest.json", reason: error.reason) && error.description.contains(reason), "\(error)")
            }
        }
    }

    // MARK: 2, 3. stylectl report over tampered sweeps

    @Test func comparisonRefusesManifestsThatLeaveTheFolderOrDoNotFillTheGrid() throws {
        _ = try smallSweep("a", alphas: [0.5, 1])
        _ = try smallSweep("b", alphas: [0.5, 1])
        let (a, b) = (fixtures.folder("a"), fixtures.folder("b"))
        let outsideImage = fixtures.folder("outside.png")
        try FileManager.default.copyItem(atPath: a + "/" + (try SweepManifest.read(folder: a)).cells[0].output, toPath: outsideImage)
        let good = try Data(contentsOf: URL(fileURLWithPath: b + "/manifest.json"))
        let edits: [(String, (inout [String: Any]) -> Void)] = [
            ("cells[0].output '../outside.png'", { setCell(&$0, 0, "output", "../outside.png") }),
            ("cells[1].output '../../../../etc/passwd'", { setCell(&$0, 1, "output", "../../../../etc/passwd") }),
            ("1 cell for a grid of 1 row x 2 columns", { $0["cells"] = Array(($0["cells"] as! [Any]).prefix(1)) }),
            ("0 cells for a grid of 1 row x 2 columns", { $0["cells"] = [Any]() }),
        ]
        for (reason, edit) in edits {
            try good.write(to: URL(fileURLWithPath: b + "/manifest.json"))
            try tamper(b, edit)
            let output = fixtures.folder("compare-\(UUID().uuidString)")
            do {
                _ = try runComparison(ComparisonConfiguration(sweeps: [a, b], folder: output, toolVersion: "test"))
                Issue.record("a comparison over a manifest with \(reason) was made")
            } catch {
                #expect(error.description.contains(b + "/manifest.json") && error.description.contains(reason) && error.description.contains("--sweeps"), "\(error)")
            }
            #expect(!FileManager.default.fileExists(atPath: output))
        }
    }

    @Test func comparisonsBeyondTheLimitsAreRefusedBeforeReading() {
        let many = (0 ..< 27).map { fixtures.folder("missing-\($0)") }
        #expect(throws: ReportError.badSweep(folder: "27 folders", reason: "are more than the 26 a comparison shows (A to Z)")) {
            try runComparison(ComparisonConfiguration(sweeps: many, folder: fixtures.folder("many"), toolVersion: "test"))
        }
        #expect(throws: ReportError.badOutput(folder: fixtures.folder("tall"), reason: "cannot have 101 rows per sheet (1 to 100)", overwrite: false)) {
            try runComparison(ComparisonConfiguration(sweeps: Array(many.prefix(2)), folder: fixtures.folder("tall"), toolVersion: "test", rowsPerSheet: 101))
        }
        #expect(!FileManager.default.fileExists(atPath: fixtures.temp.path))
    }

    // MARK: 4. One writer per report folder

    @Test func aSecondRunIntoALockedFolderFailsAtOnce() throws {
        let folder = fixtures.folder("locked")
        _ = try smallSweep("locked")
        let before = try fixtures.snapshot(folder)
        // flock locks belong to the open file: a second open in this process conflicts as another process would.
        let held = try ReportFolder(folder).lock()
        #expect(throws: ReportError.reportBusy(folder: folder, pid: getpid())) { try ReportFolder(folder).lock() }
        #expect(ReportError.reportBusy(folder: folder, pid: 42).description.hasPrefix("another stylectl run is writing \(folder) (pid 42)"))
        #expect(throws: ReportError.reportBusy(folder: folder, pid: getpid())) {
            try runSweep(configuration(folder, alphas: [1], overwrite: false), stylizer: goldenStylizer!)
        }
        held.release()
        // Released: the lock file is gone and the folder is as it was; the next run takes the lock.
        #expect(try fixtures.snapshot(folder) == before)
        _ = try runSweep(configuration(folder, alphas: [1], overwrite: false), stylizer: goldenStylizer!)
        #expect(!FileManager.default.fileExists(atPath: folder + "/" + ReportFolder.lockName))
    }

    @Test func aComparisonIntoALockedFolderFailsAtOnce() throws {
        _ = try smallSweep("la")
        _ = try smallSweep("lb")
        let output = fixtures.folder("lcompare")
        let held = try ReportFolder(output).lock()
        defer { held.release() }
        #expect(throws: ReportError.reportBusy(folder: output, pid: getpid())) {
            try runComparison(ComparisonConfiguration(sweeps: [fixtures.folder("la"), fixtures.folder("lb")], folder: output, toolVersion: "test"))
        }
        #expect(try fixtures.snapshot(output).keys.sorted() == [ReportFolder.lockName])
    }

    // MARK: 5. Resume does not trust bad cell images

    @Test func resumeRedoesTruncatedEmptyAndMisSizedCells() throws {
        let folder = fixtures.folder("resume")
        let manifest = try fixtures.sweep("resume", styles: ["style/mondrian.jpg"], alphas: [0, 0.25, 0.5, 1])
        let before = try fixtures.snapshot(folder)
        let names = manifest.cells.map(\.output)
        let truncated = before[names[0]]!.prefix(before[names[0]]!.count / 2)
        try Data(truncated).write(to: URL(fileURLWithPath: folder + "/" + names[0]))
        try Data().write(to: URL(fileURLWithPath: folder + "/" + names[1]))
        try writeImage(RGBImage(width: 8, height: 8, pixels: [Float](repeating: 0.5, count: 192)), path: folder + "/" + names[2])
        // A cell finished after the manifest's last write: its image is there, its record is not.
        try tamper(folder) { setCell(&$0, 3, "seconds", NSNull()) }

        var computed: [String] = []
        _ = try runSweep(configuration(folder, alphas: [0, 0.25, 0.5, 1], overwrite: false), stylizer: goldenStylizer!) { progress in
            if !progress.skipped { computed.append(progress.cell.output) }
        }
        #expect(computed == names)
        for name in names { #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)) == before[name], "\(name)") }
    }

    @Test func largeSweepsRewriteTheirManifestEveryFewSeconds() {
        let start = Date()
        var small = ManifestSchedule(cells: 200, now: start)
        let smallWrites = [0, 0.1].map { small.isDue(now: start.addingTimeInterval($0)) }
        #expect(smallWrites == [true, true])
        var large = ManifestSchedule(cells: 10_000, now: start)
        let largeWrites = [1, 9.9, 10, 15, 20].map { large.isDue(now: start.addingTimeInterval($0)) }
        #expect(largeWrites == [false, false, true, false, true])
    }

    // MARK: 6. Temporary files of killed runs

    @Test func staleTemporariesOfDeadRunsAreRemovedUnderTheLock() throws {
        let folder = fixtures.folder("stale")
        _ = try smallSweep("stale")
        let dead = Int32.max  // no such process
        #expect(kill(dead, 0) != 0 && errno == ESRCH)
        let files = [".r01-c01_x.png.\(dead)-12345.tmp", ".manifest.json.\(dead)-1.tmp", ".dat.nosyncAb12", ".dat.nosync"]
        let kept = [".index.html.\(getpid())-7.tmp", "notes.tmp", ".manifest.json.1-x.tmp"]
        for name in files + kept { try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/" + name)) }
        try FileManager.default.createDirectory(atPath: folder + "/.sheet-1.png.\(dead)-9.tmp", withIntermediateDirectories: false)

        _ = try runSweep(configuration(folder, alphas: [1], overwrite: false), stylizer: goldenStylizer!)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: folder))
        #expect(left.isDisjoint(with: files))
        #expect(left.filter { $0.hasSuffix(".tmp") } == Set(kept + [".sheet-1.png.\(dead)-9.tmp"]), "\(left)")
    }

    @Test func interruptCleanupRemovesThisProcessTemporariesAndTheLock() throws {
        let folder = fixtures.folder("interrupted")
        let held = try ReportFolder(folder).lock()
        let own = ".r01-c01_x.png.\(getpid())-99.tmp"
        let other = ".r01-c01_x.png.1-99.tmp"
        for name in [own, other, "r01-c01_x.png"] { try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/" + name)) }
        // What the signal handler does for each locked folder (not called for all: other tests hold locks too).
        #expect(ActiveReportFolders.shared.held.contains { $0.folder.path == folder })
        held.folder.removeInFlightFiles()
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == [other, "r01-c01_x.png"])
        held.release()
        #expect(!ActiveReportFolders.shared.held.contains { $0.folder.path == folder })
    }

    // MARK: 7. Limits before any work

    @Test func limitsAreCheckedBeforeAnyFileIsRead() throws {
        let missing = fixtures.folder("no-such-image.png")
        func refused(_ configuration: SweepConfiguration) -> ReportError? {
            do { try configuration.validate(); return nil } catch { return error }
        }
        var c = configuration(fixtures.folder("limits"), alphas: [1], overwrite: false)
        c.contents = [missing]
        c.grid = .interpolation
        c.styles = [missing, missing]
        c.steps = 102
        #expect(refused(c) == .invalidValue(flag: "--steps", value: "102", expected: "2 to 101"))
        c.steps = 1 << 62
        #expect(refused(c) == .invalidValue(flag: "--steps", value: "\(1 << 62)", expected: "2 to 101"))
        c.steps = 101
        c.alphas = [Float](repeating: 0.5, count: 102)
        #expect(refused(c) == .invalidValue(flag: "--alpha", value: "102 values", expected: "at most 101 values"))
        c.alphas = [Float](repeating: 0.5, count: 100)
        let error = refused(c)
        #expect(error?.description.contains("1 row x 10100 columns = 10100 cells") == true && error?.description.contains("--steps") == true
                && error?.description.contains("at most 10000 cells") == true, "\(String(describing: error))")
        c.contents = [String](repeating: missing, count: 1001)
        c.alphas = [1]
        #expect(refused(c) == .invalidValue(flag: "--content", value: "1001 values", expected: "at most 1000 values"))
        #expect(throws: ReportError.self) { try runSweep(c, stylizer: goldenStylizer!) }
        #expect(!FileManager.default.fileExists(atPath: c.folder))
    }
}

extension ReportError {
    /// The reason of an ``invalidRecord(file:reason:)``, empty for the other cases.
    var reason: String {
        if case .invalidRecord(_, let reason) = self { return reason }
        return ""
    }
}
