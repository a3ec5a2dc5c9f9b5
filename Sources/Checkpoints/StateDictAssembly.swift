// From an unpickled object to a state_dict: checks it is a dict of tensors and copies each tensor's
// strided view of its storage into a contiguous row-major Float array.

/// Builds the `[String: StoredTensor]` of a checkpoint from its unpickled main object; shared by the
/// legacy and the zip reader, which differ only in where a storage's bytes are.
struct StateDictAssembly {
    let path: String
    /// The tensors wanted; the others' storages are never asked for.
    let selection: TensorSelection
    /// Elements the tensors may still produce. Tensors may share a storage (tied weights, views) or
    /// broadcast one with stride 0, so the output can outgrow the file; this bounds by how much.
    private var elementBudget: Int

    /// - Parameter fileSize: bytes in the file; the tensors may hold at most twice that many elements
    ///   (plus 16 M), which real state_dicts never approach (float32 storages give a quarter).
    init(path: String, fileSize: Int, selection: TensorSelection) {
        self.path = path
        self.selection = selection
        self.elementBudget = 2 * fileSize + (1 << 24)
    }

    /// The state_dict in a pickle's value.
    ///
    /// The value must be a dict with string keys whose values are tensors; an entry `_metadata` that
    /// is not a tensor is skipped (`module.state_dict()` keeps `_metadata` as an attribute, restored
    /// by `BUILD`, but a dict may also carry it as an entry).
    ///
    /// - Parameter storageBytes: the bytes of a reference's root storage: exactly
    ///   `count * type.byteSize` of them.
    mutating func assemble(
        _ pickle: PickleMachine.Result,
        storageBytes: (StorageReference) throws(CheckpointError) -> UnsafeRawBufferPointer
    ) throws(CheckpointError) -> [String: StoredTensor] {
        guard case .dict(let dict) = pickle.value else {
            throw .notAStateDict(path: path, found: pickle.value.kindDescription)
        }
        var result: [String: StoredTensor] = [:]
        for (key, value) in pickle.heap.dicts[dict].entries {
            guard case .string(let name) = key else {
                throw .notAStateDict(path: path, found: "a dict with \(key.kindDescription) as a key")
            }
            guard case .tensor(let tensor) = value else {
                if name == "_metadata" { continue }
                throw .notATensor(path: path, key: name, found: value.kindDescription)
            }
            guard selection.wants(name) else { continue }
            result[name] = try materialize(tensor, key: name, storage: try storageBytes(tensor.storage))
        }
        return result
    }

    /// Copies the tensor's elements out of its storage, in row-major order, as `Float`.
    private mutating func materialize(_ t: TensorReference, key: String, storage root: UnsafeRawBufferPointer) throws(CheckpointError) -> StoredTensor {
        guard let dtype = t.dtype.floatType else {
            throw .unsupportedDType(path: path, key: key, dtype: t.dtype.name)
        }
        func malformed(_ detail: String) -> CheckpointError {
            .malformed(path: path, detail: "tensor '\(key)' \(detail)")
        }
        // The (view of the) storage the tensor indexes, in bytes.
        var storage = root
        if let view = t.storage.view {
            let unit = t.storage.type.byteSize
            guard let start = checkedProduct([view.offset, unit]), let length = checkedProduct([view.count, unit]),
                  length <= storage.count, start <= storage.count - length
            else { throw malformed("uses a view of \(view.count) elements at \(view.offset) of a storage of \(t.storage.count)") }
            storage = UnsafeRawBufferPointer(rebasing: storage[start ..< start + length])
        }
        let available = storage.count / dtype.byteSize

        guard let count = checkedProduct(t.shape) else { throw malformed("has an impossible size \(t.shape)") }
        guard count <= elementBudget else {
            throw malformed("of size \(t.shape) would make the tensors hold more elements than twice the file's bytes (shared or broadcast storages cannot explain that)")
        }
        elementBudget -= count
        if count == 0 { return StoredTensor(shape: t.shape, values: []) }

        // The last element is at offset + sum((size - 1) * stride); strides are never negative.
        var last = t.offset
        for (size, stride) in zip(t.shape, t.stride) {
            guard let step = checkedProduct([size - 1, stride]), case let (sum, overflow) = last.addingReportingOverflow(step), !overflow else {
                throw malformed("has an impossible size \(t.shape) and stride \(t.stride)")
            }
            last = sum
        }
        guard last < available else {
            throw malformed("with offset \(t.offset), size \(t.shape) and stride \(t.stride) reaches element \(last) of a storage of \(available)")
        }

        if isContiguous(shape: t.shape, stride: t.stride) {
            let start = t.offset * dtype.byteSize
            let bytes = UnsafeRawBufferPointer(rebasing: storage[start ..< start + count * dtype.byteSize])
            return StoredTensor(shape: t.shape, values: dtype.decode(bytes, count: count))
        }
        // A view saved as is (torch.save keeps the whole storage).
        return StoredTensor(shape: t.shape, values: dtype.decodeStrided(storage, size: t.shape, stride: t.stride, offset: t.offset))
    }

    /// Whether elements are laid out row-major without gaps (dimensions of size 1 have any stride).
    private func isContiguous(shape: [Int], stride: [Int]) -> Bool {
        var expected = 1
        for d in shape.indices.reversed() where shape[d] != 1 {
            if stride[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }
}

/// Which tensors of a checkpoint to read: all, or those named. Tensors not wanted are still checked
/// to be tensors (the file must be a state_dict), but their storages' bytes are never read (not even
/// for a zip member's CRC-32), so a 548 MB torchvision VGG-19 file costs only its features' pages.
struct TensorSelection {
    /// nil: every tensor.
    var keys: Set<String>?
    /// Called with the name of each storage whose bytes are read: a zip member (`archive/data/3`) or
    /// a legacy storage key. Tests count them.
    var storageRead: ((String) -> Void)?

    static var all: TensorSelection { TensorSelection(keys: nil, storageRead: nil) }

    func wants(_ key: String) -> Bool { keys?.contains(key) ?? true }
}

/// The product of non-negative integers, or nil if it overflows `Int`.
func checkedProduct(_ factors: [Int]) -> Int? {
    var product = 1
    for f in factors {
        guard f >= 0 else { return nil }
        let (p, overflow) = product.multipliedReportingOverflow(by: f)
        if overflow { return nil }
        product = p
    }
    return product
}
