// The graph of an ONNX model file (aadhithya/AdaIN-pytorch's export.py: torch.onnx.export at
// opset 9): its nodes in order and its float initializers, read from the protobuf wire format.

import Foundation

/// What an ONNX file's graph holds that a weight loader needs.
public struct ONNXGraph: Equatable, Sendable {
    /// The graph's nodes in file order (ONNX requires topological order).
    public var nodes: [ONNXNode]
    /// The initializers (weights) by name, as `Float` in row-major order with their dims as shape.
    public var initializers: [String: StoredTensor]
    /// The names of the graph's inputs and outputs (`content_img`, `style_img`, `alpha` ->
    /// `output_img` for the seed's export).
    public var inputs: [String]
    public var outputs: [String]
}

/// One `NodeProto`.
public struct ONNXNode: Equatable, Sendable {
    public var name: String
    /// `Conv`, `Relu`, `Pad`, ...
    public var opType: String
    public var inputs: [String]
    public var outputs: [String]
    /// The node's attributes by name (`kernel_shape`, `pads`, `strides`, `mode`, ...).
    public var attributes: [String: ONNXAttribute]
}

/// An `AttributeProto`'s value. Tensors, graphs and lists of strings are not read: they are given as
/// `other` with the attribute's type number.
public enum ONNXAttribute: Equatable, Sendable {
    case float(Float)
    case int(Int)
    case string(String)
    case floats([Float])
    case ints([Int])
    case other(type: Int)
}

/// Reads the graph of an ONNX model file.
///
/// Only these fields of onnx.proto are read, all others skipped by their wire type:
/// `ModelProto.graph` (7); `GraphProto.node` (1), `initializer` (5), `input` (11), `output` (12);
/// `NodeProto.input` (1), `output` (2), `name` (3), `op_type` (4), `attribute` (5);
/// `AttributeProto.name` (1), `f` (2), `i` (3), `s` (4), `floats` (7), `ints` (8), `type` (20);
/// `TensorProto.dims` (1), `data_type` (2), `float_data` (4), `name` (8), `raw_data` (9),
/// `data_location` (14); `ValueInfoProto.name` (1). Repeated numbers are read packed or not.
/// An initializer must be FLOAT (data type 1), its values in `raw_data` (little endian) or
/// `float_data`, exactly as many as its dims give; nothing else in the file is trusted or run.
///
/// - Throws: ``CheckpointError`` naming the file: `unreadable`, `truncated` (a varint or a field cut
///   off by the end of the file), `malformed` (a length past the end of its message, a wrong wire
///   type for a known field, two initializers of one name, values not matching the dims, naming the
///   initializer), `unsupportedDType` (a non-float initializer, naming it and its type),
///   `unsupportedFeature` (weights stored outside the file).
public func loadONNXGraph(path: String) throws(CheckpointError) -> ONNXGraph {
    try readONNXGraph(mappedWeightFile(path: path), path: path)
}

/// Reads an ONNX file's bytes; `path` is only for messages.
func readONNXGraph(_ data: Data, path: String) throws(CheckpointError) -> ONNXGraph {
    guard !data.isEmpty else { throw .truncated(path: path, detail: "the file is empty") }
    let result: Result<ONNXGraph, CheckpointError> = data.withUnsafeBytes { bytes in
        Result { () throws(CheckpointError) in try ONNXReader(bytes: bytes, path: path).model() }
    }
    return try result.get()
}

private struct ONNXReader {
    /// The most fields (and packed integers) one file may hold: about a thousand times what the
    /// seed's export of VGG-19 and its decoder needs, and at most a few hundred MB of Swift values.
    static let valueLimit = 1 << 20

    let bytes: UnsafeRawBufferPointer
    let path: String
    let budget = ProtobufBudget(values: ONNXReader.valueLimit)

    func message(_ range: Range<Int>, _ name: String) -> ProtobufMessage {
        ProtobufMessage(bytes: bytes, range: range, path: path, name: name, budget: budget)
    }

    func model() throws(CheckpointError) -> ONNXGraph {
        var model = message(0 ..< bytes.count, "ModelProto")
        var graphRange: Range<Int>?
        while let (number, value) = try model.next() {
            guard number == 7 else { continue }
            guard graphRange == nil else { throw model.malformed("has two graphs") }
            graphRange = try model.range(value, field: "graph")
        }
        guard let graphRange else { throw model.malformed("has no graph (field 7); it is not an ONNX model") }
        return try graph(graphRange)
    }

    func graph(_ range: Range<Int>) throws(CheckpointError) -> ONNXGraph {
        var graph = message(range, "GraphProto")
        var result = ONNXGraph(nodes: [], initializers: [:], inputs: [], outputs: [])
        while let (number, value) = try graph.next() {
            switch number {
            case 1: result.nodes.append(try node(graph.range(value, field: "node"), index: result.nodes.count))
            case 5:
                let (name, tensor) = try initializer(graph.range(value, field: "initializer"), index: result.initializers.count)
                guard result.initializers[name] == nil else { throw graph.malformed("has two initializers named '\(name)'") }
                result.initializers[name] = tensor
            case 11: result.inputs.append(try valueName(graph.range(value, field: "input")))
            case 12: result.outputs.append(try valueName(graph.range(value, field: "output")))
            default: continue
            }
        }
        return result
    }

    func valueName(_ range: Range<Int>) throws(CheckpointError) -> String {
        var info = message(range, "ValueInfoProto")
        var name = ""
        while let (number, value) = try info.next() {
            guard number == 1 else { continue }
            name = try info.string(value, field: "name")
        }
        return name
    }

    func node(_ range: Range<Int>, index: Int) throws(CheckpointError) -> ONNXNode {
        var node = message(range, "node \(index) (NodeProto)")
        var result = ONNXNode(name: "", opType: "", inputs: [], outputs: [], attributes: [:])
        while let (number, value) = try node.next() {
            switch number {
            case 1: result.inputs.append(try node.string(value, field: "input"))
            case 2: result.outputs.append(try node.string(value, field: "output"))
            case 3: result.name = try node.string(value, field: "name")
            case 4: result.opType = try node.string(value, field: "op_type")
            case 5:
                let (name, attribute) = try self.attribute(node.range(value, field: "attribute"), node: index)
                result.attributes[name] = attribute
            default: continue
            }
        }
        return result
    }

    func attribute(_ range: Range<Int>, node: Int) throws(CheckpointError) -> (String, ONNXAttribute) {
        var attribute = message(range, "an attribute of node \(node) (AttributeProto)")
        var name = "", type = 0
        var f: Float?, i: Int?, s: String?, floats: [Float] = [], ints: [Int] = []
        while let (number, value) = try attribute.next() {
            switch number {
            case 1: name = try attribute.string(value, field: "name")
            case 2: f = try float(value, in: attribute, field: "f").first
            case 3: i = try attribute.int64(value, field: "i")
            case 4: s = try attribute.string(value, field: "s")
            case 7: floats += try float(value, in: attribute, field: "floats")
            case 8: ints += try attribute.int64s(value, field: "ints")
            case 20: type = try attribute.int64(value, field: "type")
            default: continue
            }
        }
        // AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7.
        let result: ONNXAttribute = switch type {
        case 1: .float(f ?? 0)
        case 2: .int(i ?? 0)
        case 3: .string(s ?? "")
        case 6: .floats(floats)
        case 7: .ints(ints)
        default: .other(type: type)
        }
        return (name, result)
    }

    /// Floats of a `float` / `repeated float` field: one fixed32, or a packed run of them.
    func float(_ value: ProtobufValue, in message: ProtobufMessage, field: String) throws(CheckpointError) -> [Float] {
        switch value {
        case .fixed32(let bits): return [Float(bitPattern: bits)]
        case .bytes(let range):
            guard range.count % 4 == 0 else { throw message.malformed("field '\(field)' has \(range.count) bytes of packed floats, not a multiple of 4") }
            return TensorDType.float32.decode(UnsafeRawBufferPointer(rebasing: bytes[range]), count: range.count / 4)
        default: throw message.malformed("field '\(field)' is \(value.wireName), not a float")
        }
    }

    /// ONNX's `TensorProto.DataType` names, for messages.
    static let dataTypes = [
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL", "FLOAT16",
        "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
    ]

    func initializer(_ range: Range<Int>, index: Int) throws(CheckpointError) -> (String, StoredTensor) {
        var tensor = message(range, "initializer \(index) (TensorProto)")
        var name = "", dims: [Int] = [], dataType = 0, dataLocation = 0
        var raw: Range<Int>?, floatData: [Float] = [], floatFields = 0
        while let (number, value) = try tensor.next() {
            switch number {
            case 1: dims += try tensor.int64s(value, field: "dims")
            case 2: dataType = try tensor.int64(value, field: "data_type")
            case 4:
                floatData += try float(value, in: tensor, field: "float_data")
                floatFields += 1
            case 8: name = try tensor.string(value, field: "name")
            case 9: raw = try tensor.range(value, field: "raw_data")
            case 14: dataLocation = try tensor.int64(value, field: "data_location")
            default: continue
            }
        }
        func malformed(_ detail: String) -> CheckpointError {
            .malformed(path: path, detail: "initializer '\(name)' \(detail)")
        }
        guard dataType == 1 else {
            let typeName = dataType >= 0 && dataType < Self.dataTypes.count ? Self.dataTypes[dataType] : "data type \(dataType)"
            throw .unsupportedDType(path: path, key: name, dtype: typeName)
        }
        guard dataLocation == 0 else {
            throw .unsupportedFeature(path: path, detail: "initializer '\(name)' is stored outside the file (external data); save the model with its weights inside")
        }
        guard let count = checkedProduct(dims) else { throw malformed("has impossible dims \(dims)") }
        if let raw {
            guard floatFields == 0 else { throw malformed("has both raw_data and float_data") }
            guard raw.count % 4 == 0, raw.count / 4 == count else {
                throw malformed("has \(raw.count) bytes of raw_data for dims \(dims) (\(count) floats)")
            }
            return (name, StoredTensor(shape: dims, values: TensorDType.float32.decode(UnsafeRawBufferPointer(rebasing: bytes[raw]), count: count)))
        }
        guard floatData.count == count else { throw malformed("has \(floatData.count) float_data values for dims \(dims) (\(count) floats)") }
        return (name, StoredTensor(shape: dims, values: floatData))
    }
}
