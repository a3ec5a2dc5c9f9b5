// A restricted pickle machine: the binary opcodes of protocols 2-5 that torch.save writes, with
// globals limited to an allow-list. It builds values; it never imports or calls anything.

/// Reads pickles (https://docs.python.org/3/library/pickle.html, opcodes as in CPython's
/// `Lib/pickletools.py`) from a byte buffer, as torch's `_legacy_load` and `_load`
/// (`torch/serialization.py`) do with their `UnpicklerWrapper`, but without executing anything:
///
/// - `GLOBAL` / `STACK_GLOBAL` resolve only the names of ``TorchGlobal``; any other name (say
///   `os.system` or a pickled `nn.Module` class) throws ``CheckpointError/forbiddenObject(path:name:)``.
/// - `REDUCE` / `NEWOBJ` apply only those globals, with the argument shapes PyTorch writes:
///   `OrderedDict()` / `OrderedDict([[k, v], ...])` (Python 2), `_rebuild_tensor(_v2, _v3)`,
///   `_rebuild_parameter(_with_state)`, `_rebuild_from_type_v2`, `torch.Size`.
/// - `BINPERSID` turns torch's persistent id tuples into ``StorageReference``s (see
///   `persistent_load` in `_legacy_load` and `_load`).
/// - `BUILD` is accepted on dicts and tensors only and its state ignored (an `OrderedDict`'s
///   `_metadata`, a parameter's Python attributes).
/// - Every length is checked against the bytes left before anything is allocated, the machine makes
///   at most ``valueLimit`` values (so its memory is bounded whatever the file), containers never own
///   one another (see ``PickleHeap``), and it makes one pass over the bytes: a damaged or cut file
///   ends in an error, never a crash, a loop or a huge allocation.
struct PickleMachine {
    /// The most values (pushes and memo entries) one pickle may make: far more than any state_dict
    /// needs (a few dozen per tensor), far less than a hostile pickle of one-byte opcodes could ask for.
    static let valueLimit = 1 << 22

    /// What one pickle gave.
    struct Result {
        /// The unpickled object; its containers are in `heap`.
        var value: PickleValue
        /// The offset of the byte after `STOP`.
        var end: Int
        /// Every storage the pickle references, by root key (one key referenced twice must agree
        /// in type and size).
        var storages: [String: StorageReference]
        var heap: PickleHeap
    }

    /// The buffer holding the pickle: a whole legacy file or one zip record.
    let bytes: UnsafeRawBufferPointer
    /// The file, for errors.
    let path: String
    /// The stream's name in messages ("data.pkl", "the pickle stream").
    let streamName: String
    /// Whether running out of bytes means the file is cut short (legacy) rather than damaged (a zip record).
    let endMeansTruncated: Bool

    /// Unpickles the pickle starting at `offset`, up to and including its `STOP`.
    /// - Parameter allowPersistentIDs: whether storages may be referenced (only in the main pickle).
    func load(at offset: Int, allowPersistentIDs: Bool) throws(CheckpointError) -> Result {
        var run = PickleRun(machine: self, position: offset, allowPersistentIDs: allowPersistentIDs)
        let value = try run.execute()
        return Result(value: value, end: run.position, storages: run.storages, heap: run.heap)
    }
}

/// One execution of the machine: the stack, the mark stack, the memo and the read position.
private struct PickleRun {
    let machine: PickleMachine
    var position: Int
    let allowPersistentIDs: Bool
    var stack: [PickleValue] = []
    /// Stack heights at each `MARK` (CPython's "metastack").
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]
    var heap = PickleHeap()
    /// Values that may still be made (pushed or memoized).
    var valueBudget = PickleMachine.valueLimit
    /// Storages referenced so far, by root key.
    var storages: [String: StorageReference] = [:]
    /// The offset of the opcode being executed, for messages.
    var opcodeStart = 0

    init(machine: PickleMachine, position: Int, allowPersistentIDs: Bool) {
        self.machine = machine
        self.position = position
        self.allowPersistentIDs = allowPersistentIDs
    }

    var path: String { machine.path }

    // MARK: Errors

    func malformed(_ detail: String) -> CheckpointError {
        .malformed(path: path, detail: "\(machine.streamName), byte \(opcodeStart): \(detail)")
    }

    func exhausted() -> CheckpointError {
        let detail = "\(machine.streamName) stops at byte \(machine.bytes.count), inside the pickle opcode at byte \(opcodeStart)"
        return machine.endMeansTruncated ? .truncated(path: path, detail: detail) : .malformed(path: path, detail: detail)
    }

    // MARK: Reading operands

    /// Takes the next `count` bytes, checking first that they are there.
    mutating func take(_ count: Int) throws(CheckpointError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= machine.bytes.count - position else { throw exhausted() }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: machine.bytes[position ..< position + count])
    }

    mutating func uint8() throws(CheckpointError) -> UInt8 { try take(1)[0] }

    mutating func littleEndian<T: FixedWidthInteger>(_: T.Type) throws(CheckpointError) -> T {
        T(littleEndian: try take(MemoryLayout<T>.size).loadUnaligned(as: T.self))
    }

    /// A length operand that must fit in the bytes left (so nothing huge is ever allocated).
    mutating func length<T: FixedWidthInteger>(_: T.Type) throws(CheckpointError) -> Int {
        let n = try littleEndian(T.self)
        guard n >= 0, let count = Int(exactly: n) else { throw malformed("negative length \(n)") }
        guard count <= machine.bytes.count - position else { throw exhausted() }
        return count
    }

    mutating func utf8String(_ count: Int) throws(CheckpointError) -> String {
        let raw = try take(count)
        guard let s = String(validating: raw, as: UTF8.self) else { throw malformed("a string is not valid UTF-8") }
        return s
    }

    /// A Python 2 `str`: torch.load decodes it as UTF-8; bytes that are not UTF-8 are read as Latin-1.
    mutating func legacyString(_ count: Int) throws(CheckpointError) -> String {
        let raw = try take(count)
        if let s = String(validating: raw, as: UTF8.self) { return s }
        return String(String.UnicodeScalarView(raw.map { Unicode.Scalar($0) }))
    }

    /// A text line ending in `\n` (the operands of `GLOBAL`).
    mutating func line() throws(CheckpointError) -> String {
        let rest = UnsafeRawBufferPointer(rebasing: machine.bytes[position...])
        guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else { throw exhausted() }
        let text = try utf8String(newline)
        position += 1
        return text
    }

    // MARK: Stack

    mutating func push(_ value: PickleValue) throws(CheckpointError) {
        guard valueBudget > 0 else {
            throw malformed("the pickle makes more than \(PickleMachine.valueLimit) objects, far more than a state_dict holds")
        }
        valueBudget -= 1
        stack.append(value)
    }

    mutating func pop() throws(CheckpointError) -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.popLast() else { throw malformed("the stack is empty") }
        return v
    }

    func top() throws(CheckpointError) -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.last else { throw malformed("the stack is empty") }
        return v
    }

    /// Pops everything down to the last `MARK`, and the mark.
    mutating func popToMark() throws(CheckpointError) -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no MARK to pop to") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func memoize(_ index: Int) throws(CheckpointError) {
        guard valueBudget > 0 else {
            throw malformed("the pickle makes more than \(PickleMachine.valueLimit) objects, far more than a state_dict holds")
        }
        valueBudget -= 1
        memo[index] = try top()
    }

    mutating func fetch(_ index: Int) throws(CheckpointError) {
        guard let v = memo[index] else { throw malformed("memo entry \(index) was never stored") }
        try push(v)
    }

    // MARK: Integers

    /// Little-endian two's complement (`LONG1` / `LONG4`).
    func integer(_ raw: UnsafeRawBufferPointer) -> PickleValue {
        guard !raw.isEmpty else { return .int(0) }
        let negative = raw[raw.count - 1] & 0x80 != 0
        let fill: UInt8 = negative ? 0xFF : 0
        if raw.count > 8, raw[8...].contains(where: { $0 != fill }) { return .bigInt(Array(raw)) }
        var bits: UInt64 = negative ? ~0 : 0
        for i in (0 ..< min(raw.count, 8)).reversed() {
            bits = (bits << 8) | UInt64(raw[i])
        }
        let value = Int64(bitPattern: bits)
        // More than 8 bytes whose extra bytes are sign fill: still an Int64 if the sign agrees.
        if raw.count > 8, (value < 0) != negative { return .bigInt(Array(raw)) }
        return .int(Int(value))
    }

    // MARK: The machine

    mutating func execute() throws(CheckpointError) -> PickleValue {
        while true {
            opcodeStart = position
            let op = try uint8()
            switch op {
            case 0x80: // PROTO
                let version = try uint8()
                guard version <= 5 else {
                    throw .unsupportedFeature(path: path, detail: "\(machine.streamName) uses pickle protocol \(version); protocols 2 to 5 are read")
                }
            case 0x95: // FRAME: a length hint; the frame must fit in the bytes left
                _ = try length(UInt64.self)
            case 0x2E: // STOP
                let value = try pop()
                return value
            case 0x28: // MARK
                marks.append(stack.count)
            case 0x30: // POP
                if let mark = marks.last, mark == stack.count { marks.removeLast() } else { _ = try pop() }
            case 0x31: // POP_MARK
                _ = try popToMark()
            case 0x32: // DUP
                try push(try top())

            // Containers
            case 0x7D: try push(.dict(heap.newDict())) // EMPTY_DICT
            case 0x5D: try push(.list(heap.newList())) // EMPTY_LIST
            case 0x29: try push(.tuple(heap.newTuple([]))) // EMPTY_TUPLE
            case 0x74: try push(.tuple(heap.newTuple(try popToMark()))) // TUPLE
            case 0x85: // TUPLE1
                let a = try pop()
                try push(.tuple(heap.newTuple([a])))
            case 0x86: // TUPLE2
                let b = try pop(), a = try pop()
                try push(.tuple(heap.newTuple([a, b])))
            case 0x87: // TUPLE3
                let c = try pop(), b = try pop(), a = try pop()
                try push(.tuple(heap.newTuple([a, b, c])))
            case 0x6C: // LIST
                try push(.list(heap.newList(try popToMark())))
            case 0x64: // DICT
                let items = try popToMark()
                let dict = PickleValue.dict(heap.newDict())
                try addPairs(items, to: dict)
                try push(dict)
            case 0x61: // APPEND
                let item = try pop()
                heap.append([item], toList: try appendTarget())
            case 0x65: // APPENDS
                let items = try popToMark()
                heap.append(items, toList: try appendTarget())
            case 0x73: // SETITEM
                let value = try pop(), key = try pop()
                heap.set(key, value, inDict: try setItemTarget())
            case 0x75: // SETITEMS
                let items = try popToMark()
                try addPairs(items, to: try top())

            // Scalars
            case 0x4A: try push(.int(Int(try littleEndian(Int32.self)))) // BININT
            case 0x4B: try push(.int(Int(try uint8()))) // BININT1
            case 0x4D: try push(.int(Int(try littleEndian(UInt16.self)))) // BININT2
            case 0x8A: // LONG1
                let n = Int(try uint8())
                try push(integer(try take(n)))
            case 0x8B: // LONG4
                let n = try length(Int32.self)
                try push(integer(try take(n)))
            case 0x47: // BINFLOAT (big endian)
                try push(.float(Double(bitPattern: UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self)))))
            case 0x88: try push(.bool(true)) // NEWTRUE
            case 0x89: try push(.bool(false)) // NEWFALSE
            case 0x4E: try push(.none) // NONE

            // Strings and bytes
            case 0x58: try push(.string(try utf8String(try length(UInt32.self)))) // BINUNICODE
            case 0x8C: try push(.string(try utf8String(Int(try uint8())))) // SHORT_BINUNICODE
            case 0x8D: try push(.string(try utf8String(try length(UInt64.self)))) // BINUNICODE8
            case 0x55: try push(.string(try legacyString(Int(try uint8())))) // SHORT_BINSTRING
            case 0x54: try push(.string(try legacyString(try length(Int32.self)))) // BINSTRING
            case 0x43: try push(.bytes(Array(try take(Int(try uint8()))))) // SHORT_BINBYTES
            case 0x42: try push(.bytes(Array(try take(try length(UInt32.self))))) // BINBYTES
            case 0x8E, 0x96: try push(.bytes(Array(try take(try length(UInt64.self))))) // BINBYTES8, BYTEARRAY8

            // Memo
            case 0x71: try memoize(Int(try uint8())) // BINPUT
            case 0x72: try memoize(Int(try littleEndian(UInt32.self))) // LONG_BINPUT
            case 0x94: try memoize(memo.count) // MEMOIZE
            case 0x68: try fetch(Int(try uint8())) // BINGET
            case 0x6A: try fetch(Int(try littleEndian(UInt32.self))) // LONG_BINGET

            // Objects
            case 0x63: // GLOBAL
                let module = try line(), name = try line()
                try push(.global(try resolve(module: module, name: name)))
            case 0x93: // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .string(let n) = name, case .string(let m) = module else {
                    throw malformed("STACK_GLOBAL needs two strings")
                }
                try push(.global(try resolve(module: m, name: n)))
            case 0x52: // REDUCE
                let args = try pop(), callable = try pop()
                guard case .tuple(let arguments) = args else { throw malformed("REDUCE arguments are \(args.kindDescription), not a tuple") }
                try push(try call(callable, heap.tuples[arguments]))
            case 0x81: // NEWOBJ: cls.__new__(cls, *args)
                let args = try pop(), cls = try pop()
                try push(try newObject(cls, args))
            case 0x92: // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
                _ = try pop()
                let args = try pop(), cls = try pop()
                try push(try newObject(cls, args))
            case 0x62: // BUILD: setstate; ignored on the objects a state_dict holds
                let state = try pop()
                switch try top() {
                case .dict, .tensor: break
                case let target: throw malformed("BUILD with \(state.kindDescription) on \(target.kindDescription)")
                }
            case 0x51: // BINPERSID
                let pid = try pop()
                let storage = try persistentLoad(pid)
                if let seen = storages[storage.key] {
                    guard seen.type == storage.type, seen.count == storage.count else {
                        throw malformed("storage '\(storage.key)' is referenced as \(seen.count) \(seen.type.name) and as \(storage.count) \(storage.type.name)")
                    }
                } else {
                    storages[storage.key] = storage
                }
                try push(.storage(storage))

            // Opcodes that name or run other code
            case 0x69: // INST (protocol 0): module and class on two lines
                let module = try line(), name = try line()
                if TorchGlobal(module: module, name: name) == nil {
                    throw .forbiddenObject(path: path, name: "\(module).\(name)")
                }
                throw malformed("opcode INST is not used by torch.save")
            case 0x82, 0x83, 0x84: // EXT1, EXT2, EXT4: the copyreg extension registry
                throw .forbiddenObject(path: path, name: "copyreg extension code (opcode 0x\(String(op, radix: 16)))")
            case 0x97, 0x98: // NEXT_BUFFER, READONLY_BUFFER
                throw .unsupportedFeature(path: path, detail: "\(machine.streamName) uses out-of-band pickle buffers")
            default:
                throw malformed("pickle opcode 0x\(String(op, radix: 16)) is not one torch.save writes for a state_dict")
            }
        }
    }

    // MARK: Containers

    /// The list on top of the stack (APPEND on anything else would call its `append` or `extend`).
    func appendTarget() throws(CheckpointError) -> PickleHeap.Handle {
        guard case .list(let list) = try top() else { throw malformed("APPEND to \(try top().kindDescription), not a list") }
        return list
    }

    /// The dict on top of the stack (SETITEM on anything else would call its `__setitem__`).
    func setItemTarget() throws(CheckpointError) -> PickleHeap.Handle {
        guard case .dict(let dict) = try top() else { throw malformed("SETITEM on \(try top().kindDescription), not a dict") }
        return dict
    }

    mutating func addPairs(_ items: [PickleValue], to value: PickleValue) throws(CheckpointError) {
        guard case .dict(let dict) = value else { throw malformed("SETITEMS on \(value.kindDescription), not a dict") }
        guard items.count % 2 == 0 else { throw malformed("an odd number of items for a dict") }
        for i in stride(from: 0, to: items.count, by: 2) {
            heap.set(items[i], items[i + 1], inDict: dict)
        }
    }

    // MARK: Globals and calls

    func resolve(module: String, name: String) throws(CheckpointError) -> TorchGlobal {
        guard let global = TorchGlobal(module: module, name: name) else {
            throw .forbiddenObject(path: path, name: "\(module).\(name)")
        }
        return global
    }

    mutating func newObject(_ cls: PickleValue, _ args: PickleValue) throws(CheckpointError) -> PickleValue {
        guard case .global(.orderedDict) = cls else {
            throw malformed("NEWOBJ of \(cls.kindDescription); only OrderedDict is created this way in a state_dict")
        }
        return .dict(heap.newDict())
    }

    /// Applies an allow-listed callable the way PyTorch's pickles use it.
    mutating func call(_ callable: PickleValue, _ args: [PickleValue]) throws(CheckpointError) -> PickleValue {
        guard case .global(let function) = callable else {
            throw malformed("REDUCE calls \(callable.kindDescription)")
        }
        switch function {
        case .orderedDict:
            // Python 3: OrderedDict() then SETITEMS; Python 2: OrderedDict([[key, value], ...]).
            let handle = heap.newDict()
            if args.isEmpty { return .dict(handle) }
            guard args.count == 1, let pairs = heap.sequence(args[0]) else {
                throw malformed("OrderedDict called with \(args.count) arguments, the first \(args.first?.kindDescription ?? "missing")")
            }
            for pair in pairs {
                guard let kv = heap.sequence(pair), kv.count == 2 else {
                    throw malformed("OrderedDict item is \(pair.kindDescription), not a (key, value) pair")
                }
                heap.set(kv[0], kv[1], inDict: handle)
            }
            return .dict(handle)
        case .torchSize:
            guard args.count == 1, case .tuple = args[0] else { throw malformed("torch.Size called without a tuple") }
            return args[0]
        case .rebuildTensor, .rebuildTensorV2, .rebuildTensorV3:
            return .tensor(try rebuildTensor(function, args))
        case .rebuildParameter, .rebuildParameterWithState:
            let expected = function == .rebuildParameter ? 3 : 4
            guard args.count == expected, case .tensor = args[0] else {
                throw malformed("_rebuild_parameter called with \(args.count) arguments, the first \(args.first?.kindDescription ?? "missing")")
            }
            return args[0]
        case .rebuildFromTypeV2:
            guard args.count == 4, case .global(.tensorType) = args[1], case .tuple(let inner) = args[2] else {
                throw malformed("_rebuild_from_type_v2 called with unexpected arguments")
            }
            guard case .global(let f) = args[0], [.rebuildTensor, .rebuildTensorV2, .rebuildTensorV3, .rebuildParameter].contains(f) else {
                throw malformed("_rebuild_from_type_v2 rebuilds with \(args[0].kindDescription)")
            }
            return try call(args[0], heap.tuples[inner])
        case .tensorType(let name):
            throw malformed("the pickle calls \(name); a state_dict never does")
        case .storageType(let type):
            throw malformed("the pickle calls the \(type.name) storage class; a state_dict never does")
        case .dtype(let type):
            throw malformed("the pickle calls torch.\(type.name); a state_dict never does")
        }
    }

    func integerList(_ value: PickleValue, _ what: String) throws(CheckpointError) -> [Int] {
        guard let items = heap.sequence(value) else {
            throw malformed("tensor \(what) is \(value.kindDescription), not a tuple")
        }
        var result: [Int] = []
        for item in items {
            guard case .int(let v) = item, v >= 0 else { throw malformed("tensor \(what) holds \(item.kindDescription)") }
            result.append(v)
        }
        return result
    }

    /// `_rebuild_tensor(storage, offset, size, stride)`, `_rebuild_tensor_v2(..., requires_grad,
    /// backward_hooks[, metadata])`, `_rebuild_tensor_v3(..., requires_grad, backward_hooks, dtype[, metadata])`
    /// (torch/_utils.py).
    func rebuildTensor(_ function: TorchGlobal, _ args: [PickleValue]) throws(CheckpointError) -> TensorReference {
        let counts: ClosedRange<Int> = switch function {
        case .rebuildTensor: 4 ... 4
        case .rebuildTensorV2: 6 ... 7
        default: 7 ... 8
        }
        guard counts.contains(args.count) else { throw malformed("\(function.pythonName) called with \(args.count) arguments") }
        guard case .storage(let storage) = args[0] else {
            throw malformed("a tensor is rebuilt from \(args[0].kindDescription), not a storage")
        }
        guard case .int(let offset) = args[1], offset >= 0 else { throw malformed("tensor storage offset is \(args[1].kindDescription)") }
        let shape = try integerList(args[2], "size")
        let stride = try integerList(args[3], "stride")
        guard shape.count == stride.count else { throw malformed("tensor size \(shape) and stride \(stride) differ in length") }
        var dtype = storage.type
        if function == .rebuildTensorV3 {
            guard case .global(.dtype(let d)) = args[6] else { throw malformed("_rebuild_tensor_v3 dtype is \(args[6].kindDescription)") }
            dtype = d
        }
        return TensorReference(storage: storage, offset: offset, shape: shape, stride: stride, dtype: dtype)
    }

    /// torch's persistent ids: `('storage', storage_type, key, location, numel)` in the zip format,
    /// plus `view_metadata` (`None` or `(view_key, offset, numel)`) in the legacy format.
    func persistentLoad(_ pid: PickleValue) throws(CheckpointError) -> StorageReference {
        guard allowPersistentIDs else { throw malformed("a persistent id outside the main pickle") }
        guard case .tuple(let handle) = pid, let first = heap.tuples[handle].first, case .string(let kind) = first else {
            throw malformed("persistent id is \(pid.kindDescription), not a tuple")
        }
        let t = heap.tuples[handle]
        guard kind == "storage" else { throw malformed("persistent id of kind '\(kind)'; only storages belong in a state_dict") }
        guard t.count == 5 || t.count == 6 else { throw malformed("storage persistent id has \(t.count) fields") }
        guard case .global(.storageType(let type)) = t[1] else { throw malformed("storage type is \(t[1].kindDescription)") }
        let key = try storageKey(t[2])
        guard case .string = t[3] else { throw malformed("storage location is \(t[3].kindDescription)") }
        guard case .int(let count) = t[4], count >= 0 else { throw malformed("storage size is \(t[4].kindDescription)") }
        var view: (key: String, offset: Int, count: Int)?
        if t.count == 6 {
            switch t[5] {
            case .none: break
            case .tuple(let h) where heap.tuples[h].count == 3:
                let v = heap.tuples[h]
                guard case .int(let viewOffset) = v[1], case .int(let viewCount) = v[2], viewOffset >= 0, viewCount >= 0 else {
                    throw malformed("storage view metadata is not (key, offset, size)")
                }
                view = (try storageKey(v[0]), viewOffset, viewCount)
            default: throw malformed("storage view metadata is \(t[5].kindDescription)")
            }
        }
        return StorageReference(key: key, type: type, count: count, view: view)
    }

    func storageKey(_ value: PickleValue) throws(CheckpointError) -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: throw malformed("storage key is \(value.kindDescription)")
        }
    }
}
