import Testing
import Foundation
@testable import Checkpoints
import TestSupport

@Suite struct SafeTensorsTests {
    @Test func readsHandWrittenFile() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}"#
        var data = Data()
        var n = UInt64(header.utf8.count).littleEndian
        data.append(Data(bytes: &n, count: 8))
        data.append(header.data(using: .utf8)!)
        for v: Float in [1.5, -2] { var b = v.bitPattern.littleEndian; data.append(Data(bytes: &b, count: 4)) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID()).safetensors")
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let dict = try loadStateDict(path: url.path)
        #expect(dict == ["a": StoredTensor(shape: [2], values: [1.5, -2])])
    }
}
