// The errors of the report commands (sweep, report, compare-norms), each naming the flag, file or
// folder to fix.

import StyleTransfer

/// Why a sweep, a comparison of sweeps or a comparison of normalisations cannot run; `description`
/// names the flag, file or folder concerned. Nothing has been written when one of these is thrown
/// before the report folder is touched.
public enum ReportError: Error, Equatable, CustomStringConvertible {
    /// A list flag of a sweep (e.g. `--alpha`) gave no values.
    case emptyList(flag: String)
    /// An image list flag of compare-norms (`--content`, `--style`) gave no values.
    case noImages(flag: String)
    /// A flag gave a value that is not allowed.
    case invalidValue(flag: String, value: String, expected: String)
    /// A list flag holds an empty item (`a,,b`): ``commaList(_:flag:)``'s error, in the words `stylize` uses too.
    case list(CommaListError)
    case unreadableFile(path: String)
    /// An input named by a flag is missing or not a file.
    case missingInput(flag: String, path: String)
    /// Reading, checking or writing the CIN parameter file (`--cin`, `--save-cin`) failed.
    case cinFile(CINFileError)
    /// The report folder holds something other than this report: a different report of kind
    /// `different` (`sweep`: said in the message; nil: not said), or files of something else.
    case reportExists(folder: String, different: String?, reason: String)
    /// A spec file (`--spec`) holds a key that is not one of ``SweepRequest/specKeys``.
    case unknownSpecKey(key: String, file: String)
    /// A spec file cannot be read or parsed, or a key's value has the wrong type.
    case invalidSpec(file: String, reason: String)
    /// A record read from a report folder (`manifest.json`, `comparison.json`) is malformed or
    /// holds values a report cannot use (a file name outside the folder, a grid that does not add up).
    case invalidRecord(file: String, reason: String)
    /// Another run holds the report folder's lock (``ReportFolder/lock()``); `pid` as it wrote it.
    case reportBusy(folder: String, pid: Int32?)
    /// `--sweeps` named fewer than two folders.
    case tooFewSweeps(count: Int)
    /// A `--sweeps` folder is missing, is not a folder, is listed twice or has no readable manifest.
    case badSweep(folder: String, reason: String)
    /// A sweep's grid has another shape than the first sweep's.
    case incomparable(folder: String, first: String, reason: String)
    /// The `--output` folder of a comparison cannot be used; `overwrite` tells whether `--overwrite` would help.
    case badOutput(folder: String, reason: String, overwrite: Bool)
    /// A shard (`--shard K/N`) would join a report folder whose shards run another sweep
    /// (its `shards/plan.json` differs), or whose files are not a sweep of this one.
    case shardsOfAnotherSweep(folder: String, reason: String)
    /// `--assemble` or `--status` named a report folder holding no `shards/plan.json`.
    case notSharded(folder: String)
    /// `--assemble` found cells missing or invalid: by shard, their image names and the command
    /// that reruns the shard.
    case shardsIncomplete(folder: String, missing: [ShardGap])
    /// A sweep's stylizations do not fit the memory (``StyleTransferError/insufficientMemory(path:width:height:needed:available:source:largestFittingSize:)``,
    /// ``StyleTransferError/tileTooLarge(path:width:height:tile:needed:available:source:largestFittingTile:)``,
    /// ``StyleTransferError/tilesDoNotFit(path:width:height:minimum:available:source:largestFittingSize:)``),
    /// or an image header cannot be read to estimate them.
    case memory(StyleTransferError)
    /// Shard `shard` was given `--tile given` but the sweep's plan `record` (`REPORT/shards/plan.json`)
    /// records `recorded` (nil: untiled): every shard runs in the plan's tiles.
    case shardTileDiffers(record: String, shard: String, given: Int, recorded: Int?)
    /// The machine has `available` bytes (`source`), fewer than the `needed` bytes of stylizing
    /// `path` in the tiles of `tile` pixels (nil: untiled) that `record` (a sharded sweep's plan, or
    /// the manifest of the sweep resumed) records; `shard`: the shard run, nil for a whole sweep.
    case recordedTileDoesNotFit(record: String, shard: String?, tile: Int?, path: String, needed: Int, available: Int, source: String)
    case failed(String)

    public var description: String {
        switch self {
        case .emptyList(let flag):
            "'\(flag)' needs at least one value: the sweep's grid would be empty."
        case .noImages(let flag):
            "'\(flag)' needs at least one image."
        case .invalidValue(let flag, let value, let expected):
            "'\(flag)': '\(value)' is not allowed; expected \(expected)."
        case .list(let error):
            error.description
        case .unreadableFile(let path):
            "cannot read \(path)."
        case .missingInput(let flag, let path):
            "'\(flag)': \(path) is not an existing image file."
        case .cinFile(let error):
            error.description
        case .reportExists(let folder, let different, let reason):
            "report folder \(folder) already exists" + (different.map { " with a different \($0)" } ?? "")
                + " (\(reason)); choose another --report or pass --overwrite. Nothing in it was changed."
        case .unknownSpecKey(let key, let file):
            "spec file \(file): unknown key '\(key)'; the keys are the sweep's flags without dashes: \(SweepRequest.specKeys.joined(separator: ", "))."
        case .invalidSpec(let file, let reason):
            "spec file \(file): \(reason)."
        case .invalidRecord(let file, let reason):
            "\(file) cannot be read as a report record: \(reason)"
        case .reportBusy(let folder, let pid):
            "another stylectl run is writing \(folder)" + (pid.map { " (pid \($0))" } ?? "")
                + "; wait for it to finish or choose another report folder. Nothing was changed."
        case .tooFewSweeps(let count):
            "'--sweeps' needs at least two sweep folders, comma-separated; got \(count)."
        case .badSweep(let folder, let reason):
            "'--sweeps': \(folder) \(reason). Nothing was written."
        case .incomparable(let folder, let first, let reason):
            "'--sweeps': \(folder) cannot be compared with \(first): \(reason). Nothing was written."
        case .badOutput(let folder, let reason, let overwrite):
            "'--output' \(folder) \(reason); choose another --output" + (overwrite ? " or pass --overwrite" : "")
                + ". Nothing was changed."
        case .shardsOfAnotherSweep(let folder, let reason):
            "report folder \(folder) holds another sweep (\(reason)); a shard joins only the shards of its own sweep: "
                + "choose another --report, or remove \(folder) to start this sweep there. Nothing in it was changed."
        case .notSharded(let folder):
            "\(folder) holds no \(SweepShard.shardsFolderName)/\(SweepShardPlan.fileName): it is not a sweep run with --shard K/N "
                + "(give the --report and --reports-dir its shards ran with)."
        case .shardsIncomplete(let folder, let missing):
            "sweep \(folder) cannot be assembled: \(counted(missing.reduce(0) { $0 + $1.cells.count }, "cell")) missing or invalid:\n"
                + missing.map { gap in
                    "  shard \(gap.shard): \(counted(gap.cells.count, "cell")) (\(gap.cells.joined(separator: ", ")))\n    rerun: \(gap.command)"
                }.joined(separator: "\n")
                + "\nNothing was written; assemble again once they are done."
        case .memory(let error):
            error.description
        case .shardTileDiffers(let record, let shard, let given, let recorded):
            "shard \(shard): --tile \(given) differs from the tiles the sweep's plan \(record) records ("
                + (recorded.map { "\($0) pixels" } ?? "none: untiled") + "); every shard runs in the plan's tiles so that the shards "
                + "together give the sweep run whole: " + (recorded.map { "give --tile \($0) or no --tile" } ?? "give no --tile") + ". Nothing was changed."
        case .recordedTileDoesNotFit(let record, let shard, let tile, let path, let needed, let available, let source):
            (shard.map { "shard \($0): " } ?? "") + "stylizing '\(path)' " + (tile.map { "in tiles of \($0) pixels" } ?? "untiled")
                + ", as \(record) records, needs about \(StylizationMemory.format(needed)) of memory, but \(StylizationMemory.format(available)) "
                + "is available (\(source)); the sweep's cells must all be stylized alike: run it on a machine with more memory "
                + "(--max-memory \(StylizationMemory.flagValue(needed)) or more). Nothing was changed."
        case .failed(let message):
            message
        }
    }
}

/// The cells of one shard that assembly found missing or invalid (``ReportError/shardsIncomplete(folder:missing:)``).
public struct ShardGap: Equatable, Sendable {
    /// `K/N`.
    public var shard: String
    /// The cells' image names, in grid order.
    public var cells: [String]
    /// The command that runs the shard again (its finished cells are kept).
    public var command: String
}
