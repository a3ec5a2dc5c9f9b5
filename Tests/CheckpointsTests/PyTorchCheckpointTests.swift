// PyTorch checkpoints written by Scripts/goldens_checkpoints.py: readable files load exactly,
// hostile ones give the expected error naming the file and the offending global or key.

import Testing
import Foundation
@testable import Checkpoints
import TestSupport

@Suite struct PyTorchCheckpointTests {
    static let readableFiles = [
        "mixed_legacy_p2.pth", "mixed_legacy_p3.pth", "mixed_legacy_p4.pth", "mixed_legacy_p5.pth",
        "mixed_zip.pth", "mixed_zip_p4.pth", "sequential_legacy.pth", "sequential_zip.pth",
        "py2_legacy.pth", "v3_zip64.pth",
    ]

    static let hostileFiles = [
        "hostile_os_system_legacy.pth", "hostile_os_system_zip.pth", "hostile_eval_legacy_p4.pth",
        "hostile_getattr_legacy.pth", "hostile_bare_pickle.pkl", "hostile_module_zip.pth",
        "hostile_module_legacy.pth", "hostile_int_value_legacy.pth", "hostile_int_value_zip.pth",
        "hostile_int64_legacy.pth", "hostile_int64_zip.pth", "hostile_out_of_bounds_legacy.pth",
        "hostile_huge_size_legacy.pth", "hostile_list_legacy.pth", "hostile_deflated_zip.pth",
        "not_a_checkpoint.txt",
    ]

    @Test func indexListsExactlyTheTestedFiles() throws {
        let index = try CheckpointGoldenIndex.load()
        #expect(Set(index.dicts.values.flatMap(\.files)) == Set(Self.readableFiles))
        #expect(Set(index.hostile.map(\.file)) == Set(Self.hostileFiles))
    }

    @Test(arguments: readableFiles)
    func loadsExactly(file: String) throws {
        let index = try CheckpointGoldenIndex.load()
        let expected = try #require(try index.expected(for: file), "\(file) is not in index.json")
        let loaded = try loadStateDict(path: try TestPaths.golden("checkpoints/\(file)").path)
        #expect(Set(loaded.keys) == Set(expected.keys), "\(file)")
        for (key, tensor) in expected.sorted(by: { $0.key < $1.key }) {
            let got = try #require(loaded[key], "\(file): '\(key)' missing")
            #expect(got.shape == tensor.shape, "\(file): '\(key)'")
            // Exact: every conversion (float16, bfloat16, float64 rounding) matches PyTorch's.
            #expect(got.values.map(\.bitPattern) == tensor.values.map(\.bitPattern), "\(file): '\(key)'")
        }
    }

    @Test func mixedFileCoversTheTrickyLayouts() throws {
        let dict = try loadStateDict(path: try TestPaths.golden("checkpoints/mixed_legacy_p2.pth").path)
        #expect(dict["conv.weight"]?.shape == [4, 3, 3, 3])
        #expect(dict["scalar"] == StoredTensor(shape: [], values: [3.25]))
        #expect(dict["empty"] == StoredTensor(shape: [0, 3], values: []))
        #expect(dict["broadcast"]?.shape == [3, 4])
        let broadcast = try #require(dict["broadcast"]).values
        #expect((0 ..< 3).allSatisfy { row in Set(broadcast[4 * row ..< 4 * row + 4]).count == 1 })
        #expect(dict["_metadata"] == nil)
    }

    @Test(arguments: hostileFiles)
    func refusesHostileFile(file: String) throws {
        let index = try CheckpointGoldenIndex.load()
        let spec = try #require(index.hostile(file), "\(file) is not in index.json")
        let path = try TestPaths.golden("checkpoints/\(file)").path
        do {
            let dict = try loadStateDict(path: path)
            Issue.record("\(file) loaded (\(dict.count) tensors) but should fail with \(spec.error)")
        } catch {
            #expect(error.caseName == spec.error, "\(file): \(error)")
            #expect(error.description.contains(path), "\(error)")
            for mention in spec.mentions {
                #expect(error.description.contains(mention), "\(file): '\(mention)' not in: \(error)")
            }
        }
    }

    @Test func forbiddenGlobalIsNamedInTheCase() throws {
        let path = try TestPaths.golden("checkpoints/hostile_os_system_legacy.pth").path
        #expect(throws: CheckpointError.forbiddenObject(path: path, name: "os.system")) {
            try loadStateDict(path: path)
        }
    }

    @Test func missingFileIsUnreadable() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("nope.pth").path
        #expect(throws: CheckpointError.unreadable(path: path, reason: "no such file")) {
            try loadStateDict(path: path)
        }
    }

    @Test func folderIsUnreadable() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            _ = try loadStateDict(path: folder.path)
            Issue.record("a folder loaded")
        } catch {
            #expect(error.caseName == "unreadable")
        }
    }

    @Test func emptyFileIsTruncated() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("empty.pth")
        try Data().write(to: url)
        #expect(throws: CheckpointError.truncated(path: url.path, detail: "the file is empty")) {
            try loadStateDict(path: url.path)
        }
    }

    @Test func pngIsUnknownFormat() throws {
        let data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 64))
        #expect(throws: CheckpointError.unknownFormat(path: "x.png")) { try readInMemory(data, path: "x.png").get() }
    }
}
