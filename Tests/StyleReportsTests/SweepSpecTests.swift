// Spec files (`stylectl sweep --spec`): JSON and YAML give the same request as the flags; bad keys,
// types and empty lists are refused naming the key and the file.

import Foundation
@testable import StyleReports
import StyleTransfer
import Testing
import TestSupport

@Suite struct SweepSpecTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("sweepspec-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = temp.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// What the flags `--content images/c.jpg --corners a.jpg,b.jpg,c.jpg,d.jpg --steps 3 --alpha 0.5,1
    /// --preserve-color none,coral --content-size 64 --style-size 32 --report grid --overwrite`
    /// give, with paths relative to the spec's folder resolved.
    var expected: SweepRequest {
        var request = SweepRequest()
        request.contents = [temp.appendingPathComponent("images/c.jpg").path]
        request.corners = ["a.jpg", "b.jpg", "c.jpg", "d.jpg"].map { temp.appendingPathComponent($0).path }
        request.steps = 3
        request.alphas = [0.5, 1]
        request.preserveColors = [.none, .coral]
        request.contentSize = 64
        request.styleSize = 32
        request.report = "grid"
        request.overwrite = true
        request.vgg = "/models/vgg.pth"
        return request
    }

    @Test func jsonAndYamlGiveTheFlagsRequest() throws {
        let json = try write("spec.json", """
            {"content": ["images/c.jpg"], "corners": "a.jpg, b.jpg,c.jpg,d.jpg", "steps": 3, "alpha": [0.5, 1],
             "preserve-color": "none,coral", "content-size": 64, "style-size": "32", "report": "grid", "overwrite": true,
             "vgg": "/models/vgg.pth"}
            """)
        let yaml = try write("spec.yaml", """
            content: [images/c.jpg]
            corners:
              - a.jpg
              - b.jpg
              - c.jpg
              - d.jpg
            steps: 3
            alpha: [0.5, 1]
            preserve-color: [none, coral]
            content-size: 64
            style-size: 32
            report: grid
            overwrite: true
            vgg: /models/vgg.pth
            """)
        #expect(try SweepRequest(specFile: json) == expected)
        #expect(try SweepRequest(specFile: yaml) == expected)
        #expect(try SweepRequest(specFile: yaml).grid().grid == .bilinear)
    }

    @Test func unknownKeyNamesTheKeyAndTheFile() throws {
        let yaml = try write("typo.yaml", "content: a.jpg\nstyle: b.jpg\nalphas: [0, 1]\n")
        #expect(throws: SweepError.unknownSpecKey(key: "alphas", file: yaml)) { try SweepRequest(specFile: yaml) }
        let message = SweepError.unknownSpecKey(key: "alphas", file: yaml).description
        #expect(message.contains("'alphas'") && message.contains(yaml) && message.contains("alpha,"))
        let json = try write("typo.json", #"{"content": "a.jpg", "styles": "b.jpg"}"#)
        #expect(throws: SweepError.unknownSpecKey(key: "styles", file: json)) { try SweepRequest(specFile: json) }
    }

    @Test func badValuesAndEmptyListsAreRefused() throws {
        let wrongType = try write("steps.yaml", "content: a.jpg\ncorners: a,b,c,d\nsteps: many\n")
        #expect(throws: SweepError.invalidSpec(file: wrongType, reason: "'steps' must be a whole number")) { try SweepRequest(specFile: wrongType) }
        let emptyAlpha = try write("alpha.json", #"{"content": "a.jpg", "style": "b.jpg", "alpha": []}"#)
        #expect(throws: SweepError.emptyList(flag: "--alpha")) { try SweepRequest(specFile: emptyAlpha) }
        let notMapping = try write("list.yaml", "- a.jpg\n- b.jpg\n")
        #expect(throws: SweepError.self) { try SweepRequest(specFile: notMapping) }
        let badExtension = try write("spec.txt", "content: a.jpg\n")
        #expect(throws: SweepError.self) { try SweepRequest(specFile: badExtension) }

        // An empty content list, and two kinds of grid at once, are refused before any file is read.
        let models = ModelFiles(vgg: "/nowhere/vgg.pth", decoder: "/nowhere/decoder.pth")
        let noContent = try write("empty.yaml", "content: []\nstyle: b.jpg\nreport: r\n")
        #expect(throws: SweepError.emptyList(flag: "--content")) {
            try SweepRequest(specFile: noContent).configuration(models: models, toolVersion: "test")
        }
        let twoGrids = try write("two.yaml", "content: a.jpg\nstyle: b.jpg\ncorners: a,b,c,d\nreport: r\n")
        #expect(throws: SweepError.self) { try SweepRequest(specFile: twoGrids).configuration(models: models, toolVersion: "test") }
    }

    /// The examples in Reports/examples/ parse, and name images that exist.
    @Test func exampleSpecsParse() throws {
        let folder = TestPaths.repoRoot.appendingPathComponent("Reports/examples")
        let corners = try SweepRequest(specFile: folder.appendingPathComponent("corners.yaml").path)
        #expect(try corners.grid().grid == .bilinear && corners.corners?.count == 4 && corners.report == "corners")
        let alpha = try SweepRequest(specFile: folder.appendingPathComponent("alpha.json").path)
        #expect(try alpha.grid().grid == .styles && alpha.contents.count == 2 && alpha.alphas == [0, 0.25, 0.5, 0.75, 1])
        #expect(alpha.preserveColors == [.none, .coral, .luminance])
        for path in corners.contents + corners.corners! + alpha.contents + alpha.styles! {
            #expect(FileManager.default.fileExists(atPath: path), "\(path)")
        }
    }
}
