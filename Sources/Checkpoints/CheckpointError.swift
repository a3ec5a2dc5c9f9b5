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
    /// The file is a valid checkpoint but uses a feature this library does not read
    /// (a compressed zip entry, big-endian storages, another serialization version).
    case unsupportedFeature(path: String, detail: String)
    /// The pickled object is not a dict of tensors with string keys (for example a list or a bare
    /// tensor); `found` says what it is.
    case notAStateDict(path: String, found: String)
    /// An entry of the dict is not a tensor (for example an epoch number next to the weights).
    case notATensor(path: String, key: String, found: String)
    /// A Torch7 `.t7` model holds a module this library does not read; `index` is its 0-based place in
    /// the `nn.Sequential`.
    case unsupportedModule(path: String, index: Int, className: String)
    /// A weight file could not be written (a missing folder, no permission, a full disk).
    case unwritable(path: String, reason: String)

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
            let hint = name.hasPrefix("torch.nn.") || name.hasPrefix("__main__.")
                ? "; it looks like a whole pickled model (torch.save(model)): save model.state_dict() instead" : ""
            return "weight file '\(path)' contains '\(name)', which is not part of a state_dict; refusing to load it (nothing from the file is executed)\(hint)"
        case .unsupportedDType(let path, let key, let dtype):
            return "weight file '\(path)': tensor '\(key)' has dtype \(dtype), which is not supported (float32, float16, bfloat16, float64 are)"
        case .unsupportedFeature(let path, let detail):
            return "weight file '\(path)' uses a feature this reader does not support: \(detail)"
        case .notAStateDict(let path, let found):
            return "weight file '\(path)' does not hold a state_dict (a dict of tensors by name) but \(found)"
        case .notATensor(let path, let key, let found):
            return "weight file '\(path)': entry '\(key)' is \(found), not a tensor; a state_dict holds only tensors"
        case .unsupportedModule(let path, let index, let className):
            return "Torch7 file '\(path)': module \(index) is '\(className)', which is not read (only nn.SpatialConvolution, nn.SpatialReflectionPadding, nn.ReLU, nn.SpatialMaxPooling and nn.SpatialUpSamplingNearest, the modules of AdaIN-style's networks, are)"
        case .unwritable(let path, let reason):
            return "cannot write weight file '\(path)': \(reason)"
        }
    }
}
