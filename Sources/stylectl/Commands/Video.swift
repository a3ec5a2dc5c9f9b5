// `stylectl video`: a clip stylized frame by frame through ffmpeg, with keyframed controls and
// measured flicker.

import ArgumentParser
import Foundation
import StyleReports
import StyleTransfer
import StyleVideo

struct Video: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stylize a video (through ffmpeg), with controls that may change over time.",
        discussion: """
            ffmpeg decodes the content's frames; each goes through the same pipeline as `stylize` (the styles \
            are encoded once); ffmpeg encodes the stylized frames at the input's frame rate and copies its audio. \
            The output's extension chooses the codec: .mp4 (H.264), .webm (VP9), .mkv (lossless FFV1). \
            --alpha-at and --style-weights-at set keys (TIME:VALUE, linear between keys), e.g. \
            --alpha-at 0s:0,4s:1 or --style-weights-at "0s:1,0;6s:0,1". The video is written to a temporary file \
            and renamed at the end, so an interrupted or failed run leaves no partial output; the frames done so \
            far are kept in .OUTPUT.stylectl-video/ beside it, and the same command with --resume continues from \
            the last of them (with other settings it is refused; without --resume the kept frames are discarded). At the end the \
            flicker is printed: the mean absolute difference between consecutive frames (levels), of the output \
            and of the input. --stabilize features averages the decoder's input over time, which lowers the flicker.
            """
    )

    @Option(help: "The content video (any format ffmpeg reads).")
    var content: String
    @Option(help: "A style image, or several, comma-separated, for interpolation or masks.")
    var style: String
    @Option(help: "The output video: .mp4 (H.264), .webm (VP9) or .mkv (lossless FFV1).")
    var output: String
    @Option(parsing: .unconditional, help: "Content-style trade-off in [0, 1] for every frame (see --alpha-at).")
    var alpha: Float = 1
    @Option(help: ArgumentHelp("Alpha over time: keys TIME:ALPHA, comma-separated, linear between them (e.g. 0s:0,4s:1).", valueName: "keys"))
    var alphaAt: String?
    @Option(help: ArgumentHelp("The styles' weights over time: keys TIME:W1,W2,..., separated by ';' (e.g. \"0s:1,0;6s:0,1\").", valueName: "keys"))
    var styleWeightsAt: String?
    @Option(help: ArgumentHelp("A mask video of the same length as the content (one mask per frame), read as --mask-mode says.", valueName: "file"))
    var maskVideo: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Resize the frames' shorter side to this many pixels (0 keeps their size).",
                                                        discussion: "Default: the model's (512 for pytorch-adain)."))
    var contentSize: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Resize the style images' shorter side to this many pixels.", discussion: "Default: as --content-size."))
    var styleSize: Int?
    @Option(help: "Quality of .mp4 (0-51, default 18) and .webm (0-63, default 31): lower is better and larger.")
    var crf: Int?
    @Option(help: ArgumentHelp(
        "Average over time (an exponential moving average): features (the decoder's input) or statistics (the content statistics AdaIN normalises with).",
        discussion: "features lowers flicker at the cost of a trail behind fast motion; statistics keeps AdaIN's normalisation steady but lets brightness changes through.",
        valueName: "quantity"))
    var stabilize: TemporalSmoothing.Quantity?
    @Option(help: "The moving average's weight of the past, in [0, 1): 0.8 weighs about the last five frames.")
    var stabilizeMomentum: Float = 0.8
    @Option(help: ArgumentHelp("Write a report (manifest.json, a strip of frames, the flicker plot, index.html) to this folder of --reports-dir.",
                               valueName: "name"))
    var report: String?
    @Option(help: "The folder of reports.")
    var reportsDir: String = "Reports"
    @Flag(help: "Write the report into a folder that holds something else.")
    var overwrite = false
    @Flag(help: "Continue an interrupted run of the same command from its last finished frame (kept beside the output).")
    var resume = false
    @OptionGroup var memory: MemoryOptions
    @OptionGroup var models: ModelOptions
    @OptionGroup(title: "Style controls") var controls: ControlOptions

    func validate() throws {
        guard (0 ... 1).contains(alpha) else { throw ValidationError("'--alpha' must be in [0, 1], got \(alpha).") }
        do {
            if let contentSize { try ImageSizing.check(size: contentSize, of: .content) }
            if let styleSize { try ImageSizing.check(size: styleSize, of: .style) }
        } catch {
            throw ValidationError(error.description)
        }
        if maskVideo != nil && controls.mask != nil { throw ValidationError("give --mask (one mask image) or --mask-video, not both") }
        if maskVideo != nil && controls.styleWeights != nil { throw ValidationError("--style-weights cannot be used with masks: each region has its own style") }
        if memory.tile != nil && stabilize != nil { throw ValidationError("give --tile or --stabilize, not both: the temporal average is over whole frames") }
        if let report, report.isEmpty || report.contains("/") || report == "." || report == ".." {
            throw ValidationError("'--report' must be a plain folder name, got '\(report)'.")
        }
    }

    /// The job, checked before the weights load.
    func job(styles: [String]) throws(VideoError) -> VideoJob {
        var typed: StyleControls
        do { typed = try controls.controls(styles: styles, alpha: alpha) } catch { throw .controls(error) }
        if let maskVideo { typed.mask = SpatialMask(paths: [maskVideo], mode: controls.maskMode, stretch: controls.stretchMask) }
        let alphaKeys = try alphaAt.map { text throws(VideoError) in try Keyframes(parsing: text, flag: "--alpha-at", components: 1) }
        let weightKeys = try styleWeightsAt.map { text throws(VideoError) in
            try Keyframes(parsing: text, flag: "--style-weights-at", components: styles.count)
        }
        return try VideoJob(content: content, output: output, controls: typed, alphaKeys: alphaKeys, weightKeys: weightKeys,
                            maskVideo: maskVideo, stabilize: stabilize.map { ($0, stabilizeMomentum) }, crf: crf, tile: memory.tile, maxMemory: memory.maxMemory, resume: resume)
    }

    func run() async throws {
        let styles: [String]
        do { styles = try commaList(style, flag: "--style") } catch { throw CommandFailure(error.description) }
        let job: VideoJob
        do { job = try self.job(styles: styles) } catch { throw CommandFailure(error.description) }
        let folder = report.map { URL(fileURLWithPath: reportsDir).appendingPathComponent($0).path }
        if let folder {
            do { try checkVideoReportFolder(folder, overwrite: overwrite) } catch { throw CommandFailure(error.description) }
        }
        switch (resume, job.keptFrames) {
        case (true, nil): printError("video: --resume: no earlier run of \(output) is kept (\(job.workFolder)); starting from the first frame")
        case (false, let kept?): printError("video: starting over; the \(kept) frames of an earlier run kept in \(job.workFolder) are discarded (--resume continues them)")
        default: break
        }
        let files = try models.locate()
        let conventions = (files.variant ?? .pytorchAdaIN).conventions
        // One content encoding at a time; the styles' encodings (and, with colour preservation, those
        // matched to the last frame) kept.
        let pipeline = StylizationPipeline(stylizer: try models.loadStylizer(files), contentSizing: conventions.sizing(size: contentSize, crop: false),
                                           styleSizing: conventions.sizing(size: styleSize ?? contentSize, crop: false),
                                           styleCache: EncodingCache(capacity: 2 * styles.count + 2))
        let interrupts = InterruptCleanup(removing: [job.temporaryOutput],
                                          message: "video: interrupted; the frames done are kept in \(job.workFolder): the same command with --resume continues")
        defer { interrupts.uninstall() }
        var lastLine = Date.distantPast
        let start = Date()
        let result: VideoResult
        var samples: [SampledFrame] = []
        do {
            result = try await stylizeVideo(job, pipeline: pipeline, samples: folder.map { _ in videoStripColumns }, comparingUnstabilized: folder != nil,
                                            identity: ["--vgg": files.vgg, "--decoder": files.decoder], progress: { step in
                guard Date().timeIntervalSince(lastLine) >= 1 || step.frame == step.frames else { return }
                lastLine = Date()
                let rate = Double(step.timeLeft.done) / step.timeLeft.seconds
                printError("frame \(step.frame)/\(step.frames), " + String(format: "%.2f frames/s", rate) + step.timeLeft.phrase(forRemaining: step.frames - step.frame))
            }, sample: { samples.append($0) })
        } catch {
            let kept = job.keptFrames.map { "\nvideo: the \($0) frames done are kept in \(job.workFolder): the same command with --resume continues" } ?? ""
            throw CommandFailure(error.description + kept)
        }
        let seconds = Date().timeIntervalSince(start)
        var summary = "video: \(result.frames) frames" + (result.resumedFrames > 0 ? " (\(result.resumedFrames) from the earlier run)" : "")
            + " of \(result.width)x\(result.height) in \(output) ("
            + String(format: "%.1f s, %.2f frames/s", seconds, Double(result.frames - result.resumedFrames) / seconds) + ")"
        if let tile = result.tile { summary += "; in tiles of \(tile) px" + (memory.tile == nil ? " to fit the memory" : "") }
        if let audio = result.audio { summary += "; audio \(audio)" }
        if result.frames > 1 {
            summary += String(format: "; flicker %.2f levels/frame (input %.2f", result.outputFlicker.mean, result.inputFlicker.mean)
                + (result.relativeFlicker.map { String(format: ", %.2fx", $0) } ?? "") + ")"
        }
        printError(summary)
        guard let folder else { return }
        do {
            let manifest = VideoManifest(
                toolVersion: StyleCtl.configuration.version, content: try InputFile(path: content), styles: try styles.map { try InputFile(path: $0) },
                masks: try controls.mask.map { try commaList($0, flag: "--mask").map { try InputFile(path: $0) } },
                maskVideo: try maskVideo.map { try InputFile(path: $0) }, vgg: try InputFile(path: files.vgg), decoder: try InputFile(path: files.decoder),
                output: output, alpha: alpha, alphaKeys: alphaAt, weightKeys: styleWeightsAt, weights: job.controls.weights,
                preserveColor: job.controls.preserveColor.rawValue, stabilize: stabilize?.rawValue, stabilizeMomentum: stabilize.map { _ in stabilizeMomentum },
                contentSize: pipeline.contentSizing.size, styleSize: pipeline.styleSizing.size, result: result)
            try writeVideoReport(manifest, samples: samples, folder: folder, overwrite: overwrite)
        } catch {
            throw CommandFailure("\(error)")
        }
        printError("video: report in \(folder)/ (index.html, manifest.json, frames.png, flicker.png)")
    }
}

extension TemporalSmoothing.Quantity: ExpressibleByArgument {}
