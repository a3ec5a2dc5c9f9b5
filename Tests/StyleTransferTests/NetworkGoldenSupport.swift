// Reading the PyTorch reference files of .goldens/network/ (Scripts/goldens_network.py) and
// comparing with them.

import Checkpoints
import Foundation
import StyleTransfer
import Testing
import TensorCore
import TestSupport

/// The goldens: index.json's array shapes, the raw float32 arrays, the seeded weights.
enum NetworkGoldens {
    static func url(_ name: String) throws -> URL { try TestPaths.golden("network/\(name)") }

    static func tensor(_ name: String) throws -> Tensor {
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: url("index.json"))) as! [String: Any]
        let arrays = index["arrays"] as! [String: [String: Any]]
        let shape = try #require(arrays[name]?["shape"] as? [Int], "index.json has no array \(name)")
        return Tensor(shape: shape, values: try readFloats(url("\(name).f32")))
    }

    /// The seeded networks, loaded once for all tests.
    static let networks: Result<(encoder: VGGEncoder, decoder: Decoder), any Error> = Result {
        (try VGGEncoder(weights: loadStateDict(path: url("vgg.safetensors").path)),
         try Decoder(weights: loadStateDict(path: url("decoder.safetensors").path)))
    }
}

/// Expects `actual` to match the PyTorch reference within a tolerance relative to the
/// reference's largest magnitude: |a - b| <= rtol * max|b| everywhere. Float32 sums of up to
/// 4608 products, accumulated in a different order than PyTorch's, differ by a few 1e-6 of that
/// scale per layer, growing slowly with depth.
func expectMatchesGolden(_ actual: Tensor, _ expected: Tensor, rtol: Float, _ what: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape), PyTorch \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let scale = expected.values.reduce(0) { max($0, abs($1)) }
    let worst = maxAbsDifference(actual.values, expected.values)
    var worstRelative: Float = 0
    for i in actual.values.indices where abs(expected.values[i]) > 1e-3 * scale {
        worstRelative = max(worstRelative, abs(actual.values[i] - expected.values[i]) / abs(expected.values[i]))
    }
    let close = worst.value <= rtol * scale
    #expect(close, """
        \(what): max abs difference \(worst.value) at \(worst.index) (\(actual.values[worst.index]) vs \(expected.values[worst.index])), \
        tolerance \(rtol) x max|reference| \(scale) = \(rtol * scale); max relative difference \(worstRelative) \
        (over elements above 1e-3 of the max)
        """, sourceLocation: sourceLocation)
}
