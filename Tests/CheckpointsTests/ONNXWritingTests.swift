// The protobuf and ONNX writer: its bytes read back by stylectl's own reader (loadONNXGraph) and by
// the onnx package (onnx.load, Scripts/check_onnx.py), and what it refuses to write.

import Foundation
import Testing
@testable import Checkpoints
import TestSupport

@Suite struct ONNXWritingTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-onnx-writing-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    /// Varints as the protobuf encoding guide spells them: 1, 150, 300, and -1 as ten bytes.
    @Test func varintsAreWrittenAsTheSpecificationGivesThem() {
        var writer = ProtobufWriter()
        writer.int64(1, 1)
        writer.int64(1, 150)
        writer.int64(2, 300)
        writer.int64(3, -1)
        writer.float(4, 1.5)
        #expect(writer.bytes == [0x08, 0x01, 0x08, 0x96, 0x01, 0x10, 0xAC, 0x02,
                                 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
                                 0x25, 0x00, 0x00, 0xC0, 0x3F])
    }

    /// Every field kind read back by the wire reader, values at the edges of their encodings.
    @Test func theWireReaderReadsBackEveryFieldKind() throws {
        var writer = ProtobufWriter()
        let ints = [0, 1, 127, 128, Int(Int32.max), Int.max, Int.min, -2]
        for i in ints { writer.int64(1, i) }
        writer.float(2, -0.0)
        writer.string(3, "naïve ✓")
        writer.message(4) { $0.int64(5, 42) }
        let bytes = writer.bytes
        var values: [(Int, ProtobufValue)] = []
        try bytes.withUnsafeBytes { raw in
            var message = ProtobufMessage(bytes: raw, range: 0 ..< raw.count, path: "w", name: "test", budget: ProtobufBudget(values: 100))
            while let field = try message.next() { values.append(field) }
            #expect(try values.prefix(ints.count).map { try message.int64($0.1, field: "i") } == ints)
            #expect(values[ints.count].1 == .fixed32((-0.0 as Float).bitPattern))
            #expect(try message.string(values[ints.count + 1].1, field: "s") == "naïve ✓")
            let inner = try message.range(values[ints.count + 2].1, field: "m")
            var nested = ProtobufMessage(bytes: raw, range: inner, path: "w", name: "inner", budget: ProtobufBudget(values: 10))
            let field = try #require(try nested.next())
            #expect(field.number == 5 && field.value == .varint(42))
        }
        #expect(values.map(\.0) == Array(repeating: 1, count: ints.count) + [2, 3, 4])
    }

    /// A small model of every attribute kind, initializer shapes (scalar, empty, 4-D) and dynamic
    /// dimensions; values at the edges of float32.
    static func sampleModel() -> ONNXModelDefinition {
        var weights = (0 ..< 18).map { Float($0) * 0.25 - 2 }
        weights[3] = .leastNonzeroMagnitude
        weights[8] = -0.0
        let weight = ONNXTensorDefinition(name: "conv.weight", dims: [2, 1, 3, 3], values: .float(weights))
        let graph = ONNXGraphDefinition(
            name: "sample",
            nodes: [
                ONNXNodeDefinition(name: "pads", opType: "Constant", inputs: [], outputs: ["pads"],
                                   attributes: [("value", .tensor(ONNXTensorDefinition(name: "pads", dims: [8], values: .int64([0, 0, 1, 1, 0, 0, 1, 1]))))]),
                ONNXNodeDefinition(name: "pad", opType: "Pad", inputs: ["x", "pads"], outputs: ["padded"], attributes: [("mode", .string("reflect"))]),
                ONNXNodeDefinition(name: "conv", opType: "Conv", inputs: ["padded", "conv.weight", "conv.bias"], outputs: ["y"],
                                   attributes: [("kernel_shape", .ints([3, 3])), ("group", .int(1)), ("pads", .ints([0, 0, 0, 0]))]),
                ONNXNodeDefinition(name: "leaky", opType: "LeakyRelu", inputs: ["y"], outputs: ["z"], attributes: [("alpha", .float(0.125))]),
                ONNXNodeDefinition(name: "resize", opType: "Resize", inputs: ["z", "roi", "scales"], outputs: ["out"],
                                   attributes: [("mode", .string("nearest")), ("coordinate_transformation_mode", .string("asymmetric")), ("nearest_mode", .string("floor"))]),
            ],
            initializers: [
                weight,
                ONNXTensorDefinition(name: "conv.bias", dims: [2], values: .float([Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude])),
                ONNXTensorDefinition(name: "roi", dims: [0], values: .float([])),
                ONNXTensorDefinition(name: "scales", dims: [4], values: .float([1, 1, 2, 2])),
            ],
            inputs: [ONNXValueInfo(name: "x", shape: [.value(1), .value(1), .parameter("height"), .parameter("width")])],
            outputs: [ONNXValueInfo(name: "out", shape: [.value(1), .value(2), .parameter("out_height"), .parameter("out_width")])]
        )
        return ONNXModelDefinition(irVersion: 6, opsetVersion: 11, producerName: "stylectl-test", producerVersion: "1.2.3", graph: graph)
    }

    @Test func loadONNXGraphReadsBackTheWrittenModel() throws {
        let model = Self.sampleModel()
        let path = temp.appendingPathComponent("sample.onnx").path
        try writeONNXModel(model, path: path)
        let graph = try loadONNXGraph(path: path)
        #expect(graph.inputs == ["x"] && graph.outputs == ["out"])
        #expect(graph.nodes.map(\.name) == model.graph.nodes.map(\.name))
        #expect(graph.nodes.map(\.opType) == model.graph.nodes.map(\.opType))
        #expect(graph.nodes.map(\.inputs) == model.graph.nodes.map(\.inputs))
        #expect(graph.nodes.map(\.outputs) == model.graph.nodes.map(\.outputs))
        #expect(graph.nodes[0].attributes == ["value": .other(type: 4)])
        #expect(graph.nodes[1].attributes == ["mode": .string("reflect")])
        #expect(graph.nodes[2].attributes == ["kernel_shape": .ints([3, 3]), "group": .int(1), "pads": .ints([0, 0, 0, 0])])
        #expect(graph.nodes[3].attributes == ["alpha": .float(0.125)])
        #expect(graph.initializers.count == 4)
        for initializer in model.graph.initializers {
            guard case .float(let values) = initializer.values else { continue }
            let read = try #require(graph.initializers[initializer.name])
            #expect(read.shape == initializer.dims)
            #expect(read.values.map(\.bitPattern) == values.map(\.bitPattern), "\(initializer.name)")
        }
    }

    /// The onnx package's parser (onnx.load) sees the same model, field by field.
    @Test func onnxLoadReadsBackTheWrittenModel() throws {
        let model = Self.sampleModel()
        let path = temp.appendingPathComponent("sample.onnx").path
        try writeONNXModel(model, path: path)
        let described = try #require(try CheckONNXScript.run(["describe", path]) as? [String: Any])
        #expect(described["ir_version"] as? Int == 6)
        #expect((described["opset_import"] as? [[String: Any]])?.map { "\($0["domain"]!):\($0["version"]!)" } == [":11"])
        #expect(described["producer_name"] as? String == "stylectl-test" && described["producer_version"] as? String == "1.2.3")
        #expect(described["graph_name"] as? String == "sample")
        let nodes = try #require(described["nodes"] as? [[String: Any]])
        #expect(nodes.map { $0["name"] as? String } == model.graph.nodes.map(\.name))
        #expect(nodes.map { $0["op_type"] as? String } == model.graph.nodes.map(\.opType))
        #expect(nodes.map { $0["inputs"] as? [String] } == model.graph.nodes.map(\.inputs))
        #expect(nodes.map { $0["outputs"] as? [String] } == model.graph.nodes.map(\.outputs))
        let attributes = nodes.map { $0["attributes"] as? [String: Any] ?? [:] }
        let constant = try #require(attributes[0]["value"] as? [String: Any])
        #expect(constant["dims"] as? [Int] == [8] && constant["data_type"] as? Int == 7 && constant["values"] as? [Int] == [0, 0, 1, 1, 0, 0, 1, 1])
        #expect(attributes[1]["mode"] as? String == "reflect")
        #expect(attributes[2]["kernel_shape"] as? [Int] == [3, 3] && attributes[2]["group"] as? Int == 1 && attributes[2]["pads"] as? [Int] == [0, 0, 0, 0])
        #expect(attributes[3]["alpha"] as? Double == 0.125)
        #expect(attributes[4]["nearest_mode"] as? String == "floor")
        let initializers = try #require(described["initializers"] as? [[String: Any]])
        #expect(initializers.map { $0["name"] as? String } == model.graph.initializers.map(\.name))
        #expect(initializers.map { $0["dims"] as? [Int] } == model.graph.initializers.map(\.dims))
        for (read, written) in zip(initializers, model.graph.initializers) {
            guard case .float(let values) = written.values else { continue }
            // JSON carries the float32 values as doubles, exactly (but for the sign of zero).
            let numbers = (read["values"] as? [NSNumber] ?? []).map { Float($0.doubleValue) }
            #expect(numbers == values, "\(written.name)")
        }
        let inputs = try #require(described["inputs"] as? [[String: Any]])
        #expect(inputs.count == 1 && inputs[0]["name"] as? String == "x" && inputs[0]["elem_type"] as? Int == 1)
        #expect((inputs[0]["dims"] as? [Any])?.map { "\($0)" } == ["1", "1", "height", "width"])
        let outputs = try #require(described["outputs"] as? [[String: Any]])
        #expect((outputs[0]["dims"] as? [Any])?.map { "\($0)" } == ["1", "2", "out_height", "out_width"])
    }

    /// A tensor whose values do not fill its dims (or overflow them) and duplicate initializer
    /// names are refused, naming them, and nothing is written.
    @Test func inconsistentTensorsAreRefusedAndNothingIsWritten() throws {
        let path = temp.appendingPathComponent("bad.onnx").path
        var short = Self.sampleModel()
        short.graph.initializers[3] = ONNXTensorDefinition(name: "scales", dims: [4], values: .float([1, 1, 2]))
        var overflowing = Self.sampleModel()
        overflowing.graph.nodes[0].attributes = [("value", .tensor(ONNXTensorDefinition(name: "pads", dims: [Int.max, 2], values: .int64([0]))))]
        var duplicate = Self.sampleModel()
        duplicate.graph.initializers.append(ONNXTensorDefinition(name: "roi", dims: [0], values: .float([])))
        let cases: [(ONNXModelDefinition, String)] = [
            (short, "initializer 'scales' has 3 values for dims [4]"),
            (overflowing, "attribute 'value' of node 'pads' has 1 values for dims [\(Int.max), 2]"),
            (duplicate, "two initializers are named 'roi'"),
        ]
        for (model, detail) in cases {
            #expect(throws: CheckpointError.malformed(path: path, detail: detail)) { try writeONNXModel(model, path: path) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }

    @Test func aMissingFolderIsReportedAsUnwritable() throws {
        let path = temp.appendingPathComponent("missing/sample.onnx").path
        #expect {
            try writeONNXModel(Self.sampleModel(), path: path)
        } throws: { error in
            guard case .unwritable(let p, _) = error as? CheckpointError else { return false }
            return p == path
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }
}
