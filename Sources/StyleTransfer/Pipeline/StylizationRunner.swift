// Runs many stylizations through one pipeline: each image encoded once, each result written atomically.

import Foundation
import ImageCodec

/// One stylization to run: a content image file, its controls, and the image file to write.
public struct StylizationTask: Sendable {
    public var content: String
    public var controls: StyleControls
    public var output: String

    public init(content: String, controls: StyleControls, output: String) {
        self.content = content
        self.controls = controls
        self.output = output
    }
}

/// Runs a list of ``StylizationTask``s in order through one ``StylizationPipeline`` (so every
/// content and style image is encoded once per colour transform, as its caches allow) and writes
/// each result with ImageCodec's ``writeImage(_:path:)`` (a temporary file renamed into place, so a
/// failure never leaves a half-written image). Used by `stylectl stylize`, `sweep` and, through the
/// same pipeline, `compare-norms`.
public struct StylizationRunner: Sendable {
    public let pipeline: StylizationPipeline
    /// Whether each task's ``StylizationLosses`` are measured (one more encoder pass per task).
    public let measuresLosses: Bool

    public init(pipeline: StylizationPipeline, measuresLosses: Bool = false) {
        self.pipeline = pipeline
        self.measuresLosses = measuresLosses
    }

    /// What happened to one task.
    public struct Outcome: Sendable {
        public var index: Int
        public var count: Int
        public var task: StylizationTask
        /// From the start of the stylization to the written image: encodings this task needed
        /// first, AdaIN, the decoder and the write; not the losses, except for a tiled content,
        /// whose losses are measured tile by tile as it is stylized.
        public var seconds: Double
        /// Of ``seconds``: the encodings this task was the first to need (``StylizationPipeline/Stylization/encodingSeconds``).
        public var encodingSeconds = 0.0
        /// Of ``seconds``: the decoder (``StylizationPipeline/Stylization/decodingSeconds``).
        public var decodingSeconds = 0.0
        /// When ``StylizationRunner/measuresLosses``: the content loss, and the style loss unless the task has a mask.
        public var losses: StylizationLosses?
        public var error: StyleControlError?
    }

    /// What to do when a task fails.
    public enum FailurePolicy: Sendable {
        /// Report it and go on with the next task (`stylize` over folders).
        case continueWithNext
        /// Report it and throw it (a sweep, whose grid is incomplete without the cell).
        case stop
    }

    /// Runs one task: stylizes, writes the image, measures the losses if asked. A failure is in
    /// the outcome, not thrown. `index` and `count` are the caller's numbering.
    public func run(_ task: StylizationTask, index: Int = 0, count: Int = 1) -> Outcome {
        let start = DispatchTime.now().uptimeNanoseconds
        var outcome = Outcome(index: index, count: count, task: task, seconds: 0)
        do throws(StyleControlError) {
            // A tiled content is held as 8-bit samples and its output written band of rows by band
            // of rows as the tiles complete them (StylizationPipeline.tiledStylization(content:controls:writingTo:)),
            // its losses measured over the tiles as they go (measuredTiledStylization): its seconds
            // are all the decoding's, tiles, writes and (when measuring) losses interleaved.
            let tiled: Bool
            if measuresLosses {
                outcome.losses = try pipeline.measuredTiledStylization(content: task.content, controls: task.controls, writingTo: task.output)
                tiled = outcome.losses != nil
            } else {
                tiled = try pipeline.tiledStylization(content: task.content, controls: task.controls, writingTo: task.output)
            }
            if tiled {
                outcome.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                outcome.decodingSeconds = outcome.seconds
                return outcome
            }
            let stylization = try pipeline.stylize(content: task.content, controls: task.controls, measuring: measuresLosses)
            do { try writeImage(stylization.image, path: task.output) } catch { throw .transfer(.image(error)) }
            outcome.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            outcome.encodingSeconds = stylization.encodingSeconds
            outcome.decodingSeconds = stylization.decodingSeconds
            if measuresLosses { outcome.losses = try pipeline.losses(of: stylization) }
        } catch {
            outcome.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            outcome.error = error
        }
        return outcome
    }

    /// Runs every task in order, reporting each outcome as it happens; returns the number of
    /// failed tasks.
    ///
    /// - Throws: the first failure, under ``FailurePolicy/stop``.
    @discardableResult
    public func run(
        _ tasks: [StylizationTask], onFailure policy: FailurePolicy = .continueWithNext, progress: (Outcome) -> Void
    ) throws(StyleControlError) -> Int {
        var failures = 0
        for (index, task) in tasks.enumerated() {
            let outcome = run(task, index: index, count: tasks.count)
            progress(outcome)
            if let error = outcome.error {
                failures += 1
                if policy == .stop { throw error }
            }
        }
        return failures
    }
}

extension StylizationTask {
    /// The tasks of `stylectl stylize --content C --style S1[,S2...] --output O` with `controls`:
    /// the controls are validated first (so one style with a mask is refused before any file is
    /// looked at), then ``StylizationJob/plan(content:styles:output:otherInputs:)`` names the
    /// outputs and refuses outputs that would replace an input (the masks among them), each job
    /// getting `controls` with its own style files. One style entry may be a folder: every pair is
    /// stylized.
    public static func plan(
        content: String, controls: StyleControls, output: String, otherInputs: [(role: InputRole, path: String)] = []
    ) throws(StyleControlError) -> [StylizationTask] {
        try controls.validate()
        let masks = controls.mask?.paths.map { (role: InputRole.mask, path: $0) } ?? []
        let jobs: [StylizationJob]
        do { jobs = try StylizationJob.plan(content: content, styles: controls.styles, output: output, otherInputs: masks + otherInputs) } catch {
            throw .transfer(error)
        }
        return jobs.map { job in
            var own = controls
            own.styles = job.styles
            return StylizationTask(content: job.content, controls: own, output: job.output)
        }
    }

    /// The job ``StylizationMemory`` estimates, with its masks.
    public var job: StylizationJob { StylizationJob(content: content, styles: controls.styles, output: output, masks: controls.mask?.paths ?? []) }
}
