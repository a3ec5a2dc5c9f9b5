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

    static func read(_ data: Data, path: String) throws(CheckpointError) -> [String: StoredTensor] {
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
        var result: [String: StoredTensor] = [:]
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
            let begin = data.startIndex + dataStart + offsets[0]
            let values = data.withUnsafeBytes { raw in
                dt.decode(UnsafeRawBufferPointer(rebasing: raw[(begin - data.startIndex)...].prefix(count * dt.byteSize)), count: count)
            }
            result[key] = StoredTensor(shape: shape, values: values)
        }
        return result
    }
}
