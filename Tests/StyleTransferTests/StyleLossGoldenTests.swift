// The two style losses on identical inputs against PyTorch in float64 (Scripts/goldens_reports.py):
// seeded random features of relu1_1 ... relu4_1's shapes, no network in between, so the only
// differences are float32 summation and OpenBLAS's sgemm.

import StyleTransfer
import TensorCore
import Testing
import TestSupport

@Suite struct StyleLossGoldenTests {
    let goldens = ArrayGoldens("reports")

    @Test func gramAndMeanStdStyleLossesMatchFloat64References() throws {
        let output = try (0 ..< 4).map { try goldens.tensor("gram_out_\($0)") }
        let style = try (0 ..< 4).map { try goldens.tensor("gram_style_\($0)") }
        let losses = StylizationLosses(output: output, target: output[3], style: StyleStatistics(features: style))
        let (gram, meanStd) = (try goldens.double("gram_loss"), try goldens.double("mean_std_loss"))
        let gramStyle = try #require(losses.gramStyle), styleLoss = try #require(losses.style)
        #expect(abs(gramStyle - gram) <= 1e-4 * gram, "Gram loss \(gramStyle) against \(gram)")
        #expect(abs(styleLoss - meanStd) <= 1e-4 * meanStd, "Eq. 8 style loss \(styleLoss) against \(meanStd)")
        // The tolerance tells features 0.1% apart: the check can fail.
        let nudged = style.map { Tensor(shape: $0.shape, values: $0.values.map { $0 * 1.001 }) }
        let off = StylizationLosses(output: output, target: output[3], style: StyleStatistics(features: nudged))
        #expect(abs(off.gramStyle! - gram) > 1e-4 * gram && abs(off.style! - meanStd) > 1e-4 * meanStd)
        // Against itself the losses are zero.
        let same = StylizationLosses(output: style, target: style[3], style: StyleStatistics(features: style))
        #expect(same.gramStyle == 0 && same.style! < 1e-12)
    }
}
