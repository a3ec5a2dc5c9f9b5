// stylebench --video N: frames per second of `stylectl video`'s engine (stylizeVideo: ffmpeg
// decoding, the style encoded once, every frame through the pipeline, H.264 encoding) at 640x360
// and 1280x720, against pytorch-AdaIN's test_video.py loop in PyTorch (Scripts/bench_video.py,
// which encodes the style again for every frame), on the same clips, in one run.

import Foundation
import ImageCodec
import StyleReports
import StyleTransfer
import StyleVideo
import TensorCore

func runVideoBenchmark(_ options: Options, frames: Int) async {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylebench-video-\(ProcessInfo.processInfo.processIdentifier)").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let models = try benchModelFiles(options, folder: folder)
        let stylizer = try Stylizer(models: models)
        var random = SeededRandom(seed: 3)
        let style = folder + "/style.png"
        try writeImage(noiseImage(side: options.size, random: &random), path: style)
        print("video: \(frames) frames of ffmpeg's testsrc2 at 10 frames/s, frames at their own size, a \(options.size)x\(options.size) style, H.264 crf 18")
        print("  engine: \(computeEngineDescription); \(ProcessInfo.processInfo.activeProcessorCount) cores; weights: \(options.vgg == nil ? "seeded random" : "\(models.vgg), \(models.decoder)")")
        for (width, height) in [(640, 360), (1280, 720)] {
            let clip = folder + "/clip-\(width)x\(height).mp4"
            let generate = Process()
            generate.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            generate.arguments = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=\(width)x\(height):rate=10",
                                  "-frames:v", "\(frames)", "-c:v", "libx264", "-pix_fmt", "yuv420p", clip]
            try generate.run()
            generate.waitUntilExit()
            guard generate.terminationStatus == 0 else { fail("ffmpeg could not make the test clip (is ffmpeg installed?)") }
            let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: ImageSizing(size: 0), styleSizing: ImageSizing(size: options.size))
            // Warm-up at this size: primitives and buffers.
            _ = try await stylizeVideo(try VideoJob(content: clip, output: folder + "/warm.mp4", controls: StyleControls(styles: [style])),
                                       pipeline: pipeline)
            let start = now()
            let result = try await stylizeVideo(try VideoJob(content: clip, output: folder + "/out.mp4", controls: StyleControls(styles: [style])),
                                                pipeline: pipeline)
            let seconds = now() - start
            let ours = Double(result.frames) / seconds
            var line = String(format: "  %dx%d: stylectl %.3f frames/s (%.2f s per frame)", width, height, ours, seconds / Double(result.frames))
            if options.pytorch, let torch = runPyTorch(options, script: "bench_video.py",
                                                       arguments: ["--video", clip, "--style", style, "--style-size", "\(options.size)"]),
               let theirs = torch["frames_per_second"] as? Double {
                line += String(format: "; PyTorch %@ per frame %.3f frames/s; stylectl %.2fx", "\(torch["torch"] ?? "?")", theirs, ours / theirs)
            }
            print(line)
        }
        print("  peak RSS of this process: \(megabytes(peakResidentBytes()))")
    } catch {
        fail("\(error)")
    }
}
