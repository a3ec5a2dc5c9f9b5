// Reader for PyTorch's legacy checkpoint format: a run of pickles followed by raw storages.

/// Reads `torch.save(obj, f, _use_new_zipfile_serialization=False)` files, the format of PyTorch
/// before 1.6 and of pytorch-AdaIN's released `vgg_normalised.pth` and `decoder.pth`.
///
/// Layout (`_legacy_save` / `_legacy_load` in `torch/serialization.py`; pickle protocol 2 unless
/// `pickle_protocol` says otherwise):
/// 1. a pickle of `MAGIC_NUMBER` = 0x1950a86a20f9469cfc6c (`LONG1`),
/// 2. a pickle of `PROTOCOL_VERSION` = 1001,
/// 3. a pickle of `sys_info` (`{'protocol_version', 'little_endian', 'type_sizes'}`),
/// 4. the main pickle: the state_dict, whose storages are persistent ids
///    `('storage', torch.FloatStorage, key, location, numel, view_metadata)`,
/// 5. a pickle of the list of storage keys (sorted as strings),
/// 6. for each key in that order, the storage: its element count as a little-endian `Int64`, then
///    `count * element_size` bytes of data (`_write_file` with `save_size=True`).
enum LegacyCheckpoint {
    /// `MAGIC_NUMBER`, little endian, as `LONG1` stores it.
    static let magicNumber: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    /// `PROTOCOL_VERSION` of `torch/serialization.py`.
    static let protocolVersion = 1001

    /// Whether the bytes start as a legacy checkpoint: `PROTO 2...5`, for protocol 4 and 5 a `FRAME`,
    /// then `LONG1` of the magic number and `STOP`. A file cut inside those first bytes counts too, so
    /// that it is reported as truncated.
    static func hasSignature(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let first = bytes.first, first == 0x80 else { return false }
        guard bytes.count >= 2 else { return true }
        let proto = bytes[1]
        guard (2 ... 5).contains(proto) else { return false }
        let magicPickle: [UInt8?] = [0x8A, UInt8(magicNumber.count)] + magicNumber + [0x2E]
        let framed: [UInt8?] = [0x95] + [UInt8?](repeating: nil, count: 8) + magicPickle
        return [magicPickle, framed].contains { pattern in
            zip(bytes.dropFirst(2), pattern).allSatisfy { byte, expected in expected.map { $0 == byte } ?? true }
        }
    }

    static func read(_ bytes: UnsafeRawBufferPointer, path: String, selection: TensorSelection = .all) throws(CheckpointError) -> [String: StoredTensor] {
        let machine = PickleMachine(bytes: bytes, path: path, streamName: "the pickle stream", endMeansTruncated: true)

        let magic = try machine.load(at: 0, allowPersistentIDs: false)
        guard case .bigInt(let number) = magic.value, number == magicNumber else {
            throw .malformed(path: path, detail: "the first pickle is \(magic.value.kindDescription), not PyTorch's magic number")
        }
        let version = try machine.load(at: magic.end, allowPersistentIDs: false)
        guard case .int(let v) = version.value, v == protocolVersion else {
            throw .unsupportedFeature(path: path, detail: "legacy serialization protocol \(version.value.kindDescription); version \(protocolVersion) is read")
        }
        let sysInfo = try machine.load(at: version.end, allowPersistentIDs: false)
        guard case .dict(let info) = sysInfo.value else {
            throw .malformed(path: path, detail: "sys_info is \(sysInfo.value.kindDescription), not a dict")
        }
        if case .bool(false)? = sysInfo.heap.dicts[info]["little_endian"] {
            throw .unsupportedFeature(path: path, detail: "it was saved on a big-endian machine")
        }
        let main = try machine.load(at: sysInfo.end, allowPersistentIDs: true)
        let keyList = try machine.load(at: main.end, allowPersistentIDs: false)
        guard case .list(let keyHandle) = keyList.value else {
            throw .malformed(path: path, detail: "the storage key list is \(keyList.value.kindDescription), not a list")
        }

        // The storages follow, in the order of the key list.
        var storageRanges: [String: Range<Int>] = [:]
        var offset = keyList.end
        for keyValue in keyList.heap.lists[keyHandle] {
            guard case .string(let key) = keyValue else {
                throw .malformed(path: path, detail: "a storage key is \(keyValue.kindDescription), not a string")
            }
            guard let reference = main.storages[key] else {
                throw .malformed(path: path, detail: "storage '\(key)' is listed but no tensor uses it")
            }
            guard storageRanges[key] == nil else {
                throw .malformed(path: path, detail: "storage '\(key)' is listed twice")
            }
            guard bytes.count - offset >= 8 else {
                throw .truncated(path: path, detail: "the file ends at byte \(bytes.count), before the size of storage '\(key)' at byte \(offset)")
            }
            let count = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            guard count == UInt64(reference.count) else {
                throw .malformed(path: path, detail: "storage '\(key)' has \(count) elements in the file but \(reference.count) in the pickle")
            }
            let start = offset + 8
            guard let length = checkedProduct([reference.count, reference.type.byteSize]), length <= bytes.count - start else {
                throw .truncated(path: path, detail: "storage '\(key)' needs \(reference.count) \(reference.type.name) elements from byte \(start), the file ends at byte \(bytes.count)")
            }
            storageRanges[key] = start ..< start + length
            offset = start + length
        }

        var assembly = StateDictAssembly(path: path, fileSize: bytes.count, selection: selection)
        return try assembly.assemble(main) { reference throws(CheckpointError) in
            guard let range = storageRanges[reference.key] else {
                throw .malformed(path: path, detail: "storage '\(reference.key)' is used but missing from the storage list")
            }
            selection.storageRead?(reference.key)
            return UnsafeRawBufferPointer(rebasing: bytes[range])
        }
    }
}
