// Writing ONNX model files: a model, its graph's nodes, initializers, inputs and outputs, in the
// protobuf messages of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).

import Foundation

/// An ONNX model to write: a `ModelProto` with one opset of the default domain.
public struct ONNXModelDefinition: Sendable, Equatable {
    /// `ir_version`: the file format's version (6 goes with opset 11, 7 with 12 and 13).
    public var irVersion: Int
    /// The version of the default (`ai.onnx`) operator set the nodes follow.
    public var opsetVersion: Int
    public var producerName: String
    public var producerVersion: String
    public var graph: ONNXGraphDefinition

    public init(irVersion: Int, opsetVersion: Int, producerName: String, producerVersion: String, graph: ONNXGraphDefinition) {
        self.irVersion = irVersion
        self.opsetVersion = opsetVersion
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.graph = graph
    }
}

/// A `GraphProto`: nodes in topological order, named initializers (weights and constants), and
/// the graph's typed inputs and outputs.
public struct ONNXGraphDefinition: Sendable, Equatable {
    public var name: String
    public var nodes: [ONNXNodeDefinition]
    public var initializers: [ONNXTensorDefinition]
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]

    public init(name: String, nodes: [ONNXNodeDefinition], initializers: [ONNXTensorDefinition], inputs: [ONNXValueInfo], outputs: [ONNXValueInfo]) {
        self.name = name
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// A `NodeProto`; an empty input name is an omitted optional input, as ONNX defines.
public struct ONNXNodeDefinition: Sendable, Equatable {
    public var name: String
    public var opType: String
    public var inputs: [String]
    public var outputs: [String]
    /// Written in this order (ONNX does not order them; names must differ).
    public var attributes: [(name: String, value: ONNXAttributeValue)]

    public init(name: String, opType: String, inputs: [String], outputs: [String], attributes: [(name: String, value: ONNXAttributeValue)] = []) {
        self.name = name
        self.opType = opType
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.name == b.name && a.opType == b.opType && a.inputs == b.inputs && a.outputs == b.outputs
            && a.attributes.map(\.name) == b.attributes.map(\.name) && a.attributes.map(\.value) == b.attributes.map(\.value)
    }
}

/// An `AttributeProto`'s value and type.
public enum ONNXAttributeValue: Sendable, Equatable {
    case float(Float)
    case int(Int)
    case string(String)
    case tensor(ONNXTensorDefinition)
    case floats([Float])
    case ints([Int])
}

/// A `TensorProto` with its values in `raw_data` (little endian), of type FLOAT or INT64.
public struct ONNXTensorDefinition: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case float([Float])
        case int64([Int])

        var count: Int {
            switch self {
            case .float(let v): v.count
            case .int64(let v): v.count
            }
        }
    }

    public var name: String
    /// The shape; `[]` is a scalar (one value).
    public var dims: [Int]
    public var values: Values

    public init(name: String, dims: [Int], values: Values) {
        self.name = name
        self.dims = dims
        self.values = values
    }

    /// A float tensor from a checkpoint's tensor.
    public init(name: String, _ tensor: StoredTensor) {
        self.init(name: name, dims: tensor.shape, values: .float(tensor.values))
    }
}

/// `TensorProto.DataType` of a graph input, output or tensor.
public enum ONNXElementType: Int, Sendable, Equatable {
    case float = 1
    case int64 = 7
}

/// One dimension of an input's or output's shape: a number, or a name (`dim_param`) for a size
/// given at run time; dimensions of one name must be equal.
public enum ONNXDimension: Sendable, Equatable {
    case value(Int)
    case parameter(String)
}

/// A `ValueInfoProto` of a tensor type: a graph input or output.
public struct ONNXValueInfo: Sendable, Equatable {
    public var name: String
    public var elementType: ONNXElementType
    public var shape: [ONNXDimension]

    public init(name: String, elementType: ONNXElementType = .float, shape: [ONNXDimension]) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }
}

/// Writes `model` as an ONNX file, atomically (a temporary file in the same folder, renamed), so
/// that an interruption never leaves a half-written file.
///
/// The fields written, by onnx.proto's numbers: `ModelProto` ir_version 1, producer_name 2,
/// producer_version 3, graph 7, opset_import 8 (`OperatorSetIdProto` domain 1 empty, version 2);
/// `GraphProto` node 1, name 2, initializer 5, input 11, output 12; `NodeProto` input 1, output 2,
/// name 3, op_type 4, attribute 5; `AttributeProto` name 1, f 2, i 3, s 4, t 5, floats 7, ints 8,
/// type 20; `TensorProto` dims 1, data_type 2, name 8, raw_data 9; `ValueInfoProto` name 1, type 2;
/// `TypeProto` tensor_type 1 (elem_type 1, shape 2); `TensorShapeProto` dim 1 (dim_value 1,
/// dim_param 2). ``loadONNXGraph(path:)`` reads back its nodes, float initializers, inputs and outputs.
///
/// - Throws: ``CheckpointError`` naming the file: `malformed` when a tensor's values are not as
///   many as its dims give, or two initializers share a name (nothing is written then);
///   `unwritable` when the file cannot be written.
public func writeONNXModel(_ model: ONNXModelDefinition, path: String) throws(CheckpointError) {
    let bytes = try encodeONNXModel(model, path: path)
    do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
        throw .unwritable(path: path, reason: error.localizedDescription)
    }
}

/// The bytes of ``writeONNXModel(_:path:)``'s file; `path` is only for messages.
public func encodeONNXModel(_ model: ONNXModelDefinition, path: String) throws(CheckpointError) -> [UInt8] {
    try checkTensors(model.graph, path: path)
    var writer = ProtobufWriter()
    writer.int64(1, model.irVersion)
    writer.string(2, model.producerName)
    writer.string(3, model.producerVersion)
    writer.message(7) { writeGraph(model.graph, into: &$0) }
    writer.message(8) { opset in
        opset.string(1, "")
        opset.int64(2, model.opsetVersion)
    }
    return writer.bytes
}

/// Refuses, naming the tensor, what ``loadONNXGraph(path:)`` would refuse in the file.
private func checkTensors(_ graph: ONNXGraphDefinition, path: String) throws(CheckpointError) {
    var tensors = graph.initializers.map { (where: "initializer '\($0.name)'", tensor: $0) }
    for node in graph.nodes {
        for attribute in node.attributes {
            if case .tensor(let t) = attribute.value { tensors.append(("attribute '\(attribute.name)' of node '\(node.name)'", t)) }
        }
    }
    for (place, tensor) in tensors {
        guard let count = checkedProduct(tensor.dims), count == tensor.values.count else {
            throw .malformed(path: path, detail: "\(place) has \(tensor.values.count) values for dims \(tensor.dims)")
        }
    }
    var names = Set<String>()
    for initializer in graph.initializers where !names.insert(initializer.name).inserted {
        throw .malformed(path: path, detail: "two initializers are named '\(initializer.name)'")
    }
}

private func writeGraph(_ graph: ONNXGraphDefinition, into writer: inout ProtobufWriter) {
    for node in graph.nodes { writer.message(1) { writeNode(node, into: &$0) } }
    writer.string(2, graph.name)
    for tensor in graph.initializers { writer.message(5) { writeTensor(tensor, into: &$0) } }
    for input in graph.inputs { writer.message(11) { writeValueInfo(input, into: &$0) } }
    for output in graph.outputs { writer.message(12) { writeValueInfo(output, into: &$0) } }
}

private func writeNode(_ node: ONNXNodeDefinition, into writer: inout ProtobufWriter) {
    for input in node.inputs { writer.string(1, input) }
    for output in node.outputs { writer.string(2, output) }
    writer.string(3, node.name)
    writer.string(4, node.opType)
    for (name, value) in node.attributes {
        writer.message(5) { attribute in
            attribute.string(1, name)
            // AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7.
            switch value {
            case .float(let f):
                attribute.float(2, f)
                attribute.int64(20, 1)
            case .int(let i):
                attribute.int64(3, i)
                attribute.int64(20, 2)
            case .string(let s):
                attribute.string(4, s)
                attribute.int64(20, 3)
            case .tensor(let t):
                attribute.message(5) { writeTensor(t, into: &$0) }
                attribute.int64(20, 4)
            case .floats(let floats):
                for f in floats { attribute.float(7, f) }
                attribute.int64(20, 6)
            case .ints(let ints):
                for i in ints { attribute.int64(8, i) }
                attribute.int64(20, 7)
            }
        }
    }
}

private func writeTensor(_ tensor: ONNXTensorDefinition, into writer: inout ProtobufWriter) {
    for d in tensor.dims { writer.int64(1, d) }
    let raw: [UInt8]
    switch tensor.values {
    case .float(let values):
        writer.int64(2, ONNXElementType.float.rawValue)
        raw = ProtobufWriter.littleEndianBytes(values)
    case .int64(let values):
        writer.int64(2, ONNXElementType.int64.rawValue)
        raw = ProtobufWriter.littleEndianBytes(values)
    }
    writer.string(8, tensor.name)
    raw.withUnsafeBytes { writer.data(9, $0) }
}

private func writeValueInfo(_ info: ONNXValueInfo, into writer: inout ProtobufWriter) {
    writer.string(1, info.name)
    writer.message(2) { type in
        type.message(1) { tensorType in
            tensorType.int64(1, info.elementType.rawValue)
            tensorType.message(2) { shape in
                for dimension in info.shape {
                    shape.message(1) { dim in
                        switch dimension {
                        case .value(let v): dim.int64(1, v)
                        case .parameter(let p): dim.string(2, p)
                        }
                    }
                }
            }
        }
    }
}
