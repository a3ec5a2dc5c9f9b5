// Reader for the safetensors format: an 8-byte little-endian header length, a JSON header, raw data.

import Foundation

/// Reads a safetensors file into a `state_dict`.
///
/// Layout (https://github.com/huggingface/safetensors): `u64` header size N (little endian), N bytes
/// of JSON mapping each name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to
/// the byte after the header), an optional `"__metadata__"` entry, then the data.
enum SafeTensors {
    /// A plausible header size followed by `{`. The size may exceed the file (then it is truncated).
    static func isSafeTensors(_ data: Data) -> Bool {
        guard data.count >= 9 else { return false }
        let n = data.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian
        return n >= 2 && n <= 100_000_000 && data[data.startIndex + 8] == UInt8(ascii: "{")
    }

    static func read(_ data: Data, path: String, selection: TensorSelection = .all) throws(CheckpointError) -> [String: StoredTensor] {
        guard data.count >= 8 else { throw .truncated(path: path, detail: "no header") }
        let headerSize = Int(clamping: data.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
        guard headerSize <= data.count - 8 else {
            throw .truncated(path: path, detail: "header of \(headerSize) bytes, file has \(data.count)")
        }
        let headerBytes = data.subdata(in: data.startIndex + 8 ..< data.startIndex + 8 + headerSize)
        let dataStart = 8 + headerSize
        guard let header = (try? JSONSerialization.jsonObject(with: headerBytes)) as? [String: Any] else {
            throw .malformed(path: path, detail: "the header is not a JSON object")
        }
        var layouts: [TensorLayout] = []
        for (key, entry) in header where key != "__metadata__" {
            guard let entry = entry as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int],
                  offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1]
            else { throw .malformed(path: path, detail: "bad header entry for '\(key)'") }
            guard let dt = TensorDType(safetensorsName: dtype) else {
                throw .unsupportedDType(path: path, key: key, dtype: dtype)
            }
            guard let count = checkedProduct(shape), offsets[1] - offsets[0] == checkedProduct([count, dt.byteSize]) else {
                throw .malformed(path: path, detail: "'\(key)' has \(offsets[1] - offsets[0]) bytes for shape \(shape) of \(dtype)")
            }
            guard offsets[1] <= data.count - dataStart else {
                throw .truncated(path: path, detail: "data of '\(key)' ends \(offsets[1]) bytes after the header, file has \(data.count - dataStart)")
            }
            layouts.append(TensorLayout(key: key, dtype: dt, shape: shape, count: count, begin: offsets[0], end: offsets[1]))
        }
        try checkTiling(layouts, bufferSize: data.count - dataStart, path: path)

        var result: [String: StoredTensor] = [:]
        for layout in layouts where selection.wants(layout.key) {
            selection.storageRead?(layout.key)
            let begin = data.startIndex + dataStart + layout.begin
            let values = data.withUnsafeBytes { raw in
                layout.dtype.decode(UnsafeRawBufferPointer(rebasing: raw[(begin - data.startIndex)...].prefix(layout.end - layout.begin)), count: layout.count)
            }
            result[layout.key] = StoredTensor(shape: layout.shape, values: values)
        }
        return result
    }

    /// Where one tensor's data lies, relative to the end of the header.
    private struct TensorLayout {
        var key: String
        var dtype: TensorDType
        var shape: [Int]
        var count: Int
        var begin: Int
        var end: Int
    }

    /// The tensors' byte ranges must tile the data exactly, as the safetensors library requires
    /// (`validate` in safetensors/src/tensor.rs): sorted by offset, each starts where the previous
    /// ends, the first at 0 and the last at the end of the file. Overlapping ranges would let one
    /// stored value feed two tensors (a crafted file could alias weights), and gaps or trailing
    /// bytes mean a damaged or hand-edited file.
    private static func checkTiling(_ layouts: [TensorLayout], bufferSize: Int, path: String) throws(CheckpointError) {
        let sorted = layouts.sorted { ($0.begin, $0.end, $0.key) < ($1.begin, $1.end, $1.key) }
        var previous: TensorLayout?
        for layout in sorted {
            let expected = previous?.end ?? 0
            if layout.begin < expected, let previous {
                throw .malformed(path: path, detail: "the data of tensors '\(previous.key)' (bytes \(previous.begin)..<\(previous.end)) and '\(layout.key)' (bytes \(layout.begin)..<\(layout.end)) overlap")
            }
            if layout.begin > expected {
                let after = previous.map { "after tensor '\($0.key)' (which ends at byte \($0.end))" } ?? "at the start of the data"
                throw .malformed(path: path, detail: "\(layout.begin - expected) bytes \(after) belong to no tensor; tensor '\(layout.key)' starts at byte \(layout.begin)")
            }
            previous = layout
        }
        let end = previous?.end ?? 0
        if end != bufferSize {
            let last = previous.map { "after the last tensor, '\($0.key)'," } ?? "(the header declares no tensor)"
            throw .malformed(path: path, detail: "\(bufferSize - end) bytes at the end of the data \(last) belong to no tensor")
        }
    }
}
