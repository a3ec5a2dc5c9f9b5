// Reader for PyTorch's zip checkpoint format, the default of torch.save since PyTorch 1.6.

/// Reads `torch.save(obj, f)` files: a zip archive (see ``ZipArchive``) whose records all sit in one
/// folder, named after the file's stem when saving to a path or `archive` otherwise:
///
/// - `<folder>/data.pkl`: the main pickle; storages are persistent ids
///   `('storage', storage_type, key, location, numel)` (`_save` / `_load` in `torch/serialization.py`).
///   `storage_type` is a typed storage class (`torch.FloatStorage`), or `torch.UntypedStorage` with the
///   dtype given to `_rebuild_tensor_v3` (newer dtypes in newer PyTorch);
/// - `<folder>/data/<key>`: each storage's raw little-endian bytes;
/// - `<folder>/version`, and in newer PyTorch `<folder>/byteorder` (`little` or `big`),
///   `<folder>/.data/serialization_id` and others, which are not needed.
///
/// The folder is found from the one record named `<folder>/data.pkl`.
enum ZipCheckpoint {
    static func read(_ bytes: UnsafeRawBufferPointer, path: String, selection: TensorSelection = .all) throws(CheckpointError) -> [String: StoredTensor] {
        let archive = try ZipArchive(bytes, path: path)
        let pickles = archive.entries.filter { entry in
            let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl"
        }
        guard let pickleEntry = pickles.first else {
            let hint = archive["constants.pkl"] != nil || archive.entries.contains { $0.name.hasSuffix("/constants.pkl") }
                ? " (it looks like a TorchScript archive from torch.jit.save)" : ""
            throw .malformed(path: path, detail: "the zip archive has no '<folder>/data.pkl' record\(hint)")
        }
        guard pickles.count == 1 else {
            throw .malformed(path: path, detail: "the zip archive has \(pickles.count) '<folder>/data.pkl' records")
        }
        let folder = String(pickleEntry.name.dropLast("/data.pkl".count))

        if let byteOrder = archive["\(folder)/byteorder"] {
            let order = String(decoding: try archive.contents(of: byteOrder), as: UTF8.self)
            guard order.hasPrefix("little") else {
                throw .unsupportedFeature(path: path, detail: "its storages are '\(order)' endian; only little-endian files are read")
            }
        }

        let pickle = try archive.contents(of: pickleEntry)
        let machine = PickleMachine(bytes: pickle, path: path, streamName: pickleEntry.name, endMeansTruncated: false)
        let main = try machine.load(at: 0, allowPersistentIDs: true)

        var assembly = StateDictAssembly(path: path, fileSize: bytes.count, selection: selection)
        return try assembly.assemble(main) { reference throws(CheckpointError) in
            let name = "\(folder)/data/\(reference.key)"
            guard let entry = archive[name] else {
                throw .malformed(path: path, detail: "storage '\(reference.key)' has no record '\(name)'")
            }
            selection.storageRead?(name)
            let data = try archive.contents(of: entry)
            guard let length = checkedProduct([reference.count, reference.type.byteSize]), length <= data.count else {
                throw .malformed(path: path, detail: "record '\(name)' has \(data.count) bytes, too few for \(reference.count) \(reference.type.name) elements")
            }
            return UnsafeRawBufferPointer(rebasing: data[0 ..< length])
        }
    }
}
