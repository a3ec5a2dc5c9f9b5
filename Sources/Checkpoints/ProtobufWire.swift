// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/): the fields of one
// message, read with every length checked against the bytes left.

/// One field's value as the wire gives it.
enum ProtobufValue: Equatable {
    /// Wire type 0.
    case varint(UInt64)
    /// Wire type 1 (little endian).
    case fixed64(UInt64)
    /// Wire type 2: a byte range of the buffer (a string, bytes, a message or a packed repeated field).
    case bytes(Range<Int>)
    /// Wire type 5 (little endian).
    case fixed32(UInt32)

    var wireName: String {
        switch self {
        case .varint: "a varint"
        case .fixed64: "a 64-bit value"
        case .bytes: "length-delimited bytes"
        case .fixed32: "a 32-bit value"
        }
    }
}

/// How many fields and packed values all the messages of one file may still read: it bounds the
/// memory a reader builds from a file (a 2-byte empty node would otherwise cost a hundred bytes of
/// Swift values each).
final class ProtobufBudget {
    let limit: Int
    var valuesLeft: Int

    init(values: Int) {
        limit = values
        valuesLeft = values
    }
}

/// Reads the fields of one message, in order: a key (a varint `field_number << 3 | wire_type`), then
/// the value. Groups (wire types 3 and 4, deprecated and unused by ONNX) and field number 0 are
/// refused; a varint may have at most 10 bytes. A length-delimited value must end within the message:
/// past the end of the file it is `truncated`, past the end of an enclosing message `malformed`.
struct ProtobufMessage {
    let bytes: UnsafeRawBufferPointer
    let path: String
    /// The message's name in errors ("ModelProto", "initializer 'w' (TensorProto)").
    let name: String
    let budget: ProtobufBudget
    private(set) var position: Int
    let end: Int

    init(bytes: UnsafeRawBufferPointer, range: Range<Int>, path: String, name: String, budget: ProtobufBudget) {
        self.bytes = bytes
        self.path = path
        self.name = name
        self.budget = budget
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws(CheckpointError) -> (number: Int, value: ProtobufValue)? {
        guard position < end else { return nil }
        let start = position
        try spend()
        let key = try varint()
        let number = key >> 3
        guard number >= 1, number <= 536_870_911 else { throw malformed("has field number \(number) at byte \(start)") }
        switch key & 7 {
        case 0: return (Int(number), .varint(try varint()))
        case 1:
            try need(8, "a 64-bit field")
            defer { position += 8 }
            return (Int(number), .fixed64(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))))
        case 2:
            let lengthStart = position
            let length = try varint()
            guard length <= UInt64(end - position) else {
                let detail = "field \(number) at byte \(start) claims \(length) bytes from byte \(position); "
                if end == bytes.count {
                    throw .truncated(path: path, detail: "\(name) \(detail)the file ends at byte \(bytes.count)")
                }
                throw malformed("\(detail)the message ends at byte \(end) (length at byte \(lengthStart))")
            }
            defer { position += Int(length) }
            return (Int(number), .bytes(position ..< position + Int(length)))
        case 5:
            try need(4, "a 32-bit field")
            defer { position += 4 }
            return (Int(number), .fixed32(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))))
        default:
            throw malformed("has field \(number) at byte \(start) with wire type \(key & 7) (groups and unknown wire types are not read)")
        }
    }

    /// A varint of at most 10 bytes whose last byte has the high bit clear.
    mutating func varint() throws(CheckpointError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard position < end else {
                let detail = "a varint at byte \(start) is cut off at byte \(position)"
                if end == bytes.count { throw .truncated(path: path, detail: "\(name): \(detail), the end of the file") }
                throw malformed("has \(detail), the end of the message")
            }
            let byte = bytes[position]
            position += 1
            guard shift < 63 || byte <= 1 else { throw malformed("has a varint at byte \(start) longer than 64 bits") }
            result |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte & 0x80 == 0 { return result }
        }
        throw malformed("has a varint at byte \(start) longer than 10 bytes")
    }

    /// Counts one field or packed value against the file's budget.
    func spend() throws(CheckpointError) {
        guard budget.valuesLeft > 0 else {
            throw .malformed(path: path, detail: "it holds more than \(budget.limit) fields and packed values, far more than the graph of a style transfer network")
        }
        budget.valuesLeft -= 1
    }

    private func need(_ count: Int, _ what: String) throws(CheckpointError) {
        guard end - position >= count else {
            if end == bytes.count { throw .truncated(path: path, detail: "\(name): \(what) at byte \(position) is cut off by the end of the file") }
            throw malformed("has \(what) at byte \(position) cut off by the end of the message at byte \(end)")
        }
    }

    func malformed(_ detail: String) -> CheckpointError {
        .malformed(path: path, detail: "\(name) \(detail)")
    }

    // MARK: Typed access to a value

    /// The value of a length-delimited field, or an error naming the field.
    func range(_ value: ProtobufValue, field: String) throws(CheckpointError) -> Range<Int> {
        guard case .bytes(let range) = value else { throw malformed("field '\(field)' is \(value.wireName), not length-delimited") }
        return range
    }

    func string(_ value: ProtobufValue, field: String) throws(CheckpointError) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[try range(value, field: field)]), as: UTF8.self)
    }

    func int64(_ value: ProtobufValue, field: String) throws(CheckpointError) -> Int {
        guard case .varint(let v) = value else { throw malformed("field '\(field)' is \(value.wireName), not a varint") }
        return Int(Int64(bitPattern: v))
    }

    /// A repeated int64 field's values: one varint, or a packed run of them.
    func int64s(_ value: ProtobufValue, field: String) throws(CheckpointError) -> [Int] {
        guard case .bytes(let range) = value else { return [try int64(value, field: field)] }
        var packed = ProtobufMessage(bytes: bytes, range: range, path: path, name: "\(name) field '\(field)'", budget: budget)
        var values: [Int] = []
        while packed.position < packed.end {
            try spend()
            values.append(Int(Int64(bitPattern: try packed.varint())))
        }
        return values
    }
}
