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
    /// `--tile`: frames with a longer side are stylized in tiles of this side (else tiles only when
    /// a frame does not fit the memory whole); not with ``stabilize``.
    public let tile: Int?
    /// `--max-memory`: the memory budget (bytes, or K, M, G), before `STYLECTL_MAX_MEMORY` and MemAvailable.
    public let maxMemory: String?
    /// Where the video is written until it is renamed to ``output``: `.NAME.<pid>-<random>.tmp`
    /// beside it (the name ImageCodec's atomic writes use).
    public let temporaryOutput: String
    /// `.NAME.stylectl-video/` beside the output: the frames and chunks done so far and their state
    /// (``VideoWorkFolder``). Kept when a run is interrupted or fails, removed when it succeeds.
    public let workFolder: String
    /// Continue the run kept in ``workFolder`` from its last committed frame, when its settings
    /// are this job's; without it, a kept run is discarded and the job starts from the first frame.
    public let resume: Bool
    /// The output is encoded in chunks of this many frames (about ``chunkSeconds`` of video), each
    /// encoded once its frames are stylized, so that a resumed run re-encodes nothing; the stylized
    /// frames of the chunk being filled are kept as lossless PNGs until then.
    public let chunkFrames: Int

    /// Checks what can be checked without reading the video: the output's extension, folder and
    /// that it is not the input; the controls; `--crf`'s range; the momentum; that `--stabilize`
    /// and masks are not combined, nor `--stabilize` and `--tile`; `--tile` and `--max-memory`;
    /// keyframed values in range.
    /// The seconds of video per encoded chunk (``chunkFrames``): four, so that a chunk's lossless
    /// frames stay small on disk (about 100 MB at 720p and 30 frames/s) and an H.264 or VP9 key
    /// frame every four seconds costs little.
    public static let chunkSeconds = 4.0

    public init(
        content: String, output: String, controls: StyleControls, alphaKeys: Keyframes? = nil, weightKeys: Keyframes? = nil,
        maskVideo: String? = nil, stabilize: (quantity: TemporalSmoothing.Quantity, momentum: Float)? = nil, crf: Int? = nil,
        tile: Int? = nil, maxMemory: String? = nil, resume: Bool = false, chunkFrames: Int? = nil
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
        if let tile {
            do { _ = try Tiling(tile: tile) } catch { throw .controls(error) }
            if stabilize != nil { throw .invalidValue(flag: "--tile", value: "\(tile)", expected: "left out with --stabilize (its average is over whole frames)") }
        }
        if let maxMemory {
            do { _ = try StylizationMemory.available(maxMemory: maxMemory) } catch { throw .memory(error) }
        }
        (self.maskVideo, self.stabilize, self.crf, self.resume, self.tile, self.maxMemory) = (maskVideo, stabilize, crf, resume, tile, maxMemory)
        if let chunkFrames, chunkFrames < 1 { throw .invalidValue(flag: "chunk frames", value: "\(chunkFrames)", expected: "at least 1") }
        self.chunkFrames = chunkFrames ?? 0
        let tag = "\(getpid())-\(UInt32.random(in: .min ... .max))"
        temporaryOutput = folder + "/." + outputURL.lastPathComponent + "." + tag + ".tmp"
        workFolder = folder + "/." + outputURL.lastPathComponent + ".stylectl-video"
    }

    /// Frames per chunk for a clip of `framesPerSecond`: ``chunkFrames`` when given, else
    /// ``chunkSeconds`` of video.
    func framesPerChunk(framesPerSecond: Double) -> Int {
        chunkFrames > 0 ? chunkFrames : max(1, Int((framesPerSecond * Self.chunkSeconds).rounded()))
    }

    /// What the output depends on, by setting, for ``VideoWorkState/identity``: the input files
    /// (path, size and modification time), the controls, keys, sizes, smoothing, codec, chunk
    /// length and the report's sampling; `extra` adds the caller's (the weight files).
    func identity(pipeline: StylizationPipeline, chunk: Int, sampleEvery: Int?, comparing: Bool, extra: [String: String]) -> [String: String] {
        func stamp(_ path: String) -> String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(URL(fileURLWithPath: path).standardizedFileURL.path) \(size) bytes, modified \(modified)"
        }
        func keys(_ keyframes: Keyframes?) -> String {
            keyframes.map { $0.keys.map { "\($0.time):\($0.value)" }.joined(separator: " ") } ?? "none"
        }
        var identity = extra
        identity["--content"] = stamp(content)
        identity["--style"] = controls.styles.map(stamp).joined(separator: "; ")
        identity["--mask"] = controls.mask.map { mask in "\(mask.paths.map(stamp)) \(mask.mode) stretch \(mask.stretch)" } ?? "none"
        identity["--mask-video"] = maskVideo.map(stamp) ?? "none"
        identity["--alpha"] = "\(controls.alpha)"
        identity["--style-weights"] = controls.weights.map { "\($0)" } ?? "none"
        identity["--preserve-color"] = controls.preserveColor.rawValue
        identity["--alpha-at"] = keys(alphaKeys)
        identity["--style-weights-at"] = keys(weightKeys)
        identity["--stabilize"] = stabilize.map { "\($0.quantity.rawValue) momentum \($0.momentum)" } ?? "none"
        identity["--content-size"] = "\(pipeline.contentSizing), tile \(tile.map(String.init) ?? "as the memory needs")"
        identity["--style-size"] = "\(pipeline.styleSizing)"
        identity["--output"] = "\(codec.rawValue) crf \(crf.map(String.init) ?? "default"), \(chunk) frames per chunk"
        identity["--report"] = "every \(sampleEvery.map(String.init) ?? "no") frame, comparing \(comparing)"
        return identity
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
    /// Of ``frames``, those an earlier run kept in the work folder (`--resume`); their seconds are
    /// that run's.
    public var resumedFrames: Int
    /// The report's frames were every this many (nil: none kept).
    public var sampleEvery: Int?
    /// The frames were stylized in tiles of this side (forced, or because they do not fit the
    /// memory whole); nil: whole.
    public var tile: Int?
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
/// `stylectl stylize` stylizes the same frame extracted as a PNG; the styles are encoded once).
/// The stylized frames are kept in the work folder (``VideoWorkFolder``) and encoded chunk by chunk
/// (``VideoJob/chunkFrames``) at the input's frame rate; at the end the chunks are joined with the
/// input's audio (copied where the container takes its codec, ``VideoCodec/audio(_:)``) into
/// ``VideoJob/temporaryOutput``, which is renamed to the output, and the work folder is removed.
/// An interrupted or failed run keeps the work folder, and `job.resume` continues it from its last
/// committed frame with the same result (tiles aside: a resumed run chooses them again from the
/// memory available then). `samples` keeps about that many evenly spaced frames' input and output
/// for a report (every ``VideoResult/sampleEvery``th). With `comparingUnstabilized` and a
/// `--stabilize` job, each frame is also decoded without the average (its encoding reused: one
/// more AdaIN and decoder pass) for ``VideoResult/unstabilizedFlicker``. `identity` adds what else the output depends on (the
/// weight files) to what a resumed run must share with the kept one.
///
/// - Throws: ``VideoError``, naming the file or flag.
public func stylizeVideo(
    _ job: VideoJob, pipeline whole: StylizationPipeline, samples: Int? = nil, comparingUnstabilized: Bool = false, identity: [String: String] = [:],
    progress: (VideoProgress) -> Void = { _ in }, sample: (SampledFrame) -> Void = { _ in }
) async throws(VideoError) -> VideoResult {
    let info = try await probeVideo(job.content, flag: "--content")
    try job.alphaKeys?.check(duration: info.duration, flag: "--alpha-at")
    try job.weightKeys?.check(duration: info.duration, flag: "--style-weights-at")
    var maskInfo: VideoInfo?
    if let maskVideo = job.maskVideo {
        let mask = try await probeVideo(maskVideo, flag: "--mask-video")
        guard mask.frameCount == info.frameCount else { throw .maskLength(path: maskVideo, frames: mask.frameCount, expected: info.frameCount) }
        maskInfo = mask
    }
    let (pipeline, tile) = try framePipeline(job, info: info, maskInfo: maskInfo, pipeline: whole)
    let smoothing = job.stabilize.map { TemporalSmoothing($0.quantity, momentum: $0.momentum) }
    let compares = comparingUnstabilized && smoothing != nil
    let chunk = job.framesPerChunk(framesPerSecond: info.framesPerSecond)
    let sampleEvery = samples.map { max(1, (info.frameCount + $0 - 1) / max(1, $0)) }
    var work = try VideoWorkFolder(
        job: job, identity: job.identity(pipeline: pipeline, chunk: chunk, sampleEvery: sampleEvery, comparing: compares, extra: identity))
    var finished = false
    defer {
        unlink(job.temporaryOutput)
        // Kept for --resume when it holds a frame.
        if finished || work.state.framesDone == 0 { try? FileManager.default.removeItem(atPath: job.workFolder) }
    }

    if let maskVideo = job.maskVideo {
        _ = try await runCollecting(
            "ffmpeg", ["-v", "error", "-y", "-nostdin", "-i", "file:" + maskVideo, "-map", "0:v:0", "-fps_mode", "passthrough", job.workFolder + "/mask-%06d.png"],
            failure: { .unreadable(flag: "--mask-video", path: maskVideo, reason: $0) })
    }

    // What a resumed run takes from the kept one: the average, the frame its flicker continues
    // from, the report's samples.
    let resumed = work.state.framesDone
    var previous: (input: [UInt8]?, output: [UInt8], unstabilized: [UInt8]?)?
    if resumed > 0 {
        if let smoothing, let shape = work.state.smoothingShape { smoothing.restore(try work.readSmoothing(frame: resumed - 1, shape: shape)) }
        previous = (nil, try work.read(work.framePath(resumed - 1)).samples, compares ? try work.read(work.plainPath(resumed - 1)).samples : nil)
        if let sampleEvery {
            for index in stride(from: 0, to: resumed, by: sampleEvery) {
                let files = work.samplePaths(index)
                sample(SampledFrame(index: index, input: try work.read(files.input).image, output: try work.read(files.output).image))
            }
        }
    }
    var timeLeft = TimeLeft()

    /// Stylizes frame `index` (raw RGB) and commits it to the work folder.
    func stylize(_ bytes: [UInt8], index: Int) throws(VideoError) {
        let start = Date()
        let frame = RGB8Image(width: info.width, height: info.height, samples: bytes)
        // A name per frame: the pipeline's encoding cache knows a file by its path, size and date.
        let framePath = job.workFolder + String(format: "/frame-%06d.png", index + 1)
        try work.write(frame, to: framePath)
        defer { unlink(framePath) }
        let maskFrame = job.maskVideo.map { _ in job.workFolder + String(format: "/mask-%06d.png", index + 1) }
        let controls = job.controls(at: Double(index) / info.framesPerSecond, maskFrame: maskFrame)
        let image: RGBImage
        var unstabilized: RGB8Image?
        do {
            image = try pipeline.stylize(content: framePath, controls: controls, measuring: false, smoothing: smoothing).image
            if compares { unstabilized = RGB8Image(quantizing: try pipeline.stylize(content: framePath, controls: controls)) }
        } catch {
            throw .stylization(frame: index, error)
        }
        let output = RGB8Image(quantizing: image)
        try work.write(output, to: work.framePath(index))
        if let unstabilized { try work.write(unstabilized, to: work.plainPath(index)) }
        if let average = smoothing?.average {
            try work.writeSmoothing(average, frame: index)
            work.state.smoothingShape = average.shape
        }
        if let sampleEvery, index % sampleEvery == 0 {
            let files = work.samplePaths(index)
            try work.write(frame, to: files.input)
            try work.write(output, to: files.output)
            sample(SampledFrame(index: index, input: frame.image, output: image))
        }
        if let previous {
            if let input = previous.input { work.state.inputFlicker.perFrame.append(FlickerMeasure.difference(input, bytes)) }
            work.state.outputFlicker.perFrame.append(FlickerMeasure.difference(previous.output, output.samples))
            if let before = previous.unstabilized, let unstabilized {
                work.state.unstabilizedFlicker?.perFrame.append(FlickerMeasure.difference(before, unstabilized.samples))
            }
        } else {
            (work.state.width, work.state.height) = (image.width, image.height)
            if compares { work.state.unstabilizedFlicker = FlickerMeasure() }
        }
        previous = (bytes, output.samples, unstabilized?.samples)
        let seconds = Date().timeIntervalSince(start)
        work.state.secondsPerFrame.append(seconds)
        work.state.framesDone = index + 1
        try work.save()
        // The files of the frame before that no later step needs: its average and unaveraged
        // frame, and its stylized frame when it belongs to a chunk already encoded.
        if index > 0 {
            work.discard(work.smoothingPath(index - 1))
            work.discard(work.plainPath(index - 1))
            if (index - 1) / chunk < index / chunk { work.discard(work.framePath(index - 1)) }
        }
        timeLeft.record(seconds: seconds)
        progress(VideoProgress(frame: index + 1, frames: info.frameCount, seconds: seconds, timeLeft: timeLeft))
    }

    /// Encodes the committed frames of chunk `segment` into its segment file (written to a
    /// temporary name, then renamed) and commits it; its frames but the last are removed.
    nonisolated(nonsending) func encode(segment: Int) async throws(VideoError) {
        let frames = work.frames(ofSegment: segment, chunk: chunk)
        let path = work.segmentPath(segment, codec: job.codec)
        let temporary = path + ".tmp"
        let arguments = segmentArguments(width: work.state.width, height: work.state.height, frameRate: info.frameRate, codec: job.codec,
                                         crf: job.crf, segment: temporary)
        let what = "encoding \(path)"
        do {
            let encoder = try await Subprocess.run(.name("ffmpeg"), arguments: Arguments(arguments), input: .inputWriter, output: .discarded,
                                                   error: .string(limit: 1 << 20)) { encoder in
                for index in frames { _ = try await encoder.standardInputWriter.write(try work.read(work.framePath(index)).samples) }
                try await encoder.standardInputWriter.finish()
            }
            guard encoder.terminationStatus.isSuccess else {
                throw VideoError.ffmpegFailed(what: what, status: "\(encoder.terminationStatus)", message: lastLines(encoder.standardError))
            }
        } catch let error as VideoError {
            throw error
        } catch {
            throw mapped(error, tool: "ffmpeg", failure: { .ffmpegFailed(what: what, status: "", message: $0) })
        }
        guard rename(temporary, path) == 0 else { throw .io(path: path, reason: "cannot rename \(temporary) to it: \(String(cString: strerror(errno)))") }
        work.state.segmentsDone = segment + 1
        try work.save()
        for index in frames.dropLast() { work.discard(work.framePath(index)) }
    }

    // A kept run may have been stopped between a chunk's last frame and its encoding.
    while work.state.segmentsDone < work.state.framesDone / chunk { try await encode(segment: work.state.segmentsDone) }
    let decoding = "decoding \(job.content)"
    do {
        let decoder = try await Subprocess.run(
            .name("ffmpeg"), arguments: Arguments(decoderArguments(job.content)), input: .none, output: .sequence, error: .string(limit: 1 << 20)
        ) { decoder in
            var frames = FrameReader(decoder.standardOutput.makeAsyncIterator(), frameBytes: 3 * info.width * info.height)
            var index = 0
            while let bytes = try await frames.next() {
                if index < resumed {
                    // Done by the kept run: only the input's flicker continues from it.
                    if index == resumed - 1 { previous?.input = bytes }
                } else {
                    try stylize(bytes, index: index)
                    if (index + 1) % chunk == 0 { try await encode(segment: index / chunk) }
                }
                index += 1
            }
            return index
        }
        guard decoder.terminationStatus.isSuccess else {
            throw VideoError.ffmpegFailed(what: decoding, status: "\(decoder.terminationStatus)", message: lastLines(decoder.standardError))
        }
        guard decoder.closureResult > 0 else { throw VideoError.noFrames(flag: "--content", path: job.content) }
        guard decoder.closureResult >= resumed else {
            throw VideoError.io(path: job.workFolder, reason: "the kept run has \(resumed) frames, the content \(decoder.closureResult); run without --resume")
        }
    } catch let error as VideoError {
        throw error
    } catch {
        throw mapped(error, tool: "ffmpeg", failure: { .ffmpegFailed(what: decoding, status: "", message: $0) })
    }
    let segments = (work.state.framesDone + chunk - 1) / chunk
    while work.state.segmentsDone < segments { try await encode(segment: work.state.segmentsDone) }

    let audio = info.audioCodec.map { job.codec.audio($0) }
    let list = job.workFolder + "/segments.txt"
    do {
        let entries = (0 ..< segments).map { (path: work.segmentPath($0, codec: job.codec), frames: work.frames(ofSegment: $0, chunk: chunk)) }
        try replaceAtomically(path: list, with: Array(concatList(entries, frameRate: info.frameRate).utf8))
    } catch {
        throw .io(path: list, reason: error.description)
    }
    _ = try await runCollecting(
        "ffmpeg", joinArguments(list: list, codec: job.codec, source: job.content, audio: audio?.arguments, temporary: job.temporaryOutput),
        failure: { .ffmpegFailed(what: "joining the chunks of \(job.output)", status: "", message: $0) })
    guard rename(job.temporaryOutput, job.output) == 0 else {
        throw .io(path: job.output, reason: "cannot rename \(job.temporaryOutput) to it: \(String(cString: strerror(errno)))")
    }
    finished = true
    let state = work.state
    return VideoResult(input: info, width: state.width, height: state.height, frames: state.framesDone, resumedFrames: resumed,
                       sampleEvery: sampleEvery, tile: tile, audio: audio?.description, secondsPerFrame: state.secondsPerFrame, inputFlicker: state.inputFlicker,
                       outputFlicker: state.outputFlicker, unstabilizedFlicker: state.unstabilizedFlicker)
}

/// The pipeline the frames go through, chosen before any frame from the memory available
/// (``StyleTransfer/StylizationMemory/available(maxMemory:environment:meminfo:)``: `--max-memory`,
/// else `STYLECTL_MAX_MEMORY`, else 3/4 of MemAvailable), each frame being one stylization at the
/// pipeline's sizing: `pipeline` when a frame fits whole and no ``VideoJob/tile`` is forced; else
/// the same pipeline (its stylizer, sizes and caches) in tiles
/// (``StyleTransfer/StylizationMemory/tile(path:source:sizing:styles:sourcePixels:forced:available:output:measuring:masks:)``:
/// the forced side, or the largest that fits), which give each frame within float rounding of
/// the whole one, keeping pass 1's features when that fits too. With `--stabilize`, whose average
/// needs whole frames, frames that do not fit whole are refused with the largest `--content-size`
/// that fits. The estimates count the masks: the mask image's size from its header, or the mask
/// video's frame size (`maskInfo`). Returns the pipeline and its tile side (nil: whole frames).
func framePipeline(
    _ job: VideoJob, info: VideoInfo, maskInfo: VideoInfo?, pipeline: StylizationPipeline
) throws(VideoError) -> (pipeline: StylizationPipeline, tile: Int?) {
    do throws(StyleTransferError) {
        let forced = job.tile.flatMap { try? Tiling(tile: $0) }  // checked by VideoJob.init
        guard let available = try StylizationMemory.available(maxMemory: job.maxMemory) else {
            return (forced.map { tiled(pipeline, $0) } ?? pipeline, forced?.tile)
        }
        var styles: [(width: Int, height: Int)] = []
        var sourcePixels = info.width * info.height
        for style in job.controls.styles {
            let size: (width: Int, height: Int)
            do { size = try readImageSize(path: style) } catch { throw StyleTransferError.image(error) }
            sourcePixels = max(sourcePixels, size.width * size.height)
            styles.append(pipeline.styleSizing.sizedDimensions(width: size.width, height: size.height) ?? (.max, .max))
        }
        // With a mask video, controls.mask's path is the video's; its frames are counted as floats.
        let masks = if let maskInfo {
            StylizationMemory.Masks(files: [.init(pixels: maskInfo.width * maskInfo.height, readsAsBytes: false)], regions: styles.count)
        } else {
            try StylizationMemory.Masks(paths: job.controls.mask?.paths ?? [], regions: styles.count)
        }
        let source = (width: info.width, height: info.height)
        if job.stabilize != nil {
            try StylizationMemory.check(path: job.content, source: source, sizing: pipeline.contentSizing, styles: styles, sourcePixels: sourcePixels,
                                        available: available, masks: masks)
            return (pipeline, nil)
        }
        guard let tiling = try StylizationMemory.tiling(path: job.content, source: source, sizing: pipeline.contentSizing, styles: styles,
                                                        sourcePixels: sourcePixels, forced: job.tile, available: available, masks: masks)
        else { return (pipeline, nil) }
        return (tiled(pipeline, tiling), tiling.tile)
    } catch {
        throw .memory(error)
    }
}

/// `pipeline` with `tiling`: the same stylizer, sizes and caches.
private func tiled(_ pipeline: StylizationPipeline, _ tiling: Tiling) -> StylizationPipeline {
    StylizationPipeline(stylizer: pipeline.stylizer, contentSizing: pipeline.contentSizing, styleSizing: pipeline.styleSizing,
                        styleCache: pipeline.styleCache, contentCache: pipeline.contentCache, tiling: tiling, tileProgress: pipeline.tileProgress)
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
