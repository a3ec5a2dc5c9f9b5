// Cut and corrupted checkpoints: every one ends in an error naming the file (or, when a corrupted
// byte happens to be harmless, loads), never in a crash, a hang or a huge allocation.

import TensorCore
import Testing
import Foundation
@testable import Checkpoints
import TestSupport

@Suite struct DamagedFileTests {
    static let files = [
        "mixed_legacy_p2.pth", "mixed_legacy_p4.pth", "mixed_zip.pth", "sequential_legacy.pth",
        "sequential_zip.pth", "py2_legacy.pth", "v3_zip64.pth",
    ]

    /// Every prefix of the file is refused as truncated or malformed.
    @Test(arguments: files)
    func everyCutPointIsAnError(file: String) throws {
        let url = try TestPaths.golden("checkpoints/\(file)")
        let data = try Data(contentsOf: url)
        var outcomes: [String: Int] = [:]
        for cut in 0 ..< data.count {
            let path = "\(file)@\(cut)"
            switch readInMemory(data.prefix(cut), path: path) {
            case .success:
                Issue.record("\(file) cut at \(cut) of \(data.count) bytes loaded")
            case .failure(let error):
                outcomes[error.caseName, default: 0] += 1
                guard ["truncated", "malformed"].contains(error.caseName), error.description.contains(path) else {
                    Issue.record("\(file) cut at \(cut): \(error)")
                    continue
                }
            }
        }
        #expect(outcomes["truncated", default: 0] > data.count / 2, "\(file): \(outcomes)")
    }

    /// The same through files on disk, at every twentieth of the file.
    @Test(arguments: files)
    func cutFilesOnDiskAreErrors(file: String) throws {
        let data = try Data(contentsOf: try TestPaths.golden("checkpoints/\(file)"))
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for twentieth in 1 ..< 20 {
            let cut = data.count * twentieth / 20
            let url = folder.appendingPathComponent("cut\(twentieth)-\(file)")
            try data.prefix(cut).write(to: url)
            do {
                _ = try loadStateDict(path: url.path)
                Issue.record("\(file) cut at \(cut) loaded")
            } catch {
                #expect(["truncated", "malformed"].contains(error.caseName), "\(file) cut at \(cut): \(error)")
                #expect(error.description.contains(url.path))
            }
        }
    }

    /// Randomly corrupted bytes (seeded): any outcome but a crash; whatever loads is consistent.
    @Test(arguments: files)
    func corruptedBytesNeverCrash(file: String) throws {
        let original = try Data(contentsOf: try TestPaths.golden("checkpoints/\(file)"))
        var random = SeededRandom(seed: UInt64(original.count))
        for trial in 0 ..< 300 {
            var data = original
            for _ in 0 ... random.next() % 4 {
                let at = Int(random.next() % UInt64(data.count))
                data[at] = UInt8(truncatingIfNeeded: random.next())
            }
            if case .success(let dict) = readInMemory(data, path: "\(file)#\(trial)") {
                for tensor in dict.values {
                    #expect(tensor.shape.reduce(1, *) == tensor.values.count)
                }
            }
        }
    }

    /// A storage whose size field is corrupted to a huge count fails before allocating anything.
    @Test func hugeStorageCountIsRefused() throws {
        var data = try Data(contentsOf: try TestPaths.golden("checkpoints/sequential_legacy.pth"))
        // The first storage's 8-byte element count follows the five pickles (the fourth is the state_dict).
        let countOffset = try data.withUnsafeBytes { raw in
            let machine = PickleMachine(bytes: raw, path: "huge.pth", streamName: "the pickle stream", endMeansTruncated: true)
            var offset = 0
            for pickle in 0 ..< 5 {
                offset = try machine.load(at: offset, allowPersistentIDs: pickle == 3).end
            }
            return offset
        }
        data.replaceSubrange(countOffset ..< countOffset + 8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        guard case .failure(let error) = readInMemory(data, path: "huge.pth") else {
            Issue.record("loaded")
            return
        }
        #expect(error.caseName == "malformed", "\(error)")
    }
}
