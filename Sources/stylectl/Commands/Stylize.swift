// `stylectl stylize`: one pair of images, or every pair of two folders.

import ArgumentParser
import Foundation
import StyleTransfer

struct Stylize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stylize a content image with a style image (or every pair of two folders).",
        discussion: """
            Gives the same pictures as pytorch-AdaIN's test.py from the same weights. Folders for \
            --content or --style stylize every pair into the --output folder as \
            <content>_stylized_<style>.png; when two images of a folder differ only in their \
            extension (a.jpg, a.png), their names keep it (a.jpg_stylized_s.png). Before any work, \
            stylize refuses an output that is an input file, two inputs with one output, an output \
            folder that is an input folder, an output extension other than .png, .jpg or .jpeg, and \
            a stylization that needs more memory than is available (--max-memory, else \
            $STYLECTL_MAX_MEMORY, else 3/4 of MemAvailable) even in tiles, naming the memory the smallest \
            tiles need. A content too large to stylize whole in that memory is stylized in the \
            largest tiles that fit (see --tile), which gives the same picture within float rounding, holding the content and \
            the output as 8-bit samples (3 bytes per pixel each). Images are written to a temporary file and renamed, so a \
            failure never leaves a half-written image.
            """
    )

    @Option(help: "A content image (JPEG or PNG) or a folder of them.")
    var content: String

    @Option(help: "A style image (JPEG or PNG) or a folder of them; or several images, comma-separated, for interpolation or masks.")
    var style: String

    @Option(help: "The output image (.png or .jpg), or a folder.")
    var output: String

    // `.unconditional`: the next argument is the value even when it starts with '-', so that
    // `--alpha -0.1` is refused as out of range rather than read as a missing value.
    @Option(parsing: .unconditional, help: "Content-style trade-off in [0, 1]: 1 is full stylization, 0 reconstructs the content.")
    var alpha: Float = 1

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Resize the content image's shorter side to this many pixels, at most 16384 (0 keeps its size); with --model seed, the image to this many pixels square, the output back to the image's size.",
        discussion: "Default: 512; 256 with --model seed (the sizes of pytorch-AdaIN's test.py, test.lua and the seed's infer.py)."))
    var contentSize: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Resize the style image's shorter side to this many pixels, at most 16384 (0 keeps its size); with --model seed, the image to this many pixels square.",
        discussion: "Default: as --content-size."))
    var styleSize: Int?

    @Flag(help: "Take the centre square of both images after resizing (with size 0: the square of the shorter side); with --model seed, before resizing.")
    var crop = false

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
    }

    /// Plans every stylization (outputs named and checked, controls validated, memory estimated)
    /// before the weights load, then runs them through the one pipeline (``StylizationRunner``):
    /// a failed stylization does not stop the others.
    func run() throws {
        // `--style` by the one comma-list rule of every command, before anything is read or written.
        let styles: [String]
        do { styles = try commaList(style, flag: "--style") } catch { throw CommandFailure(error.description) }
        let files = try models.locate()
        // Sized as the model's own system sizes its images (files.variant is resolved by locate()).
        let conventions = (files.variant ?? .pytorchAdaIN).conventions
        let contentSizing = conventions.sizing(size: contentSize, crop: crop), styleSizing = conventions.sizing(size: styleSize, crop: crop)
        let tasks: [StylizationTask]
        let tiling: Tiling?
        do {
            tasks = try StylizationTask.plan(
                content: content, controls: try controls.controls(styles: styles, alpha: alpha), output: output, otherInputs: files.inputs)
            // Whole when each job fits, else the largest tiles that fit; a forced --tile must fit.
            tiling = try StylizationMemory.tiling(jobs: tasks.map(\.job), contentSizing: contentSizing, styleSizing: styleSizing,
                                                  forced: memory.tile.flatMap { try? Tiling(tile: $0) }, maxMemory: memory.maxMemory)  // checked by validate()
            if let tiling, memory.tile == nil { printError("stylize: contents larger than \(tiling.tile) pixels are stylized in tiles of \(tiling.tile) to fit the memory") }
        } catch let error as StyleControlError {
            throw CommandFailure(error.description)
        } catch let error as StyleTransferError {
            throw CommandFailure(error.description)
        }
        let pipeline = StylizationPipeline(stylizer: try models.loadStylizer(files), contentSizing: contentSizing, styleSizing: styleSizing,
                                           tiling: tiling, tileProgress: TileProgressLines().record)
        var report = ProgressReport(count: tasks.count)
        // A tiled output is written band by band into a temporary file for the whole stylization:
        // SIGINT and SIGTERM remove it before exiting (AtomicWriteGate.closeForExit).
        let interrupts = tiling.map { _ in InterruptCleanup() }
        defer { interrupts?.uninstall() }
        try StylizationRunner(pipeline: pipeline).run(tasks) { outcome in
            report.record(index: outcome.index, output: outcome.task.output, seconds: outcome.seconds, error: outcome.error)
        }
        try report.finish()
    }
}
