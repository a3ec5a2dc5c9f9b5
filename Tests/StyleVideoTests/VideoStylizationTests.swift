// `stylizeVideo` end to end on clips the tests make with ffmpeg's lavfi sources (96 x 64, a few
// frames, an audio tone), with the seeded golden weights: frames, rate, duration and audio kept;
// each frame the pipeline's stylization of the same frame extracted as a PNG; keyframed alpha;
// the flicker measure against the frames themselves; --stabilize; bad input.

import Foundation
import ImageCodec
import StyleTransfer
import StyleVideo
import Testing
import TestSupport

/// The seeded weights of .goldens/network/.
let goldenModels: ModelFiles? = {
    guard let vgg = try? TestPaths.golden("network/vgg_legacy.pth"),
          let decoder = try? TestPaths.golden("network/decoder_legacy.pth") else { return nil }
    return ModelFiles(vgg: vgg.path, decoder: decoder.path)
}()
let goldenStylizer: Stylizer? = goldenModels.flatMap { try? Stylizer(models: $0) }

/// Runs ffmpeg (or ffprobe) with `arguments`; fails the test on a non-zero exit.
@discardableResult
func runTool(_ tool: String, _ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "\(tool) \(arguments.joined(separator: " ")) failed")
    return data
}

/// The frames of a video as raw 8-bit RGB, decoded by ffmpeg.
func decodedFrames(_ path: String, width: Int, height: Int) throws -> [[UInt8]] {
    let data = try runTool("ffmpeg", ["-v", "error", "-i", path, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
    let size = 3 * width * height
    try #require(data.count % size == 0)
    return (0 ..< data.count / size).map { [UInt8](data[$0 * size ..< ($0 + 1) * size]) }
}

/// The largest difference between two frames, in levels.
func largestDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 0
}

/// An image's 8-bit interleaved samples, as the encoder receives them.
func interleaved(_ image: RGBImage) -> [UInt8] {
    let plane = image.width * image.height
    let levels = quantize(image.pixels)
    return (0 ..< 3 * plane).map { levels[($0 % 3) * plane + $0 / 3] }
}

@Suite(.serialized) struct VideoStylizationTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("video-\(UUID().uuidString)")
    let sketch = TestPaths.sharedImages.appendingPathComponent("style/sketch.png").path

    func pipeline() throws -> StylizationPipeline {
        let stylizer = try #require(goldenStylizer, "the golden weights in .goldens/network/ do not load")
        return StylizationPipeline(stylizer: stylizer, contentSizing: ImageSizing(size: 64), styleSizing: ImageSizing(size: 64))
    }

    /// A clip of `frames` frames at `rate` per second (default 10), 96 x 64, through `filter`; with a 440 Hz tone.
    func clip(_ name: String, frames: Int, rate: String = "10", filter: String = "", audio: Bool = true) throws -> String {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let path = temp.appendingPathComponent(name).path
        let duration = String(Double(frames) / 10)
        var arguments = ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=\(rate):duration=\(duration)" + filter]
        if audio { arguments += ["-f", "lavfi", "-i", "sine=frequency=440:duration=\(duration)", "-c:a", "aac"] }
        try runTool("ffmpeg", arguments + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-frames:v", "\(frames)", path])
        return path
    }

    /// A still picture (the paper's Cornell photo) for `frames` frames, through `filter`.
    func stillClip(_ name: String, frames: Int, filter: String) throws -> String {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let path = temp.appendingPathComponent(name).path
        try runTool("ffmpeg", ["-v", "error", "-y", "-loop", "1", "-framerate", "10", "-i", TestPaths.sharedImages.appendingPathComponent("content/cornell.jpg").path,
                               "-frames:v", "\(frames)", "-vf", "scale=96:64" + filter, "-c:v", "ffv1", path])
        return path
    }

    @Test func framesRateDurationAndAudioAreKeptAndEachFrameIsItsStylization() async throws {
        let input = try clip("in.mp4", frames: 12)
        let output = temp.appendingPathComponent("out.mkv").path
        // alpha 0.2 at the start, 1 from 1 s on: frame k (at k / 10 s) has 0.2 + 0.8 min(k / 10, 1).
        let keys = try Keyframes(parsing: "0s:0.2,1s:1", flag: "--alpha-at", components: 1)
        // Chunks of 5 frames: three, joined.
        let job = try VideoJob(content: input, output: output, controls: StyleControls(styles: [sketch]), alphaKeys: keys, chunkFrames: 5)
        var lines: [VideoProgress] = []
        let result = try await stylizeVideo(job, pipeline: try pipeline(), progress: { lines.append($0) })
        #expect(lines.map(\.frame) == Array(1 ... 12) && lines.allSatisfy { $0.frames == 12 })
        #expect(result.frames == 12 && (result.width, result.height) == (96, 64))

        let original = try await probeVideo(input, flag: "--content"), written = try await probeVideo(output, flag: "--output")
        #expect(written.frameCount == 12 && written.frameRate == original.frameRate && written.hasAudio)
        #expect(abs(written.duration - original.duration) < 0.05, "\(written.duration) s against \(original.duration) s")
        #expect(!FileManager.default.fileExists(atPath: job.temporaryOutput) && !FileManager.default.fileExists(atPath: job.workFolder))

        // Each frame as the pipeline stylizes the same frame extracted as a PNG, at its alpha.
        let frames = temp.appendingPathComponent("frames")
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)
        try runTool("ffmpeg", ["-v", "error", "-i", input, "-fps_mode", "passthrough", frames.path + "/f-%03d.png"])
        let stylized = try decodedFrames(output, width: 96, height: 64)
        #expect(stylized.count == 12)
        let reference = try pipeline()
        for (k, frame) in stylized.enumerated() {
            let alpha = 0.2 + 0.8 * min(Float(k) / 10, 1)
            let expected = try reference.stylize(content: frames.path + String(format: "/f-%03d.png", k + 1),
                                                 controls: StyleControls(styles: [sketch], alpha: alpha))
            #expect(largestDifference(frame, interleaved(expected)) <= 1, "frame \(k + 1), alpha \(alpha)")
        }
        // At the key time 1 s (frame 11) alpha is the key's 1: the single-alpha stylization.
        let single = try reference.stylize(content: frames.path + "/f-011.png", controls: StyleControls(styles: [sketch]))
        #expect(largestDifference(stylized[10], interleaved(single)) <= 1)

        // The flicker: mean absolute differences of consecutive frames, here computed from the
        // frames themselves (the output is lossless).
        let measured = zip(stylized, stylized.dropFirst()).map { a, b in Double(zip(a, b).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(a.count) }
        #expect(result.outputFlicker.perFrame.count == 11)
        for (ours, theirs) in zip(result.outputFlicker.perFrame, measured) { #expect(abs(ours - theirs) < 1e-9) }
        #expect(result.inputFlicker.mean > 0 && result.relativeFlicker == result.outputFlicker.mean / result.inputFlicker.mean)
    }

    /// The output is encoded in chunks and joined: at NTSC's 30000/1001 frames/s, in chunks of 3
    /// frames, each container keeps the frame count, rate, duration and audio.
    @Test func chunksJoinKeepingFramesRateDurationAndAudio() async throws {
        let input = try clip("ntsc.mp4", frames: 10, rate: "30000/1001")
        let original = try await probeVideo(input, flag: "--content")
        try #require(original.frameCount == 10 && original.frameRate == "30000/1001")
        for name in ["chunks.mp4", "chunks.webm", "chunks.mkv"] {
            let output = temp.appendingPathComponent(name).path
            let job = try VideoJob(content: input, output: output, controls: StyleControls(styles: [sketch]), chunkFrames: 3)
            let result = try await stylizeVideo(job, pipeline: try pipeline())
            let written = try await probeVideo(output, flag: "--output")
            #expect(result.frames == 10 && written.frameCount == 10 && written.frameRate == original.frameRate && written.hasAudio, "\(name): \(written)")
            #expect(abs(written.duration - original.duration) < 0.05, "\(name): \(written.duration) s against \(original.duration) s")
            // Frame k at k x 1001/30000 s after the first, as in one encoding (WebM and Matroska
            // round to ms; their first frame comes after the audio's preroll).
            let times = String(decoding: try runTool("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", output]),
                               as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { Double($0.split(separator: ",").first ?? "") }
            #expect(times.count == 10)
            for (k, time) in times.enumerated() { #expect(abs(time - times[0] - Double(k) * 1001 / 30000) <= 0.0006, "\(name): frame \(k) at \(time) s") }
            #expect(!FileManager.default.fileExists(atPath: job.workFolder))
        }
    }

    /// `--tile 64` on 96 x 64 frames: each frame stylized in tiles, within a level of the whole
    /// frame's stylization (the tiles' halos cover the receptive fields); with `--stabilize`, refused.
    @Test func framesLongerThanTheTileAreStylizedInTilesAsWhole() async throws {
        let input = try clip("tiles.mp4", frames: 3, audio: false)
        let output = temp.appendingPathComponent("tiles.mkv").path
        let job = try VideoJob(content: input, output: output, controls: StyleControls(styles: [sketch], alpha: 0.7), tile: 64)
        let result = try await stylizeVideo(job, pipeline: try pipeline())
        #expect(result.tile == 64 && result.frames == 3)
        let frames = temp.appendingPathComponent("tile-frames")
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)
        try runTool("ffmpeg", ["-v", "error", "-i", input, "-fps_mode", "passthrough", frames.path + "/f-%03d.png"])
        let whole = try pipeline()
        for (k, frame) in try decodedFrames(output, width: 96, height: 64).enumerated() {
            let expected = try whole.stylize(content: frames.path + String(format: "/f-%03d.png", k + 1), controls: StyleControls(styles: [sketch], alpha: 0.7))
            #expect(largestDifference(frame, interleaved(expected)) <= 1, "frame \(k + 1)")
        }
        #expect(throws: VideoError.self) {
            try VideoJob(content: input, output: output, controls: StyleControls(styles: [sketch]), stabilize: (.features, 0.8), tile: 64)
        }
    }

    /// A run that stops after a chunk's last frame is committed but before the chunk is encoded
    /// (here its encoder cannot write: a folder stands where it writes) keeps its frames, and
    /// `resume` encodes that chunk first: the video equals an uninterrupted run's.
    @Test func aRunStoppedBeforeItsChunkIsEncodedResumesWithTheChunk() async throws {
        let input = try clip("stop.mp4", frames: 6, audio: false)
        let output = temp.appendingPathComponent("stop.mkv").path
        let job = try VideoJob(content: input, output: output, controls: StyleControls(styles: [sketch]), chunkFrames: 3)
        let blocker = job.workFolder + "/segment-0001.mkv.tmp"
        await #expect(throws: VideoError.self) {
            try await stylizeVideo(job, pipeline: try pipeline(), progress: { _ in
                try? FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: false)
            })
        }
        #expect(job.keptFrames == 3 && !FileManager.default.fileExists(atPath: output))
        let resumed = try VideoJob(content: input, output: output, controls: StyleControls(styles: [sketch]), resume: true, chunkFrames: 3)
        let result = try await stylizeVideo(resumed, pipeline: try pipeline())
        #expect(result.frames == 6 && result.resumedFrames == 3)
        let whole = temp.appendingPathComponent("whole.mkv").path
        _ = try await stylizeVideo(try VideoJob(content: input, output: whole, controls: StyleControls(styles: [sketch]), chunkFrames: 3),
                                   pipeline: try pipeline())
        let (a, b) = (try decodedFrames(whole, width: 96, height: 64), try decodedFrames(output, width: 96, height: 64))
        #expect(a.count == 6 && a == b)
    }

    /// WebM takes no AAC: the audio is re-encoded to Opus (and said so); Matroska copies it.
    @Test func audioIsCopiedWhereTheContainerTakesItElseReencoded() async throws {
        let input = try clip("tone.mp4", frames: 4)
        #expect(try await probeVideo(input, flag: "--content").audioCodec == "aac")
        for (name, codec, words) in [("out.webm", "opus", "re-encoded from aac to opus (.webm does not take aac)"), ("out.mkv", "aac", "copied (aac)")] {
            let output = temp.appendingPathComponent(name).path
            let result = try await stylizeVideo(try VideoJob(content: input, output: output, controls: StyleControls(styles: [sketch])), pipeline: try pipeline())
            #expect(result.audio == words)
            #expect(try await probeVideo(output, flag: "--output").audioCodec == codec)
        }
    }

    /// A mask video: frame k of the output is the masked stylization of content frame k with mask frame k.
    @Test func aMaskVideoMasksEachFrameWithItsOwnMask() async throws {
        let input = try clip("in.mp4", frames: 6, audio: false)
        let mask = temp.appendingPathComponent("mask.mkv").path
        // White on the left, the edge moving right by 10 pixels a frame.
        try runTool("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "nullsrc=size=96x64:rate=10:duration=0.6,format=gray,geq=lum='if(lt(X,20+N*10),255,0)'",
                               "-frames:v", "6", "-c:v", "ffv1", mask])
        let mondrian = TestPaths.sharedImages.appendingPathComponent("style/mondrian.jpg").path
        let controls = StyleControls(styles: [sketch, mondrian], mask: SpatialMask(paths: [mask], mode: .binary))
        let output = temp.appendingPathComponent("masked.mkv").path
        let job = try VideoJob(content: input, output: output, controls: controls, maskVideo: mask)
        let result = try await stylizeVideo(job, pipeline: try pipeline())
        #expect(result.frames == 6)
        let frames = temp.appendingPathComponent("frames")
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)
        try runTool("ffmpeg", ["-v", "error", "-i", input, "-fps_mode", "passthrough", frames.path + "/f-%03d.png"])
        try runTool("ffmpeg", ["-v", "error", "-i", mask, "-fps_mode", "passthrough", frames.path + "/m-%03d.png"])
        let reference = try pipeline()
        let stylized = try decodedFrames(output, width: 96, height: 64)
        var images: [[UInt8]] = []
        for (k, frame) in stylized.enumerated() {
            let name = String(format: "%03d.png", k + 1)
            let expected = try reference.stylize(content: frames.path + "/f-" + name, controls: StyleControls(
                styles: [sketch, mondrian], mask: SpatialMask(paths: [frames.path + "/m-" + name], mode: .binary)))
            #expect(largestDifference(frame, interleaved(expected)) <= 1, "frame \(k + 1)")
            images.append(interleaved(expected))
        }
        // The masks differ from frame to frame, and so do the results where the edge moved.
        #expect(largestDifference(images[0], images[5]) > 10)
    }

    /// --stabilize features lowers the flicker of a clip whose brightness ramps; on a still clip
    /// both averages give the frames unchanged.
    @Test func stabilizingLowersFlickerOnABrightnessRampAndLeavesAStillClipAlone() async throws {
        let ramp = try stillClip("ramp.mkv", frames: 12, filter: ",eq=brightness='0.3*t-0.2':eval=frame")
        func run(_ input: String, _ name: String, _ stabilize: (quantity: TemporalSmoothing.Quantity, momentum: Float)?) async throws -> (VideoResult, String) {
            let output = temp.appendingPathComponent(name).path
            let job = try VideoJob(content: input, output: output, controls: StyleControls(styles: [sketch]), stabilize: stabilize)
            return (try await stylizeVideo(job, pipeline: try pipeline()), output)
        }
        let (plain, _) = try await run(ramp, "ramp-plain.mkv", nil)
        let (smoothed, _) = try await run(ramp, "ramp-features.mkv", (.features, 0.8))
        #expect(plain.inputFlicker.mean > 5, "the ramp changes the input: \(plain.inputFlicker.mean)")
        #expect(smoothed.outputFlicker.mean < 0.75 * plain.outputFlicker.mean,
                "flicker \(smoothed.outputFlicker.mean) with --stabilize features against \(plain.outputFlicker.mean)")

        let still = try stillClip("still.mkv", frames: 6, filter: "")
        let (stillPlain, plainPath) = try await run(still, "still-plain.mkv", nil)
        #expect(stillPlain.inputFlicker.mean == 0 && stillPlain.relativeFlicker == nil)
        let reference = try decodedFrames(plainPath, width: 96, height: 64)
        for quantity in TemporalSmoothing.Quantity.allCases {
            let (_, path) = try await run(still, "still-\(quantity).mkv", (quantity, 0.8))
            for (a, b) in zip(try decodedFrames(path, width: 96, height: 64), reference) { #expect(largestDifference(a, b) <= 1, "\(quantity)") }
        }
    }

    /// Each mistake is refused with the file or flag named, and leaves no output.
    @Test func badInputsNameTheFileOrFlag() async throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let output = temp.appendingPathComponent("out.mp4").path
        let controls = StyleControls(styles: [sketch])
        func refusal(_ job: () throws -> VideoJob) async -> String {
            do {
                _ = try await stylizeVideo(try job(), pipeline: try pipeline())
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let missing = temp.appendingPathComponent("none.mp4").path
        #expect(await refusal { try VideoJob(content: missing, output: output, controls: controls) } == "--content \(missing): not a video ffmpeg can read (no such file)")
        let text = temp.appendingPathComponent("notes.mp4").path
        try Data("not a video\n".utf8).write(to: URL(fileURLWithPath: text))
        #expect(await refusal { try VideoJob(content: text, output: output, controls: controls) }.hasPrefix("--content \(text): not a video ffmpeg can read ("))
        let empty = temp.appendingPathComponent("empty.mp4").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        #expect(await refusal { try VideoJob(content: empty, output: output, controls: controls) }.hasPrefix("--content \(empty): not a video ffmpeg can read ("))

        let input = try clip("short.mp4", frames: 5, audio: false)
        let late = try Keyframes(parsing: "0s:0,9s:1", flag: "--alpha-at", components: 1)
        #expect(await refusal { try VideoJob(content: input, output: output, controls: controls, alphaKeys: late) }
                == "--alpha-at: a key at 9s is after the clip's end (0.5s); keys must lie in 0s...0.5s")
        let mask = try clip("mask.mp4", frames: 7, audio: false)
        let masked = StyleControls(styles: [sketch, sketch], mask: SpatialMask(paths: [mask]))
        #expect(await refusal { try VideoJob(content: input, output: output, controls: masked, maskVideo: mask) }
                == "--mask-video \(mask) has 7 frames, the content 5; give a mask video of the same length, or one --mask image")
        #expect(await refusal { try VideoJob(content: input, output: temp.appendingPathComponent("out.avi").path, controls: controls) }
                == "--output \(temp.path)/out.avi: the extension .avi is not one stylectl writes; use .mp4 (H.264), .webm (VP9) or .mkv (lossless FFV1)")
        #expect(await refusal { try VideoJob(content: input, output: input, controls: controls) } == "--output \(input): it is an input file; choose another output")
        #expect(await refusal { try VideoJob(content: input, output: output, controls: controls, crf: 60) } == "--crf must be in 0...51 for h264, got 60")
        #expect(await refusal { try VideoJob(content: input, output: output, controls: masked, maskVideo: mask, stabilize: (.statistics, 0.8)) }
                == StyleControlError.smoothedStatisticsWithMask.description)
        for bad in ["0s:0,0s:1", "0s:x", "4:0.5,2:1", "soon:1"] {
            #expect(throws: VideoError.self, "\(bad)") { try Keyframes(parsing: bad, flag: "--alpha-at", components: 1) }
        }
        #expect(throws: VideoError.self) { try Keyframes(parsing: "0s:1,0", flag: "--style-weights-at", components: 3) }
        // Nothing was written beside the inputs.
        #expect(try Set(FileManager.default.contentsOfDirectory(atPath: temp.path)) == ["notes.mp4", "empty.mp4", "short.mp4", "mask.mp4"])
    }
}
