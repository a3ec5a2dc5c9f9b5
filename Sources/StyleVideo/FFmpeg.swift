// ffprobe and ffmpeg through swift-subprocess: what a video holds, its frames as raw RGB, and an
// encoder fed raw RGB frames.

import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// What ffprobe reports of a video file's first video stream, and whether it has audio.
public struct VideoInfo: Sendable, Equatable, Codable {
    public var width: Int
    public var height: Int
    /// The stream's frame rate as ffprobe gives it (`r_frame_rate`, e.g. `30/1`, `30000/1001`).
    public var frameRate: String
    /// `frameRate` as a number.
    public var framesPerSecond: Double
    /// Frames (packets of the video stream, counted by ffprobe without decoding).
    public var frameCount: Int
    /// The container's duration in seconds.
    public var duration: Double
    /// The first audio stream's codec (ffprobe's `codec_name`, e.g. `aac`, `opus`), nil without audio.
    public var audioCodec: String?

    public var hasAudio: Bool { audioCodec != nil }
}

/// Runs ffprobe on `path` (given with `flag`): size, frame rate, frame count, duration, audio.
///
/// - Throws: ``VideoError/toolMissing(_:)``, ``VideoError/unreadable(flag:path:reason:)`` (no such
///   file, not a regular file, no video stream, ffprobe's own message), ``VideoError/noFrames(flag:path:)``.
public func probeVideo(_ path: String, flag: String) async throws(VideoError) -> VideoInfo {
    var info = stat()
    guard stat(path, &info) == 0 else { throw .unreadable(flag: flag, path: path, reason: "no such file") }
    guard info.st_mode & S_IFMT == S_IFREG else { throw .unreadable(flag: flag, path: path, reason: "not a regular file") }
    let output = try await runCollecting(
        "ffprobe", ["-v", "error", "-count_packets", "-show_entries", "stream=codec_type,codec_name,width,height,r_frame_rate,nb_read_packets:format=duration",
                    "-of", "json", "file:" + path],
        failure: { message in .unreadable(flag: flag, path: path, reason: message.isEmpty ? "ffprobe failed" : message) })
    struct Probe: Decodable {
        struct Stream: Decodable {
            var codec_type: String?
            var codec_name: String?
            var width: Int?
            var height: Int?
            var r_frame_rate: String?
            var nb_read_packets: String?
        }
        struct Format: Decodable { var duration: String? }
        var streams: [Stream]?
        var format: Format?
    }
    guard let probe = try? JSONDecoder().decode(Probe.self, from: Data(output.utf8)) else {
        throw .unreadable(flag: flag, path: path, reason: "ffprobe's report could not be read")
    }
    let streams = probe.streams ?? []
    guard let video = streams.first(where: { $0.codec_type == "video" }), let width = video.width, let height = video.height,
          width > 0, height > 0 else {
        throw .unreadable(flag: flag, path: path, reason: "no video stream")
    }
    guard width <= 16384, height <= 16384 else { throw .unreadable(flag: flag, path: path, reason: "frames of \(width)x\(height) exceed 16384 pixels a side") }
    let rate = video.r_frame_rate ?? "0/0"
    let parts = rate.split(separator: "/").compactMap { Double($0) }
    let fps = parts.count == 2 && parts[1] > 0 ? parts[0] / parts[1] : (parts.count == 1 ? parts[0] : 0)
    guard fps > 0, fps.isFinite, fps <= 1000 else { throw .unreadable(flag: flag, path: path, reason: "no usable frame rate (\(rate))") }
    let frames = Int(video.nb_read_packets ?? "") ?? 0
    guard frames > 0 else { throw .noFrames(flag: flag, path: path) }
    let duration = Double(probe.format?.duration ?? "") ?? Double(frames) / fps
    return VideoInfo(width: width, height: height, frameRate: rate, framesPerSecond: fps, frameCount: frames, duration: duration,
                     audioCodec: streams.first { $0.codec_type == "audio" }.map { $0.codec_name ?? "unknown" })
}

/// Runs `tool` with `arguments` and returns its standard output; a failure's standard error goes
/// to `failure`.
func runCollecting(
    _ tool: String, _ arguments: [String], failure: (String) -> VideoError
) async throws(VideoError) -> String {
    do {
        let result = try await Subprocess.run(.name(tool), arguments: Arguments(arguments), output: .string(limit: 1 << 20),
                                              error: .string(limit: 1 << 16))
        guard result.terminationStatus.isSuccess else { throw failure(lastLines(result.standardError)) }
        return result.standardOutput
    } catch let error as VideoError {
        throw error
    } catch {
        throw mapped(error, tool: tool, failure: failure)
    }
}

/// A subprocess error as a ``VideoError``: a missing tool, or `failure` with its words.
func mapped(_ error: any Error, tool: String, failure: (String) -> VideoError) -> VideoError {
    if let error = error as? SubprocessError, error.code == .init(.executableNotFound) { return .toolMissing(tool) }
    return failure("\(error)")
}

/// The last lines of a tool's standard error, for a message.
func lastLines(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).suffix(3).joined(separator: "; ")
}

/// Paths reach ffmpeg and ffprobe as `file:PATH`, so that no name is read as another protocol
/// (`http:`, `concat:`) or an option.
///
/// ffmpeg's arguments that decode the first video stream of `path` into raw 8-bit RGB frames
/// (`rgb24`, rows top to bottom, R G B interleaved) on standard output, one per coded frame
/// (`-fps_mode passthrough`: none dropped or repeated).
func decoderArguments(_ path: String) -> [String] {
    ["-v", "error", "-nostdin", "-i", "file:" + path, "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
}

/// A video container and codec chosen by the output's extension.
public enum VideoCodec: String, Sendable, Codable, CaseIterable {
    /// H.264 (libx264) in MP4, `yuv420p` (what every player plays); `--crf` 0-51, default 18.
    case h264
    /// VP9 (libvpx-vp9) in WebM, `yuv420p`, constant quality; `--crf` 0-63, default 31.
    case vp9
    /// FFV1 in Matroska, lossless RGB: for research work that compares frames.
    case ffv1

    /// The codec of an output path's extension (`.mp4`, `.webm`, `.mkv`).
    public init(outputPath: String) throws(VideoError) {
        switch URL(fileURLWithPath: outputPath).pathExtension.lowercased() {
        case "mp4", "m4v": self = .h264
        case "webm": self = .vp9
        case "mkv": self = .ffv1
        case let other:
            throw .badOutput(path: outputPath, reason: (other.isEmpty ? "no extension" : "the extension .\(other) is not one stylectl writes")
                             + "; use .mp4 (H.264), .webm (VP9) or .mkv (lossless FFV1)")
        }
    }

    /// The quality range of `--crf` and its default; nil for lossless FFV1 (no `--crf`).
    public var crfRange: (range: ClosedRange<Int>, default: Int)? {
        switch self {
        case .h264: (0 ... 51, 18)
        case .vp9: (0 ... 63, 31)
        case .ffv1: nil
        }
    }

    /// How the input's audio goes into this container: copied when the container takes its codec
    /// (WebM takes only Opus and Vorbis; MP4 not PCM, for one), else re-encoded to the container's
    /// usual codec (Opus for WebM, AAC for MP4). Returns ffmpeg's arguments and a phrase for people.
    func audio(_ codec: String) -> (arguments: [String], description: String) {
        let copies: Bool = switch self {
        case .h264: ["aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"].contains(codec)
        case .vp9: ["opus", "vorbis"].contains(codec)
        case .ffv1: true
        }
        if copies { return (["-c:a", "copy"], "copied (\(codec))") }
        let target = self == .vp9 ? ("libopus", "opus", "128k") : ("aac", "aac", "192k")
        return (["-c:a", target.0, "-b:a", target.2], "re-encoded from \(codec) to \(target.1) (.\(muxer == "matroska" ? "mkv" : muxer) does not take \(codec))")
    }

    /// The extension of the output's chunks in the work folder (``segmentArguments(width:height:frameRate:codec:crf:segment:)``).
    var segmentExtension: String {
        switch self {
        case .h264: "mp4"
        case .vp9: "webm"
        case .ffv1: "mkv"
        }
    }

    /// ffmpeg's muxer name (the output is written to a temporary name, so the extension cannot say).
    var muxer: String {
        switch self {
        case .h264: "mp4"
        case .vp9: "webm"
        case .ffv1: "matroska"
        }
    }

    /// The video codec's arguments: the subsampled codecs' frames cropped to even sides (their
    /// 4:2:0 chroma needs them: at most the last column and row go).
    func arguments(crf: Int?) -> [String] {
        switch self {
        case .h264: ["-vf", "crop=trunc(iw/2)*2:trunc(ih/2)*2:0:0", "-c:v", "libx264", "-preset", "medium", "-crf", "\(crf ?? 18)", "-pix_fmt", "yuv420p"]
        case .vp9: ["-vf", "crop=trunc(iw/2)*2:trunc(ih/2)*2:0:0", "-c:v", "libvpx-vp9", "-crf", "\(crf ?? 31)", "-b:v", "0", "-pix_fmt", "yuv420p", "-row-mt", "1"]
        case .ffv1: ["-c:v", "ffv1", "-level", "3", "-pix_fmt", "bgr0"]
        }
    }
}

/// ffmpeg's arguments that encode raw RGB frames of `width` x `height` read from standard input at
/// `frameRate` into `segment` (a chunk of the output: video only, the output's codec and container).
func segmentArguments(width: Int, height: Int, frameRate: String, codec: VideoCodec, crf: Int?, segment: String) -> [String] {
    ["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", "\(width)x\(height)", "-framerate", frameRate, "-i", "pipe:0"]
        + codec.arguments(crf: crf) + ["-f", codec.muxer, "file:" + segment]
}

/// ffmpeg's arguments that join the segments named in `list` (a concat demuxer list,
/// ``concatList(_:)``), their streams copied, with the audio streams of `source` as `audio` says
/// (``VideoCodec/audio(_:)``; nil: none), into `temporary`.
func joinArguments(list: String, codec: VideoCodec, source: String, audio: [String]?, temporary: String) -> [String] {
    var arguments = ["-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", "file:" + list]
    if let audio { arguments += ["-i", "file:" + source, "-map", "0:v:0", "-map", "1:a"] + audio }
    return arguments + ["-c:v", "copy", "-f", codec.muxer, "file:" + temporary]
}

/// The concat demuxer's list of `segments` (`file 'file:PATH'` lines, a `'` in a path written
/// `'\''`), each with its `duration` in microseconds: the first `end` frames at `frameRate` end at
/// `round(end / rate)`, so a segment lasts the difference of its rounded end and start, and the
/// joined frames keep the times (and ffprobe the frame rate) of one encoding. Without it the
/// demuxer takes each segment's length from its file, which a segment's container rounds or
/// estimates (MP4 segments at 30000/1001 frames/s came out at 119/4).
func concatList(_ segments: [(path: String, frames: Range<Int>)], frameRate: String) -> String {
    let parts = frameRate.split(separator: "/").compactMap { Int($0) }
    let (numerator, denominator) = parts.count == 2 && parts[0] > 0 && parts[1] > 0 ? (parts[0], parts[1]) : (Int(Double(frameRate) ?? 25), 1)
    /// The time of frame `index`, in microseconds, rounded.
    func time(_ index: Int) -> Int { (2 * index * denominator * 1_000_000 + numerator) / (2 * numerator) }
    return segments.map { segment in
        "file 'file:" + segment.path.replacingOccurrences(of: "'", with: "'\\''") + "'\n"
            + "duration \(time(segment.frames.upperBound) - time(segment.frames.lowerBound))us\n"
    }.joined()
}
