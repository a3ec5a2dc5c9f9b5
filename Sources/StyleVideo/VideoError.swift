// The typed errors of `stylectl video`: each names the file or flag and says what would work.

import StyleTransfer

public enum VideoError: Error, CustomStringConvertible {
    /// ffmpeg or ffprobe is not on the PATH.
    case toolMissing(String)
    /// ffprobe or ffmpeg could not read `path` (the `flag` it was given with) as a video.
    case unreadable(flag: String, path: String, reason: String)
    /// `path` has no video frame.
    case noFrames(flag: String, path: String)
    /// A keyframe list that cannot be read.
    case badKeyframes(flag: String, value: String, reason: String)
    /// A key time after the clip's end.
    case keyframeOutsideClip(flag: String, time: Double, duration: Double)
    /// A mask video whose frame count is not the content's.
    case maskLength(path: String, frames: Int, expected: Int)
    /// An output path that cannot be written (an existing folder, an unknown extension, the input itself).
    case badOutput(path: String, reason: String)
    /// An option out of its range.
    case invalidValue(flag: String, value: String, expected: String)
    /// ffmpeg ended with an error while decoding or encoding.
    case ffmpegFailed(what: String, status: String, message: String)
    /// Controls that cannot be used (checked before any frame).
    case controls(StyleControlError)
    /// A frame's stylization would not fit the memory available, or a style image cannot be read.
    case memory(StyleTransferError)
    /// The stylization of a frame failed.
    case stylization(frame: Int, StyleControlError)
    /// A file of the work folder, the manifest or the report could not be written or read.
    case io(path: String, reason: String)
    /// `--resume` found a work folder made with other `settings` (their names, sorted).
    case resumeMismatch(folder: String, settings: [String])

    public var description: String {
        switch self {
        case .toolMissing(let tool):
            return "\(tool) is not installed or not on the PATH: stylectl video needs ffmpeg and ffprobe (Debian: apt-get install ffmpeg; Scripts/setup installs it)"
        case .unreadable(let flag, let path, let reason):
            return "\(flag) \(path): not a video ffmpeg can read (\(reason))"
        case .noFrames(let flag, let path):
            return "\(flag) \(path): the file has no video frames"
        case .badKeyframes(let flag, let value, let reason):
            return "\(flag) '\(value)': \(reason)"
        case .keyframeOutsideClip(let flag, let time, let duration):
            return "\(flag): a key at \(formatSeconds(time)) is after the clip's end (\(formatSeconds(duration))); keys must lie in 0s...\(formatSeconds(duration))"
        case .maskLength(let path, let frames, let expected):
            return "--mask-video \(path) has \(frames) frames, the content \(expected); give a mask video of the same length, or one --mask image"
        case .badOutput(let path, let reason):
            return "--output \(path): \(reason)"
        case .invalidValue(let flag, let value, let expected):
            return "\(flag) must be \(expected), got \(value)"
        case .ffmpegFailed(let what, let status, let message):
            return "ffmpeg failed while \(what) (\(status))" + (message.isEmpty ? "" : ": \(message)")
        case .controls(let error):
            return error.description
        case .memory(let error):
            return error.description
        case .stylization(let frame, let error):
            return "frame \(frame + 1): \(error.description)"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .resumeMismatch(let folder, let settings):
            return "--resume: the earlier run kept in \(folder) had other settings (\(settings.joined(separator: ", "))); "
                + "give that run's settings to continue it, or run without --resume to start over"
        }
    }
}

/// Seconds for messages: `4s`, `2.5s`.
func formatSeconds(_ seconds: Double) -> String {
    let rounded = (seconds * 1000).rounded() / 1000
    return (rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)) + "s"
}
