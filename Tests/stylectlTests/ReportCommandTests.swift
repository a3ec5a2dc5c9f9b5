// `stylectl report` end to end: two one-cell sweeps compared, and the errors users see.

import ArgumentParser
import Foundation
@testable import stylectl
import Testing
import TestSupport

@Suite struct ReportCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-report-\(UUID().uuidString)")

    /// Parses and runs; returns the message the user would see, or nil on success.
    func run<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String]) -> String? {
        do {
            var parsed = try Command.parse(arguments)
            try parsed.run()
            return nil
        } catch {
            return Command.message(for: error)
        }
    }

    func sweep(_ name: String, preserveColor: String) throws -> String? {
        let images = TestPaths.sharedImages
        return run(Sweep.self, [
            "--content", images.appendingPathComponent("content/cornell.jpg").path,
            "--style", images.appendingPathComponent("style/sketch.png").path,
            "--preserve-color", preserveColor, "--content-size", "32", "--style-size", "32",
            "--reports-dir", temp.path, "--report", name,
            "--vgg", try TestPaths.golden("network/vgg_legacy.pth").path,
            "--decoder", try TestPaths.golden("network/decoder_legacy.pth").path,
        ])
    }

    @Test func twoSweepsAreComparedIntoTheOutputFolder() throws {
        #expect(try sweep("plain", preserveColor: "none") == nil)
        #expect(try sweep("coral", preserveColor: "coral") == nil)
        let output = temp.appendingPathComponent("plain-vs-coral").path
        let sweeps = "\(temp.path)/plain,\(temp.path)/coral"
        #expect(run(Report.self, ["--sweeps", sweeps, "--output", output]) == nil)
        let written = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
        #expect(written == ["comparison.json", "index.html", "sheet-1.png"])
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/comparison.json"))) as! [String: Any]
        let differs = (record["sweeps"] as! [[String: Any]]).map { $0["differsIn"] as! [String] }
        #expect(differs == [[], ["--preserve-color"]])

        // A third folder that is not a sweep is refused, naming it, and the comparison is unchanged.
        let before = try Data(contentsOf: URL(fileURLWithPath: output + "/comparison.json"))
        let message = run(Report.self, ["--sweeps", sweeps + ",\(temp.path)", "--output", output])
        #expect(message?.contains("--sweeps") == true && message?.contains("manifest.json") == true, "\(message ?? "no error")")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output + "/comparison.json")) == before)
    }

    @Test func badArgumentsNameTheFlag() {
        let one = run(Report.self, ["--sweeps", temp.path + "/a", "--output", temp.path + "/out"])
        #expect(one?.contains("--sweeps") == true && one?.contains("two") == true, "\(one ?? "no error")")
        let missing = run(Report.self, ["--sweeps", "\(temp.path)/a,\(temp.path)/b", "--output", temp.path + "/out"])
        #expect(missing?.contains("--sweeps") == true && missing?.contains(temp.path + "/a") == true, "\(missing ?? "no error")")
        let empty = run(Report.self, ["--sweeps", ",", "--output", temp.path + "/out"])
        #expect(empty?.contains("--sweeps") == true, "\(empty ?? "no error")")
        let rows = run(Report.self, ["--sweeps", "a,b", "--output", temp.path + "/out", "--rows-per-sheet", "0"])
        #expect(rows?.contains("--rows-per-sheet") == true, "\(rows ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: temp.path + "/out"))
    }

    /// A sweep's manifest tampered to link outside the sweeps, or with fewer cells than its grid.
    @Test func tamperedSweepManifestsAreRefusedNamingTheFile() throws {
        #expect(try sweep("one", preserveColor: "none") == nil)
        #expect(try sweep("two", preserveColor: "coral") == nil)
        let manifest = URL(fileURLWithPath: temp.path + "/two/manifest.json")
        let good = try Data(contentsOf: manifest)
        let sweeps = "\(temp.path)/one,\(temp.path)/two"
        let output = temp.appendingPathComponent("tampered").path
        for (edit, words) in [("../../etc/passwd", ["cells[0].output '../../etc/passwd'", "contains '/'"]), ("", ["0 cells for a grid of 1 row x 1 column"])] {
            var object = try JSONSerialization.jsonObject(with: good) as! [String: Any]
            if edit.isEmpty {
                object["cells"] = [Any]()
            } else {
                var cells = object["cells"] as! [[String: Any]]
                cells[0]["output"] = edit
                object["cells"] = cells
            }
            try JSONSerialization.data(withJSONObject: object).write(to: manifest)
            let message = run(Report.self, ["--sweeps", sweeps, "--output", output])
            #expect(message?.contains(manifest.path) == true && words.allSatisfy { message?.contains($0) == true }, "\(message ?? "no error")")
            #expect(!FileManager.default.fileExists(atPath: output))
        }
    }
}
