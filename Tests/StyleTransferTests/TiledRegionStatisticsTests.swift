// The region statistics of a masked tiled stylization: each region's content moments, merged over
// tiles with the region's weights, give the whole map's region AdaIN; a tile of the weights with the
// whole map's statistics gives that tile of the whole result.

@testable import StyleTransfer
import TensorCore
import Testing

@Suite struct TiledRegionStatisticsTests {
    /// A (1, 6, 13, 17) map of pseudo-random values and two regions: a soft ramp and its complement,
    /// fractional weights everywhere but the corners, so `V1 - V2 / V1` differs from `V1 - 1`.
    static func fixture() -> (content: Tensor, styles: [Tensor], regions: RegionWeights) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 4 - 1
        }
        let (h, w) = (13, 17)
        let content = Tensor(shape: [1, 6, h, w], values: (0 ..< 6 * h * w).map { _ in next() })
        let styles = (0 ..< 2).map { _ in Tensor(shape: [1, 6, 5, 7], values: (0 ..< 6 * 35).map { _ in 2 * next() + 0.5 }) }
        var weights = [Float](repeating: 0, count: 2 * h * w)
        for y in 0 ..< h {
            for x in 0 ..< w {
                let m = Float(x + y) / Float(w + h - 2)
                (weights[y * w + x], weights[h * w + y * w + x]) = (m, 1 - m)
            }
        }
        return (content, styles, RegionWeights(regions: 2, width: w, height: h, values: weights))
    }

    /// Moments merged over tiles of 4 x 5 (the last ones partial) with each region's weights, the
    /// weighted count from ``RegionWeights/denominators()``: the region AdaIN within 1e-5 relative of
    /// the whole map's, for every tile cut out of the weights and the features.
    @Test(arguments: [AdaINStatistics.pytorchAdaIN, ModelVariant.seed.conventions.statistics])
    func mergedRegionMomentsGiveTheWholeRegionAdaIN(statistics: AdaINStatistics) throws {
        let (content, styles, regions) = Self.fixture()
        let whole = try regionAdaptiveInstanceNormalization(content: content, styles: styles, regions: regions, statistics: statistics)
        var moments = Array(repeating: ChannelMoments(channels: 6), count: 2)
        for top in stride(from: 0, to: 13, by: 4) {
            for left in stride(from: 0, to: 17, by: 5) {
                let (rows, columns) = (top ..< min(top + 4, 13), left ..< min(left + 5, 17))
                let tile = regions.region(rows: rows, columns: columns)
                let plane = rows.count * columns.count
                for r in 0 ..< 2 {
                    moments[r].add(content, rows: rows, columns: columns, weights: Array(tile.values[r * plane ..< (r + 1) * plane]))
                }
            }
        }
        let denominators = try regions.denominators()
        let contentStatistics = zip(moments, denominators).map { $0.statistics(statistics.content, unbiasedCount: $1.unbiased) }
        let styleStatistics = styles.map { channelMeanStd($0, convention: statistics.style) }
        let scale = whole.values.map(abs).max()!
        for (rows, columns) in [(0 ..< 13, 0 ..< 17), (3 ..< 9, 5 ..< 16), (12 ..< 13, 0 ..< 4)] {
            let tile = regionRenormalization(StylizationPipeline.region(of: content, rows: rows, columns: columns),
                                             regions: regions.region(rows: rows, columns: columns),
                                             contentStatistics: contentStatistics, styleStatistics: styleStatistics)
            let expected = StylizationPipeline.region(of: whole, rows: rows, columns: columns)
            let worst = zip(tile.values, expected.values).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-5 * scale, "rows \(rows), columns \(columns): \(worst / scale)")
        }
    }

    /// The weighted tile statistics with all weights 1 are the unweighted ones, and a tile whose
    /// weights are all 0 adds nothing.
    @Test func unitWeightsAreUnweightedAndZeroWeightsAddNothing() {
        let (content, _, _) = Self.fixture()
        var (plain, weighted) = (ChannelMoments(channels: 6), ChannelMoments(channels: 6))
        plain.add(content, rows: 2 ..< 9, columns: 1 ..< 12)
        weighted.add(content, rows: 2 ..< 9, columns: 1 ..< 12, weights: Array(repeating: 1, count: 77))
        weighted.add(content, rows: 0 ..< 2, columns: 0 ..< 17, weights: Array(repeating: 0, count: 34))
        #expect(weighted.count == plain.count && weighted.mean == plain.mean && weighted.squares == plain.squares)
    }
}
