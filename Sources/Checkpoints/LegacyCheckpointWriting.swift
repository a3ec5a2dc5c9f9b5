// Writer for PyTorch's legacy checkpoint format (float32 state_dicts): what `torch.load` reads and
// `torch.save(state_dict, f, _use_new_zipfile_serialization=False)` writes.

import Foundation

/// Writes `tensors` as a legacy PyTorch checkpoint of float32 tensors (the layout
/// ``LegacyCheckpoint`` reads), atomically (a temporary file in the same folder, renamed): a file
/// `torch.load` reads as a `collections.OrderedDict` of CPU float tensors, keys in sorted order,
/// ready for `Module.load_state_dict` (aadhithya/AdaIN-pytorch's model loading reads its decoder
/// this way), and that ``loadStateDict(path:)`` reads back bit for bit.
///
/// Pickle protocol 2: the magic number, the protocol version 1001, `sys_info` (little endian,
/// short 2, int 4, long 4), then the `OrderedDict` whose values are
/// `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())` with each
/// tensor's own storage as the persistent id `('storage', torch.FloatStorage, key, 'cpu', numel, None)`
/// (keys "0", "1", ...), then the list of storage keys sorted as strings, then each storage in
/// that order: its element count as a little-endian `Int64` and its float32 values.
///
/// - Throws: ``CheckpointError/unwritable(path:reason:)``, before anything is written, when a
///   tensor's shape does not hold its values or a size, stride or count exceeds 2^31 - 1; when the
///   file cannot be written.
public func writeLegacyPyTorchCheckpoint(_ tensors: [String: StoredTensor], path: String) throws(CheckpointError) {
    var strides: [String: [Int]] = [:]
    for (key, tensor) in tensors {
        // Row-major strides; every size, stride and count must fit the pickle's 32-bit integers.
        // (`shape` is a var: a caller may have changed it after the values.)
        var tensorStrides = [Int](repeating: 1, count: tensor.shape.count), stride = 1, elements = 1, fits = true
        for i in tensor.shape.indices.reversed() {
            let size = tensor.shape[i]
            guard size >= 0 && size <= Int(Int32.max) else { fits = false; break }
            tensorStrides[i] = stride
            let (nextStride, strideOverflow) = stride.multipliedReportingOverflow(by: max(size, 1))
            let (nextElements, elementsOverflow) = elements.multipliedReportingOverflow(by: size)
            guard !strideOverflow && !elementsOverflow && nextStride <= Int(Int32.max) else { fits = false; break }
            (stride, elements) = (nextStride, nextElements)
        }
        guard fits, elements == tensor.values.count else {
            throw .unwritable(path: path, reason: "tensor '\(key)' of shape \(tensor.shape) with \(tensor.values.count) values cannot be written (sizes up to 2^31 - 1)")
        }
        strides[key] = tensorStrides
    }
    let keys = tensors.keys.sorted()
    let storageKeys = keys.indices.map(String.init)
    var data = Data()
    var pickle = PickleWriter()
    // 1-3: the magic number, the protocol version, sys_info.
    pickle.begin()
    pickle.bytes([0x8A, UInt8(LegacyCheckpoint.magicNumber.count)] + LegacyCheckpoint.magicNumber)
    pickle.end(into: &data)
    pickle.begin()
    pickle.int(LegacyCheckpoint.protocolVersion)
    pickle.end(into: &data)
    pickle.begin()
    pickle.bytes([0x7D, 0x28])  // EMPTY_DICT, MARK
    pickle.string("protocol_version"); pickle.int(LegacyCheckpoint.protocolVersion)
    pickle.string("little_endian"); pickle.bytes([0x88])  // NEWTRUE
    pickle.string("type_sizes")
    pickle.bytes([0x7D, 0x28])
    for (name, size) in [("short", 2), ("int", 4), ("long", 4)] { pickle.string(name); pickle.int(size) }
    pickle.bytes([0x75, 0x75])  // SETITEMS, SETITEMS
    pickle.end(into: &data)
    // 4: the state_dict.
    pickle.begin()
    pickle.global("collections", "OrderedDict"); pickle.bytes([0x29, 0x52])  // EMPTY_TUPLE, REDUCE
    pickle.bytes([0x28])  // MARK
    for (key, storage) in zip(keys, storageKeys) {
        let tensor = tensors[key]!
        pickle.string(key)
        pickle.global("torch._utils", "_rebuild_tensor_v2")
        pickle.bytes([0x28])  // MARK of the arguments
        pickle.bytes([0x28])  // MARK of the persistent id
        pickle.string("storage"); pickle.global("torch", "FloatStorage"); pickle.string(storage); pickle.string("cpu")
        pickle.int(tensor.values.count); pickle.bytes([0x4E, 0x74, 0x51])  // NONE, TUPLE, BINPERSID
        pickle.int(0)
        pickle.tuple(tensor.shape)
        pickle.tuple(strides[key]!)
        pickle.bytes([0x89])  // NEWFALSE: requires_grad
        pickle.global("collections", "OrderedDict"); pickle.bytes([0x29, 0x52])  // backward_hooks
        pickle.bytes([0x74, 0x52])  // TUPLE, REDUCE
    }
    pickle.bytes([0x75])  // SETITEMS
    pickle.end(into: &data)
    // 5: the storage keys, sorted as strings.
    let sortedStorageKeys = storageKeys.sorted()
    pickle.begin()
    pickle.bytes([0x5D, 0x28])  // EMPTY_LIST, MARK
    for key in sortedStorageKeys { pickle.string(key) }
    pickle.bytes([0x65])  // APPENDS
    pickle.end(into: &data)
    // 6: the storages.
    for storage in sortedStorageKeys {
        let values = tensors[keys[Int(storage)!]]!.values
        withUnsafeBytes(of: Int64(values.count).littleEndian) { data.append(contentsOf: $0) }
        #if _endian(little)
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        #else
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        #endif
    }
    do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
        throw .unwritable(path: path, reason: error.localizedDescription)
    }
}

/// The opcodes of one protocol-2 pickle, as the writer above needs them.
private struct PickleWriter {
    private var buffer: [UInt8] = []

    mutating func begin() { buffer = [0x80, 0x02] }  // PROTO 2

    mutating func end(into data: inout Data) {
        buffer.append(0x2E)  // STOP
        data.append(contentsOf: buffer)
    }

    mutating func bytes(_ opcodes: [UInt8]) { buffer += opcodes }

    /// BININT1, BININT2 or BININT (signed 32-bit) for 0 ... 2^31 - 1.
    mutating func int(_ value: Int) {
        precondition(value >= 0 && value <= Int(Int32.max), "pickled integers are checked before writing")
        if value < 256 {
            buffer += [0x4B, UInt8(value)]
        } else if value < 65536 {
            buffer += [0x4D, UInt8(value & 0xFF), UInt8(value >> 8)]
        } else {
            buffer.append(0x4A)
            withUnsafeBytes(of: Int32(value).littleEndian) { buffer += $0 }
        }
    }

    /// BINUNICODE: UTF-8 with its length as a little-endian `UInt32`.
    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        buffer.append(0x58)
        withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { buffer += $0 }
        buffer += utf8
    }

    /// GLOBAL `module name`.
    mutating func global(_ module: String, _ name: String) {
        buffer.append(0x63)
        buffer += Array("\(module)\n\(name)\n".utf8)
    }

    /// A tuple of integers: MARK, the integers, TUPLE.
    mutating func tuple(_ values: [Int]) {
        buffer.append(0x28)
        for value in values { int(value) }
        buffer.append(0x74)
    }
}
