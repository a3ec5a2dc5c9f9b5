// The safetensors writer: what it writes reads back bit for bit (by this reader and by the
// format's layout rules), with its metadata, and a failed write is a typed error naming the file.

import Foundation
import Testing
@testable import Checkpoints
import TestSupport

@Suite struct SafeTensorsWritingTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("st-write-\(UUID().uuidString)")

    @Test func roundTripIsBitExactWithMetadata() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tensors = [
            "1.weight": StoredTensor(shape: [2, 1, 1, 3], values: [1.5, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.infinity, 1e-30]),
            "1.bias": StoredTensor(shape: [2], values: [0.1, -7]),
            "nan": StoredTensor(shape: [1], values: [Float(bitPattern: 0x7FC0_1234)]),
        ]
        let path = folder.appendingPathComponent("w.safetensors").path
        try writeSafeTensors(tensors, metadata: ["note": "a \"quoted\" value"], path: path)
        let read = try loadStateDict(path: path)
        #expect(read.keys.sorted() == tensors.keys.sorted())
        for (key, tensor) in tensors {
            #expect(read[key]?.shape == tensor.shape)
            #expect(read[key]?.values.map(\.bitPattern) == tensor.values.map(\.bitPattern), "\(key)")
        }
        #expect(try loadSafeTensorsMetadata(path: path) == ["note": "a \"quoted\" value"])
        // The header is padded to 8 bytes and the data follows it in key order.
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerSize = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian
        #expect(headerSize % 8 == 0 && data.count == 8 + Int(headerSize) + 4 * 9)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["w.safetensors"])
    }

    @Test func unwritablePathIsNamed() throws {
        let path = folder.appendingPathComponent("missing/folder/w.safetensors").path
        #expect {
            try writeSafeTensors(["a": StoredTensor(shape: [1], values: [1])], path: path)
        } throws: { error in
            guard case .unwritable(let p, _) = error as? CheckpointError else { return false }
            return p == path && (error as! CheckpointError).description.contains(path)
        }
    }
}
