// Comparing a kernel's output with the reference, with a message that gives the worst element.

import Testing
import TensorCore
import TestSupport

/// Expects equal shapes and `|actual - expected| <= atol + rtol * |expected|` everywhere.
func expectClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-4, atol: Float = 1e-5,
                 _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let worst = maxAbsDifference(actual.values, expected.values)
    let close = allClose(actual.values, expected.values, rtol: rtol, atol: atol)
    #expect(close,
            "\(what): max abs difference \(worst.value) at \(worst.index) (\(actual.values[worst.index]) vs \(expected.values[worst.index]))",
            sourceLocation: sourceLocation)
}
