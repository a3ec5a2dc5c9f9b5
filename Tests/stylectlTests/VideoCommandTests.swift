// `stylectl video` as a user runs it (the built executable): flags refused at parse time, ffmpeg
// missing from the PATH, and Ctrl-C in the middle of a clip: no output, the frames done kept for --resume.

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

    /// A 96 x 64 test clip of `seconds` at `rate` frames per second, H.264.
    func clip(seconds: Double, rate: Int = 10) throws -> String {
        let path = temp.appendingPathComponent("in.mp4").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=\(rate):duration=\(seconds)",
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

    /// Frames too large for the memory, with --stabilize (whose average needs whole frames, so no
    /// tiles), are refused before any frame, naming the largest size that fits.
    @Test func framesThatDoNotFitTheMemoryAreRefusedFirst() throws {
        let input = try clip(seconds: 0.3)
        let output = temp.appendingPathComponent("out.mp4").path
        var environment = ProcessInfo.processInfo.environment
        environment["STYLECTL_MAX_MEMORY"] = "400M"
        let (process, errors) = try start(["--content", input, "--style", TestPaths.sharedImages.appendingPathComponent("style/sketch.png").path,
                                           "--output", output, "--content-size", "2048", "--style-size", "64", "--stabilize", "features"] + (try weights),
                                          environment: environment)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(message.contains("stylizing '\(input)' at 3072x2048 pixels needs about ") && message.contains("(STYLECTL_MAX_MEMORY=400M); the largest --content-size that fits is "),
                "\(message)")
        #expect(!message.contains("frame "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path) == ["in.mp4"])
    }

    /// SIGINT in the middle of a clip (2 frames/s, so chunks of 8 frames: one chunk encoded, the
    /// next half done): exit status 130, no output and no temporary file beside it, the frames done
    /// kept. `--resume` with another alpha is refused, naming it, and keeps them; `--resume` with the
    /// same flags finishes, and the video (lossless), the flicker and the report's strip equal an
    /// uninterrupted run's, with --stabilize's average carried over. Without --resume a kept run is
    /// discarded, saying so.
    @Test func anInterruptedRunLeavesNoOutputAndResumesToTheSameVideo() throws {
        let input = try clip(seconds: 6, rate: 2)
        let sketch = TestPaths.sharedImages.appendingPathComponent("style/sketch.png").path
        func arguments(_ output: String, report: String, _ extra: [String] = []) throws -> [String] {
            ["--content", input, "--style", sketch, "--output", temp.appendingPathComponent(output).path, "--content-size", "64", "--style-size", "64",
             "--stabilize", "features", "--report", report, "--reports-dir", temp.path] + extra + (try weights)
        }
        func run(_ arguments: [String]) throws -> (status: Int32, errors: String) {
            let (process, errors) = try start(arguments)
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        let whole = try run(try arguments("whole.mkv", report: "whole"))
        try #require(whole.status == 0, "\(whole.errors)")

        // Interrupted once 10 of the 12 frames are committed.
        let output = temp.appendingPathComponent("out.mkv").path
        let work = temp.appendingPathComponent(".out.mkv.stylectl-video").path
        let (process, errors) = try start(try arguments("out.mkv", report: "out"))
        let deadline = Date().addingTimeInterval(300)
        func framesDone() -> Int {
            guard let data = FileManager.default.contents(atPath: work + "/state.json"),
                  let state = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return 0 }
            return state["framesDone"] as? Int ?? 0
        }
        while Date() < deadline && process.isRunning && framesDone() < 10 { usleep(20_000) }
        #expect(process.isRunning, "the video ended before it could be interrupted")
        kill(process.processIdentifier, SIGINT)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        #expect(message.contains("video: interrupted; the frames done are kept in \(work): the same command with --resume continues"), "\(message)")
        let beside = try FileManager.default.contentsOfDirectory(atPath: temp.path)
        #expect(!beside.contains("out.mkv") && !beside.contains { $0.hasSuffix(".tmp") } && beside.contains(".out.mkv.stylectl-video"), "\(beside)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: work)
        #expect(kept.contains("segment-0001.mkv") && kept.contains("state.json"), "\(kept)")
        let done = framesDone()
        #expect((10 ..< 12).contains(done))

        // Other settings are refused and the kept frames stay.
        let other = try run(try arguments("out.mkv", report: "out", ["--alpha", "0.5", "--resume"]))
        #expect(other.status == 1)
        #expect(other.errors.contains("--resume: the earlier run kept in \(work) had other settings (--alpha); give that run's settings"), "\(other.errors)")
        #expect(framesDone() == done)

        let resumed = try run(try arguments("out.mkv", report: "out", ["--resume"]))
        try #require(resumed.status == 0, "\(resumed.errors)")
        #expect(resumed.errors.contains("video: 12 frames (\(done) from the earlier run)"), "\(resumed.errors)")
        #expect(!FileManager.default.fileExists(atPath: work))
        let a = try runFFmpegFrames(temp.appendingPathComponent("whole.mkv").path), b = try runFFmpegFrames(output)
        #expect(a.count == 12 * 3 * 96 * 64 && a == b, "the resumed video differs from the uninterrupted one")
        let first = try VideoManifest.read(folder: temp.appendingPathComponent("whole").path)
        let second = try VideoManifest.read(folder: temp.appendingPathComponent("out").path)
        #expect(second.result.outputFlicker == first.result.outputFlicker && second.result.inputFlicker == first.result.inputFlicker)
        #expect(second.result.unstabilizedFlicker == first.result.unstabilizedFlicker && second.result.resumedFrames == done)
        #expect(FileManager.default.contents(atPath: temp.appendingPathComponent("out/frames.png").path)
            == FileManager.default.contents(atPath: temp.appendingPathComponent("whole/frames.png").path))

        // A kept run and no --resume: discarded, and said so.
        let again = try start(try arguments("out.mkv", report: "again"))
        while Date() < deadline && again.0.isRunning && framesDone() < 3 { usleep(20_000) }
        kill(again.0.processIdentifier, SIGINT)
        again.0.waitUntilExit()
        let fresh = try run(try arguments("out.mkv", report: "fresh"))
        #expect(fresh.status == 0 && fresh.errors.contains("video: starting over; the"), "\(fresh.errors)")
        #expect(try runFFmpegFrames(output) == a)
    }

    /// A video's frames as raw RGB, decoded by ffmpeg.
    func runFFmpegFrames(_ path: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
        let frames = Pipe()
        process.standardOutput = frames
        try process.run()
        let data = frames.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return data
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
        #expect(manifest.result.frames == 12 && manifest.sampleEvery == 2 && manifest.result.sampleEvery == 2 && manifest.stabilize == "features")
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
