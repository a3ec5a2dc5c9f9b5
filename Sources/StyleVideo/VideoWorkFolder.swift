// The work folder of `stylectl video`: what an interrupted run leaves for `--resume`.

import Foundation
import ImageCodec
import StyleTransfer
import TensorCore

/// What a video stylization has done so far, saved in its work folder after every frame
/// (`state.json`, written atomically: the commit point of a frame).
struct VideoWorkState: Codable, Equatable {
    /// What the output depends on, as text per setting (``VideoJob/identity(pipeline:chunk:sampleEvery:comparing:extra:)``
    /// and the caller's model files): a run resumes only a state made with the same.
    var identity: [String: String]
    /// Frames stylized and committed (their PNGs written, the flicker recorded).
    var framesDone = 0
    /// Chunks encoded into segment files (``VideoWorkFolder/segmentPath(_:)``).
    var segmentsDone = 0
    /// The stylized frames' size (0 before the first frame).
    var width = 0
    var height = 0
    var secondsPerFrame: [Double] = []
    var inputFlicker = FlickerMeasure()
    var outputFlicker = FlickerMeasure()
    var unstabilizedFlicker: FlickerMeasure?
    /// ``StyleTransfer/TemporalSmoothing/average``'s shape after the last committed frame; its
    /// values are in ``VideoWorkFolder/smoothingPath(_:)`` of that frame.
    var smoothingShape: [Int]?
}

/// The work folder beside a video's output, `.NAME.stylectl-video/`:
///
/// - `state.json`: ``VideoWorkState``;
/// - `out-NNNNNN.png`: the stylized frames of the chunk being filled (lossless), and the last frame
///   of the chunk before, which the next frame's flicker is measured against;
/// - `segment-NNNN.EXT`: each finished chunk of ``VideoJob/chunkFrames`` frames, encoded with the
///   output's codec and container, video only; at the end they are joined (ffmpeg's concat demuxer,
///   streams copied) with the input's audio into the output, and the folder is removed;
/// - `smoothing-NNNNNN.f32`: ``StyleTransfer/TemporalSmoothing``'s average after frame N (little-endian
///   float32), so that `--stabilize` continues exactly;
/// - `plain-NNNNNN.png`: with a report's comparison, frame N stylized without the average;
/// - `sample-NNNNNN-input.png`, `sample-NNNNNN-output.png`: the report's sampled frames;
/// - the frame being stylized and a mask video's frames.
///
/// Every file is written atomically and only then named in `state.json`, so a run killed at any
/// point leaves a folder that `--resume` continues from the last committed frame: frames before it
/// are decoded again (for the input's flicker) but not stylized. NN are 1-based frame numbers.
struct VideoWorkFolder {
    let path: String
    var state: VideoWorkState

    var statePath: String { path + "/state.json" }
    func framePath(_ index: Int) -> String { path + String(format: "/out-%06d.png", index + 1) }
    func plainPath(_ index: Int) -> String { path + String(format: "/plain-%06d.png", index + 1) }
    func smoothingPath(_ index: Int) -> String { path + String(format: "/smoothing-%06d.f32", index + 1) }
    func samplePaths(_ index: Int) -> (input: String, output: String) {
        (path + String(format: "/sample-%06d-input.png", index + 1), path + String(format: "/sample-%06d-output.png", index + 1))
    }
    /// The frames of chunk `segment`, of `chunk` frames, among those committed.
    func frames(ofSegment segment: Int, chunk: Int) -> Range<Int> { segment * chunk ..< min((segment + 1) * chunk, state.framesDone) }
    func segmentPath(_ segment: Int, codec: VideoCodec) -> String { path + String(format: "/segment-%04d.", segment + 1) + codec.segmentExtension }

    /// Opens `job`'s work folder: with `job.resume` and a state of the same `identity`, continues
    /// it (temporary files of the killed run removed); else starts an empty one (an earlier run's
    /// folder removed).
    ///
    /// - Throws: ``VideoError/resumeMismatch(folder:settings:)`` when `job.resume` finds a state of
    ///   other settings; ``VideoError/io(path:reason:)``.
    init(job: VideoJob, identity: [String: String]) throws(VideoError) {
        path = job.workFolder
        let files = FileManager.default
        if job.resume, let data = files.contents(atPath: path + "/state.json") {
            guard let saved = try? JSONDecoder().decode(VideoWorkState.self, from: data) else {
                throw .io(path: path + "/state.json", reason: "the saved state cannot be read; run without --resume to start over")
            }
            let differing = Set(saved.identity.keys).union(identity.keys).filter { saved.identity[$0] != identity[$0] }.sorted()
            guard differing.isEmpty else { throw .resumeMismatch(folder: path, settings: differing) }
            state = saved
            for name in (try? files.contentsOfDirectory(atPath: path)) ?? [] where name.hasSuffix(".tmp") {
                try? files.removeItem(atPath: path + "/" + name)
            }
            return
        }
        try? files.removeItem(atPath: path)
        do { try files.createDirectory(atPath: path, withIntermediateDirectories: false) } catch {
            throw .io(path: path, reason: "cannot create the work folder: \(error.localizedDescription)")
        }
        state = VideoWorkState(identity: identity)
        try save()
    }

    /// Writes `state.json` atomically.
    func save() throws(VideoError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(state) else { throw .io(path: statePath, reason: "the state cannot be encoded") }
        do { try replaceAtomically(path: statePath, with: [UInt8](data)) } catch { throw .io(path: statePath, reason: error.description) }
    }

    /// Writes an image file of the folder atomically (ImageCodec's writers are).
    func write(_ image: RGB8Image, to file: String) throws(VideoError) {
        do { try writeImage(image, path: file) } catch { throw .io(path: file, reason: error.description) }
    }

    /// A lossless frame of the folder as 8-bit samples.
    func read(_ file: String) throws(VideoError) -> RGB8Image {
        let image: RGB8Image?
        do { image = try readImageBytes(path: file) } catch { throw .io(path: file, reason: error.description) }
        guard let image else { throw .io(path: file, reason: "not an 8-bit RGB frame") }
        return image
    }

    /// Writes the smoothing's average after frame `index` (little-endian float32).
    func writeSmoothing(_ average: Tensor, frame index: Int) throws(VideoError) {
        let bytes = average.values.withUnsafeBytes { [UInt8]($0) }
        do { try replaceAtomically(path: smoothingPath(index), with: bytes) } catch { throw .io(path: smoothingPath(index), reason: error.description) }
    }

    /// The smoothing's average after frame `index`, of `shape`.
    func readSmoothing(frame index: Int, shape: [Int]) throws(VideoError) -> Tensor {
        let count = shape.reduce(1, *)
        guard let data = FileManager.default.contents(atPath: smoothingPath(index)), data.count == 4 * count else {
            throw .io(path: smoothingPath(index), reason: "the saved average is missing or not \(count) floats; run without --resume to start over")
        }
        var values = [Float](repeating: 0, count: count)
        _ = values.withUnsafeMutableBytes { data.copyBytes(to: $0) }
        return Tensor(shape: shape, values: values)
    }

    /// Removes a file of the folder that no later step needs.
    func discard(_ file: String) { unlink(file) }
}

extension VideoJob {
    /// The frames an earlier run of this job's output committed in its ``workFolder``, nil when
    /// none is kept (or its state cannot be read).
    public var keptFrames: Int? {
        guard let data = FileManager.default.contents(atPath: workFolder + "/state.json"),
              let state = try? JSONDecoder().decode(VideoWorkState.self, from: data) else { return nil }
        return state.framesDone
    }
}
