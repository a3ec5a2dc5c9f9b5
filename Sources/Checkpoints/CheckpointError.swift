// Typed errors for reading weight files; every case names the file and, where there is one, the key.

/// Why a weight file could not be read. The description is a full sentence for the user.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist or cannot be read.
    case unreadable(path: String, reason: String)
    /// The file is none of the formats this library reads.
    case unknownFormat(path: String)
    /// The file ends before the data its own header announces.
    case truncated(path: String, detail: String)
    /// The file is damaged or holds something a `state_dict` never holds.
    case malformed(path: String, detail: String)
    /// A pickle asks for a Python object outside the allow-list of a `state_dict`.
    case forbiddenObject(path: String, name: String)
    /// A tensor has a dtype this library does not convert.
    case unsupportedDType(path: String, key: String, dtype: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read weight file '\(path)': \(reason)"
        case .unknownFormat(let path):
            return "'\(path)' is not a PyTorch checkpoint (legacy or zip) or a safetensors file"
        case .truncated(let path, let detail):
            return "weight file '\(path)' is truncated: \(detail)"
        case .malformed(let path, let detail):
            return "weight file '\(path)' is malformed: \(detail)"
        case .forbiddenObject(let path, let name):
            return "weight file '\(path)' contains '\(name)', which is not part of a state_dict; refusing to load it (nothing from the file is executed)"
        case .unsupportedDType(let path, let key, let dtype):
            return "weight file '\(path)': tensor '\(key)' has dtype \(dtype), which is not supported (float32, float16, bfloat16, float64 are)"
        }
    }
}
