// Golden areas written as index.json ("arrays": shapes, "scalars": values) beside one raw float32
// file per array: .goldens/training and .goldens/norms (Scripts/goldens_training.py, goldens_norms.py).

import Foundation
import TensorCore

/// One such golden area, e.g. `ArrayGoldens("training")`.
public struct ArrayGoldens: Sendable {
    public let area: String

    public init(_ area: String) { self.area = area }

    public func index() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.golden("\(area)/index.json"))) as! [String: Any]
    }

    /// An array as a tensor, its shape padded with 1s to four dimensions.
    public func tensor(_ name: String) throws -> Tensor {
        let arrays = try index()["arrays"] as! [String: [Int]]
        guard var shape = arrays[name] else { throw GoldenEntryMissing(description: "\(area)/index.json has no array \(name)") }
        while shape.count < 4 { shape.append(1) }
        return Tensor(shape: shape, values: try readFloats(TestPaths.golden("\(area)/\(name).f32")))
    }

    /// A scalar as the JSON holds it (a number, a list, an object).
    public func scalar(_ name: String) throws -> Any {
        guard let value = (try index()["scalars"] as! [String: Any])[name] else {
            throw GoldenEntryMissing(description: "\(area)/index.json has no scalar \(name)")
        }
        return value
    }

    /// A number scalar.
    public func double(_ name: String) throws -> Double {
        guard let value = try scalar(name) as? Double else {
            throw GoldenEntryMissing(description: "\(area)/index.json's scalar \(name) is not a number")
        }
        return value
    }
}

/// An array or scalar a golden index does not hold (stale goldens: run Scripts/make-goldens).
public struct GoldenEntryMissing: Error, CustomStringConvertible {
    public let description: String
}
