// A bad value of the engine's environment variables, given to the built `stylectl`: a message
// naming the variable, the value and the accepted values, exit status 1, before any file is read
// (the weight files here are not checkpoints at all) and nothing written.

import Foundation
import Testing
import TestSupport

@Suite struct EngineEnvironmentCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-environment-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    @Test(arguments: [
        ("STYLECTL_CONVOLUTION", "fast", "STYLECTL_CONVOLUTION must be automatic, direct or winograd, got 'fast'; set one of these or unset it for the default"),
        ("STYLECTL_CHANNEL_BLOCK", "12", "STYLECTL_CHANNEL_BLOCK must be 8 or 16, got '12'; set one of these or unset it for the default"),
    ])
    func stylizeRefusesABadValueBeforeReadingAnything(variable: String, value: String, message: String) throws {
        let executable = TestPaths.repoRoot.appendingPathComponent(".build/debug/stylectl")
        try #require(FileManager.default.isExecutableFile(atPath: executable.path))
        // Weight files that would fail to load with a checkpoint error if they were read first.
        let (vgg, decoder) = (temp.appendingPathComponent("vgg.pth").path, temp.appendingPathComponent("decoder.pth").path)
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: vgg))
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: decoder))
        let images = TestPaths.sharedImages
        let process = Process()
        process.executableURL = executable
        process.arguments = ["stylize", "--content", images.appendingPathComponent("content/cornell.jpg").path,
                             "--style", images.appendingPathComponent("style/sketch.png").path,
                             "--output", temp.appendingPathComponent("out.png").path, "--vgg", vgg, "--decoder", decoder]
        var environment = ProcessInfo.processInfo.environment
        environment["STYLECTL_CONVOLUTION"] = nil
        environment["STYLECTL_CHANNEL_BLOCK"] = nil
        environment[variable] = value
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1)
        #expect(text == "Error: \(message)\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).sorted() == ["decoder.pth", "vgg.pth"])
    }
}
