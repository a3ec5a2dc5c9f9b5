// Spec files (`stylectl sweep --spec`): JSON and YAML give the same request as the flags; bad keys,
// types and empty lists are refused naming the key and the file.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
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
        #expect(throws: ReportError.unknownSpecKey(key: "alphas", file: yaml)) { try SweepRequest(specFile: yaml) }
        let message = ReportError.unknownSpecKey(key: "alphas", file: yaml).description
        #expect(message.contains("'alphas'") && message.contains(yaml) && message.contains("alpha,"))
        let json = try write("typo.json", #"{"content": "a.jpg", "styles": "b.jpg"}"#)
        #expect(throws: ReportError.unknownSpecKey(key: "styles", file: json)) { try SweepRequest(specFile: json) }
    }

    @Test func badValuesAndEmptyListsAreRefused() throws {
        let wrongType = try write("steps.yaml", "content: a.jpg\ncorners: a,b,c,d\nsteps: many\n")
        #expect(throws: ReportError.invalidSpec(file: wrongType, reason: "'steps' must be a whole number")) { try SweepRequest(specFile: wrongType) }
        let emptyAlpha = try write("alpha.json", #"{"content": "a.jpg", "style": "b.jpg", "alpha": []}"#)
        #expect(throws: ReportError.emptyList(flag: "--alpha")) { try SweepRequest(specFile: emptyAlpha) }
        let notMapping = try write("list.yaml", "- a.jpg\n- b.jpg\n")
        #expect(throws: ReportError.self) { try SweepRequest(specFile: notMapping) }
        let badExtension = try write("spec.txt", "content: a.jpg\n")
        #expect(throws: ReportError.self) { try SweepRequest(specFile: badExtension) }

        // An empty content list, and two kinds of grid at once, are refused before any file is read.
        let models = ModelFiles(vgg: "/nowhere/vgg.pth", decoder: "/nowhere/decoder.pth")
        let noContent = try write("empty.yaml", "content: []\nstyle: b.jpg\nreport: r\n")
        #expect(throws: ReportError.emptyList(flag: "--content")) {
            try SweepRequest(specFile: noContent).configuration(models: models, toolVersion: "test")
        }
        let twoGrids = try write("two.yaml", "content: a.jpg\nstyle: b.jpg\ncorners: a,b,c,d\nreport: r\n")
        #expect(throws: ReportError.self) { try SweepRequest(specFile: twoGrids).configuration(models: models, toolVersion: "test") }
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

    // MARK: Hostile spec files

    /// Runs `body` on a thread with a 512 KiB stack (as small as the cooperative pool's threads),
    /// so that a parser recursing once per nesting level would overflow here rather than pass.
    func onSmallStack(_ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { body(); done.signal() }
        thread.stackSize = 512 << 10
        thread.start()
        done.wait()
    }

    @Test func yamlAliasBombIsRefusedQuickly() throws {
        // "Billion laughs": 9 levels of 9 aliases, 9^9 strings once expanded, in under 500 bytes.
        var text = "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for level in 1 ... 8 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ",") + "]\n"
        }
        text += "content: *a8\n"
        #expect(text.utf8.count < 600)
        let bomb = try write("bomb.yaml", text)
        let start = Date()
        #expect(throws: ReportError.invalidSpec(file: bomb, reason: "more than 20000 values once its aliases (*name) are expanded; a sweep spec needs no aliases: write the values out")) {
            try SweepRequest(specFile: bomb)
        }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func deepNestingIsRefusedBeforeParsing() throws {
        let flow = try write("deep.yaml", "content: " + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + "\n")
        let json = try write("deep.json", "{\"content\": " + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + "}")
        let block = try write("block.yaml", (0 ..< 500).map { String(repeating: " ", count: $0) + "- " }.joined(separator: "\n") + "x\n")
        let compact = try write("compact.yaml", "content:\n" + String(repeating: "- ", count: 10_000) + "x\n")
        let brackets = "more than 64 '[' and '{' (nested too deep for a sweep spec, which needs one per list)"
        let indented = "a line is indented by more than 32 columns (nested too deep for a sweep spec)"
        for (file, reason) in [(flow, brackets), (json, brackets), (block, indented), (compact, indented)] {
            nonisolated(unsafe) var error: ReportError?
            onSmallStack { do { _ = try SweepRequest(specFile: file) } catch let e as ReportError { error = e } catch {} }
            #expect(error == .invalidSpec(file: file, reason: reason), "\(file)")
        }
    }

    @Test func theDeepestNestingAllowedParsesOnASmallStack() throws {
        // Within the limits: 64 nested flow lists under 32 columns of compact block lists, the most
        // the text scan lets through; Yams must compose it without overflowing a small stack.
        let text = "content:\n" + String(repeating: "- ", count: 16) + String(repeating: "[", count: 64) + "x" + String(repeating: "]", count: 64) + "\n"
        let deep = try write("deepest.yaml", text)
        nonisolated(unsafe) var error: ReportError?
        onSmallStack { do { _ = try SweepRequest(specFile: deep) } catch let e as ReportError { error = e } catch {} }
        #expect(error == .invalidSpec(file: deep, reason: "'content' must be a list of strings or numbers"))
    }

    @Test func oversizedAndSpecialSpecFilesAreRefused() throws {
        let big = try write("big.yaml", "content: a.jpg\n# " + String(repeating: "x", count: 1 << 20) + "\n")
        #expect(throws: ReportError.invalidSpec(file: big, reason: "is \(1 << 20 + 18) bytes; a spec file has at most 1048576 (1 MiB)")) {
            try SweepRequest(specFile: big)
        }
        let fifo = temp.appendingPathComponent("fifo.yaml").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: ReportError.invalidSpec(file: fifo, reason: "is not a regular file")) { try SweepRequest(specFile: fifo) }
        let folder = temp.appendingPathComponent("folder.json").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        #expect(throws: ReportError.invalidSpec(file: folder, reason: "is not a regular file")) { try SweepRequest(specFile: folder) }
    }

    @Test func longListsInASpecNameTheKeyAndTheLimit() throws {
        let alphas = try write("alphas.yaml", "content: a.jpg\nstyle: b.jpg\nreport: r\nalpha: [" + Array(repeating: "0.5", count: 500).joined(separator: ",") + "]\n")
        let models = ModelFiles(vgg: "/nowhere/vgg.pth", decoder: "/nowhere/decoder.pth")
        #expect(throws: ReportError.invalidValue(flag: "--alpha", value: "500 values", expected: "at most 101 values")) {
            try SweepRequest(specFile: alphas).configuration(models: models, toolVersion: "test")
        }
        let steps = try write("steps.json", #"{"content": "a.jpg", "interpolate": "a.jpg,b.jpg", "report": "r", "steps": 4611686018427387904}"#)
        #expect(throws: ReportError.invalidValue(flag: "--steps", value: "4611686018427387904", expected: "2 to 101")) {
            try SweepRequest(specFile: steps).configuration(models: models, toolVersion: "test")
        }
    }

    /// Issue 10: one comma-list rule for every command: items trimmed, an empty item refused
    /// naming the flag and its position, no item at all the sweep's empty list.
    @Test func oneCommaListRule() throws {
        #expect(try commaList(" a.jpg ,b.jpg", flag: "--style") == ["a.jpg", "b.jpg"])
        for (text, position) in [("a,,b", 2), (",a", 1), ("a,", 2), ("a, ,b", 2)] {
            #expect(throws: CommaListError.emptyItem(flag: "--style", position: position, text: text)) { try commaList(text, flag: "--style") }
            #expect(throws: ReportError.list(.emptyItem(flag: "--style", position: position, text: text))) { try parseList(text, flag: "--style") }
        }
        #expect(CommaListError.emptyItem(flag: "--style", position: 2, text: "a,,b").description
                == "'--style': item 2 of 'a,,b' is empty; give one value between each pair of commas, with no leading or trailing comma.")
        #expect(throws: ReportError.emptyList(flag: "--alpha")) { try parseAlphas(" , ") }
        #expect(throws: ReportError.list(.emptyItem(flag: "--alpha", position: 3, text: "0,1,"))) { try parseAlphas("0,1,") }
    }

    /// Issue 10: a spec file's comma-separated string follows the flags' rule (it dropped empty
    /// items), and `steps` with a `style` grid is refused as `--steps` is.
    @Test func specListsAndStepsFollowTheFlagsRules() throws {
        let emptyItem = try write("alpha.yaml", "content: a.jpg\nstyle: b.jpg\nalpha: \"0,,1\"\n")
        #expect(throws: ReportError.invalidSpec(file: emptyItem, reason:
            "'--alpha': item 2 of '0,,1' is empty; give one value between each pair of commas, with no leading or trailing comma")) {
            try SweepRequest(specFile: emptyItem)
        }
        let steps = try write("steps.yaml", "content: a.jpg\nstyle: b.jpg\nsteps: 3\nreport: r\n")
        #expect(throws: ReportError.invalidValue(flag: "--steps", value: "3",
                                                expected: "--steps only with --interpolate or --corners: a --style grid has no weights to step through")) {
            try SweepRequest(specFile: steps).grid()
        }
        #expect(try SweepRequest(specFile: try write("corners.yaml", "content: a.jpg\ncorners: a,b,c,d\nsteps: 3\n")).grid().grid == .bilinear)
    }

    /// Issue 10: counts in messages agree with their number ("1 cell", not "1 cells").
    @Test func countsAgreeWithTheirNumber() throws {
        #expect(counted(1, "cell") == "1 cell" && counted(0, "cell") == "0 cells" && counted(2, "row") == "2 rows")
        #expect(counted(1, "match", plural: "matches") == "1 match" && counted(3, "match", plural: "matches") == "3 matches")
        var request = SweepRequest()
        request.contents = ["a.jpg"]
        request.interpolate = ["a.jpg", "b.jpg"]
        request.steps = 101
        request.alphas = Array(repeating: 1, count: 101)
        request.report = "r"
        #expect(throws: ReportError.invalidValue(flag: "--content, --interpolate, --alpha, --preserve-color, --steps",
                                                value: "1 row x 10201 columns = 10201 cells",
                                                expected: "at most 10000 cells per sweep (split it into several sweeps)")) {
            try request.configuration(models: ModelFiles(vgg: "/nowhere/vgg.pth", decoder: "/nowhere/decoder.pth"), toolVersion: "test")
        }
    }

    /// Issue 10: `crop`, `mask-mode` and `style-weights` are spec keys like the other flags, and a
    /// bad value is refused in `stylize`'s words naming the file.
    @Test func cropMaskModeAndStyleWeightsAreSpecKeys() throws {
        let yaml = try write("controls.yaml", "content: a.jpg\nstyle: [b.jpg, c.jpg]\ncrop: true\nstyle-weights: [1, 3]\n")
        let request = try SweepRequest(specFile: yaml)
        #expect(request.crop && request.styleWeights == [1, 3] && request.maskMode == SpatialMask.Mode.auto)
        let masks = try write("masks.json", #"{"content": "a.jpg", "style": "b.jpg,c.jpg", "mask": "m.png", "mask-mode": "soft"}"#)
        #expect(try SweepRequest(specFile: masks).maskMode == .soft)
        let badMode = try write("mode.yaml", "content: a.jpg\nstyle: b.jpg\nmask-mode: fuzzy\n")
        #expect(throws: ReportError.failed(StyleControlError.unknownMaskMode("fuzzy").description)) { try SweepRequest(specFile: badMode) }
        let badWeight = try write("weight.yaml", "content: a.jpg\nstyle: b.jpg\nstyle-weights: [1, heavy]\n")
        #expect(throws: ReportError.failed(StyleControlError.weightNotANumber("heavy").description)) { try SweepRequest(specFile: badWeight) }
    }

    /// A sweep without the later flags records none of them: its manifest is the one written
    /// before they existed, so reports made then still resume (the definitions are equal) and
    /// their manifests' digests in comparisons do not change. With them, they are recorded and
    /// a definition that differs only in one is another sweep, named by the flag.
    @Test func manifestsWithoutTheLaterFlagsStillMatch() throws {
        let file = try InputFile(path: try write("a.jpg", "an input"))
        let old = SweepDefinition(toolVersion: "t", grid: .styles, contents: [file], styles: [file, file], masks: [], stretchMask: false,
                                  steps: nil, alphas: [1], preserveColors: ["none"], contentSize: 64, styleSize: 64, vgg: file, decoder: file)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(old), as: UTF8.self)
        #expect(!text.contains("crop") && !text.contains("maskMode") && !text.contains("styleWeights"), "\(text)")
        #expect(try JSONDecoder().decode(SweepDefinition.self, from: Data(text.utf8)) == old)
        #expect(!old.cropsImages && old.spatialMaskMode == SpatialMask.Mode.auto && old.styleWeights == nil)
        var cropped = old
        cropped.crop = true
        #expect(differenceNames(old, cropped) == ["--crop"])
        var weighted = old
        weighted.styleWeights = [1, 3]
        #expect(differenceNames(old, weighted) == ["--style-weights"])
        let manifest = SweepManifest(definition: weighted)
        #expect(manifest.rows.count == 1 && manifest.cells.count == 1 && manifest.cells[0].weights == [1, 3])
    }

    /// A tampered manifest's mask mode or style weights are refused by its reader, naming the key.
    @Test func tamperedControlsInAManifestAreRefused() throws {
        let file = try InputFile(path: try write("a.jpg", "an input"))
        var definition = SweepDefinition(toolVersion: "t", grid: .styles, contents: [file], styles: [file, file], masks: [], stretchMask: false,
                                         steps: nil, alphas: [1], preserveColors: ["none"], contentSize: 64, styleSize: 64, vgg: file, decoder: file)
        definition.styleWeights = [1, 3]
        let folder = temp.appendingPathComponent("tampered").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (key, value, reason) in [
            ("maskMode", "\"fuzzy\"", "definition.maskMode 'fuzzy' is not a mask mode"),
            ("styleWeights", "[0, 0]", "definition.styleWeights: " + StyleControlError.zeroWeights.description),
            ("styleWeights", "[1]", "definition.styleWeights: " + StyleControlError.weightCount(weights: 1, styles: 2).description),
        ] {
            var json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(SweepManifest(definition: definition))) as! [String: Any]
            var d = json["definition"] as! [String: Any]
            d[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
            json["definition"] = d
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
            #expect(throws: ReportError.invalidRecord(file: folder + "/manifest.json", reason: reason)) { try SweepManifest.read(folder: folder) }
        }
    }
}
