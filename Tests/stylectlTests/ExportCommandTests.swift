// `stylectl export --onnx`: bad sizes and output paths refused before any weight loads, and a
// model written atomically.

import ArgumentParser
import Foundation
@testable import stylectl
import Testing
import TestSupport

@Suite struct ExportCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-export-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    /// Parses and runs; returns the message the user would see and the exit code, or nil on success.
    func run(_ arguments: [String]) -> (message: String, code: Int32)? {
        do {
            let command = try Export.parse(arguments)
            try command.run()
            return nil
        } catch {
            return (Export.message(for: error), Export.exitCode(for: error).rawValue)
        }
    }

    /// Weight files that do not exist: any refusal below is made before they would be looked for.
    let missingWeights = ["--vgg", "/nonexistent/vgg.pth", "--decoder", "/nonexistent/decoder.pth"]

    @Test(arguments: [
        ("500", "--size must be a multiple of 8 (a fixed-size graph does not crop the decoder's output), got 500; use 496 or 504, or --dynamic for any size"),
        ("8", "--size must be a multiple of 8 in 16...16384 (the encoder takes images of at least 9x9 pixels), got 8"),
        ("-16", "--size must be a multiple of 8 in 16...16384 (the encoder takes images of at least 9x9 pixels), got -16"),
    ])
    func badSizesAreUsageErrors(size: String, message: String) {
        let result = run(["--onnx", temp.appendingPathComponent("m.onnx").path, "--size", size] + missingWeights)
        #expect(result?.message == message && result?.code == 64, "\(String(describing: result))")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: temp.path))?.isEmpty == true)
    }

    @Test func sizeAndDynamicTogetherAreRefused() {
        let result = run(["--onnx", temp.appendingPathComponent("m.onnx").path, "--size", "64", "--dynamic"] + missingWeights)
        #expect(result?.message == "--size 64 and --dynamic exclude each other: a graph has a fixed size or a dynamic one." && result?.code == 64,
                "\(String(describing: result))")
    }

    /// The output's folder is checked before the weights are looked for (they do not exist here).
    @Test func anOutputInAMissingFolderIsRefusedBeforeTheWeights() {
        let output = temp.appendingPathComponent("missing/m.onnx").path
        let result = run(["--onnx", output] + missingWeights)
        #expect(result?.message == "--onnx: cannot write '\(output)': its folder '\(temp.appendingPathComponent("missing").path)' does not exist"
                && result?.code == 1, "\(String(describing: result))")
        #expect(!FileManager.default.fileExists(atPath: temp.appendingPathComponent("missing").path))
    }

    @Test func weightsThatCannotBeLoadedLeaveNoFile() throws {
        let vgg = temp.appendingPathComponent("vgg.pth")
        try Data("not a checkpoint".utf8).write(to: vgg)
        let output = temp.appendingPathComponent("m.onnx").path
        let result = run(["--onnx", output, "--vgg", vgg.path, "--decoder", try TestPaths.golden("network/decoder_legacy.pth").path])
        #expect(result?.code == 1 && result?.message.contains(vgg.path) == true, "\(String(describing: result))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path) == ["vgg.pth"])
    }

    /// A model is written, and nothing else (no temporary file is left in the folder).
    @Test func aModelIsWrittenAtomically() throws {
        let output = temp.appendingPathComponent("m.onnx").path
        let result = run(["--onnx", output, "--size", "16",
                          "--vgg", try TestPaths.golden("network/vgg_legacy.pth").path,
                          "--decoder", try TestPaths.golden("network/decoder_legacy.pth").path])
        #expect(result == nil, "\(String(describing: result))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path) == ["m.onnx"])
        let described = try #require(try CheckONNXScript.run(["describe", output]) as? [String: Any])
        let inputs = (described["inputs"] as? [[String: Any]])?.map { "\($0["name"]!) \($0["dims"]!)" }
        #expect(inputs?.count == 3 && inputs?.first?.hasPrefix("content_img") == true)
        #expect((described["opset_import"] as? [[String: Any]])?.first?["version"] as? Int == 11)
    }
}
