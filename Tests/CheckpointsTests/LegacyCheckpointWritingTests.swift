// writeLegacyPyTorchCheckpoint: read back by our reader and by PyTorch's own torch.load (Debian's
// python3-torch, as the goldens use it) bit for bit; shapes it cannot write are refused before
// anything is written.

@testable import Checkpoints
import Foundation
import Testing
import TestSupport

@Suite struct LegacyCheckpointWritingTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("legacy-writing-\(UUID().uuidString)")

    /// Tensors of several ranks and sizes (a 300-element one for BININT2, 70,000 for BININT, a
    /// scalar), with more than ten storages so that the storage keys sort "0", "1", "10", ...
    func tensors() -> [String: StoredTensor] {
        var state: [String: StoredTensor] = [:]
        for k in 0 ..< 12 {
            let shape = [k + 1, 2, 3, 3]
            state["net.\(k / 4).\(k % 4).weight"] = StoredTensor(shape: shape, values: (0 ..< shape.reduce(1, *)).map { Float($0) * 0.25 - Float(k) })
        }
        state["big"] = StoredTensor(shape: [70_000], values: (0 ..< 70_000).map { Float($0).squareRoot() })
        state["mid"] = StoredTensor(shape: [3, 100], values: (0 ..< 300).map { -Float($0) / 7 })
        state["scalar"] = StoredTensor(shape: [], values: [Float.pi])
        return state
    }

    @Test func torchLoadAndOurReaderGiveTheTensorsBack() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let path = temp.appendingPathComponent("decoder.pth").path
        let state = tensors()
        try writeLegacyPyTorchCheckpoint(state, path: path)
        #expect(try loadStateDict(path: path) == state)

        // PyTorch: an OrderedDict of float32 CPU tensors, each key's shape and bytes.
        let script = """
            import collections, json, sys, torch
            state = torch.load(sys.argv[1])
            assert type(state) is collections.OrderedDict, type(state)
            print(json.dumps({k: [list(t.shape), t.dtype == torch.float32 and t.is_contiguous(), t.numpy().tobytes().hex()] for k, t in state.items()}))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let loaded = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [Any]])
        #expect(Set(loaded.keys) == Set(state.keys))
        for (key, tensor) in state {
            let entry = try #require(loaded[key])
            #expect(entry[0] as? [Int] == tensor.shape, "\(key)")
            #expect(entry[1] as? Bool == true, "\(key)")
            let hex = tensor.values.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
            #expect(entry[2] as? String == hex, "\(key)")
        }
    }

    /// Shapes the pickle's 32-bit sizes cannot hold, and a shape changed after its values (the
    /// `shape` is a var), are refused before anything is written; the message names the tensor.
    @Test func shapesThatCannotBeWrittenAreRefusedBeforeWriting() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let path = temp.appendingPathComponent("bad.pth").path
        var changed = StoredTensor(shape: [2, 3], values: [Float](repeating: 0, count: 6))
        changed.shape = [5]
        let huge = Int(Int32.max) + 1
        for bad in [StoredTensor(shape: [huge, 0], values: []), StoredTensor(shape: [0, 70_000, 70_000], values: []), changed] {
            do {
                try writeLegacyPyTorchCheckpoint(["ok": StoredTensor(shape: [1], values: [1]), "bad": bad], path: path)
                Issue.record("shape \(bad.shape) was written")
            } catch {
                guard case .unwritable(let p, let reason) = error else { Issue.record("expected unwritable, got \(error)"); continue }
                #expect(p == path && reason.contains("'bad'") && reason.contains("\(bad.shape)"), "\(reason)")
            }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }
}
