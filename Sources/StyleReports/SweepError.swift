// The errors of a sweep, each naming the flag or folder to fix.

import StyleTransfer

/// Why a sweep cannot run; `description` names the flag, file or folder concerned.
public enum SweepError: Error, Equatable, CustomStringConvertible {
    /// A list flag (e.g. `--alpha`) gave no values.
    case emptyList(flag: String)
    /// A list flag gave a value that is not allowed.
    case invalidValue(flag: String, value: String, expected: String)
    /// A list flag holds an empty item (`a,,b`): ``commaList(_:flag:)``'s error, in the words `stylize` uses too.
    case list(CommaListError)
    case unreadableFile(path: String)
    /// The report folder already holds a different sweep (or files of something else).
    case reportExists(folder: String, reason: String)
    /// A spec file (`--spec`) holds a key that is not one of ``SweepRequest/specKeys``.
    case unknownSpecKey(key: String, file: String)
    /// A spec file cannot be read or parsed, or a key's value has the wrong type.
    case invalidSpec(file: String, reason: String)
    /// A record read from a report folder (`manifest.json`, `comparison.json`) is malformed or
    /// holds values a report cannot use (a file name outside the folder, a grid that does not add up).
    case invalidRecord(file: String, reason: String)
    /// Another run holds the report folder's lock (``ReportFolder/lock()``); `pid` as it wrote it.
    case reportBusy(folder: String, pid: Int32?)
    case failed(String)

    public var description: String {
        switch self {
        case .emptyList(let flag):
            "'\(flag)' needs at least one value: the sweep's grid would be empty."
        case .invalidValue(let flag, let value, let expected):
            "'\(flag)': '\(value)' is not allowed; expected \(expected)."
        case .list(let error):
            error.description
        case .unreadableFile(let path):
            "cannot read \(path)."
        case .reportExists(let folder, let reason):
            "report folder \(folder) already exists with a different sweep (\(reason)); choose another --report or pass --overwrite. Nothing in it was changed."
        case .unknownSpecKey(let key, let file):
            "spec file \(file): unknown key '\(key)'; the keys are the sweep's flags without dashes: \(SweepRequest.specKeys.joined(separator: ", "))."
        case .invalidSpec(let file, let reason):
            "spec file \(file): \(reason)."
        case .invalidRecord(let file, let reason):
            "\(file) cannot be read as a report record: \(reason)"
        case .reportBusy(let folder, let pid):
            "another stylectl run is writing \(folder)" + (pid.map { " (pid \($0))" } ?? "")
                + "; wait for it to finish or choose another report folder. Nothing was changed."
        case .failed(let message):
            message
        }
    }
}
