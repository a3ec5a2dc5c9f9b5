// The fixtures of Scripts/goldens_checkpoints.py: their index, expected tensors, and error names.

import Foundation
@testable import Checkpoints
import TestSupport

/// `.goldens/checkpoints/index.json`.
struct CheckpointGoldenIndex: Decodable {
    struct Tensor: Decodable {
        let shape: [Int]
        /// Raw little-endian float32 values, relative to the goldens folder.
        let file: String
    }

    struct StateDict: Decodable {
        /// Checkpoint files that hold this state_dict.
        let files: [String]
        let tensors: [String: Tensor]
    }

    struct Hostile: Decodable {
        let file: String
        /// The `CheckpointError` case, as ``CheckpointError/caseName``.
        let error: String
        /// Strings the error's description must contain besides the path.
        let mentions: [String]
    }

    let dicts: [String: StateDict]
    let hostile: [Hostile]

    static func load() throws -> CheckpointGoldenIndex {
        let data = try Data(contentsOf: try TestPaths.golden("checkpoints/index.json"))
        return try JSONDecoder().decode(CheckpointGoldenIndex.self, from: data)
    }

    /// The expected state_dict held by `file`.
    func expected(for file: String) throws -> [String: StoredTensor]? {
        guard let dict = dicts.values.first(where: { $0.files.contains(file) }) else { return nil }
        var result: [String: StoredTensor] = [:]
        for (key, tensor) in dict.tensors {
            let values = try readFloats(try TestPaths.golden("checkpoints/\(tensor.file)"))
            result[key] = StoredTensor(shape: tensor.shape, values: values)
        }
        return result
    }

    func hostile(_ file: String) -> Hostile? {
        hostile.first { $0.file == file }
    }
}

extension CheckpointError {
    /// The case's name, as the golden index spells it.
    var caseName: String {
        switch self {
        case .unreadable: "unreadable"
        case .unknownFormat: "unknownFormat"
        case .truncated: "truncated"
        case .malformed: "malformed"
        case .forbiddenObject: "forbiddenObject"
        case .unsupportedDType: "unsupportedDType"
        case .unsupportedFeature: "unsupportedFeature"
        case .notAStateDict: "notAStateDict"
        case .notATensor: "notATensor"
        case .unsupportedModule: "unsupportedModule"
        case .unwritable: "unwritable"
        }
    }
}

/// A scratch folder, removed by the caller.
func makeTemporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoints-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The outcome of reading `data` as if it were the file `path`, without touching the disk.
func readInMemory(_ data: Data, path: String) -> Result<[String: StoredTensor], CheckpointError> {
    Result { () throws(CheckpointError) in try readStateDict(data, path: path) }
}
