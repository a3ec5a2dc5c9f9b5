// `stylectl stylize` end to end: arguments, folders, progress and the errors users see.

import ArgumentParser
import Foundation
@testable import stylectl
import Testing
import TestSupport

@Suite struct StylizeCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    func content(_ name: String) -> String { TestPaths.sharedImages.appendingPathComponent("content/\(name)").path }
    func style(_ name: String) -> String { TestPaths.sharedImages.appendingPathComponent("style/\(name)").path }

    func modelArguments() throws -> [String] {
        ["--vgg", try TestPaths.golden("network/vgg_legacy.pth").path,
         "--decoder", try TestPaths.golden("network/decoder_zip.pth").path]
    }

    /// Parses and runs; returns the message the user would see, or nil on success.
    func run(_ arguments: [String]) -> String? {
        do {
            let command = try Stylize.parse(arguments)
            try command.run()
            return nil
        } catch {
            return Stylize.message(for: error)
        }
    }

    @Test(arguments: ["-0.1", "1.5", "nan"])
    func alphaOutOfRangeNamesTheFlag(alpha: String) throws {
        let message = run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", temp.path + "/o.png", "--alpha", alpha])
        #expect(message?.contains("--alpha") == true, "\(message ?? "no error")")
    }

    @Test func missingContentNamesFlagAndPath() throws {
        let missing = temp.appendingPathComponent("nope.jpg").path
        let message = run(["--content", missing, "--style", style("sketch.png"), "--output", temp.path + "/o.png"] + (try modelArguments()))
        #expect(message?.contains("--content") == true && message?.contains(missing) == true, "\(message ?? "no error")")
    }

    @Test func truncatedCheckpointNamesTheFile() throws {
        let full = try Data(contentsOf: try TestPaths.golden("network/decoder_legacy.pth"))
        let cut = temp.appendingPathComponent("decoder_cut.pth")
        try full.prefix(full.count / 2).write(to: cut)
        let message = run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", temp.path + "/o.png",
                           "--vgg", try TestPaths.golden("network/vgg_legacy.pth").path, "--decoder", cut.path])
        #expect(message?.contains(cut.path) == true && message?.contains("truncated") == true, "\(message ?? "no error")")
    }

    @Test func swappedCheckpointsAreExplained() throws {
        let message = run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", temp.path + "/o.png",
                           "--vgg", try TestPaths.golden("network/decoder_zip.pth").path,
                           "--decoder", try TestPaths.golden("network/vgg_zip.pth").path])
        #expect(message?.contains("decoder_zip.pth") == true, "\(message ?? "no error")")
    }

    @Test func corruptContentLeavesNoOutput() throws {
        let bad = temp.appendingPathComponent("notanimage.jpg")
        try Data("hello".utf8).write(to: bad)
        let output = temp.appendingPathComponent("out.png")
        let message = run(["--content", bad.path, "--style", style("sketch.png"), "--output", output.path, "--content-size", "64", "--style-size", "64"] + (try modelArguments()))
        #expect(message?.contains(bad.path) == true, "\(message ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: output.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path) == ["notanimage.jpg"])
    }

    @Test func tinyImageIsRefusedWithItsSize() throws {
        let tiny = temp.appendingPathComponent("tiny.png")
        let message = run(["--content", content("cornell.jpg"), "--style", style("sketch.png"), "--output", tiny.path,
                           "--content-size", "4"] + (try modelArguments()))
        #expect(message?.contains("cornell.jpg") == true && message?.contains("at least 9x9") == true, "\(message ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: tiny.path))
    }

    @Test func foldersStylizeEveryPair() throws {
        let contents = temp.appendingPathComponent("contents")
        try FileManager.default.createDirectory(at: contents, withIntermediateDirectories: true)
        for name in ["cornell.jpg", "modern.jpg"] {
            try FileManager.default.copyItem(atPath: content(name), toPath: contents.appendingPathComponent(name).path)
        }
        try Data("not an image list".utf8).write(to: contents.appendingPathComponent("notes.txt"))
        let output = temp.appendingPathComponent("out")
        let message = run(["--content", contents.path, "--style", style("sketch.png"), "--output", output.path,
                           "--content-size", "48", "--style-size", "48", "--alpha", "0.5"] + (try modelArguments()))
        #expect(message == nil, "\(message ?? "")")
        let written = try FileManager.default.contentsOfDirectory(atPath: output.path).sorted()
        #expect(written == ["cornell_stylized_sketch.png", "modern_stylized_sketch.png"])
    }
}
