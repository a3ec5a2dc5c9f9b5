// The fixtures of Scripts/goldens_formats.py (.goldens/formats/): Torch7 .t7 files, an ONNX export
// and a torchvision VGG-19 checkpoint, with their expected tensors in safetensors files.

import Foundation
@testable import Checkpoints
import TestSupport

/// `.goldens/formats/index.json`.
struct FormatGoldenIndex: Decodable {
    struct T7File: Decodable {
        let expected: String
        /// Each module's class and the fields it is defined by (`nInputPlane`, `pad_l`, `ceil_mode`...).
        let modules: [[String: JSONScalar]]
    }

    struct ONNXNodeEntry: Decodable {
        let op_type: String
        let inputs: [String]
        let outputs: [String]
        /// Attribute name -> {"int" | "ints" | "float" | "floats" | "string" | "other": value}.
        let attributes: [String: [String: JSONScalar]]
    }

    struct ONNXFile: Decodable {
        let expected: String
        let inputs: [String]
        let outputs: [String]
        let nodes: [ONNXNodeEntry]
    }

    struct VGG19: Decodable {
        let files: [String]
        let expected: String
        /// Every key of the state_dict, in order.
        let keys: [String]
    }

    let t7: [String: T7File]
    let onnx: [String: ONNXFile]
    let vgg19: VGG19

    static func load() throws -> FormatGoldenIndex {
        try JSONDecoder().decode(FormatGoldenIndex.self, from: Data(contentsOf: TestPaths.golden("formats/index.json")))
    }

    /// The tensors of an expected-values safetensors file.
    static func expected(_ file: String) throws -> [String: StoredTensor] {
        try loadStateDict(path: TestPaths.golden("formats/\(file)").path)
    }
}

/// A JSON number, boolean, string or list of numbers.
enum JSONScalar: Decodable, Equatable {
    case number(Double)
    case bool(Bool)
    case string(String)
    case numbers([Double])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else {
            self = .numbers(try container.decode([Double].self))
        }
    }
}

/// Bit patterns, so that float comparisons are exact (and -0 differs from 0).
func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
