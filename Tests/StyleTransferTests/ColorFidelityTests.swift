// The colour distance of colour preservation against numpy (Scripts/goldens_colour.py).

import Foundation
import ImageCodec
import StyleTransfer
import Testing
import TestSupport

@Suite struct ColorFidelityTests {
    @Test func theDistanceMatchesNumpy() throws {
        let a = try readImage(path: TestPaths.golden("colour/a.png").path)
        let b = try readImage(path: TestPaths.golden("colour/b.png").path)
        let reference = try JSONDecoder().decode([String: Double].self, from: Data(contentsOf: TestPaths.golden("colour/distance.json")))
        let distance = chromaDistance(a, b)
        #expect(abs(distance - reference["ab"]!) <= 1e-4 * reference["ab"]!, "\(distance) vs numpy's \(reference["ab"]!)")
        #expect(abs(chromaDistance(b, a) - distance) <= 1e-6 * distance)
        #expect(chromaDistance(a, a) < 1e-6)
    }

    /// Lightness is left out: a grey ramp and a flat grey have the same chroma (near zero: the
    /// 4-digit sRGB matrix maps grey to D65 only up to its rounding, a* of a few thousandths).
    @Test func lightnessDoesNotCount() {
        let ramp = RGBImage(width: 16, height: 1, pixels: (0 ..< 3).flatMap { _ in (0 ..< 16).map { Float($0) / 15 } })
        let flat = RGBImage(width: 16, height: 1, pixels: [Float](repeating: 0.5, count: 48))
        #expect(chromaDistance(ramp, flat) < 0.01)
    }
}
