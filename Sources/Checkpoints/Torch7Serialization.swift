// Torch7's binary serialisation (torch.save in Lua Torch): a typed reader of its values, with every
// length checked against the bytes left before anything is allocated.

/// One value of a Torch7 file. Tables and torch objects live in a ``Torch7Heap`` and are referred to
/// by their handle, so that an object written once and referenced twice is one value.
enum Torch7Value: Equatable {
    case nil_
    case number(Double)
    case string(String)
    case boolean(Bool)
    /// A Lua table: its entries are `heap.tables[handle]`.
    case table(Int)
    /// A torch object (a tensor, a storage, or a Lua class instance such as an nn module):
    /// `heap.objects[handle]`.
    case object(Int)

    var kindDescription: String {
        switch self {
        case .nil_: "nil"
        case .number(let n): "the number \(n)"
        case .string(let s): "the string '\(s.prefix(40))'"
        case .boolean(let b): "the boolean \(b)"
        case .table: "a table"
        case .object: "a torch object"
        }
    }
}

/// The element types of Torch7's CPU tensors and storages, by class name prefix (`torch.Float...`).
enum Torch7ElementType: String {
    case byte = "Byte", char = "Char", short = "Short", int = "Int", long = "Long", float = "Float", double = "Double"

    var byteSize: Int {
        switch self {
        case .byte, .char: 1
        case .short: 2
        case .int, .float: 4
        case .long, .double: 8
        }
    }

    /// The float type it converts from, for weights.
    var floatType: TensorDType? {
        switch self {
        case .float: .float32
        case .double: .float64
        default: nil
        }
    }
}

/// A `torch.*Storage`: its element type and where its elements are in the file (not copied).
struct Torch7Storage {
    var type: Torch7ElementType
    var count: Int
    /// Byte range of the elements in the file.
    var bytes: Range<Int>
}

/// A `torch.*Tensor`: size, stride and 0-based offset into its storage (a handle of `heap.objects`,
/// nil for an empty tensor).
struct Torch7Tensor {
    var type: Torch7ElementType
    var size: [Int]
    var stride: [Int]
    var offset: Int
    var storage: Int?
}

/// A torch object as read.
struct Torch7Object {
    enum Content {
        case tensor(Torch7Tensor)
        case storage(Torch7Storage)
        /// A Lua class instance without its own `write` (every nn module): the table of its fields.
        case fields(Int)
    }

    var className: String
    var content: Content
}

/// The tables and torch objects of one file.
struct Torch7Heap {
    var tables: [[(key: Torch7Value, value: Torch7Value)]] = []
    var objects: [Torch7Object] = []

    /// The field `name` of a fields table (string keys).
    func field(_ name: String, of table: Int) -> Torch7Value? {
        tables[table].first { $0.key == .string(name) }?.value
    }
}

/// Reads one value, as torch7's `File.lua` `readObject` does in binary mode (`torch/File.c`: ints
/// are 4 bytes, longs 8, numbers doubles, all little endian):
///
/// - a 4-byte type tag: 0 nil, 1 number (a double), 2 string (int length, bytes), 3 table,
///   4 torch object, 5 boolean (an int, 1 for true), 6-8 Lua functions (refused: they are bytecode);
/// - tables and torch objects then have a 4-byte reference index. Indices count up from 1 over the
///   file in the order objects are first written; an index seen before refers to that object (shared
///   storages, the Sequential's `output` that is its last module's). An index that refers to an
///   object still being read (a reference loop) or that skips ahead is refused;
/// - a table: an int entry count, then that many key and value objects;
/// - a torch object: a version string `V 1` (files older than versioning have none: the string is the
///   class name), the class name, then for `torch.<T>Storage` a long count and the raw elements
///   (`generic/Storage.c` write), for `torch.<T>Tensor` an int dimension count, the sizes and
///   strides as longs, the 1-based storage offset as a long and the storage object
///   (`generic/Tensor.c` write), and for any other class (Lua classes such as nn modules, which have
///   no `write`) the table of its fields.
///
/// Bounds: a length or count is checked against the bytes left before anything is allocated (every
/// table entry takes at least 8 bytes, every dimension 16), nesting is at most ``depthLimit`` deep
/// and a file makes at most ``valueLimit`` values, so a damaged file ends in an error, never a crash,
/// a loop or a huge allocation.
struct Torch7Reader {
    static let depthLimit = 64
    static let valueLimit = 1 << 22

    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var position = 0
    private(set) var heap = Torch7Heap()
    /// Reference index -> the value it names, for objects read completely.
    private var finished: [Int32: Torch7Value] = [:]
    /// Reference indices handed out so far; the next new one must be this plus 1.
    private var indexCount: Int32 = 0
    private var depth = 0
    private var valueBudget = Torch7Reader.valueLimit

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// Reads the value at the current position.
    mutating func readValue() throws(CheckpointError) -> Torch7Value {
        let start = position
        let tag = try readInt32("a type tag")
        guard valueBudget > 0 else { throw malformed("it holds more than \(Self.valueLimit) values") }
        valueBudget -= 1
        switch tag {
        case 0: return .nil_
        case 1: return .number(try readDouble("a number"))
        case 2: return .string(try readString("a string"))
        case 5:
            let flag = try readInt32("a boolean")
            guard flag == 0 || flag == 1 else { throw malformed("the boolean at byte \(start) is \(flag), not 0 or 1") }
            return .boolean(flag == 1)
        case 3, 4:
            let index = try readInt32("an object index")
            if let value = finished[index] { return value }
            guard index == indexCount + 1 else {
                let detail = index >= 1 && index <= indexCount
                    ? "object \(index) at byte \(start) refers to an object that is still being read (a reference loop)"
                    : "object index \(index) at byte \(start) is out of sequence (\(indexCount + 1) expected)"
                throw malformed(detail)
            }
            indexCount = index
            guard depth < Self.depthLimit else { throw malformed("objects are nested more than \(Self.depthLimit) deep at byte \(start)") }
            depth += 1
            defer { depth -= 1 }
            let value = tag == 3 ? try readTable() : try readTorchObject()
            finished[index] = value
            return value
        case 6, 7, 8:
            throw .unsupportedFeature(path: path, detail: "it holds a Lua function at byte \(start); functions are code, and this reader loads only modules and tensors")
        default:
            throw malformed("unknown type tag \(tag) at byte \(start) (0 to 8 are Torch7's)")
        }
    }

    private mutating func readTable() throws(CheckpointError) -> Torch7Value {
        let start = position
        let count = try readInt32("a table's size")
        guard count >= 0, Int(count) <= remaining / 8 else {
            throw count < 0 ? malformed("the table at byte \(start) has \(count) entries")
                : truncated("the table at byte \(start) has \(count) entries, which need at least \(8 * Int(count)) bytes; \(remaining) are left")
        }
        let handle = heap.tables.count
        heap.tables.append([])
        var entries: [(key: Torch7Value, value: Torch7Value)] = []
        entries.reserveCapacity(Int(count))
        for _ in 0 ..< count {
            let key = try readValue()
            let value = try readValue()
            entries.append((key, value))
        }
        heap.tables[handle] = entries
        return .table(handle)
    }

    private mutating func readTorchObject() throws(CheckpointError) -> Torch7Value {
        var className = try readString("a class version")
        if className.hasPrefix("V ") { className = try readString("a class name") }
        // The object's handle is taken before its content is read, in the order Torch7 numbers
        // objects; the placeholder is never seen, since a reference to an unfinished object is refused.
        let handle = heap.objects.count
        heap.objects.append(Torch7Object(className: className, content: .fields(-1)))
        let content: Torch7Object.Content
        if let type = Self.elementType(className, suffix: "Storage") {
            content = .storage(try readStorage(type, className: className))
        } else if let type = Self.elementType(className, suffix: "Tensor") {
            content = .tensor(try readTensor(type, className: className))
        } else if className.hasPrefix("torch.") {
            throw .unsupportedFeature(path: path, detail: "it holds a '\(className)'; only CPU tensors and storages (torch.FloatTensor, torch.DoubleTensor, ...) are read (convert a CUDA model with :float() before saving)")
        } else {
            guard case .table(let fields) = try readValue() else {
                throw malformed("the fields of the '\(className)' object are not a table")
            }
            content = .fields(fields)
        }
        heap.objects[handle].content = content
        return .object(handle)
    }

    /// `torch.<Type><suffix>` for a CPU element type.
    private static func elementType(_ className: String, suffix: String) -> Torch7ElementType? {
        guard className.hasPrefix("torch."), className.hasSuffix(suffix) else { return nil }
        let name = className.dropFirst("torch.".count).dropLast(suffix.count)
        return Torch7ElementType(rawValue: String(name))
    }

    private mutating func readStorage(_ type: Torch7ElementType, className: String) throws(CheckpointError) -> Torch7Storage {
        let start = position
        let count = try readInt64("a storage's size")
        guard count >= 0, count <= Int64(remaining / type.byteSize) else {
            throw count < 0 ? malformed("the \(className) at byte \(start) has \(count) elements")
                : truncated("the \(className) at byte \(start) has \(count) elements of \(type.byteSize) bytes; \(remaining) bytes are left")
        }
        let length = Int(count) * type.byteSize
        defer { position += length }
        return Torch7Storage(type: type, count: Int(count), bytes: position ..< position + length)
    }

    private mutating func readTensor(_ type: Torch7ElementType, className: String) throws(CheckpointError) -> Torch7Tensor {
        let start = position
        let dimensions = try readInt32("a tensor's dimension count")
        guard dimensions >= 0, Int(dimensions) <= remaining / 16 else {
            throw dimensions < 0 ? malformed("the \(className) at byte \(start) has \(dimensions) dimensions")
                : truncated("the \(className) at byte \(start) has \(dimensions) dimensions, which need \(16 * Int(dimensions)) bytes; \(remaining) are left")
        }
        var size: [Int] = [], stride: [Int] = []
        for _ in 0 ..< dimensions { size.append(try readDimension("a size", className: className, start: start)) }
        for _ in 0 ..< dimensions { stride.append(try readDimension("a stride", className: className, start: start)) }
        let offset = try readInt64("a storage offset")
        guard offset >= 1 else {
            throw malformed("the \(className) at byte \(start) has storage offset \(offset) (Torch7 writes it 1-based)")
        }
        let storageValue = try readValue()
        var tensor = Torch7Tensor(type: type, size: size, stride: stride, offset: Int(offset) - 1, storage: nil)
        switch storageValue {
        case .nil_:
            guard dimensions == 0 else { throw malformed("the \(className) at byte \(start) has \(dimensions) dimensions but no storage") }
        case .object(let handle):
            guard case .storage(let storage) = heap.objects[handle].content, storage.type == type else {
                throw malformed("the storage of the \(className) at byte \(start) is a '\(heap.objects[handle].className)'")
            }
            tensor.storage = handle
            // The last element is at offset + sum((size - 1) * stride); an empty tensor indexes nothing.
            guard let count = checkedProduct(size) else { throw malformed("the \(className) at byte \(start) has an impossible size \(size)") }
            if count > 0 {
                var last = tensor.offset
                for (s, t) in zip(size, stride) {
                    guard let step = checkedProduct([s - 1, t]), case let (sum, overflow) = last.addingReportingOverflow(step), !overflow else {
                        throw malformed("the \(className) at byte \(start) has an impossible size \(size) and stride \(stride)")
                    }
                    last = sum
                }
                guard last < storage.count else {
                    throw malformed("the \(className) at byte \(start) with offset \(tensor.offset), size \(size) and stride \(stride) reaches element \(last) of a storage of \(storage.count)")
                }
            }
        default:
            throw malformed("the storage of the \(className) at byte \(start) is \(storageValue.kindDescription)")
        }
        return tensor
    }

    private mutating func readDimension(_ what: String, className: String, start: Int) throws(CheckpointError) -> Int {
        let value = try readInt64(what)
        guard value >= 0, let v = Int(exactly: value) else {
            throw malformed("the \(className) at byte \(start) has \(what) of \(value)")
        }
        return v
    }

    // MARK: Primitive fields

    var remaining: Int { bytes.count - position }

    private mutating func need(_ count: Int, _ what: String) throws(CheckpointError) {
        guard remaining >= count else {
            throw truncated("the file ends at byte \(bytes.count), inside \(what) at byte \(position)")
        }
    }

    mutating func readInt32(_ what: String) throws(CheckpointError) -> Int32 {
        try need(4, what)
        defer { position += 4 }
        return Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: Int32.self))
    }

    private mutating func readInt64(_ what: String) throws(CheckpointError) -> Int64 {
        try need(8, what)
        defer { position += 8 }
        return Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: Int64.self))
    }

    private mutating func readDouble(_ what: String) throws(CheckpointError) -> Double {
        Double(bitPattern: UInt64(bitPattern: try readInt64(what)))
    }

    private mutating func readString(_ what: String) throws(CheckpointError) -> String {
        let start = position
        let length = try readInt32(what)
        guard length >= 0 else { throw malformed("\(what) at byte \(start) has length \(length)") }
        guard Int(length) <= remaining else {
            throw truncated("\(what) at byte \(start) has \(length) bytes; \(remaining) are left")
        }
        defer { position += Int(length) }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position ..< position + Int(length)]), as: UTF8.self)
    }

    func malformed(_ detail: String) -> CheckpointError { .malformed(path: path, detail: detail) }
    func truncated(_ detail: String) -> CheckpointError { .truncated(path: path, detail: detail) }
}
