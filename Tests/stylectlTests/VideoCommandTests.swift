// `stylectl video` as a user runs it (the built executable): flags refused at parse time, ffmpeg
// missing from the PATH, and Ctrl-C in the middle of a clip leaving no output.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import stylectl
import Testing
import TestSupport

@Suite struct VideoCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-video-\(UUID().uuidString)")
    let executable = TestPaths.repoRoot.appendingPathComponent(".build/debug/stylectl")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    var weights: [String] {
        get throws { ["--vgg", try TestPaths.golden("network/vgg_legacy.pth").path, "--decoder", try TestPaths.golden("network/decoder_legacy.pth").path] }
    }

    /// A 96 x 64 test clip of `seconds` at 10 frames per second, H.264.
    func clip(seconds: Double) throws -> String {
        let path = temp.appendingPathComponent("in.mp4").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=\(seconds)",
                             "-c:v", "libx264", "-pix_fmt", "yuv420p", path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return path
    }

    /// Starts the executable; its standard error is collected.
    func start(_ arguments: [String], environment: [String: String]? = nil) throws -> (Process, Pipe) {
        try #require(FileManager.default.isExecutableFile(atPath: executable.path))
        let process = Process()
        process.executableURL = executable
        process.arguments = ["video"] + arguments
        if let environment { process.environment = environment }
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        return (process, errors)
    }

    @Test(arguments: [
        (["--alpha", "1.5"], "'--alpha' must be in [0, 1], got 1.5."),
        (["--stabilize", "sometimes"], "The value 'sometimes' is invalid for '--stabilize <quantity>'"),
        (["--mask", "a.png", "--mask-video", "m.mp4"], "give --mask (one mask image) or --mask-video, not both"),
    ])
    func badFlagsAreRefusedAtParseTime(flags: [String], words: String) throws {
        let arguments = ["--content", "in.mp4", "--style", "s.png", "--output", "out.mp4"] + flags
        #expect(throws: (any Error).self) { try Video.parse(arguments) }
        do { _ = try Video.parse(arguments) } catch {
            #expect(Video.message(for: error).contains(words), "\(Video.message(for: error))")
            #expect(Video.exitCode(for: error).rawValue == 64)
        }
    }

    @Test func aMissingFFmpegIsNamedWithHowToInstallIt() throws {
        let input = try clip(seconds: 0.3)
        let output = temp.appendingPathComponent("out.mp4").path
        let (process, errors) = try start(["--content", input, "--style", TestPaths.sharedImages.appendingPathComponent("style/sketch.png").path,
                                           "--output", output] + (try weights), environment: ["PATH": "/nonexistent"])
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(message.contains("ffprobe is not installed or not on the PATH: stylectl video needs ffmpeg and ffprobe (Debian: apt-get install ffmpeg"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    /// SIGINT after the first frames: exit status 130, no output, no temporary file beside it, no work folder.
    @Test func interruptingLeavesNoOutput() throws {
        let input = try clip(seconds: 6)
        let output = temp.appendingPathComponent("out.mkv").path
        let (process, errors) = try start(["--content", input, "--style", TestPaths.sharedImages.appendingPathComponent("style/sketch.png").path,
                                           "--output", output, "--content-size", "64", "--style-size", "64"] + (try weights))
        // Wait for the first progress line, then interrupt.
        let handle = errors.fileHandleForReading
        var seen = ""
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && process.isRunning && !seen.contains("frame ") {
            seen += String(decoding: handle.availableData, as: UTF8.self)
        }
        #expect(process.isRunning, "the video ended before it could be interrupted: \(seen)")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path) == ["in.mp4"])
        // Nor its work folder (the frame in flight).
        let work = "stylectl-video-\(process.processIdentifier)-"
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)).contains { $0.hasPrefix(work) })
    }
}
