// Writer for the safetensors format (float32 only), and reading a safetensors file's metadata.

import Foundation

/// Writes `tensors` as a safetensors file of float32 tensors, atomically (a temporary file in the
/// same folder, renamed), so an interruption never leaves a half-written file.
///
/// Layout (https://github.com/huggingface/safetensors): `u64` little-endian header size, the JSON
/// header (keys sorted, each `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}`,
/// plus `"__metadata__"` when `metadata` is not empty), padded with spaces to a multiple of 8,
/// then the little-endian data in key order. ``loadStateDict(path:)`` reads it back bit for bit.
public func writeSafeTensors(_ tensors: [String: StoredTensor], metadata: [String: String] = [:], path: String) throws(CheckpointError) {
    var header: [String: Any] = [:]
    var offset = 0
    let keys = tensors.keys.sorted()
    for key in keys {
        let tensor = tensors[key]!
        header[key] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + 4 * tensor.values.count]] as [String: Any]
        offset += 4 * tensor.values.count
    }
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    guard var json = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]) else {
        throw .unwritable(path: path, reason: "the header cannot be encoded as JSON")
    }
    json.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
    var data = Data(capacity: 8 + json.count + offset)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(json)
    for key in keys {
        #if _endian(little)
        tensors[key]!.values.withUnsafeBytes { data.append(contentsOf: $0) }
        #else
        for value in tensors[key]!.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        #endif
    }
    do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
        throw .unwritable(path: path, reason: error.localizedDescription)
    }
}

/// The `"__metadata__"` strings of a safetensors file (empty when it has none).
///
/// - Throws: ``CheckpointError`` naming the file: `unreadable`, `unknownFormat` (not safetensors),
///   `truncated` or `malformed`.
public func loadSafeTensorsMetadata(path: String) throws(CheckpointError) -> [String: String] {
    let data = try mappedWeightFile(path: path)
    guard SafeTensors.isSafeTensors(data) else { throw .unknownFormat(path: path) }
    let headerSize = Int(clamping: data.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
    guard headerSize <= data.count - 8 else { throw .truncated(path: path, detail: "header of \(headerSize) bytes, file has \(data.count)") }
    let header = data.subdata(in: data.startIndex + 8 ..< data.startIndex + 8 + headerSize)
    guard let object = (try? JSONSerialization.jsonObject(with: header)) as? [String: Any] else {
        throw .malformed(path: path, detail: "the header is not a JSON object")
    }
    guard let metadata = object["__metadata__"] else { return [:] }
    guard let strings = metadata as? [String: String] else { throw .malformed(path: path, detail: "__metadata__ is not a map of strings") }
    return strings
}
