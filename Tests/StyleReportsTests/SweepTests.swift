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
            throw SweepError.failed("the golden weights in .goldens/network/ do not load")
        }
        return stylizer
    }

    func configuration(
        _ name: String, styles: [String] = ["style/mondrian.jpg", "style/sketch.png"], alphas: [Float] = [0, 0.5, 1],
        preserveColors: [ColorPreservation] = [.none], rowsPerSheet: Int = 6, overwrite: Bool = false
    ) throws -> SweepConfiguration {
        _ = try stylizer()
        return SweepConfiguration(
            contents: [sharedImage("content/cornell.jpg")], styles: styles.map(sharedImage), alphas: alphas,
            preserveColors: preserveColors, contentSize: 64, styleSize: 64, models: goldenModels!,
            folder: temp.appendingPathComponent(name).path, overwrite: overwrite, toolVersion: "test",
            rowsPerSheet: rowsPerSheet)
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
            #expect(cell.style.hasSuffix(reference["style"] as! String))
            #expect(Double(cell.alpha) == reference["alpha"] as! Double)
            #expect(cell.preserveColor == "none")
            let contentLoss = reference["content_loss"] as! Double
            let styleLoss = reference["style_loss"] as! Double
            #expect(abs(cell.contentLoss! - contentLoss) <= 1e-6 + 1e-3 * abs(contentLoss), "\(cell.output): content loss \(cell.contentLoss!) vs \(contentLoss)")
            #expect(abs(cell.styleLoss! - styleLoss) <= 1e-6 + 1e-3 * abs(styleLoss), "\(cell.output): style loss \(cell.styleLoss!) vs \(styleLoss)")
        }
    }

    @Test func rerunsAndResumesGiveIdenticalImages() throws {
        let first = try configuration("first", alphas: [0.25, 1], preserveColors: [.none, .coral, .luminance])
        let manifest = try runSweep(first, stylizer: try stylizer())
        let before = try snapshot(first.folder)

        // The same sweep into another folder: byte-identical cells.
        var second = first
        second.folder = temp.appendingPathComponent("second").path
        _ = try runSweep(second, stylizer: try stylizer())
        for cell in manifest.cells {
            #expect(try Data(contentsOf: URL(fileURLWithPath: second.folder + "/" + cell.output)) == before[cell.output], "\(cell.output)")
        }

        // Resume: only the missing cell is computed again, and it is identical.
        let missing = manifest.cells[3].output
        try FileManager.default.removeItem(atPath: first.folder + "/" + missing)
        var computed: [String] = []
        let resumed = try runSweep(first, stylizer: try stylizer()) { progress in
            if !progress.skipped { computed.append(progress.cell.output) }
        }
        #expect(computed == [missing])
        #expect(resumed.cells.allSatisfy { $0.isDone })
        #expect(try Data(contentsOf: URL(fileURLWithPath: first.folder + "/" + missing)) == before[missing])
    }

    @Test func everyFileReferencedFromTheIndexExists() throws {
        let config = try configuration("index", alphas: [0.5, 1], rowsPerSheet: 1)
        let manifest = try runSweep(config, stylizer: try stylizer())
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
        var config = try configuration("interpolation", alphas: [1])
        config.interpolationSteps = 3
        let manifest = try runSweep(config, stylizer: try stylizer())
        #expect(manifest.rows.count == 1 && manifest.columns.map(\.weight) == [0, 0.5, 1])
        #expect(manifest.cells.allSatisfy { $0.isDone && $0.contentLoss != nil && $0.styleLoss == nil })
        // Weight 0 is the first style alone, weight 1 the second: the same images as a plain sweep.
        let plain = try runSweep(try configuration("plain", alphas: [1]), stylizer: try stylizer())
        let folder = temp.appendingPathComponent("plain").path
        for (interpolated, single) in [(manifest.cells[0], plain.cells[0]), (manifest.cells[2], plain.cells[1])] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: config.folder + "/" + interpolated.output))
                == Data(contentsOf: URL(fileURLWithPath: folder + "/" + single.output)), "\(interpolated.output)")
        }
        config.styles = [config.styles[0]]
        #expect(throws: SweepError.self) { try config.validate() }
    }

    @Test func badListsNameTheFlag() {
        #expect(throws: SweepError.emptyList(flag: "--alpha")) { try parseAlphas("") }
        #expect(throws: SweepError.emptyList(flag: "--preserve-color")) { try parsePreserveColors(" , ") }
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
        #expect(throws: SweepError.emptyList(flag: "--style")) { try runSweep(config, stylizer: try stylizer()) }
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
        } catch let error as SweepError {
            #expect(error.description.contains(config.folder) && error.description.contains("--alpha") && error.description.contains("--overwrite"), "\(error)")
        }
        #expect(try snapshot(config.folder) == before)

        // A folder of other files, without a manifest, is refused too.
        let foreign = temp.appendingPathComponent("foreign").path
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: foreign + "/notes.txt"))
        var intoForeign = config
        intoForeign.folder = foreign
        #expect(throws: SweepError.self) { try runSweep(intoForeign, stylizer: try stylizer()) }
        #expect(try snapshot(foreign) == ["notes.txt": Data("keep".utf8)])

        // With --overwrite the new sweep replaces the old one.
        other.overwrite = true
        let replaced = try runSweep(other, stylizer: try stylizer())
        #expect(try SweepManifest.read(folder: config.folder) == replaced)
        let oldOutput = SweepManifest(definition: try config.definition()).cells[0].output
        #expect(!FileManager.default.fileExists(atPath: config.folder + "/" + oldOutput))
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
