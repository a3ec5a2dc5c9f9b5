// ONNX files: the golden export of Scripts/goldens_formats.py (torch.onnx.export at opset 9, read
// back with the onnx package) read exactly, and hostile protobufs built here refused exactly.

import Foundation
import Testing
@testable import Checkpoints
import TestSupport

/// Writes protobuf wire format.
struct ProtoBuilder {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
    mutating func key(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }
    mutating func int(_ field: Int, _ value: Int64) {
        key(field, 0)
        varint(UInt64(bitPattern: value))
    }
    mutating func data(_ field: Int, _ data: [UInt8]) {
        key(field, 2)
        varint(UInt64(data.count))
        bytes += data
    }
    mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }
    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }
    mutating func message(_ field: Int, _ build: (inout ProtoBuilder) -> Void) {
        var inner = ProtoBuilder()
        build(&inner)
        data(field, inner.bytes)
    }

    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    /// TensorProto: FLOAT by default, values as raw_data.
    static func initializer(_ name: String, dims: [Int64], raw: [Float], dataType: Int64 = 1) -> (inout ProtoBuilder) -> Void {
        { t in
            for d in dims { t.int(1, d) }
            t.int(2, dataType)
            t.string(8, name)
            t.data(9, floats(raw))
        }
    }
}

@Suite struct ONNXGraphTests {
    func read(_ bytes: [UInt8], path: String = "test.onnx") -> Result<ONNXGraph, CheckpointError> {
        Result { () throws(CheckpointError) in try readONNXGraph(Data(bytes), path: path) }
    }

    func error(_ bytes: [UInt8]) -> CheckpointError? {
        if case .failure(let e) = read(bytes) { return e }
        return nil
    }

    /// A model with one Conv node, a raw_data initializer and a packed float_data one.
    static func model(extraInitializer: ((inout ProtoBuilder) -> Void)? = nil) -> [UInt8] {
        var m = ProtoBuilder()
        m.int(1, 4)                         // ir_version, skipped
        m.string(2, "stylectl-test")        // producer_name, skipped
        m.message(7) { g in
            g.message(1) { n in
                for input in ["x", "w", "b"] { n.string(1, input) }
                n.string(2, "y")
                n.string(3, "conv0")
                n.string(4, "Conv")
                n.message(5) { a in
                    a.string(1, "pads")
                    a.int(20, 7)
                    for p: Int64 in [1, 1, -1, 1] { a.int(8, p) }   // unpacked, one negative (10-byte varint)
                }
                n.message(5) { a in
                    a.string(1, "kernel_shape")
                    a.int(20, 7)
                    var packed = ProtoBuilder()
                    packed.varint(3)
                    packed.varint(300)
                    a.data(8, packed.bytes)                           // packed
                }
                n.message(5) { a in a.string(1, "mode"); a.int(20, 3); a.string(4, "reflect") }
                n.message(5) { a in a.string(1, "alpha"); a.int(20, 1); a.float(2, 0.25) }
                n.string(7, "ai.onnx")                                // domain, skipped
            }
            g.message(5, ProtoBuilder.initializer("w", dims: [2, 1, 1, 1], raw: [0.5, -1.5]))
            g.message(5) { t in
                var dims = ProtoBuilder()
                dims.varint(2)
                t.data(1, dims.bytes)                                 // packed dims
                t.int(2, 1)
                t.data(4, ProtoBuilder.floats([3, 4]))                // packed float_data
                t.string(8, "b")
            }
            if let extraInitializer { g.message(5, extraInitializer) }
            g.message(11) { $0.string(1, "x") }
            g.message(12) { $0.string(1, "y") }
        }
        m.message(8) { $0.int(2, 9) }                                 // opset_import, skipped
        return m.bytes
    }

    @Test func builtModelReads() throws {
        let graph = try read(Self.model()).get()
        #expect(graph == ONNXGraph(
            nodes: [ONNXNode(name: "conv0", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"], attributes: [
                "pads": .ints([1, 1, -1, 1]), "kernel_shape": .ints([3, 300]), "mode": .string("reflect"), "alpha": .float(0.25),
            ])],
            initializers: ["w": StoredTensor(shape: [2, 1, 1, 1], values: [0.5, -1.5]), "b": StoredTensor(shape: [2], values: [3, 4])],
            inputs: ["x"], outputs: ["y"]))
    }

    @Test func goldenExportReadsExactly() throws {
        let index = try FormatGoldenIndex.load()
        let entry = try #require(index.onnx["seed_tiny.onnx"])
        let graph = try loadONNXGraph(path: TestPaths.golden("formats/seed_tiny.onnx").path)
        #expect(graph.inputs == entry.inputs && graph.inputs == ["content_img", "style_img", "alpha"])
        #expect(graph.outputs == entry.outputs)
        try #require(graph.nodes.count == entry.nodes.count)
        for (node, expected) in zip(graph.nodes, entry.nodes) {
            #expect(node.opType == expected.op_type && node.inputs == expected.inputs && node.outputs == expected.outputs)
            #expect(Set(node.attributes.keys) == Set(expected.attributes.keys), "\(node.opType)")
            for (name, value) in expected.attributes {
                let attribute = node.attributes[name]
                switch (value.first?.key, value.first?.value) {
                case ("int", .number(let n)?): #expect(attribute == .int(Int(n)))
                case ("ints", .numbers(let list)?): #expect(attribute == .ints(list.map { Int($0) }))
                case ("float", .number(let n)?): #expect(attribute == .float(Float(n)))
                case ("floats", .numbers(let list)?): #expect(attribute == .floats(list.map { Float($0) }))
                case ("string", .string(let s)?): #expect(attribute == .string(s))
                case ("other", .number(let n)?): #expect(attribute == .other(type: Int(n)))
                default: Issue.record("\(node.opType).\(name): unexpected golden \(value)")
                }
            }
        }
        #expect(graph.nodes.filter { $0.opType == "Conv" }.count == 6)
        #expect(graph.nodes.contains { $0.opType == "Pad" && $0.attributes["mode"] == .string("reflect") })
        let expected = try FormatGoldenIndex.expected(entry.expected)
        #expect(Set(graph.initializers.keys) == Set(expected.keys))
        for (name, tensor) in expected {
            let read = try #require(graph.initializers[name])
            #expect(read.shape == tensor.shape && bits(read.values) == bits(tensor.values), "\(name)")
        }
    }

    /// A protobuf cut at a field boundary parses (the format has no end marker): then it must give
    /// the same graph, since the graph is one field; anywhere else, an error naming the file.
    @Test func everyCutIsAnErrorOrTheSameGraph() throws {
        let data = try Data(contentsOf: TestPaths.golden("formats/seed_tiny.onnx"))
        let full = try readONNXGraph(data, path: "full")
        for cut in 0 ..< data.count {
            switch read(Array(data.prefix(cut)), path: "cut@\(cut)") {
            case .success(let graph): #expect(graph == full, "cut at \(cut) read a different graph")
            case .failure(let e): #expect(["truncated", "malformed"].contains(e.caseName) && e.description.contains("cut@\(cut)"), "\(e)")
            }
        }
    }

    @Test func truncatedVarintIsRefused() {
        #expect(error([0x3A, 0x80]) == .truncated(path: "test.onnx", detail: "ModelProto: a varint at byte 1 is cut off at byte 2, the end of the file"))
        #expect(error([0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x02])
            == .malformed(path: "test.onnx", detail: "ModelProto has a varint at byte 1 longer than 64 bits"))
    }

    @Test func lengthPastTheEndIsRefused() {
        #expect(error([0x3A, 0x10, 0, 0, 0]) == .truncated(path: "test.onnx", detail: "ModelProto field 7 at byte 0 claims 16 bytes from byte 2; the file ends at byte 5"))
        // Inside the graph (bytes 2..<5): a node claiming 5 bytes; the file goes on after the graph.
        #expect(error([0x3A, 0x03, 0x0A, 0x05, 0x00, 0x08, 0x01])
            == .malformed(path: "test.onnx", detail: "GraphProto field 1 at byte 2 claims 5 bytes from byte 4; the message ends at byte 5 (length at byte 3)"))
        var huge = ProtoBuilder()
        huge.key(7, 2)
        huge.varint(1 << 40)
        #expect(error(huge.bytes) == .truncated(path: "test.onnx", detail: "ModelProto field 7 at byte 0 claims 1099511627776 bytes from byte 7; the file ends at byte 7"))
    }

    /// Two million empty nodes (two bytes each) would make hundreds of MB of Swift values.
    @Test func tooManyFieldsAreRefused() throws {
        var graph = ProtoBuilder()
        for _ in 0 ..< (1 << 20) { graph.data(1, []) }
        var model = ProtoBuilder()
        model.data(7, graph.bytes)
        #expect(error(model.bytes) == .malformed(path: "test.onnx", detail: "it holds more than 1048576 fields and packed values, far more than the graph of a style transfer network"))
        var fewer = ProtoBuilder()
        fewer.data(7, Array(graph.bytes.dropLast(2)))
        #expect(try read(fewer.bytes).get().nodes.count == (1 << 20) - 1)  // with the graph field: exactly the limit
    }

    @Test func nonFloatInitializerIsRefusedByName() {
        let bytes = Self.model(extraInitializer: ProtoBuilder.initializer("shape", dims: [2], raw: [0, 0, 0, 0], dataType: 7))
        #expect(error(bytes) == .unsupportedDType(path: "test.onnx", key: "shape", dtype: "INT64"))
    }

    @Test func initializerOfWrongSizeIsRefused() {
        let bytes = Self.model(extraInitializer: ProtoBuilder.initializer("w2", dims: [3], raw: [1, 2]))
        #expect(error(bytes) == .malformed(path: "test.onnx", detail: "initializer 'w2' has 8 bytes of raw_data for dims [3] (3 floats)"))
        let twice = Self.model(extraInitializer: ProtoBuilder.initializer("w", dims: [1], raw: [1]))
        #expect(error(twice) == .malformed(path: "test.onnx", detail: "GraphProto has two initializers named 'w'"))
        let external = Self.model(extraInitializer: { t in
            t.int(1, 1)
            t.int(2, 1)
            t.string(8, "outside")
            t.int(14, 1)
        })
        #expect(error(external)?.caseName == "unsupportedFeature")
    }

    @Test func wrongWireTypesAreRefused() {
        #expect(error([0x38, 0x01]) == .malformed(path: "test.onnx", detail: "ModelProto field 'graph' is a varint, not length-delimited"))
        #expect(error([0x3B]) == .malformed(path: "test.onnx", detail: "ModelProto has field 7 at byte 0 with wire type 3 (groups and unknown wire types are not read)"))
        #expect(error([0x00, 0x01]) == .malformed(path: "test.onnx", detail: "ModelProto has field number 0 at byte 0"))
        #expect(error([0x08, 0x04]) == .malformed(path: "test.onnx", detail: "ModelProto has no graph (field 7); it is not an ONNX model"))
    }

    @Test func missingFileIsUnreadable() {
        #expect(throws: CheckpointError.unreadable(path: "/nonexistent/model.onnx", reason: "no such file")) {
            try loadONNXGraph(path: "/nonexistent/model.onnx")
        }
    }
}
