// Spatial control: masks that choose the style at each position, and AdaIN computed per region.

import ImageCodec
import TensorCore

/// Mask files that say which style applies where (`--mask`, `--mask-mode`, `--stretch-mask`).
///
/// AdaIN-style's `test.lua -mask` (Huang & Belongie 2017, Sec. 7, "Spatial control"): a binary
/// mask with two styles, white the foreground (first style), black the background (second). The
/// content features of each region get AdaIN with that region's style, with the content statistics
/// computed over the region only; the style statistics are the whole style image's. stylectl
/// extends it to more styles (a label map, or one mask per style) and to soft masks; see ``Mode``
/// and ``regionAdaptiveInstanceNormalization(content:styles:regions:)``.
///
/// A mask describes the content image as it is stylized (after `--content-size` and `--crop`). It
/// may have another size, but not another aspect ratio unless ``stretch`` is set: it must be within
/// one pixel of the content's shape when scaled to the content's width or height. It is sampled on
/// the relu4_1 feature map (1/8 of the content size, rounded up) by nearest neighbour: feature row
/// `i` takes mask row `floor(i * H_mask / H_feat)`, columns alike.
///
/// Grey levels: a grey pixel's value (R = G = B), else its Rec. 601 luma `0.299 R + 0.587 G + 0.114 B`.
public struct SpatialMask: Sendable, Equatable {
    /// How mask images become per-style weights.
    public enum Mode: String, Sendable, CaseIterable {
        /// `binary` when there are as many masks as styles or one mask and two styles; `labels` for
        /// one mask and more than two styles. One mask for two styles must then hold at most two
        /// colours: a label map of more levels, or a soft mask, is refused rather than thresholded
        /// (``StyleControlError/maskNotTwoColoured(path:colours:styles:)``).
        case auto
        /// Grey levels are thresholded at 0.5 (grey >= 0.5 is white), so anti-aliased edges go to
        /// the nearer side. One mask and two styles: white is the first style, black the second
        /// (AdaIN-style's convention). One mask per style: white is where that style applies.
        case binary
        /// One label map: its distinct colours, ordered by their 24-bit value `0xRRGGBB` (for grey
        /// maps: by increasing grey level, black first), map to the styles in order. There must be
        /// exactly one colour per style. Note that this puts black first, unlike `binary`.
        case labels
        /// Grey levels are weights. One mask and two styles: weight `m` for the first style and
        /// `1 - m` for the second; one mask per style: weight `m_r` for style r. A mask holding only
        /// 0 and 1 gives exactly the `binary` result.
        case soft

        /// Parses a `--mask-mode` value, in any case.
        public init(parsing text: String) throws(StyleControlError) {
            guard let mode = Mode(rawValue: text.lowercased()) else { throw .unknownMaskMode(text) }
            self = mode
        }
    }

    /// One mask file, or one per style.
    public var paths: [String]
    public var mode: Mode
    /// Resize a mask of another aspect ratio instead of rejecting it.
    public var stretch: Bool

    public init(paths: [String], mode: Mode = .auto, stretch: Bool = false) {
        self.paths = paths
        self.mode = mode
        self.stretch = stretch
    }

    /// What the mask files mean for a number of styles, or an error naming `--mask`.
    enum Layout: Equatable {
        /// One mask, two styles: white is the first style.
        case twoRegions(soft: Bool)
        /// One label map, one colour per style.
        case labels
        /// One mask per style.
        case perStyle(soft: Bool)
    }

    func layout(styleCount: Int) throws(StyleControlError) -> Layout {
        let masks = paths.count
        switch mode {
        case .auto where masks == styleCount: return .perStyle(soft: false)
        case .auto where masks == 1 && styleCount == 2: return .twoRegions(soft: false)
        case .auto where masks == 1 && styleCount > 2: return .labels
        case .binary where masks == styleCount, .soft where masks == styleCount: return .perStyle(soft: mode == .soft)
        case .binary where masks == 1 && styleCount == 2, .soft where masks == 1 && styleCount == 2: return .twoRegions(soft: mode == .soft)
        case .labels where masks == 1 && styleCount >= 2: return .labels
        default: throw .maskFileCount(masks: masks, styles: styleCount, mode: mode)
        }
    }

    /// Reads the mask files, checks their shape against the content image, and gives one weight
    /// plane per style on the feature map.
    public func regionWeights(
        styleCount: Int, contentWidth: Int, contentHeight: Int, featureWidth: Int, featureHeight: Int
    ) throws(StyleControlError) -> RegionWeights {
        let images = try images(styleCount: styleCount, contentWidth: contentWidth, contentHeight: contentHeight)
        return try regionWeights(images: images, styleCount: styleCount, featureWidth: featureWidth, featureHeight: featureHeight)
    }

    /// Reads the mask files (one per entry of ``paths``) and checks their count against the styles
    /// and their shape against the content image, for ``regionWeights(images:styleCount:featureWidth:featureHeight:)``.
    public func images(styleCount: Int, contentWidth: Int, contentHeight: Int) throws(StyleControlError) -> [MaskImage] {
        _ = try layout(styleCount: styleCount)
        var images: [MaskImage] = []
        for path in paths {
            let image: MaskImage
            do { image = try MaskImage(path: path) } catch { throw .maskUnreadable(error) }
            // Scaled to the content's height (or width), the mask's other side is within one pixel.
            let mismatch = abs(image.width * contentHeight - contentWidth * image.height)
            if !stretch && mismatch > max(image.width, image.height) {
                throw .maskAspectRatio(path: path, maskWidth: image.width, maskHeight: image.height,
                                       contentWidth: contentWidth, contentHeight: contentHeight)
            }
            images.append(image)
        }
        return images
    }

    /// One weight plane per style on a `featureWidth` x `featureHeight` feature map, from mask
    /// images already read (one per entry of ``paths``, which name them in errors).
    public func regionWeights(
        images: [MaskImage], styleCount: Int, featureWidth: Int, featureHeight: Int
    ) throws(StyleControlError) -> RegionWeights {
        precondition(images.count == paths.count, "\(images.count) mask images for \(paths.count) paths")
        let plane = featureWidth * featureHeight
        var weights = [Float](repeating: 0, count: styleCount * plane)
        switch try layout(styleCount: styleCount) {
        case .twoRegions(let soft):
            if mode == .auto {
                let colours = Self.colours(images[0])
                if colours.count > 2 { throw .maskNotTwoColoured(path: paths[0], colours: colours.sorted(), styles: styleCount) }
            }
            let grey = Self.sampledGrey(images[0], featureWidth: featureWidth, featureHeight: featureHeight)
            for p in 0 ..< plane {
                let m = soft ? grey[p] : (grey[p] >= 0.5 ? 1 : 0)
                weights[p] = m
                weights[plane + p] = 1 - m
            }
        case .perStyle(let soft):
            for (r, image) in images.enumerated() {
                let grey = Self.sampledGrey(image, featureWidth: featureWidth, featureHeight: featureHeight)
                for p in 0 ..< plane { weights[r * plane + p] = soft ? grey[p] : (grey[p] >= 0.5 ? 1 : 0) }
            }
        case .labels:
            let image = images[0]
            let labels = Self.colours(image).sorted()
            guard labels.count == styleCount else {
                throw .maskRegionCount(path: paths[0], regions: labels.count, styles: styleCount)
            }
            let region = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
            let (rows, columns) = Self.nearest(image, featureWidth: featureWidth, featureHeight: featureHeight)
            for (y, row) in rows.enumerated() {
                for (x, column) in columns.enumerated() {
                    weights[region[Self.colourKey(image, row * image.width + column)]! * plane + y * featureWidth + x] = 1
                }
            }
        }
        return RegionWeights(regions: styleCount, width: featureWidth, height: featureHeight, values: weights)
    }

    /// The mask rows and columns that feature rows and columns take: `floor(i * H_mask / H_feat)`.
    static func nearest(_ image: MaskImage, featureWidth: Int, featureHeight: Int) -> (rows: [Int], columns: [Int]) {
        ((0 ..< featureHeight).map { $0 * image.height / featureHeight }, (0 ..< featureWidth).map { $0 * image.width / featureWidth })
    }

    /// The mask's grey levels at the feature positions, row-major.
    static func sampledGrey(_ image: MaskImage, featureWidth: Int, featureHeight: Int) -> [Float] {
        let (rows, columns) = nearest(image, featureWidth: featureWidth, featureHeight: featureHeight)
        return rows.flatMap { row in
            columns.map { column in
                let (r, g, b) = image.colour(row * image.width + column)
                return r == g && g == b ? r : 0.299 * r + 0.587 * g + 0.114 * b
            }
        }
    }

    /// Pixel `i`'s colour as `0xRRGGBB`, each channel rounded to 8 bits.
    static func colourKey(_ image: MaskImage, _ i: Int) -> UInt32 {
        func byte(_ v: Float) -> UInt32 { UInt32((min(max(v, 0), 1) * 255).rounded()) }
        let (r, g, b) = image.colour(i)
        return byte(r) << 16 | byte(g) << 8 | byte(b)
    }

    /// The distinct colours of the image (``colourKey(_:_:)``), gathered pixel by pixel: no plane of
    /// keys is held beside a full-resolution mask.
    static func colours(_ image: MaskImage) -> Set<UInt32> {
        var colours = Set<UInt32>()
        for i in 0 ..< image.width * image.height { colours.insert(colourKey(image, i)) }
        return colours
    }
}

/// A mask file's pixels as read: its 8-bit samples when the file has them (every JPEG, PNGs of up
/// to 8 bits without transparency: ``readImageBytes(path:limits:)``, 3 bytes per pixel), else floats
/// (16-bit and transparent PNGs: ``readImage(path:limits:)``, 12 bytes per pixel). A mask is read
/// whole at its own resolution, so a 16384 x 8192 mask holds 403 MB as samples against 1.6 GB as
/// floats. Either gives the values ``readImage(path:limits:)`` gives (a sample `v` as `v / 255`).
public enum MaskImage: Sendable, Equatable {
    case bytes(RGB8Image)
    case floats(RGBImage)

    /// Reads the mask file at `path` as 8-bit samples when its header says it has them
    /// (``ImageHeader/readsAsBytes``, as the memory estimate counts it), else as floats.
    ///
    /// - Throws: the file's ``ImageCodecError``.
    public init(path: String) throws(ImageCodecError) {
        if try readImageHeader(path: path).readsAsBytes, let bytes = try readImageBytes(path: path) {
            self = .bytes(bytes)
        } else {
            self = .floats(try readImage(path: path))
        }
    }

    public var width: Int {
        switch self {
        case .bytes(let image): image.width
        case .floats(let image): image.width
        }
    }

    public var height: Int {
        switch self {
        case .bytes(let image): image.height
        case .floats(let image): image.height
        }
    }

    /// Pixel `i`'s (row-major) red, green and blue in [0, 1], as ``readImage(path:limits:)`` gives them.
    func colour(_ i: Int) -> (red: Float, green: Float, blue: Float) {
        switch self {
        case .bytes(let image):
            (Float(image.samples[3 * i]) / 255, Float(image.samples[3 * i + 1]) / 255, Float(image.samples[3 * i + 2]) / 255)
        case .floats(let image):
            (image.pixels[i], image.pixels[image.width * image.height + i], image.pixels[2 * image.width * image.height + i])
        }
    }
}

/// Per-style weights on the feature map: `values[(r * height + y) * width + x]` is the weight of
/// style `r` at feature position (y, x), in [0, 1]. Binary masks give 0 and 1.
public struct RegionWeights: Sendable, Equatable {
    public let regions: Int
    public let width: Int
    public let height: Int
    public let values: [Float]

    public init(regions: Int, width: Int, height: Int, values: [Float]) {
        precondition(values.count == regions * width * height, "\(regions) regions of \(width)x\(height) need \(regions * width * height) weights")
        self.regions = regions
        self.width = width
        self.height = height
        self.values = values
    }

    /// Per region, the sum of its weights `V1` and the reliability-weights count `V1 - V2 / V1`
    /// (``regionAdaptiveInstanceNormalization(content:styles:regions:statistics:)``), over the whole map.
    ///
    /// - Throws: ``StyleControlError/maskRegionTooSmall(region:featureWidth:featureHeight:)`` for a
    ///   region whose count is not positive (no position, or one).
    func denominators() throws(StyleControlError) -> [(v1: Double, unbiased: Double)] {
        let plane = width * height
        var denominators: [(v1: Double, unbiased: Double)] = []
        for r in 0 ..< regions {
            var (v1, v2) = (0.0, 0.0)
            for p in 0 ..< plane {
                let weight = Double(values[r * plane + p])
                v1 += weight
                v2 += weight * weight
            }
            let unbiased = v1 > 0 ? v1 - v2 / v1 : 0
            guard unbiased > 0 else { throw .maskRegionTooSmall(region: r, featureWidth: width, featureHeight: height) }
            denominators.append((v1, unbiased))
        }
        return denominators
    }

    /// The weights of feature rows `rows` and columns `columns`: a tile's share of the map.
    func region(rows: Range<Int>, columns: Range<Int>) -> RegionWeights {
        if rows == 0 ..< height && columns == 0 ..< width { return self }
        var tile: [Float] = []
        tile.reserveCapacity(regions * rows.count * columns.count)
        for r in 0 ..< regions {
            for y in rows {
                let start: Int = (r * height + y) * width
                tile += values[start + columns.lowerBound ..< start + columns.upperBound]
            }
        }
        return RegionWeights(regions: regions, width: columns.count, height: rows.count, values: tile)
    }
}

/// AdaIN per region: each style's region of the content features is normalised with that region's
/// statistics and given the style's (whole-image) statistics; the regions are then blended.
///
/// For weights `w_r(p)` in [0, 1] (see ``RegionWeights``), per channel:
/// - region statistics with reliability weights: `V1 = sum_p w_r(p)`, `V2 = sum_p w_r(p)^2`,
///   `mean_r = sum_p w_r(p) x(p) / V1`, `var_r = sum_p w_r(p) (x(p) - mean_r)^2 / (V1 - V2 / V1)`,
///   `std_r = sqrt(var_r + 1e-5)`. For 0/1 weights `V1 = V2 = n_r`, so these are exactly the mean
///   and the unbiased variance of the region's n_r positions, pytorch-AdaIN's `calc_mean_std`
///   convention. Other models' `statistics` (AdaIN-style's Torch module: the biased variance,
///   divided by `V1`; the seed's: eps added to the std) are applied the same way;
/// - `AdaIN_r(p) = (x(p) - mean_r) / std_r * std(s_r) + mean(s_r)`;
/// - `t(p) = sum_r w_r(p) / W(p) * AdaIN_r(p)` with `W(p) = sum_r w_r(p)`; positions no region
///   covers (`W(p) = 0`) keep the content feature `x(p)`.
///
/// With 0/1 weights and one region per position this is exactly AdaIN-style's selection of each
/// region's positions (AdaIN on the subset, copied back), in floating point too: the other
/// regions add `0 * AdaIN_r(p) = 0`. Sums are in Double, as ``calcMeanStd(_:eps:)``.
///
/// - Parameters:
///   - content: `f(c)`, shape (1, C, H, W).
///   - styles: `f(s_r)`, one per region, shape (1, C, H_r, W_r).
///   - regions: `styles.count` weight planes of H x W.
///   - statistics: AdaIN's standard deviations (``ModelConventions/statistics``).
/// - Throws: ``StyleControlError/maskRegionTooSmall(region:featureWidth:featureHeight:)`` when a
///   region's statistics are undefined (`V1 - V2 / V1 <= 0`: no position, or one).
public func regionAdaptiveInstanceNormalization(
    content: Tensor, styles: [Tensor], regions: RegionWeights, statistics: AdaINStatistics = .pytorchAdaIN
) throws(StyleControlError) -> Tensor {
    precondition(content.batch == 1 && styles.allSatisfy { $0.batch == 1 && $0.channels == content.channels })
    precondition(regions.regions == styles.count && regions.height == content.height && regions.width == content.width,
                 "\(regions.regions) regions of \(regions.width)x\(regions.height) for \(styles.count) styles and content \(content.shape)")
    var contentStatistics: [(mean: [Float], std: [Float])] = []
    for r in 0 ..< styles.count {
        contentStatistics.append(try regionMeanStd(content, regions: regions, region: r, convention: statistics.content))
    }
    return regionRenormalization(content, regions: regions, contentStatistics: contentStatistics,
                                 styleStatistics: styles.map { channelMeanStd($0, convention: statistics.style) })
}

/// The blend of ``regionAdaptiveInstanceNormalization(content:styles:regions:statistics:)`` from each
/// region's content statistics (per channel, over the whole map) and each style's: `t(p) = sum_r
/// w_r(p) / W(p) * ((x(p) - mean_r) / std_r * std(s_r) + mean(s_r))`, `x(p)` where `W(p) = 0`. Each
/// position depends only on its own weights and value, so a tile of the map (``RegionWeights/region(rows:columns:)``)
/// with the whole map's statistics gives that tile of the whole result, bit for bit.
func regionRenormalization(
    _ content: Tensor, regions: RegionWeights, contentStatistics: [(mean: [Float], std: [Float])], styleStatistics: [(mean: [Float], std: [Float])]
) -> Tensor {
    precondition(regions.height == content.height && regions.width == content.width && contentStatistics.count == regions.regions
                 && styleStatistics.count == regions.regions)
    let plane = content.height * content.width
    let w = regions.values
    var total = [Float](repeating: 0, count: plane)
    for r in 0 ..< regions.regions {
        for p in 0 ..< plane { total[p] += w[r * plane + p] }
    }
    let shares: [Float] = (0 ..< regions.regions * plane).map { i in
        let t = total[i % plane]
        return t > 0 ? w[i] / t : 0
    }
    var result = content
    content.values.withUnsafeBufferPointer { x in
        result.values.withUnsafeMutableBufferPointer { out in
            var target = [Float](repeating: 0, count: plane)
            for c in 0 ..< content.channels {
                let base = c * plane
                for p in 0 ..< plane { target[p] = 0 }
                for r in 0 ..< regions.regions {
                    let weights = r * plane
                    let (m, s) = (contentStatistics[r].mean[c], contentStatistics[r].std[c])
                    let (sm, ss) = (styleStatistics[r].mean[c], styleStatistics[r].std[c])
                    for p in 0 ..< plane {
                        target[p] += shares[weights + p] * ((x[base + p] - m) / s * ss + sm)
                    }
                }
                for p in 0 ..< plane where total[p] > 0 { out[base + p] = target[p] }
            }
        }
    }
    return result
}

/// The weighted mean and standard deviation of every channel of `x` (1, C, H, W) over region `r`
/// of `regions` (H x W weight planes), with reliability weights `w = w_r(p)`:
/// `mean = sum_p w x(p) / V1`, `squares = sum_p w (x(p) - mean)^2`, the standard deviation as
/// `convention` forms it from `squares`, `V1 = sum_p w` and `V1 - V2 / V1` (`V2 = sum_p w^2`). For 0/1
/// weights these are the mean and (unbiased) variance of the region's positions. Sums in Double.
///
/// - Throws: ``StyleControlError/maskRegionTooSmall(region:featureWidth:featureHeight:)`` when
///   `V1 - V2 / V1 <= 0` for any region (no position, or one: ``RegionWeights/denominators()``).
public func regionMeanStd(
    _ x: Tensor, regions: RegionWeights, region r: Int, convention: StandardDeviationConvention
) throws(StyleControlError) -> (mean: [Float], std: [Float]) {
    precondition(x.batch == 1 && regions.height == x.height && regions.width == x.width && r < regions.regions,
                 "region \(r) of \(regions.regions) regions of \(regions.width)x\(regions.height) for \(x.shape)")
    let plane = x.height * x.width
    let w = regions.values
    let (v1, unbiased) = try regions.denominators()[r]
    var (means, stds) = ([Float](), [Float]())
    x.values.withUnsafeBufferPointer { values in
        for c in 0 ..< x.channels {
            let base = c * plane
            var sum = 0.0
            for p in 0 ..< plane { sum += Double(w[r * plane + p]) * Double(values[base + p]) }
            let mean = sum / v1
            var squares = 0.0
            for p in 0 ..< plane {
                let d = Double(values[base + p]) - mean
                squares += Double(w[r * plane + p]) * d * d
            }
            means.append(Float(mean))
            stds.append(convention.std(squares: squares, count: v1, unbiasedCount: unbiased))
        }
    }
    return (means, stds)
}
