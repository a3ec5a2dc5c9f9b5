// `stylectl sweep` end to end: a spec file run, the same sweep from flags, and mixing refused.

import ArgumentParser
import Foundation
import StyleReports
import StyleTransfer
@testable import stylectl
import Testing
import TestSupport

@Suite struct SweepCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-sweep-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    func image(_ relative: String) -> String { TestPaths.sharedImages.appendingPathComponent(relative).path }

    /// Parses and runs; returns the message the user would see, or nil on success.
    func run(_ arguments: [String]) -> String? {
        do {
            let command = try Sweep.parse(arguments)
            try command.run()
            return nil
        } catch {
            return Sweep.message(for: error)
        }
    }

    @Test func specFileRunsTheSweepTheFlagsDescribe() throws {
        let (vgg, decoder) = (try TestPaths.golden("network/vgg_legacy.pth").path, try TestPaths.golden("network/decoder_legacy.pth").path)
        let spec = temp.appendingPathComponent("spec.yaml").path
        try Data("""
            content: \(image("content/cornell.jpg"))
            style: [\(image("style/sketch.png"))]
            alpha: [0, 1]
            content-size: 32
            style-size: 32
            report: cli
            reports-dir: reports
            vgg: \(vgg)
            decoder: \(decoder)
            """.utf8).write(to: URL(fileURLWithPath: spec))
        #expect(run(["--spec", spec]) == nil)
        let manifest = try SweepManifest.read(folder: temp.appendingPathComponent("reports/cli").path)
        #expect(manifest.cells.count == 2 && manifest.cells.allSatisfy(\.isDone))

        let flags = try Sweep.parse([
            "--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--alpha", "0,1",
            "--content-size", "32", "--style-size", "32", "--report", "cli", "--reports-dir", temp.appendingPathComponent("reports").path,
            "--vgg", vgg, "--decoder", decoder,
        ])
        let request = try flags.request()
        let configuration = try request.configuration(models: ModelFiles(vgg: vgg, decoder: decoder), toolVersion: StyleCtl.configuration.version)
        #expect(try configuration.definition() == manifest.definition)
        #expect(configuration.folder == temp.appendingPathComponent("reports/cli").path)
    }

    @Test func specAndFlagsCannotBeMixed() throws {
        let spec = temp.appendingPathComponent("mixed.json").path
        try Data(#"{"content": "a.jpg", "style": "b.jpg", "report": "r"}"#.utf8).write(to: URL(fileURLWithPath: spec))
        let message = run(["--spec", spec, "--alpha", "0.5"])
        #expect(message?.contains("--alpha") == true && message?.contains(spec) == true, "\(message ?? "no error")")
        let unknown = temp.appendingPathComponent("unknown.json").path
        try Data(#"{"content": "a.jpg", "style": "b.jpg", "colour": "coral"}"#.utf8).write(to: URL(fileURLWithPath: unknown))
        let refused = run(["--spec", unknown])
        #expect(refused?.contains("'colour'") == true && refused?.contains(unknown) == true, "\(refused ?? "no error")")
    }
}
