// `runSweep` end to end on 64-pixel images with the seeded golden weights: manifest, resume,
// byte-identical re-runs, metrics against PyTorch, index links and bad input (sheets: ContactSheetTests).

import Foundation
import ImageCodec
@testable import StyleReports
import StyleTransfer
import Testing
import TestSupport

/// The seeded weights of .goldens/network/, loaded once for all tests.
let goldenModels: ModelFiles? = {
    guard let vgg = try? TestPaths.golden("network/vgg_legacy.pth"),
          let decoder = try? TestPaths.golden("network/decoder_legacy.pth") else { return nil }
    return ModelFiles(vgg: vgg.path, decoder: decoder.path)
}()
let goldenStylizer: Stylizer? = goldenModels.flatMap { try? Stylizer(models: $0) }

func sharedImage(_ relative: String) -> String { TestPaths.sharedImages.appendingPathComponent(relative).path }

@Suite struct SweepTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("stylereports-\(UUID().uuidString)")

    func stylizer() throws -> Stylizer {
        guard let stylizer = goldenStylizer else {
            _ = try TestPaths.golden("network/vgg_legacy.pth")
            _ = try TestPaths.golden("network/decoder_legacy.pth")
            throw ReportError.failed("the golden weights in .goldens/network/ do not load")
        }
        return stylizer
    }

    func configuration(
        _ name: String, grid: SweepGrid = .styles, styles: [String] = ["style/mondrian.jpg", "style/sketch.png"],
        masks: [String] = [], steps: Int = 5, alphas: [Float] = [0, 0.5, 1],
        preserveColors: [ColorPreservation] = [.none], rowsPerSheet: Int = 6, overwrite: Bool = false
    ) throws -> SweepConfiguration {
        _ = try stylizer()
        return SweepConfiguration(
            grid: grid, contents: [sharedImage("content/cornell.jpg")], styles: styles.map(sharedImage),
            masks: masks.map { TestPaths.repoRoot.appendingPathComponent($0).path }, stretchMask: true, steps: steps,
            alphas: alphas, preserveColors: preserveColors, contentSize: 64, styleSize: 64, models: goldenModels!,
            folder: temp.appendingPathComponent(name).path, overwrite: overwrite, toolVersion: "test",
            rowsPerSheet: rowsPerSheet)
    }

    /// Stylizes every cell again from the manifest alone (a fresh pipeline with the definition's
    /// sizes and the cell's controls) and checks that the written bytes equal the sweep's image.
    func expectRerunsFromTheManifest(folder: String) throws {
        let manifest = try SweepManifest.read(folder: folder)
        let d = manifest.definition
        let pipeline = StylizationPipeline(stylizer: try Stylizer(models: ModelFiles(vgg: d.vgg.path, decoder: d.decoder.path)),
                                          contentSizing: ImageSizing(size: d.contentSize), styleSizing: ImageSizing(size: d.styleSize))
        let again = temp.appendingPathComponent("rerun-\(UUID().uuidString).png").path
        for cell in manifest.cells {
            try writeImage(try pipeline.stylize(content: cell.content, controls: cell.controls(stretchMask: d.stretchMask, maskMode: d.spatialMaskMode)), path: again)
            #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == Data(contentsOf: URL(fileURLWithPath: folder + "/" + cell.output)),
                    "\(cell.output) differs when re-run from the manifest")
        }
    }

    func bytes(_ folder: String, _ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
    }

    /// Every file in a folder with its bytes.
    func snapshot(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return files
    }

    @Test func manifestListsEveryCellAndMetricsMatchPyTorch() throws {
        let config = try configuration("grid")
        let manifest = try runSweep(config, stylizer: try stylizer())
        #expect(manifest.rows.count == 2 && manifest.columns.count == 3 && manifest.cells.count == 6)
        let stored = try SweepManifest.read(folder: config.folder)
        #expect(stored == manifest)
        #expect(stored.definition.vgg.sha256.count == 64 && stored.definition.contents[0].sha256.count == 64)

        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.golden("reports/metrics.json"))) as! [String: Any]
        let references = golden["cells"] as! [[String: Any]]
        #expect(references.count == 6)
        for (cell, reference) in zip(stored.cells, references) {
            #expect(cell.isDone)
            #expect(FileManager.default.fileExists(atPath: config.folder + "/" + cell.output))
            #expect(cell.content.hasSuffix(reference["content"] as! String))
            #expect(cell.styles.count == 1 && cell.styles[0].hasSuffix(reference["style"] as! String))
            #expect(cell.weights == nil && cell.mask == nil)
            #expect(Double(cell.alpha) == reference["alpha"] as! Double)
            #expect(cell.preserveColor == "none")
            let contentLoss = reference["content_loss"] as! Double
            let styleLoss = reference["style_loss"] as! Double
            #expect(abs(cell.contentLoss! - contentLoss) <= 1e-6 + 1e-3 * abs(contentLoss), "\(cell.output): content loss \(cell.contentLoss!) vs \(contentLoss)")
            #expect(abs(cell.styleLoss! - styleLoss) <= 1e-6 + 1e-3 * abs(styleLoss), "\(cell.output): style loss \(cell.styleLoss!) vs \(styleLoss)")
            let gramLoss = reference["gram_style_loss"] as! Double
            #expect(abs(cell.gramStyleLoss! - gramLoss) <= 1e-9 + 1e-3 * abs(gramLoss), "\(cell.output): Gram loss \(cell.gramStyleLoss!) vs \(gramLoss)")
        }
        #expect(stored.rows.map(\.label) == ["cornell x mondrian", "cornell x sketch"])
        #expect(stored.columns.map(\.label) == ["alpha 0", "alpha 0.5", "alpha 1"])
    }

    /// Several weighted styles: the style loss is against the weighted mix of the styles'
    /// statistics; `index` is the cell's entry in the goldens' "mixed" list.
    func expectMixedMetricsMatchPyTorch(_ cell: SweepManifest.Cell, index: Int) throws {
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.golden("reports/metrics.json"))) as! [String: Any]
        let reference = (golden["mixed"] as! [[String: Any]])[index]
        #expect(cell.weights == (reference["weights"] as! [Double]).map(Float.init))
        #expect(zip(cell.styles, reference["styles"] as! [String]).allSatisfy { $0.hasSuffix($1) })
        #expect(Double(cell.alpha) == reference["alpha"] as! Double)
        let contentLoss = reference["content_loss"] as! Double
        let styleLoss = reference["style_loss"] as! Double
        #expect(abs(cell.contentLoss! - contentLoss) <= 1e-6 + 1e-3 * abs(contentLoss), "\(cell.output): content loss \(cell.contentLoss!) vs \(contentLoss)")
        #expect(abs(cell.styleLoss! - styleLoss) <= 1e-6 + 1e-3 * abs(styleLoss), "\(cell.output): style loss \(cell.styleLoss!) vs \(styleLoss)")
        let gramLoss = reference["gram_style_loss"] as! Double
        #expect(abs(cell.gramStyleLoss! - gramLoss) <= 1e-9 + 1e-3 * abs(gramLoss), "\(cell.output): Gram loss \(cell.gramStyleLoss!) vs \(gramLoss)")
    }

    @Test func rerunsAndResumesGiveIdenticalImages() throws {
        let first = try configuration("first", styles: ["style/mondrian.jpg"], alphas: [0.25, 1], preserveColors: [.none, .coral, .luminance])
        let manifest = try runSweep(first, stylizer: try stylizer())
        let before = try snapshot(first.folder)
        #expect(manifest.columns.map(\.label) == ["none, alpha 0.25", "none, alpha 1", "coral, alpha 0.25", "coral, alpha 1",
                                                 "luminance, alpha 0.25", "luminance, alpha 1"])

        // Every cell again from the manifest alone: byte-identical images.
        try expectRerunsFromTheManifest(folder: first.folder)

        // Resume: only the missing cells are computed again (the others are reported skipped), identical.
        let missing = [manifest.cells[1].output, manifest.cells[4].output]
        for name in missing { try FileManager.default.removeItem(atPath: first.folder + "/" + name) }
        var computed: [String] = []
        var skipped: [String] = []
        let resumed = try runSweep(first, stylizer: try stylizer()) { progress in
            if progress.skipped { skipped.append(progress.cell.output) } else { computed.append(progress.cell.output) }
        }
        #expect(computed == missing)
        #expect(Set(skipped) == Set(manifest.cells.map(\.output)).subtracting(missing) && skipped.count == manifest.cells.count - 2)
        #expect(resumed.cells.allSatisfy { $0.isDone })
        for name in missing { #expect(try bytes(first.folder, name) == before[name], "\(name)") }
    }

    @Test func everyFileReferencedFromTheIndexExists() throws {
        var config = try configuration("index", alphas: [0.5, 1], rowsPerSheet: 1)
        config.metrics = false
        let manifest = try runSweep(config, stylizer: try stylizer())
        #expect(manifest.cells.allSatisfy { $0.isDone && $0.contentLoss == nil && $0.styleLoss == nil })
        let html = try String(contentsOfFile: config.folder + "/index.html", encoding: .utf8)
        var references: [String] = []
        for attribute in ["src=\"", "href=\""] {
            var rest = html[...]
            while let start = rest.range(of: attribute) {
                rest = rest[start.upperBound...]
                let end = rest.firstIndex(of: "\"")!
                references.append(String(rest[..<end]))
            }
        }
        #expect(references.contains("sheet-1.png") && references.contains("sheet-2.png"))
        for cell in manifest.cells { #expect(references.contains(cell.output)) }
        for reference in references {
            #expect(!reference.contains("/") && !reference.contains(":"), "\(reference) is not a local file")
            #expect(FileManager.default.fileExists(atPath: config.folder + "/" + reference), "\(reference)")
        }
    }

    @Test func interpolationColumnsRunFromTheFirstStyleToTheSecond() throws {
        var config = try configuration("interpolation", grid: .interpolation, steps: 3, alphas: [1])
        let manifest = try runSweep(config, stylizer: try stylizer())
        #expect(manifest.rows.count == 1 && manifest.columns.map(\.u) == [0, 0.5, 1])
        #expect(manifest.cells.map(\.weights) == [[1, 0], [0.5, 0.5], [0, 1]])
        #expect(manifest.columns.map(\.label) == ["u 0", "u 0.5", "u 1"] && manifest.rows[0].label == "cornell")
        #expect(manifest.cells.allSatisfy { $0.isDone && $0.contentLoss != nil && $0.styleLoss != nil })
        try expectMixedMetricsMatchPyTorch(manifest.cells[1], index: 0)
        // Weight 0 is the first style alone, weight 1 the second: the same images and losses as a plain sweep.
        let plain = try runSweep(try configuration("plain", alphas: [1]), stylizer: try stylizer())
        let folder = temp.appendingPathComponent("plain").path
        for (interpolated, single) in [(manifest.cells[0], plain.cells[0]), (manifest.cells[2], plain.cells[1])] {
            #expect(try bytes(config.folder, interpolated.output) == bytes(folder, single.output), "\(interpolated.output)")
            #expect(interpolated.styleLoss == single.styleLoss && interpolated.contentLoss == single.contentLoss)
        }
        try expectRerunsFromTheManifest(folder: config.folder)
        config.styles = [config.styles[0]]
        #expect(throws: ReportError.self) { try config.validate() }
    }

    /// The AdaIN paper's Fig. 8 layout: corner cells are the four styles alone, bit for bit.
    @Test func bilinearCornersAreTheSingleStyles() throws {
        let corners = ["style/mondrian.jpg", "style/sketch.png", "style/asheville.jpg", "style/brushstrokes.jpg"]
        let config = try configuration("bilinear", grid: .bilinear, styles: corners, steps: 3, alphas: [0.75])
        let manifest = try runSweep(config, stylizer: try stylizer())
        #expect(manifest.rows.map(\.v) == [0, 0.5, 1] && manifest.columns.map(\.u) == [0, 0.5, 1])
        #expect(manifest.rows.map(\.label) == ["cornell, v 0", "cornell, v 0.5", "cornell, v 1"])
        #expect(manifest.columns.map(\.label) == ["u 0", "u 0.5", "u 1"])
        for cell in manifest.cells {
            let (u, v) = (manifest.columns[cell.column].u!, manifest.rows[cell.row].v!)
            #expect(cell.weights == [(1 - u) * (1 - v), u * (1 - v), (1 - u) * v, u * v] && cell.styles.count == 4)
        }
        #expect(manifest.cells[4].weights == [0.25, 0.25, 0.25, 0.25])
        // u = 1, v = 0.5: row 2, column 3.
        try expectMixedMetricsMatchPyTorch(manifest.cells[1 * 3 + 2], index: 1)
        let single = try configuration("bilinear-single", styles: corners, alphas: [0.75])
        let plain = try runSweep(single, stylizer: try stylizer())
        // Rows of the plain sweep are the styles in order; corners a, b, c, d are cells 0, 2, 6, 8.
        for (corner, style) in [(0, 0), (2, 1), (6, 2), (8, 3)] {
            #expect(try bytes(config.folder, manifest.cells[corner].output) == bytes(single.folder, plain.cells[style].output),
                    "corner \(corner) is not \(corners[style]) alone")
        }
        let sheet = try readImage(path: config.folder + "/sheet-1.png")
        // The corner styles beside the block (PaperSheetTests checks where).
        #expect((sheet.width, sheet.height) == SheetLayout(groups: [3], before: 1, after: 1).size(rows: 3))
    }

    /// Masks are one swept axis: a column each, every cell with all the styles.
    @Test func maskColumnsApplyTheStylesByRegion() throws {
        let config = try configuration("masks", grid: .masks, masks: ["Masks/halves_512.png", "Masks/ellipse_512.png"], alphas: [1])
        let manifest = try runSweep(config, stylizer: try stylizer())
        #expect(manifest.rows.count == 1 && manifest.columns.map(\.mask) == [0, 1])
        #expect(manifest.columns.map(\.label) == ["mask halves_512.png", "mask ellipse_512.png"])
        #expect(manifest.cells.map { $0.mask.map { URL(fileURLWithPath: $0).lastPathComponent } } == ["halves_512.png", "ellipse_512.png"])
        #expect(manifest.cells.allSatisfy { $0.styles.count == 2 && $0.weights == nil && $0.styleLoss == nil && $0.contentLoss != nil })
        // Mask fidelity (MaskFidelity; checked against PyTorch in ControlsGoldenTests) in the manifest and metrics.csv.
        #expect(manifest.cells.allSatisfy { ($0.maskStyleLoss ?? -1) > 0 && (0 ..< 1).contains($0.maskLeakage ?? -1) })
        let table = try String(contentsOfFile: config.folder + "/metrics.csv", encoding: .utf8).components(separatedBy: "\r\n")
        #expect(table[0].hasSuffix(",mask_style_loss,mask_leakage"))
        #expect(table[1].hasSuffix(",\(manifest.cells[0].maskStyleLoss!),\(manifest.cells[0].maskLeakage!)"))
        #expect(try bytes(config.folder, manifest.cells[0].output) != bytes(config.folder, manifest.cells[1].output))
        try expectRerunsFromTheManifest(folder: config.folder)

        var wrong = config
        wrong.styles = Array(wrong.styles.prefix(1))
        #expect(throws: ReportError.self) { try wrong.validate() }
    }

    @Test func badListsNameTheFlag() {
        #expect(throws: ReportError.emptyList(flag: "--alpha")) { try parseAlphas("") }
        #expect(throws: ReportError.emptyList(flag: "--preserve-color")) { try parsePreserveColors(" , ") }
        do {
            _ = try parsePreserveColors("none,sepia")
            Issue.record("sepia accepted")
        } catch {
            #expect(error.description.contains("--preserve-color") && error.description.contains("sepia"))
        }
        do {
            _ = try parseAlphas("0,1.5")
            Issue.record("1.5 accepted")
        } catch {
            #expect(error.description.contains("--alpha") && error.description.contains("1.5"))
        }
    }

    @Test func emptyGridIsRefused() throws {
        var config = try configuration("empty")
        config.styles = []
        #expect(throws: ReportError.emptyList(flag: "--style")) { try runSweep(config, stylizer: try stylizer()) }
        config = try configuration("empty")
        config.alphas = []
        #expect(throws: ReportError.emptyList(flag: "--alpha")) { try runSweep(config, stylizer: try stylizer()) }
        config = try configuration("empty", grid: .masks)
        #expect(throws: ReportError.emptyList(flag: "--mask")) { try runSweep(config, stylizer: try stylizer()) }
        #expect(!FileManager.default.fileExists(atPath: config.folder))
    }

    @Test func aDifferentSweepInTheFolderIsRefusedUnchanged() throws {
        let config = try configuration("taken", styles: ["style/mondrian.jpg"], alphas: [1])
        _ = try runSweep(config, stylizer: try stylizer())
        let before = try snapshot(config.folder)

        var other = config
        other.alphas = [0.5]
        do {
            _ = try runSweep(other, stylizer: try stylizer())
            Issue.record("a different sweep overwrote \(config.folder)")
        } catch let error as ReportError {
            #expect(error.description.contains(config.folder) && error.description.contains("--alpha") && error.description.contains("--overwrite"), "\(error)")
        }
        #expect(try snapshot(config.folder) == before)

        // A folder of other files, without a manifest, is refused too.
        let foreign = temp.appendingPathComponent("foreign").path
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: foreign + "/notes.txt"))
        var intoForeign = config
        intoForeign.folder = foreign
        #expect(throws: ReportError.self) { try runSweep(intoForeign, stylizer: try stylizer()) }
        #expect(try snapshot(foreign) == ["notes.txt": Data("keep".utf8)])

        // With --overwrite the new sweep replaces the old one.
        other.overwrite = true
        let replaced = try runSweep(other, stylizer: try stylizer())
        #expect(try SweepManifest.read(folder: config.folder) == replaced)
        let oldOutput = SweepManifest(definition: try config.definition()).cells[0].output
        #expect(!FileManager.default.fileExists(atPath: config.folder + "/" + oldOutput))
    }

    /// Issue 10: a sweep that failed at its first cell left a manifest that refused the corrected
    /// rerun under the same name. A folder holding only a manifest with no cell done (besides the
    /// lock and temporary files) is replaced without `overwrite`, saying so; a finished cell or any
    /// other file keeps the refusal, and the folder unchanged.
    @Test func aFolderWhoseSweepFinishedNoCellIsReplaced() throws {
        let config = try configuration("failed", styles: ["style/mondrian.jpg"], alphas: [1])
        var failed = config
        failed.contentSize = 32  // the mistake the rerun corrects
        try FileManager.default.createDirectory(atPath: config.folder, withIntermediateDirectories: true)
        try SweepManifest(definition: try failed.definition()).write(folder: config.folder)
        // A temporary file of a dead process is bookkeeping, not a file of the user's.
        let stale = ".manifest.json.2147483646-7.tmp"
        try Data("partial".utf8).write(to: URL(fileURLWithPath: config.folder + "/" + stale))
        var notices: [String] = []
        let manifest = try runSweep(config, stylizer: try stylizer(), notice: { notices.append($0) })
        #expect(notices == ["replacing \(config.folder): its sweep had finished no cell"])
        #expect(manifest.cells.allSatisfy { $0.isDone })
        #expect(try SweepManifest.read(folder: config.folder) == manifest)
        #expect(!FileManager.default.fileExists(atPath: config.folder + "/" + stale))

        // A finished cell keeps the refusal: the folder is left as it was.
        let done = temp.appendingPathComponent("failed-later").path
        var oneDone = SweepManifest(definition: try failed.definition())
        oneDone.cells[0].seconds = 1
        try FileManager.default.createDirectory(atPath: done, withIntermediateDirectories: true)
        try oneDone.write(folder: done)
        // Any other file keeps it too, even beside a manifest with no cell done.
        let kept = temp.appendingPathComponent("failed-with-notes").path
        try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true)
        try SweepManifest(definition: try failed.definition()).write(folder: kept)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: kept + "/notes.txt"))
        for folder in [done, kept] {
            let before = try snapshot(folder)
            var into = config
            into.folder = folder
            notices = []
            do {
                _ = try runSweep(into, stylizer: try stylizer(), notice: { notices.append($0) })
                Issue.record("\(folder) was replaced without --overwrite")
            } catch let error as ReportError {
                #expect(error.description.hasPrefix("report folder \(folder) already exists with a different sweep (its manifest.json differs in --content-size)"), "\(error)")
            }
            #expect(notices.isEmpty)
            #expect(try snapshot(folder) == before)
        }
    }

    @Test func sha256MatchesKnownDigests() {
        var empty = SHA256Digest()
        #expect(empty.finalize() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var abc = SHA256Digest()
        abc.update(Data("abc".utf8))
        #expect(abc.finalize() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = SHA256Digest()
        long.update(Data(repeating: 0x61, count: 1000))
        #expect(long.finalize() == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}
