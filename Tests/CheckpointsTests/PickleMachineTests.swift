// The restricted pickle machine on hand-written opcode sequences.

import Testing
import Foundation
@testable import Checkpoints

@Suite struct PickleMachineTests {
    /// Runs one pickle from `bytes`, persistent ids allowed unless said otherwise.
    func run(_ bytes: [UInt8], persistentIDs: Bool = true) -> Result<PickleMachine.Result, CheckpointError> {
        bytes.withUnsafeBytes { raw in
            let machine = PickleMachine(bytes: raw, path: "test.pkl", streamName: "the test pickle", endMeansTruncated: true)
            return Result { () throws(CheckpointError) in try machine.load(at: 0, allowPersistentIDs: persistentIDs) }
        }
    }

    func error(_ bytes: [UInt8], persistentIDs: Bool = true) -> CheckpointError? {
        if case .failure(let e) = run(bytes, persistentIDs: persistentIDs) { return e }
        return nil
    }

    static func unicode(_ s: String) -> [UInt8] {
        [0x8C, UInt8(s.utf8.count)] + Array(s.utf8)
    }

    static func global(_ module: String, _ name: String) -> [UInt8] {
        [0x63] + Array("\(module)\n\(name)\n".utf8)
    }

    @Test func memoizedDictIsSharedAndMutable() throws {
        // {} BINPUT 0, 'a' 1 SETITEM, POP, BINGET 0, STOP: the fetched dict holds 'a'.
        let bytes: [UInt8] = [0x80, 2, 0x7D, 0x71, 0] + Self.unicode("a") + [0x4B, 1, 0x73, 0x30, 0x68, 0, 0x2E]
        guard case .success(let result) = run(bytes), case .dict(let dict) = result.value,
              case .int(1)? = result.heap.dicts[dict]["a"]
        else {
            Issue.record("\(run(bytes))")
            return
        }
    }

    @Test func integers() throws {
        let cases: [([UInt8], Int)] = [
            ([0x8A, 0x02, 0x00, 0xFF], -256), ([0x8A, 0x01, 0xFF], -1), ([0x8A, 0x00], 0),
            ([0x4A, 0xFE, 0xFF, 0xFF, 0xFF], -2), ([0x4D, 0xE9, 0x03], 1001),
            ([0x8A, 0x09, 1, 0, 0, 0, 0, 0, 0, 0, 0], 1),
        ]
        for (ops, expected) in cases {
            guard case .success(let result) = run([0x80, 2] + ops + [0x2E]), case .int(let v) = result.value, v == expected else {
                Issue.record("\(ops): \(run([0x80, 2] + ops + [0x2E])), expected \(expected)")
                continue
            }
        }
        guard case .success(let result) = run([0x80, 2, 0x8A, 10] + LegacyCheckpoint.magicNumber + [0x2E]),
              case .bigInt(let magic) = result.value
        else {
            Issue.record("the magic number is not a big integer")
            return
        }
        #expect(magic == LegacyCheckpoint.magicNumber)
    }

    @Test func hugeLengthsAreCheckedBeforeAllocating() {
        // BINUNICODE of 4 GiB, BINUNICODE8 and FRAME of 2^63 - 1, LONG4 of 2 GiB: the file has a few bytes.
        let cases: [[UInt8]] = [
            [0x80, 2, 0x58, 0xFF, 0xFF, 0xFF, 0xFF, 0x61, 0x62],
            [0x80, 4, 0x8D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x61],
            [0x80, 4, 0x95, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x4E, 0x2E],
            [0x80, 2, 0x8B, 0xFF, 0xFF, 0xFF, 0x7F, 0x00],
        ]
        for bytes in cases {
            #expect(error(bytes)?.caseName == "truncated", "\(bytes)")
        }
        #expect(error([0x80, 2, 0x54, 0xFF, 0xFF, 0xFF, 0xFF])?.caseName == "malformed") // negative BINSTRING length
    }

    @Test func forbiddenGlobals() {
        let stackGlobal = [0x80, 4] + Self.unicode("posix") + Self.unicode("system") + [0x93, 0x2E]
        #expect(error(stackGlobal) == .forbiddenObject(path: "test.pkl", name: "posix.system"))
        #expect(error([0x80, 2] + Self.global("__builtin__", "getattr") + [0x2E])
            == .forbiddenObject(path: "test.pkl", name: "__builtin__.getattr"))
        #expect(error([0x80, 2] + Self.global("torch", "load") + [0x2E]) == .forbiddenObject(path: "test.pkl", name: "torch.load"))
        #expect(error([0x80, 2] + Self.global("torch._utils", "_rebuild_qtensor") + [0x2E])
            == .forbiddenObject(path: "test.pkl", name: "torch._utils._rebuild_qtensor"))
        #expect(error([0x80, 2, 0x82, 0x01, 0x2E])?.caseName == "forbiddenObject") // EXT1
        #expect(error([0x80, 2, 0x69] + Array("os\nsystem\n".utf8) + [0x2E]) == .forbiddenObject(path: "test.pkl", name: "os.system")) // INST
    }

    @Test func allowedGlobalsAreNotCalledFreely() {
        // OrderedDict(1), torch.FloatStorage(), REDUCE on a string.
        let orderedDictOfInt = [0x80, 2] + Self.global("collections", "OrderedDict") + [0x4B, 1, 0x85, 0x52, 0x2E]
        #expect(error(orderedDictOfInt)?.caseName == "malformed")
        let storageCall = [0x80, 2] + Self.global("torch", "FloatStorage") + [0x29, 0x52, 0x2E]
        #expect(error(storageCall)?.caseName == "malformed")
        let stringCall = [0x80, 2] + Self.unicode("os.system") + [0x29, 0x52, 0x2E]
        #expect(error(stringCall)?.caseName == "malformed")
    }

    @Test func python2OrderedDictOfPairs() throws {
        // OrderedDict([['a', 1], ['b', 2]])
        var bytes: [UInt8] = [0x80, 2] + Self.global("collections", "OrderedDict") + [0x5D, 0x28]
        bytes += [0x5D, 0x28] + Self.unicode("a") + [0x4B, 1, 0x65]
        bytes += [0x5D, 0x28] + Self.unicode("b") + [0x4B, 2, 0x65]
        bytes += [0x65, 0x85, 0x52, 0x2E]
        guard case .success(let result) = run(bytes), case .dict(let handle) = result.value else {
            Issue.record("\(run(bytes))")
            return
        }
        let dict = result.heap.dicts[handle]
        #expect(dict.entries.count == 2)
        guard case .int(2)? = dict["b"] else {
            Issue.record("b is \(String(describing: dict["b"]))")
            return
        }
    }

    @Test func structuralErrors() {
        let cases: [(String, [UInt8])] = [
            ("APPEND to a dict", [0x80, 2, 0x7D, 0x4B, 1, 0x61, 0x2E]),
            ("BUILD on a global", [0x80, 2] + Self.global("collections", "OrderedDict") + [0x7D, 0x62, 0x2E]),
            ("STOP on an empty stack", [0x80, 2, 0x2E]),
            ("BINGET of a missing memo entry", [0x80, 2, 0x68, 7, 0x2E]),
            ("TUPLE without MARK", [0x80, 2, 0x4B, 1, 0x74, 0x2E]),
            ("popping below a MARK", [0x80, 2, 0x4B, 1, 0x28, 0x85, 0x2E]),
            ("text INT (protocol 0)", [0x80, 2, 0x49] + Array("12\n".utf8) + [0x2E]),
            ("SETITEMS with an odd count", [0x80, 2, 0x7D, 0x28, 0x4B, 1, 0x75, 0x2E]),
            ("persistent id not a tuple", [0x80, 2, 0x4B, 1, 0x51, 0x2E]),
            ("persistent id of a module", [0x80, 2, 0x28] + Self.unicode("module") + [0x4E, 0x4E, 0x4E, 0x74, 0x51, 0x2E]),
        ]
        for (what, bytes) in cases {
            #expect(error(bytes)?.caseName == "malformed", "\(what): \(run(bytes))")
        }
        #expect(error([0x80, 2, 0x28, 0x74, 0x51, 0x2E], persistentIDs: false)?.caseName == "malformed")
        #expect(error([0x80, 6, 0x4E, 0x2E])?.caseName == "unsupportedFeature")
        #expect(error([0x80, 2, 0x4E])?.caseName == "truncated") // no STOP
    }

    @Test func storagePersistentIDAndTensor() throws {
        // _rebuild_tensor_v2((('storage', torch.HalfStorage, '7', 'cpu', 6, None)), 2, (2, 2), (1, 2), False, OrderedDict())
        var bytes: [UInt8] = [0x80, 2] + Self.global("torch._utils", "_rebuild_tensor_v2") + [0x28]
        bytes += [0x28] + Self.unicode("storage") + Self.global("torch", "HalfStorage") + Self.unicode("7") + Self.unicode("cpu")
        bytes += [0x4B, 6, 0x4E, 0x74, 0x51]
        bytes += [0x4B, 2, 0x4B, 2, 0x4B, 2, 0x86, 0x4B, 1, 0x4B, 2, 0x86, 0x89]
        bytes += Self.global("collections", "OrderedDict") + [0x29, 0x52, 0x74, 0x52, 0x2E]
        guard case .success(let result) = run(bytes), case .tensor(let t) = result.value else {
            Issue.record("\(run(bytes))")
            return
        }
        #expect(t.storage.key == "7" && t.storage.count == 6 && t.storage.type.name == "float16")
        #expect(t.offset == 2 && t.shape == [2, 2] && t.stride == [1, 2] && t.dtype.name == "float16")
    }

    @Test func deepNestingIsFreedWithoutRecursion() {
        // A million nested tuples (TUPLE1 on TUPLE1 ...) and lists (APPEND into the one below).
        let tuples: [UInt8] = [0x80, 2, 0x4E] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        guard case .success(let result) = run(tuples), case .tuple = result.value else {
            Issue.record("nested tuples did not load")
            return
        }
        let lists: [UInt8] = [0x80, 2] + [UInt8](repeating: 0x5D, count: 500_000) + [UInt8](repeating: 0x61, count: 499_999) + [0x2E]
        guard case .success(let nested) = run(lists), case .list = nested.value else {
            Issue.record("nested lists did not load")
            return
        }
    }

    @Test func valuesAreBounded() {
        #expect(MemoryLayout<PickleValue>.stride <= 32)
        let manyNones: [UInt8] = [0x80, 2] + [UInt8](repeating: 0x4E, count: PickleMachine.valueLimit + 1) + [0x2E]
        #expect(error(manyNones)?.caseName == "malformed")
    }
}
