// `stylectl sweep`: a grid of stylizations (styles, interpolation, bilinear corners, masks) as a report.

import ArgumentParser
import Foundation
import ImageCodec
import StyleReports
import StyleTransfer

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stylize a grid of parameters into a report folder with contact sheets, metrics and an index.",
        discussion: """
            Grids: --style a,b (a row per content and style); --interpolate a,b --steps N (a row per \
            content, N weights of b from 0 to 1); --corners a,b,c,d --steps N (N x N per content, \
            bilinear weights (1-u)(1-v), u(1-v), (1-u)v, uv: a top left, d bottom right); --style a,b \
            --mask m1,m2 (a column per mask, each style in its region). Columns also sweep \
            --preserve-color, --alpha and, given lists, --content-size and --style-size (stroke size). As in stylize, \
            a cell too large to stylize whole in the memory (--max-memory) runs in tiles, its losses measured over \
            the tiles; --tile N forces tiles. The tile is chosen once for the sweep and recorded in manifest.json \
            (and shards/plan.json): every shard and every rerun takes it. Writes REPORTS-DIR/REPORT/: one PNG per cell, manifest.json \
            (every parameter, sha256 of inputs and weights, per-cell seconds, style and content loss), \
            sheet-N.png and index.html. Each image is encoded once. An interrupted sweep resumes: cells \
            already in the folder with a matching manifest are skipped. A folder holding a different \
            sweep is refused unless --overwrite; a folder whose sweep failed before finishing any cell, \
            holding nothing but its manifest, is replaced (said on standard error). --spec \
            FILE.json|.yaml gives the same parameters as keys (the flags without dashes; paths \
            relative to the file): see Reports/examples/. Flags given with --spec replace the \
            spec's value for the same key (a list flag the whole list; paths in flags relative to \
            the current folder), e.g. --spec corners.yaml --content-size 256; a grid flag of \
            another kind than the spec's (--style when it has corners) is refused. A report's \
            manifest.json is a spec too: --spec Reports/NAME/manifest.json resumes that report, and \
            with flags and another --report runs a variation of it. As in stylize: a \
            folder as --content or --style stands for its .jpg, .jpeg and .png files, sorted; --crop \
            takes centre squares; --mask-mode reads the masks; --style a,b --style-weights 1,3 mixes \
            the styles in every cell (a row per content); a flag's bad value is refused in stylize's \
            words with exit code 64.

            Shards: --shard K/N (K from 0) runs only shard K's cells into the report folder, \
            beside the other shards, which may run at once on machines sharing the folder; each \
            writes its cells and REPORT/shards/K-of-N.json, the first writes shards/plan.json and \
            the others join only the same sweep. The cells are ordered by content image (and \
            content size) and cut into N consecutive runs of equal cost (pixels of the sized \
            content per cell; equal cells: counts differing by at most one). --assemble --report \
            NAME then checks every cell, merges the shards' records into manifest.json and writes \
            the sheets, index.html and metrics.csv, as the whole sweep would (missing cells are \
            listed by shard with the command that reruns it, exit code 1); --status --report NAME \
            prints each shard's cells done and the time left. A shard reruns with --spec \
            REPORT/shards/plan.json --shard K/N. Scripts/slurm-sweep submits the shards as a Slurm \
            array job.
            """
    )

    @Option(help: "A JSON or YAML file of the sweep's parameters; flags given too replace its values for the same keys.")
    var spec: String?

    @Option(help: "Content images or folders of them, comma-separated.")
    var content: String?

    @Option(help: "Style images or folders of them, comma-separated: a row each, or with --mask or --style-weights the styles of every cell.")
    var style: String?

    @Option(help: ArgumentHelp(
        "With --style: every cell mixes all the styles with these weights, one per style, comma-separated (normalised to sum 1), as stylize does.",
        valueName: "w1,w2,..."))
    var styleWeights: String?

    @Option(help: "Two style images, comma-separated, to interpolate between (instead of --style).")
    var interpolate: String?

    @Option(help: "Four style images, comma-separated (top left, top right, bottom left, bottom right), for a bilinear grid.")
    var corners: String?

    @Option(help: "Mask files, comma-separated, a column each (with two or more --style images; mode auto).")
    var mask: String?

    @Flag(help: "Stretch masks whose aspect ratio differs from the content's.")
    var stretchMask = false

    @Option(help: ArgumentHelp(
        "How masks are read: auto, binary (threshold 0.5), labels or soft, as stylize reads them (default auto).",
        valueName: "mode"))
    var maskMode: SpatialMask.Mode?

    @Option(help: "With --interpolate or --corners only: the number of weights from 0 to 1, 2 to 101 (default 5).")
    var steps: Int?

    // `.unconditional`, as in stylize: `--alpha -0.1` is refused as out of range rather than read
    // as a missing value.
    @Option(parsing: .unconditional, help: "Alphas in [0, 1], comma-separated (default 1).")
    var alpha: String?

    @Option(help: "Colour preservation modes, comma-separated: none, coral, luminance (default none).")
    var preserveColor: String?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Resize the content images' shorter side to this many pixels, at most 16384, 0 keeps their size (default 512); several, comma-separated, are a column each.",
        valueName: "content-size"))
    var contentSize: String?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Resize the style images' shorter side to this many pixels, at most 16384, 0 keeps their size (default 512); several, comma-separated, are a column each (stroke size).",
        valueName: "style-size"))
    var styleSize: String?

    @Flag(help: "Take the centre square of both images after resizing (with size 0: the square of the shorter side).")
    var crop = false

    @Option(parsing: .unconditional, help: "The side in pixels of the contact sheets' cells, 32 to 1024 (default 128); recorded in manifest.json.")
    var cellSize: Int?

    @Option(help: "The report's name: its folder in --reports-dir.")
    var report: String?

    @Option(help: "The folder of reports (default Reports).")
    var reportsDir: String?

    @Flag(help: "Replace a report folder that holds a different sweep.")
    var overwrite = false

    @Flag(help: "Do not measure the content and style losses (saves an encoder pass per cell).")
    var noMetrics = false

    // Unconditional: "-1/2" is a value to refuse as a shard, not a missing one.
    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Run only shard K of N (K from 0) of the sweep's cells into the report folder, beside the other shards; then --assemble.",
        valueName: "K/N"), transform: { text in try SweepShard(parsing: text) })
    var shard: SweepShard?

    @Flag(help: "Assemble the shards of the sweep in --report (and --reports-dir, or --spec) into its report: manifest.json, sheets, index.html, metrics.csv.")
    var assemble = false

    @Flag(help: "Print the cells each shard of the sweep in --report (and --reports-dir, or --spec) has done and the time left.")
    var status = false

    @OptionGroup var models: ModelOptions

    @OptionGroup var memory: MemoryOptions

    /// The flags' values, checked at parse time as `stylize` checks its own, in its words (exit
    /// code 64): alphas in [0, 1], sizes within ``ImageSizing/maximumSize``, colour preservation
    /// modes and the mask mode known; an empty item of a list is refused in the words of every
    /// command's comma lists. The files and the grid are checked when the sweep is planned.
    func validate() throws {
        if assemble || status {
            let action = assemble ? "--assemble" : "--status"
            if assemble && status { throw ValidationError("'--assemble' and '--status' are separate steps: give one of them.") }
            if let shard { throw ValidationError("'\(action)' works on every shard of the sweep: give it without '--shard \(shard)'.") }
            let given: [(String, Bool)] = [
                ("--content", content != nil), ("--style", style != nil), ("--style-weights", styleWeights != nil), ("--interpolate", interpolate != nil),
                ("--corners", corners != nil), ("--mask", mask != nil), ("--stretch-mask", stretchMask), ("--mask-mode", maskMode != nil),
                ("--steps", steps != nil), ("--alpha", alpha != nil), ("--preserve-color", preserveColor != nil), ("--content-size", contentSize != nil),
                ("--style-size", styleSize != nil), ("--crop", crop), ("--cell-size", cellSize != nil), ("--overwrite", overwrite),
                ("--no-metrics", noMetrics), ("--vgg", models.vgg != nil), ("--decoder", models.decoder != nil), ("--model", models.model != nil),
                ("--tile", memory.tile != nil), ("--max-memory", memory.maxMemory != nil),
            ]
            if let flag = given.first(where: \.1)?.0 {
                throw ValidationError("'\(action)' reads the sweep from its report folder's shards/plan.json: give only --report and --reports-dir (or --spec), not '\(flag)'.")
            }
            if report == nil && spec == nil { throw ValidationError("'\(action)' needs the sweep's --report (and --reports-dir), or its --spec.") }
            return
        }
        func list(_ text: String, flag: String) throws -> [String] {
            do { return try parseList(text, flag: flag) } catch { throw ValidationError(escapingControlCharacters(error.description)) }
        }
        if let alpha {
            for item in try list(alpha, flag: "--alpha") {
                guard let value = Float(item) else {
                    throw ValidationError(escapingControlCharacters("The value '\(item)' is invalid for '--alpha <alpha>'"))
                }
                guard (0 ... 1).contains(value) else { throw ValidationError("'--alpha' must be in [0, 1], got \(value).") }
            }
        }
        _ = try sizes(contentSize, role: .content)
        _ = try sizes(styleSize, role: .style)
        if let cellSize, !SheetLayout.cellSizes.contains(cellSize) {
            throw ValidationError("'--cell-size' must be \(SheetLayout.cellSizes.lowerBound) to \(SheetLayout.cellSizes.upperBound) pixels, got \(cellSize).")
        }
        if let preserveColor {
            for item in try list(preserveColor, flag: "--preserve-color") {
                do { _ = try ColorPreservation(parsing: item) } catch {
                    throw ValidationError(escapingControlCharacters(error.description))
                }
            }
        }
    }

    /// A `--content-size` or `--style-size` value: one size or a comma-separated list, each a whole
    /// number checked as `stylize` checks its size (in its words, exit code 64); nil when not given.
    func sizes(_ text: String?, role: InputRole) throws -> [Int]? {
        guard let text, let flag = role.sizeFlag else { return nil }
        let items: [String]
        do { items = try parseList(text, flag: flag) } catch { throw ValidationError(escapingControlCharacters(error.description)) }
        var sizes: [Int] = []
        for item in items {
            guard let size = Int(item) else {
                throw ValidationError(escapingControlCharacters("The value '\(item)' is invalid for '\(flag) <\(flag.dropFirst(2))>'"))
            }
            do throws(StyleTransferError) { try ImageSizing.check(size: size, of: role) } catch { throw ValidationError(error.description) }
            sizes.append(size)
        }
        return sizes
    }

    /// The request from the flags, or from the spec file with the flags given replacing its keys.
    ///
    /// With `--spec` the file is read first (its relative paths against its own folder), then each
    /// flag the user gave replaces the key of the same name (a list flag the whole list; a flag
    /// such as `--overwrite` sets it); relative paths given as flags stay relative to the current
    /// folder, as without a spec. A grid flag (`--style`, `--interpolate`, `--corners`) of another
    /// kind than the spec's grid is refused naming both, rather than one of them being dropped.
    func request() throws(ReportError) -> SweepRequest {
        var request = SweepRequest()
        if let spec {
            request = try SweepRequest(specFile: spec)
            let specGrids = [("style", request.styles), ("interpolate", request.interpolate), ("corners", request.corners)]
                .filter { $0.1 != nil }.map(\.0)
            let flagGrids = [("--style", style), ("--interpolate", interpolate), ("--corners", corners)]
                .compactMap { flag, value in value.map { (flag, $0) } }
            for (flag, value) in flagGrids {
                if let other = specGrids.first(where: { "--" + $0 != flag }) {
                    throw .invalidValue(
                        flag: flag, value: value,
                        expected: "one kind of grid: --spec \(spec) has '\(other)'; give --\(other) to replace its list, or remove '\(other)' from the spec to use \(flag)")
                }
            }
        } else if content == nil {
            throw .emptyList(flag: "--content")
        }
        if let content { request.contents = try parseList(content, flag: "--content") }
        if let style { request.styles = try parseList(style, flag: "--style") }
        if let interpolate { request.interpolate = try parseList(interpolate, flag: "--interpolate") }
        if let corners { request.corners = try parseList(corners, flag: "--corners") }
        if let mask { request.masks = try parseList(mask, flag: "--mask") }
        if stretchMask { request.stretchMask = true }
        if let maskMode { request.maskMode = maskMode }
        if let styleWeights { request.styleWeights = try parseStyleWeights(styleWeights) }
        if crop { request.crop = true }
        if let steps { request.steps = steps }
        if let alpha { request.alphas = try parseAlphas(alpha) }
        if let preserveColor { request.preserveColors = try parsePreserveColors(preserveColor) }
        do {
            if let sizes = try sizes(contentSize, role: .content) { request.setContentSizes(sizes) }
            if let sizes = try sizes(styleSize, role: .style) { request.setStyleSizes(sizes) }
        } catch let error as ReportError {
            throw error
        } catch {
            throw ReportError.failed("\(error)")
        }
        if let cellSize { request.cellSize = cellSize }
        if let report { request.report = report }
        if let reportsDir { request.reportsDirectory = reportsDir }
        if overwrite { request.overwrite = true }
        if noMetrics { request.noMetrics = true }
        if let vgg = models.vgg { request.vgg = vgg }
        if let decoder = models.decoder { request.decoder = decoder }
        if let model = models.model { request.model = model }
        if let tile = memory.tile { request.tile = tile }
        return request
    }

    /// The report folder of `--assemble` and `--status`: `--reports-dir/--report`, or the spec's
    /// with those flags replacing its keys.
    func shardedFolder() throws(ReportError) -> String {
        var request = SweepRequest()
        if let spec { request = try SweepRequest(specFile: spec) }
        if let report { request.report = report }
        if let reportsDir { request.reportsDirectory = reportsDir }
        return try request.folder()
    }

    /// `--assemble`: the report from the shards (``assembleSweep(folder:)``), or the missing cells
    /// by shard with the commands that rerun them (exit code 1).
    func assembleShards() throws {
        do {
            let folder = try shardedFolder()
            let manifest = try assembleSweep(folder: folder)
            FileHandle.standardError.write(Data("sweep: \(counted(manifest.cells.count, "cell")) of \(counted(manifest.shards?.count ?? 0, "shard")) assembled in \(folder)/ (index.html, manifest.json)\n".utf8))
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// `--status`: a line per shard (cells done, host, running, time left) and the sweep's total,
    /// on standard output.
    func printStatus() throws {
        let shards: [SweepShardProgress]
        let folder: String
        do {
            folder = try shardedFolder()
            shards = try sweepStatus(folder: folder)
        } catch {
            throw CommandFailure(error.description)
        }
        for shard in shards {
            var line = "shard \(shard.shard): \(shard.done) of \(counted(shard.cells, "cell"))"
            if let seconds = shard.seconds, let host = shard.host {
                line += ", " + TimeLeft.duration(seconds) + " on " + escapingControlCharacters(host)
            }
            line += shard.running ? ", running" : shard.host == nil ? ", not started" : shard.done == shard.cells ? ", finished" : ", stopped"
            if shard.done < shard.cells, let left = shard.secondsLeft { line += ", about \(TimeLeft.duration(left)) left" }
            print(line)
        }
        let (done, cells) = shards.reduce((0, 0)) { ($0.0 + $1.done, $0.1 + $1.cells) }
        var total = "sweep \(folder): \(done) of \(counted(cells, "cell")) done"
        if done < cells, let left = shards.compactMap(\.secondsLeft).max() {
            total += ", about \(TimeLeft.duration(left)) left with the shards running at once"
        }
        if done == cells {
            let assembled = (try? SweepManifest.read(folder: folder))?.shards != nil
            total += assembled ? "; assembled (index.html, manifest.json)" : "; assemble them with --assemble"
        }
        print(total)
    }

    func run() throws {
        if assemble { return try assembleShards() }
        if status { return try printStatus() }
        let configuration: SweepConfiguration
        do {
            let request = try request()
            // The flags' values first (as compare-norms does), so that a mistake in them is named
            // before the weight files are looked for.
            _ = try request.configuration(models: ModelFiles(vgg: "", decoder: ""), toolVersion: StyleCtl.configuration.version)
            let files: ModelFiles
            do { files = try ModelFiles.locate(vgg: request.vgg, decoder: request.decoder, variant: request.model).resolvingVariant() } catch {
                throw CommandFailure(error.description)
            }
            var asked = try request.configuration(models: files, toolVersion: StyleCtl.configuration.version)
            // --max-memory as a byte count (checked by MemoryOptions.validate()); without it, the library's default budget.
            if let maxMemory = memory.maxMemory {
                do { asked.memory = try StylizationMemory.available(maxMemory: maxMemory) } catch { throw CommandFailure(error.description) }
            }
            // The inputs, the report folder and the memory (the tiles settled) are checked before the network is loaded.
            configuration = try checkSweep(asked, shard: shard)
        } catch let error as ReportError {
            throw CommandFailure(error.description)
        }
        if let tile = configuration.tiling?.tile, memory.tile == nil {
            printError("sweep: contents larger than \(tile) pixels are stylized in tiles of \(tile) (recorded in the report: every shard and rerun takes them)")
        }
        let stylizer: Stylizer
        do { stylizer = try Stylizer(models: configuration.models) } catch { throw CommandFailure(error.description) }
        let interrupts = InterruptCleanup()
        defer { interrupts.uninstall() }
        if let shard {
            let record: SweepShardRecord
            do {
                record = try runSweepShard(configuration, shard: shard, stylizer: stylizer) { progress in
                    FileHandle.standardError.write(Data((progress.description + "\n").utf8))
                }
            } catch {
                throw CommandFailure(error.description)
            }
            let folder = URL(fileURLWithPath: configuration.folder)
            FileHandle.standardError.write(Data("sweep: shard \(shard): \(record.cellsDone) of \(counted(record.cellCount, "cell")) in \(configuration.folder)/ (\(SweepShard.shardsFolderName)/\(shard.recordName)); once every shard is done: stylectl sweep --assemble --report \(folder.lastPathComponent) --reports-dir \(folder.deletingLastPathComponent().path)\n".utf8))
            return
        }
        let manifest: SweepManifest
        do {
            manifest = try runSweep(configuration, stylizer: stylizer, progress: { progress in
                FileHandle.standardError.write(Data((progress.description + "\n").utf8))
            }, notice: { notice in
                FileHandle.standardError.write(Data((notice + "\n").utf8))
            })
        } catch {
            throw CommandFailure(error.description)
        }
        let done = manifest.cells.filter(\.isDone).count
        FileHandle.standardError.write(Data("sweep: \(counted(done, "cell")) in \(configuration.folder)/ (index.html, manifest.json)\n".utf8))
    }
}

/// SIGINT and SIGTERM during a run that writes a report folder: once the writes in flight have
/// finished and later ones are held back (``AtomicWriteGate/closeForExit()``), the folder's
/// temporary files and its lock file are removed (``removeInFlightTemporaryFiles()``), then the process
/// exits with 128 + the signal (130, 143), as a shell reports a process killed by it.
final class InterruptCleanup {
    private static let signals = [SIGINT, SIGTERM]
    private let sources: [any DispatchSourceSignal]

    /// Installs the handlers until ``uninstall()``. The signals' default action (ending the
    /// process at once) is turned off first, so that the dispatch sources receive them. `paths`
    /// (a video's temporary output) are removed too, and `message` is printed.
    init(removing paths: [String] = [], message: String? = nil) {
        sources = Self.signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                AtomicWriteGate.shared.closeForExit()
                for path in paths { try? FileManager.default.removeItem(atPath: path) }
                removeInFlightTemporaryFiles()
                if let message { printError(message) }
                exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    /// Removes the handlers and restores the signals' default action.
    func uninstall() {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}
