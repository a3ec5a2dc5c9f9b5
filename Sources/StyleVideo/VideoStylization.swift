// `stylectl video`: every frame of a clip through the one stylization pipeline, between an ffmpeg
// decoder and an ffmpeg encoder, with controls that may change over time.

import Foundation
import ImageCodec
import StyleTransfer
import Subprocess

/// A video stylization, checked before any frame is decoded.
public struct VideoJob: Sendable {
    public let content: String
    public let output: String
    /// The controls of every frame: styles, weights, mask image, colour preservation, alpha;
    /// keyframed alpha and weights replace theirs frame by frame.
    public let controls: StyleControls
    /// `--alpha-at`: alpha over time (one component).
    public let alphaKeys: Keyframes?
    /// `--style-weights-at`: the styles' weights over time (one component per style).
    public let weightKeys: Keyframes?
    /// `--mask-video`: a mask per frame, instead of one mask image; `controls.mask` then carries
    /// its mode and stretch (its paths are replaced by each frame's).
    public let maskVideo: String?
    /// `--stabilize` and `--stabilize-momentum`: what ``StyleTransfer/TemporalSmoothing`` averages
    /// over the frames, and its momentum; nil: every frame on its own.
    public let stabilize: (quantity: TemporalSmoothing.Quantity, momentum: Float)?
    public let codec: VideoCodec
    public let crf: Int?
    /// Where the video is written until it is renamed to ``output``: `.NAME.<pid>-<random>.tmp`
    /// beside it (the name ImageCodec's atomic writes use).
    public let temporaryOutput: String
    /// The frames in flight (the frame being stylized, a mask video's frames), removed at the end.
    public let workFolder: String

    /// Checks what can be checked without reading the video: the output's extension, folder and
    /// that it is not the input; the controls; `--crf`'s range; the momentum; that `--stabilize`
    /// and masks are not combined; keyframed values in range.
    public init(
        content: String, output: String, controls: StyleControls, alphaKeys: Keyframes? = nil, weightKeys: Keyframes? = nil,
        maskVideo: String? = nil, stabilize: (quantity: TemporalSmoothing.Quantity, momentum: Float)? = nil, crf: Int? = nil
    ) throws(VideoError) {
        codec = try VideoCodec(outputPath: output)
        let outputURL = URL(fileURLWithPath: output).standardizedFileURL
        if outputURL.path == URL(fileURLWithPath: content).standardizedFileURL.path || outputURL.path == maskVideo.map({ URL(fileURLWithPath: $0).standardizedFileURL.path }) {
            throw .badOutput(path: output, reason: "it is an input file; choose another output")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: outputURL.path, isDirectory: &isFolder), isFolder.boolValue {
            throw .badOutput(path: output, reason: "it is a folder; give a file name ending in .mp4, .webm or .mkv")
        }
        let folder = outputURL.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .badOutput(path: output, reason: "its folder \(folder) does not exist")
        }
        guard access(folder, W_OK) == 0 else { throw .badOutput(path: output, reason: "its folder \(folder) is not writable") }
        if let crf {
            guard let range = codec.crfRange else { throw .invalidValue(flag: "--crf", value: "\(crf)", expected: "left out for .mkv (lossless FFV1)") }
            guard range.range.contains(crf) else {
                throw .invalidValue(flag: "--crf", value: "\(crf)", expected: "in \(range.range.lowerBound)...\(range.range.upperBound) for \(codec.rawValue)")
            }
        }
        if let stabilize, !(stabilize.momentum >= 0 && stabilize.momentum < 1) {
            throw .invalidValue(flag: "--stabilize-momentum", value: "\(stabilize.momentum)", expected: "in [0, 1) (0.8 weighs about the last five frames)")
        }
        precondition(maskVideo == nil || controls.mask != nil, "a mask video's mode and stretch come in controls.mask")
        do { try controls.validate() } catch { throw .controls(error) }
        if stabilize?.quantity == .statistics && controls.mask != nil { throw .controls(.smoothedStatisticsWithMask) }
        if let alphaKeys, let bad = alphaKeys.keys.first(where: { !(0 ... 1).contains($0.value[0]) }) {
            throw .badKeyframes(flag: "--alpha-at", value: "\(formatSeconds(bad.time)):\(bad.value[0])", reason: "alpha must be in [0, 1]")
        }
        if let weightKeys {
            if weightKeys.keys[0].value.count != controls.styles.count {
                throw .badKeyframes(flag: "--style-weights-at", value: "", reason: "\(weightKeys.keys[0].value.count) weights for \(controls.styles.count) styles")
            }
            if controls.mask != nil { throw .controls(.weightsWithMask) }
            for key in weightKeys.keys {
                do { _ = try normalizedInterpolationWeights(key.value, styleCount: controls.styles.count) } catch {
                    throw .badKeyframes(flag: "--style-weights-at", value: "\(formatSeconds(key.time))", reason: error.description)
                }
            }
        }
        (self.content, self.output, self.controls, self.alphaKeys, self.weightKeys) = (content, output, controls, alphaKeys, weightKeys)
        (self.maskVideo, self.stabilize, self.crf) = (maskVideo, stabilize, crf)
        let tag = "\(getpid())-\(UInt32.random(in: .min ... .max))"
        temporaryOutput = folder + "/." + outputURL.lastPathComponent + "." + tag + ".tmp"
        workFolder = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-video-\(tag)").path
    }

    /// The controls of the frame at `time` (seconds) and, with a mask video, of mask frame `index`.
    func controls(at time: Double, maskFrame: String?) -> StyleControls {
        var frame = controls
        if let alphaKeys { frame.alpha = alphaKeys.value(at: time)[0] }
        if let weightKeys { frame.weights = weightKeys.value(at: time) }
        if let maskFrame, let mask = controls.mask { frame.mask = SpatialMask(paths: [maskFrame], mode: mask.mode, stretch: mask.stretch) }
        return frame
    }
}

/// How a video stylization went: the clip, the seconds per frame and the flicker.
public struct VideoResult: Sendable, Codable, Equatable {
    public var input: VideoInfo
    /// The stylized frames' size (the pipeline's sizing of the content; the subsampled codecs drop an
    /// odd last column or row).
    public var width: Int
    public var height: Int
    public var frames: Int
    /// What became of the input's audio (``VideoCodec/audio(_:)``): `copied (aac)`, or re-encoded; nil without audio.
    public var audio: String?
    /// Per frame: decoding aside, the seconds its stylization took.
    public var secondsPerFrame: [Double]
    /// ``FlickerMeasure`` of the input frames and of the output frames.
    public var inputFlicker: FlickerMeasure
    public var outputFlicker: FlickerMeasure
    /// With `--stabilize`, when asked for (a report's comparison): the flicker of the same frames
    /// stylized without the temporal average.
    public var unstabilizedFlicker: FlickerMeasure?
    /// The output's mean flicker over the input's (nil for a still input): how much more the
    /// stylized frames change from one frame to the next than the frames they come from.
    public var relativeFlicker: Double? {
        inputFlicker.mean > 0 ? outputFlicker.mean / inputFlicker.mean : nil
    }
}

/// Frame-to-frame change of a clip: `d_k = mean |F_k - F_(k-1)|` over every 8-bit sample of two
/// consecutive frames (levels, 0-255), for k = 1 ... n-1, and their mean. A still clip gives 0.
public struct FlickerMeasure: Sendable, Codable, Equatable {
    public var perFrame: [Double] = []
    public var mean: Double { perFrame.isEmpty ? 0 : perFrame.reduce(0, +) / Double(perFrame.count) }

    public init(perFrame: [Double] = []) { self.perFrame = perFrame }

    /// The mean absolute difference of two frames of equal size, in levels.
    public static func difference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        precondition(a.count == b.count && !a.isEmpty, "frames of \(a.count) and \(b.count) samples")
        var total = 0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for i in a.indices { total += abs(Int(a[i]) - Int(b[i])) }
            }
        }
        return Double(total) / Double(a.count)
    }
}

/// One frame done, for progress.
public struct VideoProgress: Sendable {
    public var frame: Int
    public var frames: Int
    public var seconds: Double
    public var timeLeft: TimeLeft
}

/// A frame picked for the report's strip: the input frame and its stylization.
public struct SampledFrame: Sendable {
    public var index: Int
    public var input: RGBImage
    public var output: RGBImage
}

/// Stylizes `job` through `pipeline`: ffmpeg decodes the content's frames into raw RGB, each frame
/// goes through ``StyleTransfer/StylizationPipeline/stylize(content:controls:measuring:smoothing:)``
/// (written losslessly as a PNG in the work folder, so that a frame is stylized exactly as
/// `stylectl stylize` stylizes the same frame extracted as a PNG; the styles are encoded once),
/// and ffmpeg encodes the stylized frames at the input's frame rate, with the input's audio
/// (copied where the container takes its codec, ``VideoCodec/audio(_:)``). The video
/// goes to ``VideoJob/temporaryOutput`` and is renamed to the output at the end; on failure it and
/// the work folder are removed. `sampleEvery` keeps every Nth frame's input and output for a
/// report. With `comparingUnstabilized` and a `--stabilize` job, each frame is also decoded
/// without the average (its encoding reused: one more AdaIN and decoder pass) for
/// ``VideoResult/unstabilizedFlicker``.
///
/// - Throws: ``VideoError``, naming the file or flag.
public func stylizeVideo(
    _ job: VideoJob, pipeline: StylizationPipeline, sampleEvery: Int? = nil, comparingUnstabilized: Bool = false,
    progress: (VideoProgress) -> Void = { _ in }, sample: (SampledFrame) -> Void = { _ in }
) async throws(VideoError) -> VideoResult {
    let info = try await probeVideo(job.content, flag: "--content")
    try job.alphaKeys?.check(duration: info.duration, flag: "--alpha-at")
    try job.weightKeys?.check(duration: info.duration, flag: "--style-weights-at")
    try checkMemory(job, info: info, pipeline: pipeline)
    let files = FileManager.default
    do { try files.createDirectory(atPath: job.workFolder, withIntermediateDirectories: true) } catch {
        throw .io(path: job.workFolder, reason: "cannot create the work folder: \(error.localizedDescription)")
    }
    defer { try? files.removeItem(atPath: job.workFolder) }
    var finished = false
    defer { if !finished { unlink(job.temporaryOutput) } }

    if let maskVideo = job.maskVideo {
        let mask = try await probeVideo(maskVideo, flag: "--mask-video")
        guard mask.frameCount == info.frameCount else { throw .maskLength(path: maskVideo, frames: mask.frameCount, expected: info.frameCount) }
        _ = try await runCollecting(
            "ffmpeg", ["-v", "error", "-nostdin", "-i", "file:" + maskVideo, "-map", "0:v:0", "-fps_mode", "passthrough", job.workFolder + "/mask-%06d.png"],
            failure: { .unreadable(flag: "--mask-video", path: maskVideo, reason: $0) })
    }

    let smoothing = job.stabilize.map { TemporalSmoothing($0.quantity, momentum: $0.momentum) }
    let frameBytes = 3 * info.width * info.height
    var result = VideoResult(input: info, width: 0, height: 0, frames: 0, secondsPerFrame: [],
                             inputFlicker: FlickerMeasure(), outputFlicker: FlickerMeasure())
    var previous: (input: [UInt8], output: [UInt8], unstabilized: [UInt8]?)?
    var timeLeft = TimeLeft()
    let compares = comparingUnstabilized && smoothing != nil
    if compares { result.unstabilizedFlicker = FlickerMeasure() }

    /// Stylizes frame `index` (raw RGB) and returns its raw RGB stylization.
    func stylize(_ bytes: [UInt8], index: Int) throws(VideoError) -> (bytes: [UInt8], width: Int, height: Int) {
        let start = Date()
        let frame = RGB8Image(width: info.width, height: info.height, samples: bytes)
        // A name per frame: the pipeline's encoding cache knows a file by its path, size and date.
        let framePath = job.workFolder + String(format: "/frame-%06d.png", index + 1)
        do { try writeImage(frame, path: framePath) } catch { throw .io(path: framePath, reason: error.description) }
        defer { unlink(framePath) }
        let maskFrame = job.maskVideo.map { _ in job.workFolder + String(format: "/mask-%06d.png", index + 1) }
        let controls = job.controls(at: Double(index) / info.framesPerSecond, maskFrame: maskFrame)
        let image: RGBImage
        var unstabilized: [UInt8]?
        do {
            image = try pipeline.stylize(content: framePath, controls: controls, measuring: false, smoothing: smoothing).image
            if compares { unstabilized = RGB8Image(quantizing: try pipeline.stylize(content: framePath, controls: controls)).samples }
        } catch {
            throw .stylization(frame: index, error)
        }
        let output = RGB8Image(quantizing: image).samples
        if let previous {
            result.inputFlicker.perFrame.append(FlickerMeasure.difference(previous.input, bytes))
            result.outputFlicker.perFrame.append(FlickerMeasure.difference(previous.output, output))
            if let before = previous.unstabilized, let unstabilized {
                result.unstabilizedFlicker?.perFrame.append(FlickerMeasure.difference(before, unstabilized))
            }
        }
        previous = (bytes, output, unstabilized)
        let seconds = Date().timeIntervalSince(start)
        result.secondsPerFrame.append(seconds)
        timeLeft.record(seconds: seconds)
        progress(VideoProgress(frame: index + 1, frames: info.frameCount, seconds: seconds, timeLeft: timeLeft))
        if let sampleEvery, index % sampleEvery == 0 { sample(SampledFrame(index: index, input: frame.image, output: image)) }
        return (output, image.width, image.height)
    }

    let audio = info.audioCodec.map { job.codec.audio($0) }
    result.audio = audio?.description
    let decoding = "decoding \(job.content)"
    do {
        let decoder = try await Subprocess.run(
            .name("ffmpeg"), arguments: Arguments(decoderArguments(job.content)), input: .none, output: .sequence, error: .string(limit: 1 << 20)
        ) { decoder in
            var frames = FrameReader(decoder.standardOutput.makeAsyncIterator(), frameBytes: frameBytes)
            guard let first = try await frames.next() else { throw VideoError.noFrames(flag: "--content", path: job.content) }
            let stylized = try stylize(first, index: 0)
            (result.width, result.height) = (stylized.width, stylized.height)
            let arguments = encoderArguments(width: stylized.width, height: stylized.height, frameRate: info.frameRate, codec: job.codec, crf: job.crf,
                                             source: job.content, audio: audio?.arguments, temporary: job.temporaryOutput)
            let encoder = try await Subprocess.run(.name("ffmpeg"), arguments: Arguments(arguments), input: .inputWriter, output: .discarded,
                                                   error: .string(limit: 1 << 20)) { encoder in
                _ = try await encoder.standardInputWriter.write(stylized.bytes)
                var index = 1
                while let bytes = try await frames.next() {
                    let frame = try stylize(bytes, index: index)
                    _ = try await encoder.standardInputWriter.write(frame.bytes)
                    index += 1
                }
                try await encoder.standardInputWriter.finish()
                return index
            }
            guard encoder.terminationStatus.isSuccess else {
                throw VideoError.ffmpegFailed(what: "encoding \(job.output)", status: "\(encoder.terminationStatus)",
                                              message: lastLines(encoder.standardError))
            }
            return encoder.closureResult
        }
        guard decoder.terminationStatus.isSuccess else {
            throw VideoError.ffmpegFailed(what: decoding, status: "\(decoder.terminationStatus)", message: lastLines(decoder.standardError))
        }
        result.frames = decoder.closureResult
    } catch let error as VideoError {
        throw error
    } catch {
        throw mapped(error, tool: "ffmpeg", failure: { .ffmpegFailed(what: decoding, status: "", message: $0) })
    }
    guard rename(job.temporaryOutput, job.output) == 0 else {
        throw .io(path: job.output, reason: "cannot rename \(job.temporaryOutput) to it: \(String(cString: strerror(errno)))")
    }
    finished = true
    return result
}

/// Refuses, before any frame, a clip whose frames would not fit the memory available
/// (``StyleTransfer/StylizationMemory``: `STYLECTL_MAX_MEMORY`, else 3/4 of MemAvailable), saying the
/// largest `--content-size` that fits; each frame is one stylization at the pipeline's sizing.
func checkMemory(_ job: VideoJob, info: VideoInfo, pipeline: StylizationPipeline) throws(VideoError) {
    do throws(StyleTransferError) {
        guard let available = try StylizationMemory.available() else { return }
        var styles: [(width: Int, height: Int)] = []
        var sourcePixels = info.width * info.height
        for style in job.controls.styles {
            let size: (width: Int, height: Int)
            do { size = try readImageSize(path: style) } catch { throw StyleTransferError.image(error) }
            sourcePixels = max(sourcePixels, size.width * size.height)
            styles.append(pipeline.styleSizing.sizedDimensions(width: size.width, height: size.height) ?? (.max, .max))
        }
        try StylizationMemory.check(path: job.content, source: (info.width, info.height), sizing: pipeline.contentSizing, styles: styles,
                                    sourcePixels: sourcePixels, available: available)
    } catch {
        throw .memory(error)
    }
}

/// Whole frames of `frameBytes` bytes out of ffmpeg's standard output, whatever sizes its reads come in.
struct FrameReader {
    var iterator: SubprocessOutputSequence.AsyncIterator
    let frameBytes: Int
    var pending: [UInt8] = []

    init(_ iterator: SubprocessOutputSequence.AsyncIterator, frameBytes: Int) {
        self.iterator = iterator
        self.frameBytes = frameBytes
        pending.reserveCapacity(2 * frameBytes)
    }

    /// The next frame, or nil at the end of the stream (a partial last frame is dropped: ffmpeg
    /// writes whole frames, so one means the decoder stopped in the middle, which its status tells).
    nonisolated(nonsending) mutating func next() async throws -> [UInt8]? {
        while pending.count < frameBytes {
            guard let buffer = try await iterator.next() else { return nil }
            buffer.withUnsafeBytes { pending.append(contentsOf: $0) }
        }
        let frame = Array(pending[..<frameBytes])
        pending.removeFirst(frameBytes)
        return frame
    }
}
