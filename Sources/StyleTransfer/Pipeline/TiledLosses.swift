// The losses of a tiled stylization, measured tile by tile: g(t) re-encoded over each tile and the
// encoder's halo, its statistics merged over the tiles, never held whole.

import ImageCodec
import TensorCore

/// What ``StylizationPipeline/losses(of:)`` measures, accumulated over the tiles of a tiled
/// stylization (``StylizationPipeline/tiledImage(_:mode:styles:weights:regions:alpha:tiling:measure:progress:store:)``):
/// pass 2 decodes `g(t)` over each tile and ``Halo/encoder`` image pixels around it (the decoder's
/// halo widened by as many feature pixels), so that the encoder run again on that crop gives the
/// tile's interior of `f_i(g(t))` at relu1_1 ... relu4_1 as the whole map's (``add(rows:columns:image:imageRows:imageColumns:target:targetRows:targetColumns:)``).
/// From the interiors it accumulates, in Double:
///
/// - the content loss's squared differences of relu4_1 from `t` (which pass 2 has over the tile);
/// - each layer's channel counts, means and squared deviations (``ChannelMoments``' exact pairwise
///   merges), for the style loss; with a mask, each region's, weighted by the region's weights at
///   the layer's size (``MaskFidelity``);
/// - each layer's `F F^T` summed over the interiors, for the Gram style loss;
/// - the chroma sums of the output as written and of the sized content (``chromaDistance(_:_:)``).
///
/// The losses equal the whole stylization's up to float summation order.
final class TiledLossMeasure {
    private let encoder: VGGEncoder
    private let style: StyleStatistics?
    /// With a mask: each layer's region weights over the whole layer, their denominators, the styles' statistics in region order.
    private let regions: (layers: [RegionWeights], denominators: [[(v1: Double, unbiased: Double)]], styles: [StyleStatistics])?
    private var moments: [ChannelMoments] = []
    private var regionMoments: [[ChannelMoments]] = []
    private var gramSums: [[Double]] = []
    private var gramCounts: [Double] = []
    private var contentSquares = 0.0
    private var contentCount = 0
    private var output = ChromaSums()
    private let content: ChromaSums?

    /// - Parameters:
    ///   - style: the style loss's target (the style's statistics, or the styles' mix), nil for none (a mask).
    ///   - regions: with a mask, its region weights at each loss layer's size over the whole decoded
    ///     map (relu1_1 ... relu4_1) and the styles' statistics in region order.
    ///   - content: the sized content's chroma sums, for the colour distance.
    /// - Throws: ``StyleControlError/maskRegionTooSmall(region:featureWidth:featureHeight:)`` for a
    ///   region of fewer than two positions at some layer, before any tile.
    init(encoder: VGGEncoder, style: StyleStatistics?, regions: (layers: [RegionWeights], styles: [StyleStatistics])?, content: ChromaSums?)
        throws(StyleControlError)
    {
        self.encoder = encoder
        self.style = style
        self.content = content
        if let regions {
            var denominators: [[(v1: Double, unbiased: Double)]] = []
            for layer in regions.layers { denominators.append(try layer.denominators()) }
            self.regions = (regions.layers, denominators, regions.styles)
        } else {
            self.regions = nil
        }
    }

    /// Adds one tile: `image` is `g(t)` over feature rows `imageRows` and columns `imageColumns`
    /// (8 image pixels each), which cover the tile's `rows` and `columns` and the encoder's halo
    /// (clipped at the map's border); `target` is `t` over `targetRows` x `targetColumns`, which cover the tile.
    func add(rows: Range<Int>, columns: Range<Int>, image: Tensor, imageRows: Range<Int>, imageColumns: Range<Int>,
             target: Tensor, targetRows: Range<Int>, targetColumns: Range<Int>) {
        let features = encoder.encodeWithIntermediates(image)
        if moments.isEmpty {
            moments = features.map { ChannelMoments(channels: $0.channels) }
            regionMoments = features.map { f in Array(repeating: ChannelMoments(channels: f.channels), count: regions?.styles.count ?? 0) }
            gramSums = features.map { [Double](repeating: 0, count: $0.channels * $0.channels) }
            gramCounts = Array(repeating: 0, count: features.count)
        }
        for (layer, f) in features.enumerated() {
            // Pixels of this layer per relu4_1 pixel (8, 4, 2, 1): the crop's sides are multiples of 8.
            let scale = f.height / imageRows.count
            precondition(f.height == scale * imageRows.count && f.width == scale * imageColumns.count, "layer \(layer): \(f.shape) for \(imageRows) x \(imageColumns)")
            let interiorRows = scale * (rows.lowerBound - imageRows.lowerBound) ..< scale * (rows.upperBound - imageRows.lowerBound)
            let interiorColumns = scale * (columns.lowerBound - imageColumns.lowerBound) ..< scale * (columns.upperBound - imageColumns.lowerBound)
            let interior = StylizationPipeline.region(of: f, rows: interiorRows, columns: interiorColumns)
            let all = 0 ..< interior.height, allColumns = 0 ..< interior.width
            if let regions {
                let tile = regions.layers[layer].region(rows: scale * rows.lowerBound ..< scale * rows.upperBound,
                                                        columns: scale * columns.lowerBound ..< scale * columns.upperBound)
                let plane = interior.height * interior.width
                for r in regionMoments[layer].indices {
                    regionMoments[layer][r].add(interior, rows: all, columns: allColumns, weights: Array(tile.values[r * plane ..< (r + 1) * plane]))
                }
            }
            guard style != nil else { continue }
            moments[layer].add(interior, rows: all, columns: allColumns)
            // gramMatrices divides F F^T by C H W: multiplied back, summed in Double.
            let count = Double(interior.channels * interior.height * interior.width)
            let gram = gramMatrices(interior)
            for k in gram.indices { gramSums[layer][k] += Double(gram[k]) * count }
            gramCounts[layer] += count
        }
        // The content loss: relu4_1 against t over the tile.
        let last = features[features.count - 1]
        let (top, left) = (rows.lowerBound - imageRows.lowerBound, columns.lowerBound - imageColumns.lowerBound)
        let (targetTop, targetLeft) = (rows.lowerBound - targetRows.lowerBound, columns.lowerBound - targetColumns.lowerBound)
        last.values.withUnsafeBufferPointer { output in
            target.values.withUnsafeBufferPointer { t in
                for c in 0 ..< last.channels {
                    for y in 0 ..< rows.count {
                        let from = (c * last.height + top + y) * last.width + left
                        let to = (c * target.height + targetTop + y) * target.width + targetLeft
                        for x in 0 ..< columns.count {
                            let d = Double(output[from + x]) - Double(t[to + x])
                            contentSquares += d * d
                        }
                    }
                }
            }
        }
        contentCount += last.channels * rows.count * columns.count
    }

    /// Adds output rows as written (interleaved 8-bit RGB), for the colour distance.
    func addOutput(_ samples: UnsafeBufferPointer<UInt8>) {
        if content != nil { output.add(samples: samples) }
    }

    /// The losses, once every tile and output row is added.
    func losses() -> StylizationLosses {
        let convention = StandardDeviationConvention.pytorchAdaIN
        var losses = StylizationLosses(
            content: Double(Float(contentSquares / Double(contentCount))),
            statistics: style == nil ? [] : moments.map { $0.statistics(convention) },
            grams: style == nil ? [] : zip(gramSums, gramCounts).map { sums, count in sums.map { Float($0 / count) } },
            style: style)
        losses.colorDistance = content.map { chromaDistance(output.gaussian, $0.gaussian) }
        if let regions {
            let statistics = zip(regionMoments, regions.denominators).map { layer, denominators in
                zip(layer, denominators).map { $0.statistics(convention, unbiasedCount: $1.unbiased) }
            }
            losses.maskFidelity = MaskFidelity(regionStatistics: statistics, styles: regions.styles)
        }
        return losses
    }
}
