// `runNormComparison` end to end on 32-pixel images with the seeded golden weights: the report's
// files and links, CIN learned, saved and loaded, CIN with AdaIN's statistics giving AdaIN's
// images, the report folder policy and bad input.

import Foundation
import ImageCodec
@testable import StyleReports
import StyleTransfer
import Testing
import TestSupport

@Suite struct NormComparisonTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("norms-\(UUID().uuidString)")
    let styles = [sharedImage("style/mondrian.jpg"), sharedImage("style/sketch.png")]

    func stylizer() throws -> Stylizer {
        _ = try TestPaths.golden("network/vgg_legacy.pth")
        return try #require(goldenStylizer, "the golden weights in .goldens/network/ do not load")
    }

    func configuration(_ name: String, styles: [String]? = nil, iterations: Int = 3, loadCIN: String? = nil, saveCIN: String? = nil,
                       allowOtherStyles: Bool = false, overwrite: Bool = false) throws -> NormComparisonConfiguration {
        _ = try stylizer()
        return NormComparisonConfiguration(
            contents: [sharedImage("content/cornell.jpg")], styles: styles ?? self.styles, contentSize: 32, styleSize: 32,
            models: goldenModels!, folder: temp.appendingPathComponent(name).path, overwrite: overwrite, toolVersion: "test",
            learning: CINLearningOptions(iterations: iterations, learningRate: 0.05), loadCIN: loadCIN, saveCIN: saveCIN, allowOtherStyles: allowOtherStyles,
            interpolationSteps: 3)
    }

    func bytes(_ folder: String, _ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)) }

    /// The `src` and `href` targets of an HTML page.
    func references(_ html: String) -> [String] {
        var found: [String] = []
        for attribute in ["src=\"", "href=\""] {
            var rest = html[...]
            while let start = rest.range(of: attribute) {
                rest = rest[start.upperBound...]
                let end = rest.firstIndex(of: "\"")!
                found.append(String(rest[..<end]))
            }
        }
        return found
    }

    @Test func reportHasEveryFileAndLearnedCINReloadsIdentically() throws {
        let saved = temp.appendingPathComponent("cin.json").path
        let config = try configuration("learned", saveCIN: saved)
        var lines: [String] = []
        let manifest = try runNormComparison(config, stylizer: try stylizer()) { lines.append($0) }
        #expect(lines.contains { $0.contains("step 3/3") })
        #expect(manifest.cells.count == 3 * 2 && manifest.interpolation.count == 2 * 3)
        #expect(manifest.cells.map(\.method) == [.instance, .instance, .conditional, .conditional, .adaptive, .adaptive])
        #expect(manifest.cin.parameterCount == 2 * 512 * 2 && manifest.cin.learningSeconds! > 0)
        // The learning curve: the loss before each of the 3 steps per style, falling; drawn as a
        // polyline per style on the page (its points carry the manifest's values) and as a PNG.
        let history = try #require(manifest.cin.lossHistory)
        #expect(history.map(\.count) == [3, 3])
        for s in 0 ..< 2 { #expect(history[s].last! < history[s].first!, "style \(s): loss \(history[s])") }
        let curve = try readImage(path: config.folder + "/cin-learning.png")
        #expect((curve.width, curve.height) == (Int(LinePlotFrame.standard.width), Int(LinePlotFrame.standard.height)))
        let page = try String(contentsOfFile: config.folder + "/index.html", encoding: .utf8)
        let section = try #require(page.range(of: "<h2>CIN learning curve</h2>")).upperBound
        let svg = String(page[section...].split(separator: "</svg>")[0])
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        for (s, style) in ["mondrian", "sketch"].enumerated() {
            #expect(svg.contains("data-series=\"\(style)\""))
            for (step, loss) in history[s].enumerated() { #expect(svg.contains("data-x=\"\(Double(step + 1))\" data-y=\"\(Double(loss))\""), "step \(step + 1) of \(style)") }
        }
        #expect(try NormComparisonManifest.read(folder: config.folder) == manifest)
        #expect(manifest.sheets == ["norms-c01-1.png", "interpolation-c01-1.png"])
        let sheet = try readImage(path: config.folder + "/norms-c01-1.png")
        // SheetLayout's grid: 2 columns, a row of styles and 3 methods.
        #expect((sheet.width, sheet.height) == SheetLayout.size(columns: 2, rows: 4))
        let strip = try readImage(path: config.folder + "/interpolation-c01-1.png")
        #expect((strip.width, strip.height) == SheetLayout.size(columns: 3, rows: 2))
        for cell in manifest.cells {
            #expect(cell.styleLoss != nil && cell.contentLoss.isFinite)
            let image = try readImage(path: config.folder + "/" + cell.output)
            #expect(min(image.width, image.height) == 32)
        }
        // IN ignores the style: its images are the same for both styles; its style losses differ.
        #expect(try bytes(config.folder, manifest.cells[0].output) == bytes(config.folder, manifest.cells[1].output))
        #expect(manifest.cells[0].styleLoss != manifest.cells[1].styleLoss)
        // The interpolation strip's endpoints are the single styles.
        let cin = manifest.cells.filter { $0.method == .conditional }, adain = manifest.cells.filter { $0.method == .adaptive }
        let interpolatedCIN = manifest.interpolation.filter { $0.method == .conditional }
        let interpolatedAdaIN = manifest.interpolation.filter { $0.method == .adaptive }
        #expect(try bytes(config.folder, interpolatedCIN[0].output) == bytes(config.folder, cin[0].output))
        #expect(try bytes(config.folder, interpolatedCIN[2].output) == bytes(config.folder, cin[1].output))
        #expect(try bytes(config.folder, interpolatedAdaIN[0].output) == bytes(config.folder, adain[0].output))
        #expect(try bytes(config.folder, interpolatedAdaIN[2].output) == bytes(config.folder, adain[1].output))

        let html = try String(contentsOfFile: config.folder + "/index.html", encoding: .utf8)
        let found = references(html)
        for file in manifest.sheets + (manifest.cells + manifest.interpolation).map(\.output) { #expect(found.contains(file), "\(file)") }
        for reference in found {
            #expect(!reference.contains("/") && !reference.contains(":"), "\(reference) is not a local file")
            #expect(FileManager.default.fileExists(atPath: config.folder + "/" + reference), "\(reference)")
        }
        #expect(html.contains("2 x 512 x 2 = 2048"))

        // The saved parameters, loaded: the same CIN images, nothing learned.
        let reloaded = try runNormComparison(try configuration("loaded", loadCIN: saved), stylizer: try stylizer())
        #expect(reloaded.cin.learningSeconds == nil && reloaded.definition.cinFile != nil)
        let loadedFolder = temp.appendingPathComponent("loaded").path
        #expect(!FileManager.default.fileExists(atPath: loadedFolder + "/cin-learning.png"))
        #expect(try !String(contentsOfFile: loadedFolder + "/index.html", encoding: .utf8).contains("CIN learning curve"))
        for (a, b) in zip(manifest.cells, reloaded.cells) {
            #expect(try bytes(config.folder, a.output) == bytes(temp.appendingPathComponent("loaded").path, b.output), "\(a.output)")
        }
    }

    /// A run cut short (after CIN was learned and two cells were written: what a killed run leaves)
    /// resumes: the rerun takes the learned parameters and the finished cells, makes the rest, and
    /// the report equals the uninterrupted one byte for byte.
    @Test func anInterruptedComparisonResumesWhereItStopped() throws {
        // Folders of the same name (sheets carry it).
        let whole = try configuration("whole/norms", iterations: 2)
        let reference = try runNormComparison(whole, stylizer: try stylizer())
        let config = try configuration("resumed/norms", iterations: 2)
        try FileManager.default.createDirectory(atPath: config.folder, withIntermediateDirectories: true)
        // What the cut run left: its manifest after two cells, their images and CIN's parameters.
        var cut = reference
        cut.cells = Array(reference.cells.prefix(2))
        (cut.interpolation, cut.sheets) = ([], [])
        try cut.write(folder: config.folder)
        for name in cut.cells.map(\.output) + [cinParametersName] {
            try FileManager.default.copyItem(atPath: whole.folder + "/" + name, toPath: config.folder + "/" + name)
        }
        // A third image without its manifest entry (killed before the manifest was written) is made again.
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: config.folder + "/" + reference.cells[2].output))
        var lines: [String] = []
        let resumed = try runNormComparison(config, stylizer: try stylizer()) { lines.append($0) }
        #expect(!lines.contains { $0.contains("learning") }, "\(lines)")
        #expect(lines.contains { $0.contains("learned by an earlier run") })
        #expect(lines.filter { $0.hasSuffix("already done") }.count == 2)
        // Progress with the time left, until the last cell.
        #expect(lines.filter { $0.hasSuffix(" left") }.count == reference.cells.count + reference.interpolation.count - 2 - 1, "\(lines)")
        #expect(resumed == reference)
        for name in reference.sheets + (reference.cells + reference.interpolation).map(\.output) + ["cin-learning.png", cinParametersName] {
            #expect(try bytes(config.folder, name) == bytes(whole.folder, name), "\(name)")
        }
    }

    @Test func cinWithAdaINStatisticsGivesAdaINImages() throws {
        let stylizer = try stylizer()
        let features = try styles.map { path in
            let image = try ImageSizing(size: 32).load(path: path)
            return stylizer.encode(image)
        }
        let path = temp.appendingPathComponent("adain.json").path
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        try CINParameterFile(parameters: ConditionalInstanceNorm(adainStatisticsOf: features), styles: styleNames, learning: nil).write(path: path)
        let config = try configuration("adain", loadCIN: path)
        let manifest = try runNormComparison(config, stylizer: stylizer)
        let cin = manifest.cells.filter { $0.method == .conditional }, adain = manifest.cells.filter { $0.method == .adaptive }
        for (a, b) in zip(cin, adain) {
            #expect(try bytes(config.folder, a.output) == bytes(config.folder, b.output))
            #expect(a.styleLoss == b.styleLoss && a.contentLoss == b.contentLoss)
        }
    }

    @Test func aDifferentReportInTheFolderIsRefusedUnchanged() throws {
        let config = try configuration("policy", styles: [styles[0]], iterations: 1)
        let first = try runNormComparison(config, stylizer: try stylizer())
        #expect(first.interpolation.isEmpty && first.sheets == ["norms-c01-1.png"])
        let before = try FileManager.default.contentsOfDirectory(atPath: config.folder).sorted()
        let html = try bytes(config.folder, "index.html")
        var other = try configuration("policy", iterations: 1)
        let stylizer = try stylizer()
        do {
            _ = try runNormComparison(other, stylizer: stylizer)
            Issue.record("a different comparison was written over the report")
        } catch {
            guard case .reportExists(let folder, _, _) = error else { Issue.record("\(error)"); return }
            #expect(folder == config.folder && error.description.contains("--overwrite"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: config.folder).sorted() == before)
        #expect(try bytes(config.folder, "index.html") == html)
        other.overwrite = true
        let second = try runNormComparison(other, stylizer: stylizer)
        #expect(second.cells.count == 6)
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: config.folder))
        let outputs: [String] = (second.cells + second.interpolation).map(\.output)
        let written: Set<String> = Set(second.sheets + outputs + ["index.html", "manifest.json", "cin-learning.png", cinParametersName])
        #expect(after == written)
    }

    @Test func badInputsNameTheFlagOrFile() throws {
        let missing = temp.appendingPathComponent("nope.jpg").path
        #expect(throws: ReportError.missingInput(flag: "--style", path: missing)) {
            try checkNormComparison(try configuration("bad", styles: [styles[0], missing]))
        }
        #expect(throws: ReportError.noImages(flag: "--style")) { try checkNormComparison(try configuration("bad", styles: [])) }
        #expect(throws: ReportError.self) { try checkNormComparison(try configuration("bad", iterations: 0)) }

        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let garbage = temp.appendingPathComponent("garbage.json").path
        try Data("{\"format\": 3}".utf8).write(to: URL(fileURLWithPath: garbage))
        let bad = try configuration("bad", loadCIN: garbage)
        do {
            try checkNormComparison(bad)
            Issue.record("a bad CIN file was accepted")
        } catch {
            guard case .cinFile(.malformed(let path, _)) = error else { Issue.record("\(error)"); return }
            #expect(path == garbage && error.description.contains(garbage))
        }
        let one = temp.appendingPathComponent("one-style.json").path
        try CINParameterFile(parameters: .instanceNormalization(channels: 512), styles: ["a.jpg"], learning: nil).write(path: one)
        #expect(throws: ReportError.cinFile(.styleCount(path: one, inFile: 1, given: 2))) {
            try checkNormComparison(try configuration("bad", loadCIN: one))
        }
        let eight = temp.appendingPathComponent("eight-channels.json").path
        try CINParameterFile(parameters: .instanceNormalization(channels: 8, styles: 2), styles: styleNames, learning: nil).write(path: eight)
        #expect(throws: ReportError.cinFile(.channels(path: eight, inFile: 8, expected: 512))) {
            try runNormComparison(try configuration("bad-channels", loadCIN: eight), stylizer: try stylizer())
        }
        #expect(!FileManager.default.fileExists(atPath: temp.appendingPathComponent("bad").path))
    }

    var styleNames: [String] { styles.map { URL(fileURLWithPath: $0).lastPathComponent } }

    /// Issue 12: a CIN file learned for other styles only warned on the terminal, and the page and
    /// manifest did not say it. It is refused, naming both lists; with --allow-other-styles its rows
    /// are used in order and the manifest and page record the styles it was learned for.
    @Test func aCINFileOfOtherStylesIsRefusedUnlessAllowedAndThenRecorded() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let path = temp.appendingPathComponent("swapped.json").path
        let swapped = Array(styleNames.reversed())
        try CINParameterFile(parameters: .instanceNormalization(channels: 512, styles: 2), styles: swapped, learning: nil).write(path: path)
        #expect(throws: ReportError.cinFile(.otherStyles(path: path, learned: swapped, given: styleNames))) {
            try checkNormComparison(try configuration("other-styles", loadCIN: path))
        }
        #expect(!FileManager.default.fileExists(atPath: temp.appendingPathComponent("other-styles").path))
        let config = try configuration("other-styles", loadCIN: path, allowOtherStyles: true)
        let manifest = try runNormComparison(config, stylizer: try stylizer())
        #expect(manifest.definition.cinLearnedFor == swapped)
        #expect(try NormComparisonManifest.read(folder: config.folder).definition.cinLearnedFor == swapped)
        let html = try String(contentsOfFile: config.folder + "/index.html", encoding: .utf8)
        #expect(html.contains("<b>learned for other styles</b> (\(swapped.joined(separator: ", ")))"), "the page does not say it")
    }
}
