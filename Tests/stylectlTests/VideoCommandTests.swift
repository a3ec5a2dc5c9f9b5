// `stylectl video` as a user runs it (the built executable): flags refused at parse time, ffmpeg
// missing from the PATH, and Ctrl-C in the middle of a clip leaving no output.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ImageCodec
import StyleReports
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

    /// Starts the executable (in `folder`, when given); its standard error is collected.
    func start(_ arguments: [String], environment: [String: String]? = nil, in folder: URL? = nil) throws -> (Process, Pipe) {
        try #require(FileManager.default.isExecutableFile(atPath: executable.path))
        let process = Process()
        process.executableURL = executable
        process.arguments = ["video"] + arguments
        if let environment { process.environment = environment }
        if let folder { process.currentDirectoryURL = folder }
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

    /// Relative names that look like ffmpeg protocols or options (`http:...`, `-...`) are files.
    @Test func fileNamesAreNeverProtocolsOrOptions() throws {
        let input = try clip(seconds: 0.2)
        try FileManager.default.moveItem(atPath: input, toPath: temp.appendingPathComponent("http:clip.mp4").path)
        let (process, errors) = try start(["--content", "http:clip.mp4", "--style", TestPaths.sharedImages.appendingPathComponent("style/sketch.png").path,
                                           "--output=-out:1.mkv", "--content-size", "32", "--style-size", "32"] + (try weights), in: temp)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(message)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: temp.path)) == ["http:clip.mp4", "-out:1.mkv"])
    }

    /// Frames too large for the memory are refused before any frame, naming the largest size that fits.
    @Test func framesThatDoNotFitTheMemoryAreRefusedFirst() throws {
        let input = try clip(seconds: 0.3)
        let output = temp.appendingPathComponent("out.mp4").path
        var environment = ProcessInfo.processInfo.environment
        environment["STYLECTL_MAX_MEMORY"] = "400M"
        let (process, errors) = try start(["--content", input, "--style", TestPaths.sharedImages.appendingPathComponent("style/sketch.png").path,
                                           "--output", output, "--content-size", "2048", "--style-size", "64"] + (try weights), environment: environment)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(message.contains("stylizing '\(input)' at 3072x2048 pixels needs about ") && message.contains("(STYLECTL_MAX_MEMORY=400M); the largest --content-size that fits is "),
                "\(message)")
        #expect(!message.contains("frame "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path) == ["in.mp4"])
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

/// `--report`: the record, the strip and the flicker plot, the page's links; a folder holding
/// something else refused before any frame is stylized.
@Suite struct VideoReportTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-video-report-\(UUID().uuidString)")

    @Test func aReportRecordsTheRunAndShowsFramesAndFlicker() async throws {
        let tests = try VideoCommandTests()
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let input = try tests.clip(seconds: 1.2)
        let sketch = TestPaths.sharedImages.appendingPathComponent("style/sketch.png").path
        let arguments = ["--content", input, "--style", sketch, "--output", temp.appendingPathComponent("out.mkv").path, "--content-size", "64",
                         "--style-size", "64", "--stabilize", "features", "--report", "clip", "--reports-dir", temp.path] + (try tests.weights)
        var command = try Video.parse(arguments)
        try await command.run()
        let folder = temp.appendingPathComponent("clip").path
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == ["manifest.json", "index.html", "frames.png", "flicker.png"])
        let manifest = try VideoManifest.read(folder: folder)
        #expect(manifest.result.frames == 12 && manifest.sampleEvery == 2 && manifest.stabilize == "features")
        #expect(manifest.content.sha256.count == 64 && manifest.styles.map(\.path) == [sketch])
        // With --stabilize the report compares with the frames decoded without it.
        let plain = try #require(manifest.result.unstabilizedFlicker)
        #expect(plain.perFrame.count == 11 && plain.mean > manifest.result.outputFlicker.mean)
        // Six sampled frames, input above output, each in a 160 x 120 box.
        let strip = try readImage(path: folder + "/frames.png")
        #expect((strip.width, strip.height) == (64 + 6 * 166, 8 + 2 * 126 + 30))
        let page = try String(contentsOfFile: folder + "/index.html", encoding: .utf8)
        for file in ["frames.png", "flicker.png", "manifest.json"] { #expect(page.contains("href=\"\(file)\"")) }
        #expect(page.components(separatedBy: "<polyline").count - 1 == 3)

        // A folder holding a sweep's files is refused before the clip is read.
        let other = temp.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: other.appendingPathComponent("notes.txt").path, contents: Data("mine".utf8))
        var refused = try Video.parse(arguments.map { $0 == "clip" ? "other" : $0 })
        await #expect(throws: (any Error).self) { try await refused.run() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: other.path) == ["notes.txt"])
    }
}
