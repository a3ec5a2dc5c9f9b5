// The errors of a comparison of sweeps (stylectl report), each naming the flag or folder to fix.

/// Why sweeps cannot be compared; `description` names the flag and folder concerned. Nothing has
/// been written when one of these is thrown before the output folder is touched.
public enum ComparisonError: Error, Equatable, CustomStringConvertible {
    /// `--sweeps` named fewer than two folders.
    case tooFewSweeps(count: Int)
    /// A `--sweeps` folder is missing, is not a folder, is listed twice or has no readable manifest.
    case badSweep(folder: String, reason: String)
    /// A sweep's grid has another shape than the first sweep's.
    case incomparable(folder: String, first: String, reason: String)
    /// The `--output` folder cannot be used; `overwrite` tells whether `--overwrite` would help.
    case badOutput(folder: String, reason: String, overwrite: Bool)
    case failed(String)

    public var description: String {
        switch self {
        case .tooFewSweeps(let count):
            "'--sweeps' needs at least two sweep folders, comma-separated; got \(count)."
        case .badSweep(let folder, let reason):
            "'--sweeps': \(folder) \(reason). Nothing was written."
        case .incomparable(let folder, let first, let reason):
            "'--sweeps': \(folder) cannot be compared with \(first): \(reason). Nothing was written."
        case .badOutput(let folder, let reason, let overwrite):
            "'--output' \(folder) \(reason); choose another --output" + (overwrite ? " or pass --overwrite" : "")
                + ". Nothing was changed."
        case .failed(let message):
            message
        }
    }
}
