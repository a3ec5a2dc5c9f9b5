// Damage that parses: a flipped byte inside a zip member (caught by its CRC-32), and safetensors
// headers whose data ranges overlap, leave gaps or run past the data.

import Foundation
import Testing
@testable import Checkpoints
import TestSupport

@Suite struct IntegrityTests {
    /// A flipped bit in a tensor's stored bytes used to load as a wrong weight.
    @Test(arguments: ["sequential_zip.pth", "mixed_zip.pth", "v3_zip64.pth"])
    func flippedByteInAZipMemberFailsItsCRC(file: String) throws {
        let original = try Data(contentsOf: try TestPaths.golden("checkpoints/\(file)"))
        // Where the first tensor data member's bytes lie in the file.
        let (member, start, count) = try original.withUnsafeBytes { raw throws -> (String, Int, Int) in
            let archive = try ZipArchive(raw, path: file)
            let entry = try #require(archive.entries.first { $0.name.contains("/data/") && $0.uncompressedSize > 0 })
            let contents = try archive.contents(of: entry)
            return (entry.name, contents.baseAddress! - raw.baseAddress!, contents.count)
        }
        #expect(try loadFrom(original, file).isEmpty == false)
        for at in [start, start + count / 2, start + count - 1] {
            var damaged = original
            damaged[at] ^= 0x10
            let path = "damaged-\(file)"
            guard case .failure(let error) = readInMemory(damaged, path: path) else {
                Issue.record("\(file) with byte \(at) flipped loaded")
                continue
            }
            guard case .malformed(path, let detail) = error else { Issue.record("\(error)"); continue }
            #expect(detail.hasPrefix("zip member '\(member)' fails its CRC-32 check"), "\(detail)")
            #expect(error.description.contains(path))
        }
    }

    @Test func crc32MatchesZlib() {
        // zlib.crc32 of b"", b"a", b"123456789" and 1000 bytes i % 251 (every path of the sliced loop).
        let cases: [([UInt8], UInt32)] = [
            ([], 0), (Array("a".utf8), 0xE8B7_BE43), (Array("123456789".utf8), 0xCBF4_3926),
            ((0 ..< 1000).map { UInt8($0 % 251) }, 0x7217_46A6),
        ]
        for (bytes, expected) in cases {
            #expect(bytes.withUnsafeBytes { CRC32.checksum($0) } == expected, "\(bytes.count) bytes")
        }
    }

    /// A safetensors file of float32 tensors `[name: (shape, [begin, end])]` over `dataBytes` bytes.
    static func safetensors(_ tensors: [(String, [Int], [Int])], dataBytes: Int) -> Data {
        let entries = tensors.map { #""\#($0.0)":{"dtype":"F32","shape":\#($0.1),"data_offsets":\#($0.2)}"# }
        let header = Data(("{" + entries.joined(separator: ",") + "}").utf8)
        var data = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(header)
        data.append(contentsOf: (0 ..< dataBytes).map { UInt8(truncatingIfNeeded: $0) })
        return data
    }

    @Test func safetensorsRangesMustTileTheData() throws {
        let path = "tiles.safetensors"
        func detail(_ data: Data) -> String? {
            guard case .failure(.malformed(path, let detail)) = readInMemory(data, path: path) else { return nil }
            return detail
        }
        // The valid layout loads: two tensors end to end, and an empty one anywhere between.
        let valid = Self.safetensors([("a", [2], [0, 8]), ("b", [3], [8, 20]), ("e", [0], [8, 8])], dataBytes: 20)
        #expect(try loadFrom(valid, path).keys.sorted() == ["a", "b", "e"])

        let overlap = Self.safetensors([("a", [2], [0, 8]), ("b", [3], [4, 16])], dataBytes: 16)
        #expect(detail(overlap) == "the data of tensors 'a' (bytes 0..<8) and 'b' (bytes 4..<16) overlap")
        let same = Self.safetensors([("a", [2], [0, 8]), ("b", [2], [0, 8])], dataBytes: 8)
        #expect(detail(same) == "the data of tensors 'a' (bytes 0..<8) and 'b' (bytes 0..<8) overlap")
        let inside = Self.safetensors([("a", [4], [0, 16]), ("e", [0], [4, 4])], dataBytes: 16)
        #expect(detail(inside) == "the data of tensors 'a' (bytes 0..<16) and 'e' (bytes 4..<4) overlap")
        let gap = Self.safetensors([("a", [2], [0, 8]), ("b", [2], [12, 20])], dataBytes: 20)
        #expect(detail(gap) == "4 bytes after tensor 'a' (which ends at byte 8) belong to no tensor; tensor 'b' starts at byte 12")
        let lateStart = Self.safetensors([("a", [2], [4, 12])], dataBytes: 12)
        #expect(detail(lateStart) == "4 bytes at the start of the data belong to no tensor; tensor 'a' starts at byte 4")
        let trailing = Self.safetensors([("a", [2], [0, 8])], dataBytes: 11)
        #expect(detail(trailing) == "3 bytes at the end of the data after the last tensor, 'a', belong to no tensor")
        let nothing = Self.safetensors([], dataBytes: 5)
        #expect(detail(nothing) == "5 bytes at the end of the data (the header declares no tensor) belong to no tensor")
        let past = Self.safetensors([("a", [2], [0, 8]), ("b", [2], [8, 16])], dataBytes: 12)
        guard case .failure(.truncated(path, let truncated)) = readInMemory(past, path: path) else {
            Issue.record("a tensor past the data was not refused as truncated")
            return
        }
        #expect(truncated == "data of 'b' ends 16 bytes after the header, file has 12")
    }

    /// What the writer writes tiles exactly, so its files still load.
    @Test func writtenFilesTileTheData() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("w.safetensors").path
        let tensors = ["x": StoredTensor(shape: [2, 2], values: [1, 2, 3, 4]), "y": StoredTensor(shape: [0], values: []),
                       "z": StoredTensor(shape: [], values: [7])]
        try writeSafeTensors(tensors, path: path)
        #expect(try loadStateDict(path: path) == tensors)
    }

    /// A FIFO used to block the open forever, /dev/zero to be read until memory ran out.
    @Test func onlyRegularFilesAreRead() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("pipe.pth").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let start = Date()
        for (path, kind) in [(fifo, "a FIFO (named pipe)"), ("/dev/zero", "a character device"), (folder.path, "a folder")] {
            let expected = CheckpointError.unreadable(path: path, reason: "it is \(kind), not a regular file")
            #expect(throws: expected) { try loadStateDict(path: path) }
            #expect(throws: expected) { try loadSafeTensorsMetadata(path: path) }
        }
        #expect(Date().timeIntervalSince(start) < 5)
        let missing = folder.appendingPathComponent("missing.pth").path
        #expect(throws: CheckpointError.unreadable(path: missing, reason: "no such file")) { try loadStateDict(path: missing) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["pipe.pth"])
    }

    private func loadFrom(_ data: Data, _ path: String) throws -> [String: StoredTensor] {
        try readInMemory(data, path: path).get()
    }
}
