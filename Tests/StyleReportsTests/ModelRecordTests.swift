// The model a sweep ran is recorded in its manifest; a manifest written before models were
// recorded reads as pytorch-adain and its report resumes; a report's manifest as a spec keeps the model.

import Foundation
@testable import StyleReports
import StyleTransfer
import Testing
import TestSupport

@Suite struct ModelRecordTests {
    let fixtures = ReportFixtures()

    func recordedModel(_ folder: String) throws -> Any? {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))) as! [String: Any]
        return (json["definition"] as! [String: Any])["model"]
    }

    @Test func pytorchAdaINIsRecordedAndAnOldManifestResumes() throws {
        defer { try? FileManager.default.removeItem(at: fixtures.temp) }
        let first = try fixtures.sweep("plain", styles: ["style/mondrian.jpg"], alphas: [1])
        #expect(first.definition.model == .pytorchAdaIN)
        let folder = fixtures.folder("plain")
        #expect(try recordedModel(folder) as? String == "pytorch-adain")

        // The manifest as stylectl wrote it before the key existed.
        let url = URL(fileURLWithPath: folder + "/manifest.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var definition = json["definition"] as! [String: Any]
        definition["model"] = nil
        json["definition"] = definition
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]).write(to: url)
        #expect(try recordedModel(folder) == nil)
        let old = try SweepManifest.read(folder: folder)
        #expect(old.definition == first.definition)
        let images = try fixtures.snapshot(folder).filter { $0.key.hasSuffix(".png") && !$0.key.hasPrefix("sheet") }

        // The same sweep again resumes that report (a different sweep would be refused), its images kept.
        let again = try fixtures.sweep("plain", styles: ["style/mondrian.jpg"], alphas: [1])
        #expect(again.definition == first.definition)
        #expect(try fixtures.snapshot(folder).filter { images[$0.key] != nil } == images)
        #expect(try recordedModel(folder) as? String == "pytorch-adain")
        #expect(SweepRequest(manifest: old, folder: folder).model == .pytorchAdaIN)
    }

    @Test func torchModelIsRecordedAndAReportOfItIsADifferentSweep() throws {
        defer { try? FileManager.default.removeItem(at: fixtures.temp) }
        let models = try ModelFiles(vgg: try TestPaths.golden("variants/torch_vgg_normalised.t7").path,
                                decoder: try TestPaths.golden("variants/torch_decoder.t7").path).resolvingVariant()
        #expect(models.variant == .torch)
        let configuration = SweepConfiguration(
            contents: [sharedImage("content/cornell.jpg")], styles: [sharedImage("style/mondrian.jpg")], alphas: [1],
            preserveColors: [.none], contentSize: 64, styleSize: 64, models: models, folder: fixtures.folder("torch"), toolVersion: "test")
        let manifest = try runSweep(configuration, stylizer: try Stylizer(models: models))
        #expect(manifest.definition.model == .torch)
        #expect(try recordedModel(fixtures.folder("torch")) as? String == "torch")
        #expect(SweepRequest(manifest: manifest, folder: fixtures.folder("torch")).model == .torch)
        #expect(differenceNames(manifest.definition, { var d = manifest.definition; d.model = .seed; return d }()) == ["--model"])
    }
}

@Suite struct ModelSpecKeyTests {
    @Test func specFilesNameTheModel() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("model-spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("torch.yaml").path
        try Data("content: c.jpg\nstyle: s.jpg\nmodel: torch\n".utf8).write(to: URL(fileURLWithPath: good))
        #expect(try SweepRequest(specFile: good).model == .torch)
        let bad = folder.appendingPathComponent("caffe.yaml").path
        try Data("content: c.jpg\nstyle: s.jpg\nmodel: caffe\n".utf8).write(to: URL(fileURLWithPath: bad))
        #expect(throws: ReportError.invalidValue(flag: "--model", value: "caffe", expected: "one of pytorch-adain, torch, seed")) {
            try SweepRequest(specFile: bad)
        }
    }
}
