// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/), written: the
// counterpart of ProtobufWire.swift's reader, for the few field kinds ONNX files need.

/// Appends the fields of one message, in the order they are given.
///
/// Repeated scalar fields are written unpacked (one key per value), as proto2's onnx.proto
/// declares them; every protobuf reader, and ``ProtobufMessage``, takes both forms. Integers are
/// varints of their two's complement (int64), floats fixed32 little endian.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    /// Wire types: 0 varint, 2 length-delimited, 5 fixed32.
    private enum WireType: UInt64 {
        case varint = 0
        case lengthDelimited = 2
        case fixed32 = 5
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wireType: WireType) {
        varint(UInt64(field) << 3 | wireType.rawValue)
    }

    /// An `int64` (or enum) field.
    mutating func int64(_ field: Int, _ value: Int) {
        key(field, .varint)
        varint(UInt64(bitPattern: Int64(value)))
    }

    /// A `float` field.
    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `bytes` field.
    mutating func data(_ field: Int, _ value: UnsafeRawBufferPointer) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `string` field (UTF-8).
    mutating func string(_ field: Int, _ value: String) {
        Array(value.utf8).withUnsafeBytes { data(field, $0) }
    }

    /// A message field, built by `build` into its own writer and written length-delimited.
    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        inner.bytes.withUnsafeBytes { data(field, $0) }
    }

    /// Values as little-endian float32 bytes (a `raw_data` field's content).
    static func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        #if _endian(little)
        return values.withUnsafeBytes { Array($0) }
        #else
        return values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        #endif
    }

    /// Values as little-endian int64 bytes (a `raw_data` field's content).
    static func littleEndianBytes(_ values: [Int]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: Int64(v).littleEndian) { Array($0) } }
    }
}
