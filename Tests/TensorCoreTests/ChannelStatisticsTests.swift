// channelMeanStd against a Double reference (unbiased variance, eps under the square root), and
// renormalizeChannels moving each plane to given statistics.

import Testing
import TensorCore

@Suite struct ChannelStatisticsTests {
    @Test(arguments: [[1, 3, 5, 7], [2, 4, 1, 2], [1, 1, 64, 64]])
    func matchesReference(shape: [Int]) {
        var random = SeededRandom(seed: 9)
        var x = random.tensor(shape)
        x.values = x.values.map { 3 * $0 + 1 }
        let (mean, std) = channelMeanStd(x)
        let reference = Reference.meanStd(x)
        for i in mean.indices {
            #expect(abs(Double(mean[i]) - reference.mean[i]) <= 1e-6 * max(1, abs(reference.mean[i])), "mean \(i)")
            #expect(abs(Double(std[i]) - reference.std[i]) <= 1e-6 * reference.std[i], "std \(i)")
        }
    }

    @Test func constantPlaneHasStdSqrtEps() {
        let (mean, std) = channelMeanStd(Tensor(shape: [1, 1, 2, 2], values: [2, 2, 2, 2]), eps: 1e-4)
        #expect(mean == [2])
        #expect(abs(std[0] - 0.01) < 1e-7)
    }

    @Test func renormalizedPlanesHaveTheTargetStatistics() {
        var random = SeededRandom(seed: 4)
        let x = random.tensor([2, 3, 7, 5])
        let (mean, std) = channelMeanStd(x, eps: 0)
        let targetMean: [Float] = [1, -2, 3, 0.5, 0, 10], targetStd: [Float] = [2, 0.5, 1, 3, 0.1, 4]
        let y = renormalizeChannels(x, mean: mean, std: std, targetMean: targetMean, targetStd: targetStd)
        let (newMean, newStd) = channelMeanStd(y, eps: 0)
        for i in 0 ..< 6 {
            #expect(abs(newMean[i] - targetMean[i]) <= 1e-5 * max(1, abs(targetMean[i])), "mean \(i)")
            #expect(abs(newStd[i] - targetStd[i]) <= 1e-5 * targetStd[i], "std \(i)")
        }
        #expect(y.values[40] == (x.values[40] - mean[1]) / std[1] * targetStd[1] + targetMean[1])
    }
}
