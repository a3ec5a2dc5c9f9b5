// The values the restricted pickle machine builds: plain Python data, allow-listed globals, and
// references to tensors and storages whose bytes are read later.

/// A Python object as the restricted unpickler represents it.
///
/// Containers are handles into a ``PickleHeap`` rather than nested values: a list fetched again from
/// the memo is the same list, as in Python, and since no container owns another, however deeply a
/// hostile pickle nests them nothing recurses when they are freed. Large payloads are boxed so that a
/// value stays small (the machine bounds how many it makes, which bounds its memory).
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too large for `Int`, as little-endian two's-complement bytes (the legacy magic number).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleHeap.Handle)
    case list(PickleHeap.Handle)
    case dict(PickleHeap.Handle)
    case global(TorchGlobal)
    case storage(StorageReference)
    case tensor(TensorReference)

    /// What the value is, for error messages ("an int (3)", "a list").
    var kindDescription: String {
        switch self {
        case .none: "None"
        case .bool: "a bool"
        case .int(let v): "an int (\(v))"
        case .bigInt: "an int"
        case .float(let v): "a float (\(v))"
        case .string: "a string"
        case .bytes: "bytes"
        case .tuple: "a tuple"
        case .list: "a list"
        case .dict: "a dict"
        case .global(let g): g.pythonName
        case .storage: "a storage"
        case .tensor: "a tensor"
        }
    }
}

/// The containers one unpickling made, addressed by handle.
struct PickleHeap {
    typealias Handle = Int

    private(set) var tuples: [[PickleValue]] = []
    private(set) var lists: [[PickleValue]] = []
    private(set) var dicts: [PickleDict] = []

    mutating func newTuple(_ items: [PickleValue]) -> Handle {
        tuples.append(items)
        return tuples.count - 1
    }

    mutating func newList(_ items: [PickleValue] = []) -> Handle {
        lists.append(items)
        return lists.count - 1
    }

    mutating func newDict() -> Handle {
        dicts.append(PickleDict())
        return dicts.count - 1
    }

    mutating func append(_ items: [PickleValue], toList list: Handle) {
        lists[list].append(contentsOf: items)
    }

    mutating func set(_ key: PickleValue, _ value: PickleValue, inDict dict: Handle) {
        dicts[dict].set(key, value)
    }

    /// The items of a tuple or a list, nil for anything else.
    func sequence(_ value: PickleValue) -> [PickleValue]? {
        switch value {
        case .tuple(let h): tuples[h]
        case .list(let h): lists[h]
        default: nil
        }
    }
}

/// A Python dict (or `OrderedDict`) in insertion order. String keys replace earlier equal keys as
/// in Python; other keys are kept as they come (a state_dict refuses them anyway).
struct PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var stringKeyIndex: [String: Int] = [:]

    mutating func set(_ key: PickleValue, _ value: PickleValue) {
        if case .string(let name) = key {
            if let i = stringKeyIndex[name] {
                entries[i].value = value
                return
            }
            stringKeyIndex[name] = entries.count
        }
        entries.append((key, value))
    }

    subscript(name: String) -> PickleValue? {
        stringKeyIndex[name].map { entries[$0].value }
    }
}

/// A persistent id `('storage', storage_type, key, location, numel[, view_metadata])`: a storage whose
/// bytes live outside the pickle (after it in the legacy format, in `data/<key>` in the zip format).
final class StorageReference {
    /// The storage's key: `str(storage._cdata)` in the legacy format, `"0"`, `"1"`, ... in the zip format.
    let key: String
    /// The element type the storage class gives (`uint8` for `UntypedStorage`).
    let type: TorchElementType
    /// Elements of `type` in the whole (root) storage.
    let count: Int
    /// PyTorch < 0.4 could save a view of a storage: `(view_key, offset, count)` in elements of `type`.
    let view: (key: String, offset: Int, count: Int)?

    init(key: String, type: TorchElementType, count: Int, view: (key: String, offset: Int, count: Int)?) {
        self.key = key
        self.type = type
        self.count = count
        self.view = view
    }
}

/// A tensor as `_rebuild_tensor*` describes it: a strided view into a storage.
final class TensorReference {
    let storage: StorageReference
    /// Offset of element `[0, ..., 0]` in elements of `dtype` from the start of the (view) storage.
    let offset: Int
    let shape: [Int]
    let stride: [Int]
    /// The tensor's dtype: the storage's type, or the explicit dtype of `_rebuild_tensor_v3`.
    let dtype: TorchElementType

    init(storage: StorageReference, offset: Int, shape: [Int], stride: [Int], dtype: TorchElementType) {
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.stride = stride
        self.dtype = dtype
    }
}
