// The errors of `stylectl compare-norms`, each naming the flag, file or folder to fix.

import StyleTransfer

/// Why a comparison of normalisations cannot run; `description` names the flag, file or folder.
public enum NormComparisonError: Error, Equatable, CustomStringConvertible {
    /// A list flag (`--content`, `--style`) gave no values.
    case emptyList(flag: String)
    case invalidValue(flag: String, value: String, expected: String)
    /// An input named by a flag is missing or not a file.
    case missingInput(flag: String, path: String)
    /// Reading, checking or writing the CIN parameter file (`--cin`, `--save-cin`) failed.
    case cinFile(CINFileError)
    /// The report folder holds something other than this comparison.
    case reportExists(folder: String, reason: String)
    case failed(String)

    public var description: String {
        switch self {
        case .emptyList(let flag):
            "'\(flag)' needs at least one image."
        case .invalidValue(let flag, let value, let expected):
            "'\(flag)': '\(value)' is not allowed; expected \(expected)."
        case .missingInput(let flag, let path):
            "'\(flag)': \(path) is not an existing image file."
        case .cinFile(let error):
            error.description
        case .reportExists(let folder, let reason):
            "report folder \(folder) already exists (\(reason)); choose another --report or pass --overwrite. Nothing in it was changed."
        case .failed(let message):
            message
        }
    }
}
