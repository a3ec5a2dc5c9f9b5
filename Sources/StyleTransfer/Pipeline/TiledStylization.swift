// Stylization in tiles: the encoder and decoder run on overlapping tiles whose halos cover their
// receptive fields, AdaIN takes the content's global statistics, so the result equals the untiled
// one up to float summation order while no whole-image feature map is held.

import Dispatch
import Foundation
import ImageCodec
import TensorCore

/// How a stylization is split into tiles of the output image.
///
/// `tile` is the side of an output tile in pixels (a multiple of 8, at least 64). Each tile's
/// output is decoded from `t` over the tile and ``Halo/decoder`` feature pixels around it, and
/// that `t` is encoded from the image over those feature pixels and ``Halo/encoder`` image pixels
/// around them; the halos are clipped at the image's border, where the networks' own padding is
/// the whole image's. AdaIN normalises with the content's statistics over the whole image,
/// accumulated tile by tile in a first pass (Chan et al.'s pairwise merge of counts, means and
/// sums of squared deviations, in Double).
public struct Tiling: Sendable, Equatable {
    public var tile: Int
    /// Keep the relu4_1 features pass 1 computes (32 bytes per image pixel) in memory and decode from
    /// them in pass 2, when the memory allows (``StylizationMemory/tiling(jobs:contentSizing:styleSizing:forced:maxMemory:measuring:)``);
    /// else they go to a file in ``featureFolder``. Either saves pass 2 encoding each tile again
    /// (about half the work). Each tile's interior features equal the whole image's either way.
    public var keepsFeatures: Bool
    /// Where pass 1's features go when they are not kept in memory: an unlinked temporary file in
    /// this folder (``TiledFeatureFile``: page cache, not the process's memory; 32 bytes per image
    /// pixel of disk), from which pass 2 reads them instead of encoding each tile again. nil, or a
    /// folder whose file system has not the room: each tile is encoded again in pass 2.
    public var featureFolder: String?

    /// The smallest tile side accepted.
    public static let minimumTile = 64

    /// The temporary folder (`TMPDIR`, else `/tmp`), where pass 1's features go by default.
    public static var temporaryFolder: String { FileManager.default.temporaryDirectory.path }

    public init(tile: Int, keepsFeatures: Bool = false, featureFolder: String? = Tiling.temporaryFolder) throws(StyleControlError) {
        guard tile >= Self.minimumTile, tile.isMultiple(of: 8) else { throw .badTile(tile) }
        self.tile = tile
        self.keepsFeatures = keepsFeatures
        self.featureFolder = featureFolder
    }

    /// A side already known to be valid (chosen by ``StylizationMemory/tile(path:source:sizing:styles:sourcePixels:forced:available:output:measuring:masks:)``).
    init(checked tile: Int, keepsFeatures: Bool) {
        precondition(tile >= Self.minimumTile && tile.isMultiple(of: 8), "tile \(tile)")
        self.tile = tile
        self.keepsFeatures = keepsFeatures
        featureFolder = Self.temporaryFolder
    }
}

/// The margins a tile needs so that its interior is computed as in the whole image.
public struct Halo: Sendable, Equatable {
    /// Image pixels around an encoder tile (a multiple of 8, so tiles keep the pooling grid).
    public var encoder: Int
    /// Feature pixels (relu4_1) around a decoder tile.
    public var decoder: Int

    public init(encoder: Int, decoder: Int) {
        self.encoder = encoder
        self.decoder = decoder
    }

    /// The halos of a model's encoder (`encoderArchitecture`, up to relu4_1) and of the decoder,
    /// from their tables: the span of input pixels one output pixel depends on, walked back through
    /// each 3x3 convolution (one pixel each side), each 2x2 pooling (`[2 lo, 2 hi + 1]`) and each
    /// nearest upsampling (`[floor(lo / 2), floor(hi / 2)]`). For VGG-19 to relu4_1 a feature
    /// pixel covering image pixels `[8 j, 8 j + 7]` depends on `[8 j - 30, 8 j + 37]`: 30 pixels
    /// each side, 32 as a multiple of 8. The decoder's output over feature pixels `[a, b)` depends
    /// on `t` over `[a - 4, b + 4)`.
    public init(encoderArchitecture: [ArchitectureLayer], decoderArchitecture: [ArchitectureLayer] = Decoder.architecture) {
        var (low, high) = (0, 0)
        for layer in encoderArchitecture.reversed() {
            switch layer {
            case .convolution(_, _, _, let kernel, _, _): (low, high) = (low - kernel / 2, high + kernel / 2)
            case .maxPool: (low, high) = (2 * low, 2 * high + 1)
            case .upsample: (low, high) = (low / 2, high / 2)
            }
        }
        let scale = encoderArchitecture.filter { if case .maxPool = $0 { true } else { false } }.count
        let block = 1 << scale
        let margin = max(-low, high - (block - 1))
        encoder = (margin + 7) / 8 * 8
        var decoderMargin = 0
        let upsamplings = decoderArchitecture.filter { if case .upsample = $0 { true } else { false } }.count
        for x in 0 ..< 1 << upsamplings {
            var (low, high) = (x, x)
            for layer in decoderArchitecture.reversed() {
                switch layer {
                case .convolution(_, _, _, let kernel, _, _): (low, high) = (low - kernel / 2, high + kernel / 2)
                case .upsample: (low, high) = (floorDivide(low, 2), floorDivide(high, 2))
                case .maxPool: (low, high) = (2 * low, 2 * high + 1)
                }
            }
            decoderMargin = max(decoderMargin, -low, high)
        }
        decoder = decoderMargin
    }
}

private func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

/// Per-channel count, mean and sum of squared deviations, merged pairwise (Chan, Golub and LeVeque
/// 1979): the statistics of a whole feature map from its tiles'.
struct ChannelMoments {
    var count = 0.0
    var mean: [Double]
    var squares: [Double]

    init(channels: Int) {
        mean = Array(repeating: 0, count: channels)
        squares = Array(repeating: 0, count: channels)
    }

    /// Adds the feature pixels `rows` x `columns` of one image's (1, C, H, W) map, two passes per
    /// channel; with `weights` (row-major over `rows` x `columns`), each pixel with its weight: the
    /// count becomes the sum of the weights `V1` and the mean and squared deviations are weighted,
    /// as ``regionAdaptiveInstanceNormalization(content:styles:regions:statistics:)`` forms a region's.
    mutating func add(_ x: Tensor, rows: Range<Int>, columns: Range<Int>, weights: [Float]? = nil) {
        precondition(weights == nil || weights!.count == rows.count * columns.count)
        let n = weights.map { $0.reduce(0.0) { $0 + Double($1) } } ?? Double(rows.count * columns.count)
        guard n > 0 else { return }
        let (h, w) = (x.height, x.width)
        x.values.withUnsafeBufferPointer { values in
            for c in 0 ..< mean.count {
                let plane = c * h * w
                var (sum, deviations) = (0.0, 0.0)
                if let weights {
                    var k = 0
                    for y in rows { for i in columns { sum += Double(weights[k]) * Double(values[plane + y * w + i]); k += 1 } }
                    let tileMean = sum / n
                    k = 0
                    for y in rows {
                        for i in columns {
                            let d = Double(values[plane + y * w + i]) - tileMean
                            deviations += Double(weights[k]) * d * d
                            k += 1
                        }
                    }
                } else {
                    for y in rows { for i in columns { sum += Double(values[plane + y * w + i]) } }
                    let tileMean = sum / n
                    for y in rows {
                        for i in columns {
                            let d = Double(values[plane + y * w + i]) - tileMean
                            deviations += d * d
                        }
                    }
                }
                let tileMean = sum / n
                let delta = tileMean - mean[c]
                let total = count + n
                mean[c] += delta * n / total
                squares[c] += deviations + delta * delta * count * n / total
            }
        }
        count += n
    }

    /// Means and standard deviations as `convention` forms them from the whole map.
    /// `unbiasedCount`: the unbiased variance's divisor, `count - 1` unless given (a weighted
    /// region's `V1 - V2 / V1`, ``RegionWeights/denominators()``).
    func statistics(_ convention: StandardDeviationConvention, unbiasedCount: Double? = nil) -> (mean: [Float], std: [Float]) {
        (mean.map { Float($0) }, squares.map { convention.std(squares: $0, count: count, unbiasedCount: unbiasedCount ?? count - 1) })
    }
}

/// Where a tiled stylization is: tiles done over both passes, and the time left.
public struct TileProgress: Sendable, Equatable, CustomStringConvertible {
    /// Tiles done, over both passes (each tile is encoded in pass 1, decoded in pass 2).
    public var done: Int
    /// Twice the number of tiles.
    public var total: Int
    /// The seconds left, from the seconds so far per unit of work (``TileTimeLeft``).
    public var secondsLeft: Double

    public init(done: Int, total: Int, secondsLeft: Double) {
        self.done = done
        self.total = total
        self.secondsLeft = secondsLeft
    }

    /// `tile 12/40, about 30 s left` (``TimeLeft/duration(_:)``); no time once done.
    public var description: String {
        "tile \(done)/\(total)" + (done < total ? ", about \(TimeLeft.duration(secondsLeft)) left" : "")
    }
}

/// The time a tiled stylization has left. Tiles are not like pieces (``TimeLeft``): a pass-2 tile
/// is decoded over a larger crop (and encoded again when pass 1's features are not kept, encoded
/// once more when measuring losses), and border tiles are smaller. Each tile's work is given as
/// the pixels its network passes take (the encoder's inputs, plus the decoder's output in pass 2:
/// the two networks cost about alike per pixel), and the time left is the seconds so far per unit
/// of work done times the work left.
struct TileTimeLeft {
    let work: [Double]
    private(set) var done = 0
    private var workDone = 0.0
    private let totalWork: Double

    init(work: [Double]) {
        self.work = work
        totalWork = work.reduce(0, +)
    }

    /// Records the next tile, finished `elapsed` seconds after the first began.
    mutating func finished(elapsed: Double) -> TileProgress {
        workDone += work[done]
        done += 1
        let left = workDone > 0 ? elapsed / workDone * max(0, totalWork - workDone) : 0
        return TileProgress(done: done, total: work.count, secondsLeft: done == work.count ? 0 : left)
    }
}

extension StylizationPipeline {
    /// Stylizes a sized content image in tiles (``Tiling``): `t = alpha * sum_k w_k AdaIN_k + (1 - alpha) f(c)`
    /// with the content's global statistics, each style's from its whole encoding, decoded tile by tile;
    /// with `regions`, AdaIN per region (``regionAdaptiveInstanceNormalization(content:styles:regions:statistics:)``)
    /// with each region's content statistics accumulated over the tiles, weighted by the region's weights.
    /// Only each tile's crop of the content (with the encoder's halo) is made floats, when it is encoded.
    ///
    /// - Parameters:
    ///   - content: the sized content, held whole.
    ///   - mode: its colour preservation: the encoder takes each crop's luminance, and each tile's
    ///     output is recombined with the content's chroma there (``ColorPreservation/luminance``).
    ///   - styles: the styles' relu4_1 encodings; `weights` their normalised weights (unused with `regions`).
    ///   - regions: one weight plane per style over the whole feature map (``featureSize(width:height:)``), or nil.
    ///   - measure: given each tile's `g(t)` over the tile and the encoder's halo, and its `t`, to
    ///     measure the losses (``TiledLossMeasure``): pass 2 then takes `t` over the decoder's halo
    ///     widened by ``Halo/encoder`` / 8 feature pixels each side.
    ///   - progress: called after each tile of each pass (``TileProgress``, with the time left).
    ///   - store: given each tile's output as it is decoded, with its top-left pixel (`x`, `y`): the
    ///     stylized image there as ``decode(_:content:styleTarget:luminanceOf:)`` gives it before
    ///     the resize back and the output levels. Tiles come row of tiles after row of tiles, each
    ///     row left to right, and cover the content once: a row of tiles completes the output rows
    ///     it covers, from the top. An error it throws stops the stylization and is thrown.
    /// - Throws: ``StyleControlError/maskRegionTooSmall(region:featureWidth:featureHeight:)``, before any
    ///   tile is encoded, for a region of fewer than two positions; what `store` throws.
    func tiledImage(
        _ content: TiledContent, mode: ColorPreservation, styles: [Tensor], weights: [Float], regions: RegionWeights? = nil, alpha: Float,
        tiling: Tiling, measure: TiledLossMeasure? = nil, progress: (TileProgress) -> Void = { _ in },
        store: (_ x: Int, _ y: Int, _ tile: RGBImage) throws(StyleControlError) -> Void
    ) throws(StyleControlError) {
        let conventions = stylizer.variant.conventions
        let halo = Halo(encoderArchitecture: conventions.encoderArchitecture)
        let (width, height) = (content.width, content.height)
        let (featureWidth, featureHeight) = featureSize(width: width, height: height)
        if let regions {
            precondition(regions.regions == styles.count && regions.width == featureWidth && regions.height == featureHeight,
                         "\(regions.regions) regions of \(regions.width)x\(regions.height) for \(styles.count) styles on a \(featureWidth)x\(featureHeight) map")
        }
        let denominators = try regions?.denominators()
        let step = tiling.tile / 8
        let columnTiles = stride(from: 0, to: featureWidth, by: step).map { $0 ..< min($0 + step, featureWidth) }
        let rowTiles = stride(from: 0, to: featureHeight, by: step).map { $0 ..< min($0 + step, featureHeight) }

        /// The image pixels the encoder takes for feature rows `rows` and columns `columns`: them and the encoder's halo.
        func crop(rows: Range<Int>, columns: Range<Int>) -> (x: Range<Int>, y: Range<Int>) {
            (max(0, 8 * columns.lowerBound - halo.encoder) ..< min(width, 8 * columns.upperBound + halo.encoder),
             max(0, 8 * rows.lowerBound - halo.encoder) ..< min(height, 8 * rows.upperBound + halo.encoder))
        }
        // Measuring, g(t) is decoded over the tile and the encoder's halo (in feature pixels) too.
        let measured = measure == nil ? 0 : halo.encoder / 8
        /// Feature rows (columns) of `t` a tile's decoding takes: the tile's, `measured` and the decoder's halo.
        func withDecoderHalo(_ range: Range<Int>, _ limit: Int) -> Range<Int> { withMargin(range, limit, margin: halo.decoder + measured) }
        func withMargin(_ range: Range<Int>, _ limit: Int, margin: Int) -> Range<Int> {
            max(0, range.lowerBound - margin) ..< min(limit, range.upperBound + margin)
        }
        /// relu4_1 over feature rows `rows` and columns `columns`, from the image over them and the
        /// encoder's halo; returns the map and where the asked region starts in it.
        func encode(rows: Range<Int>, columns: Range<Int>) -> (features: Tensor, top: Int, left: Int) {
            let (x, y) = crop(rows: rows, columns: columns)
            let image = mode.contentInput(content.region(x: x.lowerBound, y: y.lowerBound, width: x.count, height: y.count))
            return (stylizer.encode(image), rows.lowerBound - y.lowerBound / 8, columns.lowerBound - x.lowerBound / 8)
        }
        // Pass 1's features for pass 2, when not kept in memory.
        let file = tiling.keepsFeatures ? nil : tiling.featureFolder.flatMap {
            TiledFeatureFile(channels: styles[0].channels, rowTiles: rowTiles, columnTiles: columnTiles, folder: $0)
        }
        // Each tile's work for the time left: the pixels its encoder pass takes, plus those its decoder gives.
        var work: [Double] = []
        for pass in 1 ... 2 {
            for rows in rowTiles {
                for columns in columnTiles {
                    let (tRows, tColumns) = pass == 1 ? (rows, columns) : (withDecoderHalo(rows, featureHeight), withDecoderHalo(columns, featureWidth))
                    let (x, y) = crop(rows: tRows, columns: tColumns)
                    let encoded = pass == 2 && (tiling.keepsFeatures || file != nil) ? 0 : Double(x.count * y.count)
                    let remeasured = pass == 2 && measure != nil
                        ? Double(64 * withMargin(rows, featureHeight, margin: measured).count * withMargin(columns, featureWidth, margin: measured).count) : 0
                    work.append(encoded + remeasured + (pass == 1 ? 0 : Double(64 * tRows.count * tColumns.count)))
                }
            }
        }
        var timeLeft = TileTimeLeft(work: work)
        let start = DispatchTime.now().uptimeNanoseconds
        func tileDone() {
            progress(timeLeft.finished(elapsed: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        }

        // Pass 1: the content's statistics over the whole map (each region's, weighted, with a mask).
        var moments = ChannelMoments(channels: styles[0].channels)
        var regionMoments = Array(repeating: moments, count: regions == nil ? 0 : styles.count)
        let channels = styles[0].channels
        var kept = [Float](repeating: 0, count: tiling.keepsFeatures ? channels * featureHeight * featureWidth : 0)
        for (i, rows) in rowTiles.enumerated() {
            for (j, columns) in columnTiles.enumerated() {
                let (features, top, left) = encode(rows: rows, columns: columns)
                let (interiorRows, interiorColumns) = (top ..< top + rows.count, left ..< left + columns.count)
                if let regions {
                    let tile = regions.region(rows: rows, columns: columns)
                    let plane = rows.count * columns.count
                    for r in regionMoments.indices {
                        regionMoments[r].add(features, rows: interiorRows, columns: interiorColumns,
                                             weights: Array(tile.values[r * plane ..< (r + 1) * plane]))
                    }
                } else {
                    moments.add(features, rows: interiorRows, columns: interiorColumns)
                }
                file?.write(row: i, column: j, features: features, interiorRows: interiorRows, interiorColumns: interiorColumns)
                if tiling.keepsFeatures {
                    features.values.withUnsafeBufferPointer { source in
                        for c in 0 ..< channels {
                            for (y, row) in zip(rows, interiorRows) {
                                let from = (c * features.height + row) * features.width + interiorColumns.lowerBound
                                let to = (c * featureHeight + y) * featureWidth + columns.lowerBound
                                for i in 0 ..< columns.count { kept[to + i] = source[from + i] }
                            }
                        }
                    }
                }
                tileDone()
            }
        }
        let contentStatistics = moments.statistics(conventions.statistics.content)
        let regionContent = zip(regionMoments, denominators ?? []).map { $0.statistics(conventions.statistics.content, unbiasedCount: $1.unbiased) }
        let targets = styles.map { channelMeanStd($0, convention: conventions.statistics.style) }

        let keptFeatures = tiling.keepsFeatures ? Tensor(shape: [1, channels, featureHeight, featureWidth], values: kept) : nil
        kept = []
        // Pass 2: t over each tile and the decoder's halo (encoded again, or cut from the kept
        // features), decoded; the tile's interior stored.
        for rows in rowTiles {
            for columns in columnTiles {
                let (tRows, tColumns) = (withDecoderHalo(rows, featureHeight), withDecoderHalo(columns, featureWidth))
                let features: Tensor
                if let keptFeatures {
                    features = Self.region(of: keptFeatures, rows: tRows, columns: tColumns)
                } else if let read = file?.read(rows: tRows, columns: tColumns) {
                    features = read
                } else {
                    let (encoded, top, left) = encode(rows: tRows, columns: tColumns)
                    features = Self.region(of: encoded, rows: top ..< top + tRows.count, columns: left ..< left + tColumns.count)
                }
                var adain = Tensor(zeros: features.shape)
                if let regions {
                    adain = regionRenormalization(features, regions: regions.region(rows: tRows, columns: tColumns),
                                                  contentStatistics: regionContent, styleStatistics: targets)
                }
                for (target, weight) in zip(targets, weights) where regions == nil {
                    let term = renormalizeChannels(features, mean: contentStatistics.mean, std: contentStatistics.std, targetMean: target.mean, targetStd: target.std)
                    if weights.count == 1 { adain = term; break }
                    adain.values.withUnsafeMutableBufferPointer { sum in
                        term.values.withUnsafeBufferPointer { term in
                            for i in sum.indices { sum[i] += weight * term[i] }
                        }
                    }
                }
                let target = blend(adain, features, alpha: alpha)
                let raw = stylizer.decoder.decode(target)
                if let measure {
                    // g(t) as it is (before the model's output conversion), over the tile and the encoder's halo.
                    let (imageRows, imageColumns) = (withMargin(rows, featureHeight, margin: measured), withMargin(columns, featureWidth, margin: measured))
                    let image = Self.region(of: raw, rows: 8 * (imageRows.lowerBound - tRows.lowerBound) ..< 8 * (imageRows.upperBound - tRows.lowerBound),
                                            columns: 8 * (imageColumns.lowerBound - tColumns.lowerBound) ..< 8 * (imageColumns.upperBound - tColumns.lowerBound))
                    measure.add(rows: rows, columns: columns, image: image, imageRows: imageRows, imageColumns: imageColumns,
                                target: target, targetRows: tRows, targetColumns: tColumns)
                }
                let decoded = conventions.decoderOutput(raw)
                // The tile's pixels in the decoded map, which starts at feature row tRows.lowerBound.
                let y0 = 8 * rows.lowerBound, y1 = min(height, 8 * rows.upperBound)
                let x0 = 8 * columns.lowerBound, x1 = min(width, 8 * columns.upperBound)
                let (dh, dw) = (decoded.height, decoded.width)
                let (dy, dx) = (8 * tRows.lowerBound, 8 * tColumns.lowerBound)
                let (tileWidth, tileHeight) = (x1 - x0, y1 - y0)
                var pixels = [Float](repeating: 0, count: 3 * tileWidth * tileHeight)
                decoded.values.withUnsafeBufferPointer { source in
                    for c in 0 ..< 3 {
                        for y in y0 ..< y1 {
                            let from = (c * dh + y - dy) * dw + x0 - dx, to = (c * tileHeight + y - y0) * tileWidth
                            for x in 0 ..< tileWidth { pixels[to + x] = source[from + x] }
                        }
                    }
                }
                var tile = RGBImage(width: tileWidth, height: tileHeight, pixels: pixels)
                if mode == .luminance { tile = mode.output(tile, content: content.region(x: x0, y: y0, width: tileWidth, height: tileHeight)) }
                try store(x0, y0, tile)
                tileDone()
            }
        }
    }

    /// The relu4_1 map's width and height for a `width` x `height` image: 1/8, rounded up (ceil-mode
    /// pooling) or down (the seed's floor-mode pooling).
    func featureSize(width: Int, height: Int) -> (width: Int, height: Int) {
        stylizer.variant.conventions.encoderNetwork.floorPooling ? (width / 8, height / 8) : ((width + 7) / 8, (height + 7) / 8)
    }

    /// The `width` x `height` region of an image whose top-left pixel is (`x`, `y`).
    static func region(of image: RGBImage, x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        if x == 0 && y == 0 && width == image.width && height == image.height { return image }
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        image.pixels.withUnsafeBufferPointer { source in
            for c in 0 ..< 3 {
                for row in 0 ..< height {
                    let from = (c * image.height + y + row) * image.width + x, to = (c * height + row) * width
                    for i in 0 ..< width { pixels[to + i] = source[from + i] }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Rows `rows` and columns `columns` of a (1, C, H, W) map.
    static func region(of x: Tensor, rows: Range<Int>, columns: Range<Int>) -> Tensor {
        if rows == 0 ..< x.height && columns == 0 ..< x.width { return x }
        var values = [Float](repeating: 0, count: x.channels * rows.count * columns.count)
        x.values.withUnsafeBufferPointer { source in
            var i = 0
            for c in 0 ..< x.channels {
                for y in rows {
                    let from = (c * x.height + y) * x.width
                    for column in columns {
                        values[i] = source[from + column]
                        i += 1
                    }
                }
            }
        }
        return Tensor(shape: [1, x.channels, rows.count, columns.count], values: values)
    }
}

/// The sized content of a tiled stylization, held whole while tiles of it are encoded: as 8-bit
/// samples (3 bytes per pixel) when its values are 8-bit samples' (every JPEG and 8-bit opaque PNG,
/// kept at its size or resized by PIL's 8-bit resampler, ``ImageSizing/Shape/shorterSide``), else
/// as floats (12 bytes per pixel: 16-bit or transparent PNGs, the Lua and seed models' float resamplers).
enum TiledContent {
    case bytes(RGB8Image)
    case floats(RGBImage)

    var width: Int {
        switch self {
        case .bytes(let image): image.width
        case .floats(let image): image.width
        }
    }

    var height: Int {
        switch self {
        case .bytes(let image): image.height
        case .floats(let image): image.height
        }
    }

    /// The `width` x `height` region whose top-left pixel is (`x`, `y`), as floats.
    func region(x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        switch self {
        case .bytes(let image): image.floats(x: x, y: y, width: width, height: height)
        case .floats(let image): StylizationPipeline.region(of: image, x: x, y: y, width: width, height: height)
        }
    }
}

extension StylizationPipeline {
    /// Stylizes the image file `content` as `controls` describe, in tiles, when ``tiling`` tiles it
    /// (its sized image, from the file's header, has a side longer than the tile, and
    /// ``contentCache`` does not hold its encoding), holding the content and the output as 8-bit
    /// samples (``RGB8Image``, 3 bytes per pixel each) and only tiles as floats: the output's bytes
    /// are those ``writeImage(_:path:jpegQuality:)-(RGBImage,_,_)`` would write for the
    /// ``stylize(content:controls:)`` image (the model's ``ModelConventions/outputLevels`` applied
    /// to each tile as it is decoded). nil when the content is not tiled: stylize it with
    /// ``stylize(content:controls:)``. Colour statistics of the content (coral, luminance) are taken
    /// in one pass over its samples. For callers that need the bytes (the C API, a video's frames);
    /// ``tiledStylization(content:controls:writingTo:jpegQuality:)`` writes them to a file without
    /// holding the whole output.
    ///
    /// A stylization resized back to the content's own size (``ImageSizing/Shape/square``,
    /// `--model seed` with a `--content-size`) gathers its tiles' floats into the sized image (12
    /// bytes per pixel) and resizes that as a whole, as the untiled path does, before the output levels.
    ///
    /// - Throws: ``StyleControlError``, as ``stylize(content:controls:)``.
    public func tiledStylization(content: String, controls: StyleControls) throws(StyleControlError) -> RGB8Image? {
        guard let tiled = try tiledContent(content, controls: controls) else { return nil }
        return try tiledBytes(content, contentID: tiled.contentID, controls: controls, tiling: tiled.tiling).image
    }

    /// ``tiledStylization(content:controls:)`` written to the image file `output` band of rows by
    /// band of rows as the rows of tiles complete them (``RowBandWriter``): only the content's
    /// samples and one band of output rows (3 bytes per pixel over the image's width and a tile's
    /// height) are held, not the whole output. The file's bytes are those ``writeImage(_:path:jpegQuality:)-(RGB8Image,_,_)``
    /// writes for ``tiledStylization(content:controls:)``'s image; it is replaced atomically, and a
    /// failure (of a tile, or of the write) leaves neither it nor a temporary file. false when the
    /// content is not tiled (nothing is written): stylize it with ``stylize(content:controls:)``.
    ///
    /// - Throws: as ``tiledStylization(content:controls:)``; the file's ``ImageCodecError`` as
    ///   ``StyleTransferError/image(_:)`` (a bad extension or quality before any tile is encoded).
    public func tiledStylization(content: String, controls: StyleControls, writingTo output: String, jpegQuality: Int = 95) throws(StyleControlError) -> Bool {
        guard let tiled = try tiledContent(content, controls: controls) else { return false }
        try writeTiled(content, contentID: tiled.contentID, controls: controls, tiling: tiled.tiling, to: output, jpegQuality: jpegQuality, measuring: false)
        return true
    }

    /// ``tiledStylization(content:controls:writingTo:jpegQuality:)`` measuring the losses over the
    /// tiles as it goes (``TiledLossMeasure``: `g(t)` decoded over each tile and the encoder's halo
    /// and encoded again there): the ``StylizationLosses`` ``losses(of:)`` gives for the untiled
    /// stylization (up to float summation order), with its colour distance and, with a mask, its
    /// ``MaskFidelity``. nil when the content is not tiled (nothing is written).
    ///
    /// - Throws: as ``tiledStylization(content:controls:writingTo:jpegQuality:)``.
    public func measuredTiledStylization(
        content: String, controls: StyleControls, writingTo output: String, jpegQuality: Int = 95
    ) throws(StyleControlError) -> StylizationLosses? {
        guard let tiled = try tiledContent(content, controls: controls) else { return nil }
        return try writeTiled(content, contentID: tiled.contentID, controls: controls, tiling: tiled.tiling, to: output, jpegQuality: jpegQuality,
                              measuring: true)
    }

    /// The bands of ``tiledBands(_:contentID:controls:tiling:measuring:open:band:)`` written to `output`.
    @discardableResult
    private func writeTiled(
        _ content: String, contentID: ImageIdentity, controls: StyleControls, tiling: Tiling, to output: String, jpegQuality: Int, measuring: Bool
    ) throws(StyleControlError) -> StylizationLosses? {
        var writer: RowBandWriter?
        do throws(StyleControlError) {
            let losses = try tiledBands(content, contentID: contentID, controls: controls, tiling: tiling, measuring: measuring) { width, height throws(StyleControlError) in
                do throws(ImageCodecError) { writer = try RowBandWriter(path: output, width: width, height: height, jpegQuality: jpegQuality) } catch { throw .transfer(.image(error)) }
            } band: { rows throws(StyleControlError) in
                do throws(ImageCodecError) { try writer?.write(rows: rows) } catch { throw .transfer(.image(error)) }
            }
            do throws(ImageCodecError) { try writer?.finish() } catch { throw .transfer(.image(error)) }
            return losses
        } catch {
            writer?.cancel()
            throw error
        }
    }

    /// The content's identity and the tiling, when ``tiling`` tiles `content` and ``contentCache``
    /// does not hold its encoding; nil otherwise. Validates `controls` first.
    private func tiledContent(_ content: String, controls: StyleControls) throws(StyleControlError) -> (contentID: ImageIdentity, tiling: Tiling)? {
        try controls.validate()
        guard let tiling, tiles(content, tiling: tiling) else { return nil }
        let contentID = try ImageIdentity(path: content, sizing: contentSizing, role: .content)
        let key = EncodingCache.Key(image: contentID, transform: controls.preserveColor == .luminance ? .luminance : .none)
        guard !contentCache.contains(key) else { return nil }
        return (contentID, tiling)
    }

    /// Whether `tiling` tiles the image file `content`: its sized image (from the header) has a side
    /// longer than the tile. false when the header cannot be read or sized: the whole path reports that.
    func tiles(_ content: String, tiling: Tiling) -> Bool {
        guard let source = try? readImageSize(path: content),
              let sized = contentSizing.sizedDimensions(width: source.width, height: source.height) else { return false }
        return max(sized.width, sized.height) > tiling.tile
    }

    /// ``tiledStylization(content:controls:)``'s work, for a content known to be tiled: the bands
    /// of ``tiledBands(_:contentID:controls:tiling:measuring:open:band:)`` gathered into one image.
    func tiledBytes(
        _ path: String, contentID: ImageIdentity, controls: StyleControls, tiling: Tiling, measuring: Bool = false
    ) throws(StyleControlError) -> (image: RGB8Image, losses: StylizationLosses?) {
        var (width, height, samples) = (0, 0, [UInt8]())
        let losses = try tiledBands(path, contentID: contentID, controls: controls, tiling: tiling, measuring: measuring) { w, h in
            (width, height) = (w, h)
            samples.reserveCapacity(3 * w * h)
        } band: { rows in
            samples.append(contentsOf: rows)
        }
        return (RGB8Image(width: width, height: height, samples: samples), losses)
    }

    /// A tiled stylization's output as 8-bit samples, band of rows by band of rows: `open` is given
    /// the output's width and height once the content is read and the styles are encoded (before
    /// any tile), then `band` each row of tiles' output rows, top to bottom, as interleaved RGB
    /// (whole rows; the buffer is reused for the next band). The levels are those
    /// ``writeImage(_:path:jpegQuality:)-(RGBImage,_,_)`` writes for the model's output
    /// (``ModelConventions/outputLevels``). Resized back to the content's own size (the seed's square
    /// sizing), the bands come after every tile, from the resized image, a tile's height each. An
    /// error `open` or `band` throws stops the stylization and is thrown.
    ///
    /// When `measuring`, returns the losses ``losses(of:)`` gives for the untiled stylization, measured
    /// over the tiles (``TiledLossMeasure``); nil otherwise.
    ///
    /// - Throws: with `measuring` and a mask, ``StyleControlError/maskRegionTooSmall(region:featureWidth:featureHeight:)``
    ///   for a region of fewer than two positions at a loss layer, before any tile.
    @discardableResult
    func tiledBands(
        _ path: String, contentID: ImageIdentity, controls: StyleControls, tiling: Tiling, measuring: Bool = false,
        open: (_ width: Int, _ height: Int) throws(StyleControlError) -> Void,
        band: (_ rows: UnsafeBufferPointer<UInt8>) throws(StyleControlError) -> Void
    ) throws(StyleControlError) -> StylizationLosses? {
        let mode = controls.preserveColor
        let (content, outputWidth, outputHeight) = try loadTiledContent(path)
        let (width, height) = (content.width, content.height)
        let resizesBack = (outputWidth, outputHeight) != (width, height)
        let features = featureSize(width: width, height: height)
        var maskImages = try controls.mask?.images(styleCount: controls.styles.count, contentWidth: width, contentHeight: height)
        let regions = try maskImages.map { (images) throws(StyleControlError) in
            try controls.mask!.regionWeights(images: images, styleCount: controls.styles.count, featureWidth: features.width, featureHeight: features.height)
        }
        let colors: () -> ContentColors = {
            switch content {
            case .bytes(let image): ContentColors(mode, of: image)
            case .floats(let image): ContentColors(mode, of: image)
            }
        }
        let (styles, _) = try styleEncodings(controls, content: contentID, measuring: measuring, contentColors: colors)
        let weights = styles.count == 1 || regions != nil ? [1] : try controls.normalizedWeights()
        let measure = measuring ? try lossMeasure(content, controls: controls, styles: styles.map { $0.statistics! }, weights: weights,
                                                  maskImages: maskImages, features: features) : nil
        maskImages = nil  // Not held while the tiles run: a full-resolution mask is 3 (or 12) bytes per pixel.
        let truncates = stylizer.variant.conventions.outputLevels == .truncated
        try open(outputWidth, outputHeight)
        func emit(_ rows: [UInt8]) throws(StyleControlError) {
            try rows.withUnsafeBufferPointer { (samples) throws(StyleControlError) in
                measure?.addOutput(samples)
                try band(samples)
            }
        }
        // The output rows of the current row of tiles; every tile of the row fills its columns.
        var rows = [UInt8]()
        // Resized back (the seed's square sizing): the tiles' floats gathered into the sized image,
        // resized as a whole as decode(_:content:styleTarget:luminanceOf:) resizes it, then given by bands.
        var gathered = [Float](repeating: 0, count: resizesBack ? 3 * width * height : 0)
        try tiledImage(content, mode: mode, styles: styles.map(\.features), weights: weights, regions: regions, alpha: controls.alpha,
                       tiling: tiling, measure: measure, progress: { tileProgress?($0) }) { (x0, y0, tile) throws(StyleControlError) in
            if resizesBack {
                gathered.withUnsafeMutableBufferPointer { planes in
                    tile.pixels.withUnsafeBufferPointer { pixels in
                        for c in 0 ..< 3 {
                            for y in 0 ..< tile.height {
                                let from = (c * tile.height + y) * tile.width, to = (c * height + y0 + y) * width + x0
                                for x in 0 ..< tile.width { planes[to + x] = pixels[from + x] }
                            }
                        }
                    }
                }
                return
            }
            if rows.count != 3 * width * tile.height { rows = [UInt8](repeating: 0, count: 3 * width * tile.height) }
            // The levels the model's output and the writer give each value (truncatedToLevels, then quantize).
            let plane = tile.width * tile.height
            rows.withUnsafeMutableBufferPointer { samples in
                tile.pixels.withUnsafeBufferPointer { pixels in
                    for y in 0 ..< tile.height {
                        let to = 3 * (y * width + x0), from = y * tile.width
                        for x in 0 ..< tile.width {
                            for c in 0 ..< 3 {
                                let value = pixels[c * plane + from + x]
                                samples[to + 3 * x + c] = truncates ? truncatedLevel(value) : quantize(value)
                            }
                        }
                    }
                }
            }
            if x0 + tile.width == width { try emit(rows) }
        }
        guard resizesBack else { return measure?.losses() }
        let resized: RGBImage
        do {
            resized = try resizeLikeScikitImage(RGBImage(width: width, height: height, pixels: gathered), width: outputWidth, height: outputHeight)
        } catch {
            throw .transfer(.image(error))
        }
        gathered = []
        // Bands of a tile's height at most, as the tiles give them.
        let plane = outputWidth * outputHeight
        for top in stride(from: 0, to: outputHeight, by: tiling.tile) {
            let bandHeight = min(tiling.tile, outputHeight - top)
            if rows.count != 3 * outputWidth * bandHeight { rows = [UInt8](repeating: 0, count: 3 * outputWidth * bandHeight) }
            rows.withUnsafeMutableBufferPointer { samples in
                resized.pixels.withUnsafeBufferPointer { pixels in
                    for y in 0 ..< bandHeight {
                        for x in 0 ..< outputWidth {
                            for c in 0 ..< 3 {
                                let value = pixels[c * plane + (top + y) * outputWidth + x]
                                samples[3 * (y * outputWidth + x) + c] = truncates ? truncatedLevel(value) : quantize(value)
                            }
                        }
                    }
                }
            }
            try emit(rows)
        }
        return measure?.losses()
    }

    /// The ``TiledLossMeasure`` of a tiled stylization of `content` with the styles' statistics
    /// `styles` (their `weights` for an interpolation; with `maskImages`, a region each): the targets
    /// ``stylize(content:controls:measuring:smoothing:)`` gives ``losses(of:)``, the mask's regions at
    /// each loss layer's size over the decoded map (8 image pixels per relu4_1 pixel of `features`),
    /// and the content's chroma sums.
    private func lossMeasure(
        _ content: TiledContent, controls: StyleControls, styles: [StyleStatistics], weights: [Float], maskImages: [MaskImage]?,
        features: (width: Int, height: Int)
    ) throws(StyleControlError) -> TiledLossMeasure {
        var regions: (layers: [RegionWeights], styles: [StyleStatistics])?
        if let mask = controls.mask, let maskImages {
            var layers: [RegionWeights] = []
            for scale in [8, 4, 2, 1] {
                layers.append(try mask.regionWeights(images: maskImages, styleCount: styles.count,
                                                     featureWidth: scale * features.width, featureHeight: scale * features.height))
            }
            regions = (layers, styles)
        }
        var chroma = ChromaSums()
        switch content {
        case .bytes(let image): image.samples.withUnsafeBufferPointer { chroma.add(samples: $0) }
        case .floats(let image):
            let plane = image.width * image.height
            for i in 0 ..< plane {
                chroma.add(red: quantize(image.pixels[i]), green: quantize(image.pixels[plane + i]), blue: quantize(image.pixels[2 * plane + i]))
            }
        }
        let style = regions != nil ? nil : styles.count == 1 ? styles[0] : StyleStatistics.mix(styles, weights: weights)
        return try TiledLossMeasure(encoder: stylizer.encoder, style: style, regions: regions, content: chroma)
    }

    /// The sized content of a tiled stylization (``TiledContent``): read straight into 8-bit samples
    /// when it is not resized or cropped and its samples are 8-bit (``readImageBytes(path:limits:)``),
    /// else sized as floats (``loadContent(_:)``) and kept as bytes when its values are 8-bit samples'.
    private func loadTiledContent(_ path: String) throws(StyleControlError) -> (content: TiledContent, outputWidth: Int, outputHeight: Int) {
        if !contentSizing.resizes {
            let read: RGB8Image?
            do { read = try readImageBytes(path: path) } catch { throw .transfer(.image(error)) }
            if let read {
                try checkContentSize(path, width: read.width, height: read.height)
                return (.bytes(read), read.width, read.height)
            }
        }
        let sized = try loadContent(path)
        return (RGB8Image(exactly: sized.image).map { .bytes($0) } ?? .floats(sized.image), sized.outputWidth, sized.outputHeight)
    }
}
