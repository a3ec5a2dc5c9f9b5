// How much memory a stylization needs, estimated from the layer tables before any image is
// decoded or weight loaded, and how much the machine has.

import Foundation
import ImageCodec

/// The peak memory of stylizing a content image with style images, and the check against the
/// memory available, so that a stylization too large for the machine is refused before any work
/// (oneDNN and the activation buffers would otherwise abort the process on a failed allocation).
///
/// The estimate follows what a forward pass allocates (TensorCore's `ForwardPlan`): two buffers of
/// the pass's largest activation (channels rounded up to a block of 16, with a one-pixel halo of
/// reflection padding when a 3x3 convolution follows) and, for the decoder's last convolution
/// (64 -> 3, run as a 1x1 convolution to 27 partial sums), the partial sums (32 channels over its
/// padded input). Buffers are pooled and kept, so the passes of one stylization (the content's
/// encoding, each style's, the decoding) add up as the pool hands them out: a pass reuses the
/// smallest kept buffer large enough, else allocates. For an H x W content image with
/// h = ceil(H/8), w = ceil(W/8), large and styles no larger than the content, that is
///
///     activations = 4 B x [2 x 64 (H+2)(W+2)  +  2 x 64 (8h+2)(8w+2)  +  32 (8h+2)(8w+2)]
///                 ~ 1,152 B per content pixel,
///
/// plus ``tensorBytesPerPixel`` for the tensors outside the passes (the image as floats, f(c),
/// AdaIN's output, the blend, g(t), the cropped image: about 150 B per pixel), 16 B per pixel of
/// the decoded source image (bytes and floats before resizing), and ``fixedBytes`` for the weights
/// (the 80 MB VGG checkpoint while it is read, both networks' reordered weights) and the runtime.
///
/// Measured peak RSS (stylectl stylize, debug build, real-size weights, cornell.jpg and sketch.png
/// with --crop): 194 MB at 256 x 256 (estimate 227 MB), 910 MB at 1024 x 1024 (estimate 1,015 MB).
/// The estimate is 10 to 20 % above the measurement (the passes' tensors are not all alive at
/// once), erring on the side a refusal threshold should.
public enum StylizationMemory {
    /// The weights and the runtime, measured as the peak RSS of a 64 x 64 stylization (rounded up).
    /// The Winograd convolutions' transformed weights (about 110 MB) do not raise that peak, which
    /// the checkpoint's reading sets: 193 MB with Winograd and with the direct convolutions alike
    /// (debug build, real-size seeded weights, cornell.jpg cropped, Zen 3).
    public static let fixedBytes = 160 << 20
    /// Tensors and images alive outside the forward passes, per content pixel (see the type's comment).
    public static let tensorBytesPerPixel = 160
    /// A decoded source image before resizing: 3 bytes and 3 floats per pixel, rounded up.
    public static let sourceBytesPerPixel = 16
    /// The channel block assumed: the larger of oneDNN's two (16 with AVX-512, 8 otherwise).
    static let block = 16

    /// The environment variable that replaces `/proc/meminfo`'s MemAvailable (tests, containers).
    public static let limitVariable = "STYLECTL_MAX_MEMORY"
    /// The flag that sets the memory budget of `stylize`, before ``limitVariable``.
    public static let maxMemoryFlag = "--max-memory"

    /// The mask files of a masked stylization (``SpatialMask``) as the estimates count them: each
    /// file's pixels and whether it reads as 8-bit samples, from its header, and the regions they
    /// give (one per style).
    ///
    /// A stylization reads every mask whole at the file's own resolution, whatever the content's
    /// size (``SpatialMask/images(styleCount:contentWidth:contentHeight:)``, ``MaskImage``), and
    /// samples one weight plane per region from them on each feature map it needs
    /// (``RegionWeights``): relu4_1's for AdaIN and, when the losses are measured, relu1_1's to
    /// relu4_1's over the whole map (64 + 16 + 4 + 1 = 85 planes of relu4_1's size, 5.3 B per
    /// content pixel per region).
    public struct Masks: Sendable, Equatable {
        /// One mask file: its pixels, and whether it reads as 8-bit samples (``ImageHeader/readsAsBytes``).
        public struct File: Sendable, Equatable {
            public var pixels: Int
            public var readsAsBytes: Bool

            public init(pixels: Int, readsAsBytes: Bool) {
                self.pixels = pixels
                self.readsAsBytes = readsAsBytes
            }
        }

        public var files: [File]
        /// The regions the masks give: one per style.
        public var regions: Int

        public init(files: [File], regions: Int) {
            self.files = files
            self.regions = regions
        }

        /// The masks of the files at `paths` for `regions` styles, from the files' headers
        /// (`readImageHeader(path:limits:)`: nothing is decoded); nil for no paths.
        public init?(paths: [String], regions: Int) throws(StyleTransferError) {
            guard !paths.isEmpty else { return nil }
            var files: [File] = []
            for path in paths {
                do {
                    let header = try readImageHeader(path: path)
                    files.append(File(pixels: header.width * header.height, readsAsBytes: header.readsAsBytes))
                } catch { throw .image(error) }
            }
            self.init(files: files, regions: regions)
        }

        /// The mask images while they are read and held: each mask as 8-bit samples (3 B per pixel)
        /// or as floats (12 B), and the costliest one's decoding beside them: a mask read as
        /// samples holds the decoder's samples and their copy (``tiledSourceBytesPerPixel``, 3 B
        /// more), one read as floats the decoder's samples (at most 8 B more: 16-bit RGBA).
        var imageBytes: Double {
            let held = files.reduce(0) { $0 + Double($1.pixels) * ($1.readsAsBytes ? 3 : 12) }
            let decoding = files.map { Double($0.pixels) * ($0.readsAsBytes ? Double(tiledSourceBytesPerPixel - 3) : 8) }.max() ?? 0
            return held + decoding
        }

        /// The region weights over a relu4_1 map of `featurePixels`: a plane of floats per region,
        /// at relu4_1 alone, or with `measuring` at each loss layer (85 times relu4_1's pixels).
        func weightBytes(featurePixels: Double, measuring: Bool) -> Double {
            4 * Double(regions) * featurePixels * (measuring ? 85 : 1)
        }
    }

    /// The estimated peak bytes of stylizing content sized `content` with styles sized `styles`,
    /// the images decoded from sources of `sourcePixels` pixels in all (the largest at one time),
    /// and `masks` (``Masks``: their images and the region weights at relu4_1, held for the whole
    /// stylization). Computed in floating point, so absurd sizes give a huge estimate rather than
    /// an overflow; the result saturates at `Int.max`.
    public static func peakBytes(
        content: (width: Int, height: Int), styles: [(width: Int, height: Int)], sourcePixels: Int, masks: Masks? = nil
    ) -> Int {
        let contentEncoder = encoderFloats(content)
        let (h, w) = ((Double(content.height) / 8).rounded(.up), (Double(content.width) / 8).rounded(.up))
        let decoder = largestActivation(Decoder.architecture[...], channels: 512, height: h, width: w)
        let peak = poolPeak([[contentEncoder, contentEncoder]] + styles.map { [encoderFloats($0), encoderFloats($0)] }
                            + [[decoder.floats, decoder.floats, decoder.partialSums]])
        let pixels = Double(content.width) * Double(content.height)
        let maskBytes = masks.map { $0.imageBytes + $0.weightBytes(featurePixels: h * w, measuring: false) } ?? 0
        return saturated(Double(fixedBytes) + 4 * peak + Double(tensorBytesPerPixel) * pixels + Double(sourceBytesPerPixel) * Double(sourcePixels)
                         + maskBytes)
    }

    /// The plane a tiled stylization holds whole whatever its output, per content pixel: the sized
    /// content as 8-bit samples (3 B). The output adds ``TiledOutput/bytesPerPixel``. (Until the
    /// output was written band by band this was 9 B: the content, the output held whole as 8-bit
    /// samples, and libjpeg's coefficients, for every output.)
    public static let tiledBytesPerPixel = 3
    /// How a tiled stylization's output leaves it, for what it holds of the output
    /// (``tiledPeakBytes(content:tile:styles:sourcePixels:keepsFeatures:resizes:output:resizedBack:measuring:masks:)``): one
    /// band of output rows in flight (3 B per pixel over the width and a tile's height) and, per
    /// content pixel, ``bytesPerPixel``.
    public enum TiledOutput: Sendable, Equatable {
        /// Written band by band as a PNG (``StylizationPipeline/tiledStylization(content:controls:writingTo:jpegQuality:)``,
        /// `stylectl stylize`): libpng filters and deflates each row as it comes and keeps a few.
        case png
        /// Written band by band as a JPEG: libjpeg's optimised Huffman tables keep the quantised
        /// coefficients of the whole image until the end (2 bytes each, 1.5 per pixel with 4:2:0: 3 B).
        case jpeg
        /// Returned as 8-bit samples (``StylizationPipeline/tiledStylization(content:controls:)``:
        /// the C API, a video's frames) and perhaps written whole as a JPEG afterwards: the output
        /// plane (3 B) and libjpeg's coefficients (3 B).
        case bytes

        /// The output a stylization written to `path` takes: by the extension as ``writeImage(_:path:jpegQuality:)-(RGB8Image,_,_)``
        /// chooses the format (`.png`; `.jpg`, `.jpeg`); ``bytes`` for any other path (none: "").
        public init(path: String) {
            let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
            switch name.lastIndex(of: ".").map({ name[name.index(after: $0)...].lowercased() }) {
            case "png": self = .png
            case "jpg", "jpeg": self = .jpeg
            default: self = .bytes
            }
        }

        /// The bytes held per content pixel for this output, besides the band in flight.
        public var bytesPerPixel: Int {
            switch self {
            case .png: 0
            case .jpeg: 3
            case .bytes: 6
            }
        }
    }
    /// What a content that is resized (or cropped) adds per content pixel: it is sized as floats
    /// (12 B) and copied to bytes (3 B), and the estimate holds it as floats while the tiles run
    /// (9 B more than its samples: the Lua and seed models' resamplers do not give 8-bit values).
    public static let tiledResizedBytesPerPixel = 15
    /// How many times ``tensorBytesPerPixel`` a pass-2 tile holds, over its pixels: once for its
    /// tensors outside the passes (f over the crop, its cut, AdaIN, the blend, g(t), the tile's
    /// images), once more for the heap's keeping of their freed blocks from tile to tile (glibc
    /// serves blocks below its mmap threshold, which rises to 32 MB as large blocks are freed, from
    /// the heap, and does not give their pages back). Measured, not derived: once, the estimate is
    /// 1 to 4 % below the peaks of `stylebench --tiled` at 1024 x 1024 and 2048 x 2048 (tiles of 512);
    /// twice, 4 to 10 % above them and the 7680 x 4320 peak.
    public static let tiledTensorCopies = 2
    /// What measuring the losses of a tile holds per pixel of `g(t)` over the tile and the encoder's
    /// halo, besides the encoder pass's pooled buffers: the layers the loss keeps (relu1_1 ...
    /// relu4_1: 64 + 128/4 + 256/16 + 512/64 = 120 floats, copied out of the pass) and the interior
    /// cut from each for the statistics (at most relu1_1's 64 floats), 4 B each.
    public static let measuredBytesPerPixel = 4 * (120 + 64)
    /// Reading a content that is not resized straight into 8-bit samples, per source pixel: the
    /// decoder's samples (3 B) with the file's bytes (at most about 3 B, a PNG's deflated rows) or
    /// with their copy (3 B).
    public static let tiledSourceBytesPerPixel = 6

    /// The estimated peak bytes of stylizing content sized `content` in tiles of `tile` pixels
    /// (``Tiling``) with styles sized `styles`. Two phases follow each other, and the larger sets
    /// the peak, over ``fixedBytes``:
    ///
    /// - reading: with `resizes` (the content resized or cropped after decoding), as a whole
    ///   stylization reads (``sourceBytesPerPixel`` over `sourcePixels`) plus the sized floats and
    ///   their bytes (``tiledResizedBytesPerPixel``); without, ``tiledSourceBytesPerPixel`` over `sourcePixels`;
    /// - the tiles: the styles' encoder passes (whole), the tiles' encoder passes (pass 1 over the
    ///   tile and ``Halo/encoder``, pass 2 over the tile, the decoder's halo and the encoder's) and
    ///   decoder passes (over the tile and ``Halo/decoder``) for a corner, an edge and an interior
    ///   tile, pooled as in ``peakBytes(content:styles:sourcePixels:masks:)``; ``tiledTensorCopies`` times
    ///   ``tensorBytesPerPixel`` over one pass-2 tile; the styles' tensors (``tensorBytesPerPixel``
    ///   over the largest style, the heap keeping its encoding's blocks, and 32 B per pixel of each
    ///   style for its relu4_1: a seed run's styles are as large as its content, 1,024 x 1,024 for a
    ///   `--content-size 1024`); ``tiledBytesPerPixel`` over the content, plus 9 B per pixel with `resizes`
    ///   (the content held as floats); the output (``TiledOutput``): a band of output rows (3 B per
    ///   pixel over the content's width and `tile` rows) and ``TiledOutput/bytesPerPixel`` over the
    ///   content; with `keepsFeatures` (``Tiling/keepsFeatures``), the whole relu4_1 map (512 floats
    ///   per feature pixel).
    ///
    /// With `resizedBack` (the output's size, when the stylization is resized back to it: the seed's
    /// square sizing), the tiles' floats gathered into the sized image (12 B per content pixel) are
    /// added to the tiles, and the resize after them (``resizedBackBytes(content:output:)``) is a
    /// third phase, over the tiles' pooled buffers, which stay.
    ///
    /// With `measuring` (the losses measured over the tiles, ``TiledLossMeasure``: a sweep's
    /// metrics, ``StylizationPipeline/measuredTiledStylization(content:controls:writingTo:jpegQuality:)``),
    /// pass 2 decodes `t` over the decoder's halo widened by ``Halo/encoder`` / 8 feature pixels
    /// each side (the pass-2 shapes, their encoder passes and the pass-2 tile's tensors grow so),
    /// and encodes `g(t)` again over the tile and ``Halo/encoder``: an encoder pass over that crop
    /// (pooled with the others) and ``measuredBytesPerPixel`` over it for the four layers it keeps
    /// and the interior cut from each.
    ///
    /// With `masks` (``Masks``), the tiles hold the region weights over the whole map (at relu4_1,
    /// and with `measuring` at each loss layer), and a phase comes between the reading and the
    /// tiles: the mask images, read after the content and held while the styles are encoded and
    /// the region weights made from them (with `measuring`, a grey plane of relu1_1's size beside
    /// them), over the content's planes, the styles' tensors and the pooled buffers of every pass
    /// (a run's earlier stylizations, a sweep's earlier cells, leave them allocated).
    ///
    /// A content that is not resized but whose samples are not 8-bit (a 16-bit or transparent PNG)
    /// is held as floats: 9 B per pixel more than this counts.
    public static func tiledPeakBytes(
        content: (width: Int, height: Int), tile: Int, styles: [(width: Int, height: Int)], sourcePixels: Int, keepsFeatures: Bool = false,
        resizes: Bool = true, output: TiledOutput = .bytes, resizedBack: (width: Int, height: Int)? = nil, measuring: Bool = false,
        masks: Masks? = nil
    ) -> Int {
        let halo = Halo(encoderArchitecture: VGGEncoder.architecture)
        // The shapes of a pass's tiles as they come (a corner, an edge, the interior: margins on one
        // side, then on both along one axis, then on both along both; both only along an axis of at
        // least 3 tiles), each clipped to the content: the buffer pool keeps each larger shape's
        // buffers beside the smaller ones'.
        let tiles = (columns: ((content.width + 7) / 8 + tile / 8 - 1) / (tile / 8), rows: ((content.height + 7) / 8 + tile / 8 - 1) / (tile / 8))
        func shapes(side: Int, margin: Int, width: Int, height: Int) -> [(width: Int, height: Int)] {
            let oneSided = (width: min(width, side + margin), height: min(height, side + margin))
            let twoSided = (width: tiles.columns >= 3 ? min(width, side + 2 * margin) : oneSided.width,
                            height: tiles.rows >= 3 ? min(height, side + 2 * margin) : oneSided.height)
            return [oneSided, (twoSided.width, oneSided.height), twoSided]
        }
        // Measuring, pass 2 takes t over as many more feature pixels as the encoder's halo covers.
        let measured = measuring ? halo.encoder / 8 : 0
        let first = shapes(side: tile, margin: halo.encoder, width: content.width, height: content.height)
        let second = shapes(side: tile, margin: halo.encoder + 8 * (halo.decoder + measured), width: content.width, height: content.height)
        let features = shapes(side: tile / 8, margin: halo.decoder + measured, width: (content.width + 7) / 8, height: (content.height + 7) / 8)
        var passes = styles.map { [encoderFloats($0), encoderFloats($0)] }
        passes += first.map { [encoderFloats($0), encoderFloats($0)] }
        passes += second.map { [encoderFloats($0), encoderFloats($0)] }
        for size in features {
            let decoder = largestActivation(Decoder.architecture[...], channels: 512, height: Double(size.height), width: Double(size.width))
            passes.append([decoder.floats, decoder.floats, decoder.partialSums])
            // g(t) over the tile and the encoder's halo (the first pass's shapes), encoded again.
            if measuring { passes += first.map { [encoderFloats($0), encoderFloats($0)] } }
        }
        let peak = poolPeak(passes)
        let tilePixels = Double(second[2].width) * Double(second[2].height)
        let measuredPixels = measuring ? Double(first[2].width) * Double(first[2].height) : 0
        let pixels = Double(content.width) * Double(content.height)
        let featurePixels = (Double(content.width) / 8).rounded(.up) * (Double(content.height) / 8).rounded(.up)
        let kept = keepsFeatures ? 4 * 512 * featurePixels : 0
        let reading = resizes ? Double(sourceBytesPerPixel) * Double(sourcePixels) + Double(tiledResizedBytesPerPixel) * pixels
                              : Double(tiledSourceBytesPerPixel) * Double(sourcePixels)
        let bandWidth = Double(resizedBack?.width ?? content.width), bandHeight = Double(min(tile, resizedBack?.height ?? content.height))
        let band = 3 * bandWidth * bandHeight
        let outputPixels = resizedBack.map { Double($0.width) * Double($0.height) } ?? pixels
        let planes = Double(tiledBytesPerPixel + (resizes ? 9 : 0)) * pixels + Double(output.bytesPerPixel) * outputPixels + band
        // The styles' tensors outside their passes: the largest's while it is encoded (kept by the
        // heap, as a tile's are), and each style's relu4_1 (512 floats per 64 pixels) for the run.
        let stylePixels = styles.map { Double($0.width) * Double($0.height) }
        let styleTensors = Double(tensorBytesPerPixel) * (stylePixels.max() ?? 0) + 32 * stylePixels.reduce(0, +)
        let regionWeights = masks.map { $0.weightBytes(featurePixels: featurePixels, measuring: measuring) } ?? 0
        let tilesPhase = 4 * peak + Double(tiledTensorCopies * tensorBytesPerPixel) * tilePixels + styleTensors + planes + kept
            + Double(measuredBytesPerPixel) * measuredPixels + (resizedBack == nil ? 0 : 12 * pixels) + regionWeights
        let resizing = resizedBack.map { 4 * peak + styleTensors + planes + regionWeights + Double(resizedBackBytes(content: content, output: $0)) } ?? 0
        let masking = masks.map { 4 * peak + styleTensors + planes + $0.imageBytes + regionWeights + (measuring ? 4 * 64 * featurePixels : 0) } ?? 0
        return saturated(Double(fixedBytes) + max(reading, tilesPhase, resizing, masking))
    }

    /// What resizing a tiled stylization back to its `output` size holds besides the tiles' pooled
    /// buffers (``resizeLikeScikitImage(_:width:height:limits:)``): the gathered image (12 B per
    /// content pixel), one more copy of it per axis that shrinks (its Gaussian passes, each kept
    /// beside the image until the next) and the resized image (12 B per output pixel).
    public static func resizedBackBytes(content: (width: Int, height: Int), output: (width: Int, height: Int)) -> Int {
        let shrinking = (output.width < content.width ? 1 : 0) + (output.height < content.height ? 1 : 0)
        let (pixels, outputPixels) = (Double(content.width) * Double(content.height), Double(output.width) * Double(output.height))
        return saturated(12 * pixels * Double(1 + shrinking) + 12 * outputPixels)
    }

    /// The floats of the largest activation of an encoder pass over an image of `size`.
    private static func encoderFloats(_ size: (width: Int, height: Int)) -> Double {
        largestActivation(VGGEncoder.architecture.dropFirst(), channels: 3, height: Double(size.height), width: Double(size.width)).floats
    }

    /// The peak of the pooled buffers over forward passes, each asking for buffers of the given
    /// floats: a pass reuses the smallest kept buffer large enough, else allocates, and keeps them all.
    private static func poolPeak(_ passes: [[Double]]) -> Double {
        var pool: [Double] = []
        var peak = 0.0
        for sizes in passes {
            var taken: [Double] = []
            for size in sizes {
                if let i = pool.indices.filter({ pool[$0] >= size }).min(by: { pool[$0] < pool[$1] }) {
                    taken.append(pool.remove(at: i))
                } else {
                    taken.append(size)
                }
            }
            pool += taken
            peak = max(peak, pool.reduce(0, +))
        }
        return peak
    }

    private static func saturated(_ bytes: Double) -> Int { bytes < Double(Int.max) ? Int(bytes) : Int.max }

    /// The floats of the largest activation of a layer table's pass (halo included) and of the
    /// partial sums of its narrow convolutions, for an input of `channels` x `height` x `width`.
    static func largestActivation(_ layers: ArraySlice<ArchitectureLayer>, channels: Int, height: Double, width: Double) -> (floats: Double, partialSums: Double) {
        func rounded(_ c: Int) -> Double { Double((c + block - 1) / block * block) }
        func halo(_ layer: ArchitectureLayer?) -> Double {
            if case .convolution(_, _, _, let kernel, _, _)? = layer { return Double(kernel / 2) }
            return 0
        }
        var (c, h, w) = (channels, height, width)
        var largest = rounded(c) * (h + 2 * halo(layers.first)) * (w + 2 * halo(layers.first))
        var partialSums = 0.0
        for (index, layer) in zip(layers.indices, layers) {
            switch layer {
            case .convolution(_, _, let outChannels, let kernel, _, _):
                // TensorCore's NarrowConvolutionForward: taps x outChannels partial sums over the padded input.
                if kernel > 1 && 2 * outChannels <= block {
                    let p = halo(layer)
                    partialSums = max(partialSums, rounded(kernel * kernel * outChannels) * (h + 2 * p) * (w + 2 * p))
                }
                c = outChannels
            case .maxPool:
                (h, w) = ((h / 2).rounded(.up), (w / 2).rounded(.up))
            case .upsample:
                (h, w) = (2 * h, 2 * w)
            }
            let next = index + 1 < layers.endIndex ? layers[index + 1] : nil
            largest = max(largest, rounded(c) * (h + 2 * halo(next)) * (w + 2 * halo(next)))
        }
        return (largest, partialSums)
    }

    /// The bytes available: `STYLECTL_MAX_MEMORY` (bytes, or with a K, M or G suffix for powers of
    /// 1024) when set, else ``availableShare`` of MemAvailable from `/proc/meminfo`; nil when neither
    /// is known (no check). `maxMemory` (`--max-memory`), when given, comes first, parsed alike.
    public static func available(
        maxMemory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment, meminfo: String = "/proc/meminfo"
    ) throws(StyleTransferError) -> (bytes: Int, source: String)? {
        if let maxMemory {
            guard let bytes = parseBytes(maxMemory) else { throw .invalidMemorySetting(variable: maxMemoryFlag, value: maxMemory) }
            return (bytes, "\(maxMemoryFlag) \(maxMemory)")
        }
        if let setting = environment[limitVariable] {
            guard let bytes = parseBytes(setting) else { throw .invalidMemorySetting(variable: limitVariable, value: setting) }
            return (bytes, "\(limitVariable)=\(setting)")
        }
        guard let text = try? String(contentsOfFile: meminfo, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return (kilobytes * 1024 / availableShare.denominator * availableShare.numerator, "\(availableShare.numerator)/\(availableShare.denominator) of MemAvailable in \(meminfo)")
        }
        return nil
    }

    /// The share of MemAvailable a stylization takes when no budget is given: 3/4. MemAvailable is
    /// the kernel's guess of what can be allocated without swapping, and it includes page cache
    /// that reclaiming slows everything down; other processes (the shell, an editor, a build) grow
    /// meanwhile; the allocator holds freed pages and fragments; and the estimates, though 10 to
    /// 25 % above the peaks measured, are estimates. A quarter kept back covers these, and a run
    /// that fits within it does not push the machine into swap or the OOM killer.
    public static let availableShare = (numerator: 3, denominator: 4)

    /// `123`, `512M`, `2G`, `64K` (powers of 1024); nil for anything else or an overflow.
    static func parseBytes(_ text: String) -> Int? {
        let shifts: [Character: Int] = ["K": 10, "M": 20, "G": 30]
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var shift = 0
        if let last = digits.last?.uppercased().first, let s = shifts[last] {
            shift = s
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value > 0 else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : bytes
    }

    /// Refuses the first job whose estimate exceeds the memory available (``available(maxMemory:environment:meminfo:)``;
    /// no check when it is unknown). Image sizes come from the files' headers
    /// (`readImageSize(path:limits:)`), so nothing is decoded; an unreadable header is reported
    /// as the image error it is. Each job is checked alone: buffers kept from an earlier job of
    /// the same sizes are reused, and larger ones are checked as their own job.
    public static func check(jobs: [StylizationJob], contentSizing: ImageSizing, styleSizing: ImageSizing) throws(StyleTransferError) {
        guard let available = try available() else { return }
        for job in try measured(jobs, styleSizing: styleSizing) {
            try check(path: job.path, source: job.source, sizing: contentSizing, styles: job.styles,
                      sourcePixels: job.sourcePixels, available: available, masks: job.masks)
        }
    }

    /// A job's sizes as the estimates take them, from its files' headers.
    private struct MeasuredJob {
        /// The content's path and its source size.
        var path: String
        var source: (width: Int, height: Int)
        /// The styles' sized dimensions.
        var styles: [(width: Int, height: Int)]
        /// The largest source decoded (content or style).
        var sourcePixels: Int
        /// How its output leaves a tiled stylization (by its path).
        var output: TiledOutput
        /// Its masks, nil without.
        var masks: Masks?
    }

    /// Each job's ``MeasuredJob``, each file's header read once.
    private static func measured(_ jobs: [StylizationJob], styleSizing: ImageSizing) throws(StyleTransferError) -> [MeasuredJob] {
        var sizes: [String: (width: Int, height: Int)] = [:]
        func size(_ path: String) throws(StyleTransferError) -> (width: Int, height: Int) {
            if let known = sizes[path] { return known }
            let size: (width: Int, height: Int)
            do { size = try readImageSize(path: path) } catch { throw .image(error) }
            sizes[path] = size
            return size
        }
        var result: [MeasuredJob] = []
        for job in jobs {
            let source = try size(job.content)
            var styles: [(width: Int, height: Int)] = []
            var sourcePixels = source.width * source.height
            for style in job.styles {
                let styleSource = try size(style)
                sourcePixels = max(sourcePixels, styleSource.width * styleSource.height)
                styles.append(styleSizing.sizedDimensions(width: styleSource.width, height: styleSource.height) ?? (.max, .max))
            }
            result.append(MeasuredJob(path: job.content, source: source, styles: styles, sourcePixels: sourcePixels,
                                      output: TiledOutput(path: job.output), masks: try Masks(paths: job.masks, regions: job.styles.count)))
        }
        return result
    }

    /// Each job's estimated peak bytes (by content path) when stylized in tiles of `tile` as a
    /// pipeline with that ``Tiling`` runs it: whole when there is no tile or its sized content's
    /// longer side is no longer than the tile (``peakBytes(content:styles:sourcePixels:masks:)``), else in
    /// tiles (``tiledPeakBytes(content:tile:styles:sourcePixels:keepsFeatures:resizes:output:resizedBack:measuring:masks:)``,
    /// its losses measured over them when `measuring`). `Int.max` for a content that cannot be sized.
    /// Image sizes come from the files' headers.
    public static func peakBytes(
        jobs: [StylizationJob], contentSizing: ImageSizing, styleSizing: ImageSizing, tile: Int?, measuring: Bool = false
    ) throws(StyleTransferError) -> [(path: String, bytes: Int)] {
        try measured(jobs, styleSizing: styleSizing).map { job in
            guard let size = contentSizing.sizedDimensions(width: job.source.width, height: job.source.height) else { return (job.path, .max) }
            guard let tile, max(size.width, size.height) > tile else {
                return (job.path, peakBytes(content: size, styles: job.styles, sourcePixels: job.sourcePixels, masks: job.masks))
            }
            return (job.path, tiledPeakBytes(content: size, tile: tile, styles: job.styles, sourcePixels: job.sourcePixels, resizes: contentSizing.resizes,
                                             output: job.output, resizedBack: contentSizing.resizedBackDimensions(width: job.source.width, height: job.source.height),
                                             measuring: measuring, masks: job.masks))
        }
    }

    /// The largest tile side chosen by itself: beyond it the halos' share is small and the whole
    /// planes dominate, so larger tiles save little time for much memory.
    public static let largestChosenTile = 2048

    /// The tiling a run of `stylize` jobs takes, checked against the memory available
    /// (``available(maxMemory:environment:meminfo:)``; `forced` is `--tile`; each job's output as
    /// its path says, ``TiledOutput/init(path:)``): nil when every job fits
    /// whole (or the memory is unknown and nothing is forced), else tiles of the smallest side a job
    /// needs (``tile(path:source:sizing:styles:sourcePixels:forced:available:output:measuring:masks:)``). A content no larger
    /// than the tile is still stylized whole, so one tiling serves every job. The tiling keeps pass
    /// 1's features (``Tiling/keepsFeatures``, about half the work) when every tiled job fits with them.
    public static func tiling(
        jobs: [StylizationJob], contentSizing: ImageSizing, styleSizing: ImageSizing, forced: Tiling?, maxMemory: String?, measuring: Bool = false
    ) throws(StyleTransferError) -> Tiling? {
        guard let available = try available(maxMemory: maxMemory) else { return forced }
        return try tiling(jobs: jobs, contentSizing: contentSizing, styleSizing: styleSizing, forced: forced, available: available, measuring: measuring)
    }

    /// ``tiling(jobs:contentSizing:styleSizing:forced:maxMemory:measuring:)`` in `available` bytes, each
    /// job's losses measured over its tiles when `measuring` (a sweep's metrics:
    /// ``tiledPeakBytes(content:tile:styles:sourcePixels:keepsFeatures:resizes:output:resizedBack:measuring:masks:)``).
    public static func tiling(
        jobs: [StylizationJob], contentSizing: ImageSizing, styleSizing: ImageSizing, forced: Tiling?,
        available: (bytes: Int, source: String), measuring: Bool = false
    ) throws(StyleTransferError) -> Tiling? {
        var chosen: Int?
        var tiled: [MeasuredJob] = []
        for job in try measured(jobs, styleSizing: styleSizing) {
            if let side = try tile(path: job.path, source: job.source, sizing: contentSizing, styles: job.styles,
                                   sourcePixels: job.sourcePixels, forced: forced?.tile, available: available, output: job.output,
                                   measuring: measuring, masks: job.masks) {
                chosen = min(chosen ?? side, side)
                tiled.append(job)
            }
        }
        guard let chosen else { return forced }
        let keeps = tiled.allSatisfy {
            // tile() returns a side only for a content it could size.
            tiledPeakBytes(content: contentSizing.sizedDimensions(width: $0.source.width, height: $0.source.height)!, tile: chosen, styles: $0.styles,
                           sourcePixels: $0.sourcePixels, keepsFeatures: true, resizes: contentSizing.resizes, output: $0.output,
                           resizedBack: contentSizing.resizedBackDimensions(width: $0.source.width, height: $0.source.height), measuring: measuring,
                           masks: $0.masks) <= available.bytes
        }
        return Tiling(checked: chosen, keepsFeatures: keeps)
    }

    /// The tiling one content takes (a video's frames: `output` ``TiledOutput/bytes``): nil when it fits whole and no tile is
    /// `forced`; else tiles of ``tile(path:source:sizing:styles:sourcePixels:forced:available:output:measuring:masks:)``'s
    /// side, keeping pass 1's features when that fits too.
    ///
    /// - Throws: as ``tile(path:source:sizing:styles:sourcePixels:forced:available:output:measuring:masks:)``.
    public static func tiling(
        path: String, source: (width: Int, height: Int), sizing: ImageSizing, styles: [(width: Int, height: Int)],
        sourcePixels: Int, forced: Int?, available: (bytes: Int, source: String), output: TiledOutput = .bytes, masks: Masks? = nil
    ) throws(StyleTransferError) -> Tiling? {
        guard let side = try tile(path: path, source: source, sizing: sizing, styles: styles, sourcePixels: sourcePixels, forced: forced,
                                  available: available, output: output, masks: masks),
              let size = sizing.sizedDimensions(width: source.width, height: source.height) else { return nil }
        let keeps = tiledPeakBytes(content: size, tile: side, styles: styles, sourcePixels: sourcePixels, keepsFeatures: true,
                                   resizes: sizing.resizes, output: output,
                                   resizedBack: sizing.resizedBackDimensions(width: source.width, height: source.height), masks: masks) <= available.bytes
        return Tiling(checked: side, keepsFeatures: keeps)
    }

    /// The tile side a stylization of `path` needs in `available` bytes: nil when it fits whole
    /// (``peakBytes(content:styles:sourcePixels:masks:)``) and no tile is `forced`, or when it is no larger
    /// than the forced tile and fits whole; `forced` when its tiled estimate (``tiledPeakBytes(content:tile:styles:sourcePixels:keepsFeatures:resizes:output:resizedBack:measuring:masks:)``, for `output`)
    /// fits; else the largest multiple of 8 from ``Tiling/minimumTile`` to ``largestChosenTile`` (and
    /// below the content's longer side) that fits.
    ///
    /// - Throws: ``StyleTransferError/insufficientMemory(path:width:height:needed:available:source:largestFittingSize:)``
    ///   for a content too small to tile that does not fit whole;
    ///   ``StyleTransferError/tileTooLarge(path:width:height:tile:needed:available:source:largestFittingTile:)``
    ///   for a forced tile that does not fit when a smaller one would;
    ///   ``StyleTransferError/tilesDoNotFit(path:width:height:minimum:available:source:largestFittingSize:)``
    ///   when even the smallest tile does not fit, naming the bytes it needs and the largest
    ///   `--content-size` that fits.
    public static func tile(
        path: String, source: (width: Int, height: Int), sizing: ImageSizing, styles: [(width: Int, height: Int)],
        sourcePixels: Int, forced: Int?, available: (bytes: Int, source: String), output: TiledOutput = .bytes, measuring: Bool = false,
        masks: Masks? = nil
    ) throws(StyleTransferError) -> Int? {
        guard let size = sizing.sizedDimensions(width: source.width, height: source.height) else {
            try check(path: path, source: source, sizing: sizing, styles: styles, sourcePixels: sourcePixels, available: available, masks: masks)
            return nil
        }
        let side = max(size.width, size.height)
        let largest = min(forced ?? largestChosenTile, (side - 1) / 8 * 8)
        // Whole (refused, when it does not fit, with the largest --content-size that fits): no larger
        // than the forced tile, fitting whole with none forced, or too small to tile.
        let whole = forced.map { side <= $0 } ?? (peakBytes(content: size, styles: styles, sourcePixels: sourcePixels, masks: masks) <= available.bytes)
        if whole || largest < Tiling.minimumTile {
            try check(path: path, source: source, sizing: sizing, styles: styles, sourcePixels: sourcePixels, available: available, masks: masks)
            return nil
        }
        func needed(_ tile: Int) -> Int {
            tiledPeakBytes(content: size, tile: tile, styles: styles, sourcePixels: sourcePixels, resizes: sizing.resizes, output: output,
                           resizedBack: sizing.resizedBackDimensions(width: source.width, height: source.height), measuring: measuring, masks: masks)
        }
        let minimum = needed(Tiling.minimumTile)
        guard minimum <= available.bytes else {
            // The largest size that fits whole or in the smallest tiles.
            let fitting = largestFittingSize(sizing, available: available.bytes) { sizing in
                guard let size = sizing.sizedDimensions(width: source.width, height: source.height) else { return .max }
                return min(peakBytes(content: size, styles: styles, sourcePixels: sourcePixels, masks: masks),
                           tiledPeakBytes(content: size, tile: Tiling.minimumTile, styles: styles, sourcePixels: sourcePixels, resizes: sizing.resizes,
                                          output: output, resizedBack: sizing.resizedBackDimensions(width: source.width, height: source.height),
                                          measuring: measuring, masks: masks))
            }
            throw .tilesDoNotFit(path: path, width: size.width, height: size.height, minimum: minimum, available: available.bytes,
                                 source: available.source, largestFittingSize: fitting)
        }
        // The estimate grows with the tile: the largest fitting multiple of 8 by bisection.
        var (low, high) = (Tiling.minimumTile / 8, largest / 8)
        while low < high {
            let middle = (low + high + 1) / 2
            if needed(8 * middle) <= available.bytes { low = middle } else { high = middle - 1 }
        }
        if let forced, 8 * low < forced {
            throw .tileTooLarge(path: path, width: size.width, height: size.height, tile: forced, needed: needed(forced),
                                available: available.bytes, source: available.source, largestFittingTile: 8 * low)
        }
        return 8 * low
    }

    /// A byte count as a `--max-memory` value that covers it: mebibytes rounded up (`412M`).
    public static func flagValue(_ bytes: Int) -> String { "\((bytes + (1 << 20) - 1) >> 20)M" }

    /// Refuses a stylization of `path` (a source of `source` pixels, sized by `sizing`) with styles
    /// sized `styles` when its estimate exceeds `available`, saying the largest `--content-size`
    /// that would fit.
    public static func check(
        path: String, source: (width: Int, height: Int), sizing: ImageSizing, styles: [(width: Int, height: Int)],
        sourcePixels: Int, available: (bytes: Int, source: String), masks: Masks? = nil
    ) throws(StyleTransferError) {
        func needed(_ sizing: ImageSizing) -> (bytes: Int, size: (width: Int, height: Int)) {
            guard let size = sizing.sizedDimensions(width: source.width, height: source.height) else { return (.max, source) }
            return (peakBytes(content: size, styles: styles, sourcePixels: sourcePixels, masks: masks), size)
        }
        let (bytes, size) = needed(sizing)
        guard bytes > available.bytes else { return }
        throw .insufficientMemory(path: path, width: size.width, height: size.height, needed: bytes, available: available.bytes,
                                  source: available.source, largestFittingSize: largestFittingSize(sizing, available: available.bytes) { needed($0).bytes })
    }

    /// The largest `--content-size` (in `sizing`'s crop and shape) whose estimate `needed` fits in
    /// `available` bytes, by bisection (the estimate grows with the size); nil when none does.
    private static func largestFittingSize(_ sizing: ImageSizing, available: Int, needed: (ImageSizing) -> Int) -> Int? {
        var (low, high) = (VGGEncoder.minimumImageSide - 1, ImageSizing.maximumSize)
        while low < high {
            let middle = (low + high + 1) / 2
            if needed(ImageSizing(size: middle, crop: sizing.crop, shape: sizing.shape)) <= available { low = middle } else { high = middle - 1 }
        }
        return low >= VGGEncoder.minimumImageSide ? low : nil
    }

    /// Bytes for messages: `1.2 GB`, `350 MB` (powers of 1000).
    public static func format(_ bytes: Int) -> String {
        bytes >= 1_000_000_000 ? String(format: "%.1f GB", Double(bytes) / 1e9) : String(format: "%.0f MB", Double(bytes) / 1e6)
    }
}

extension ImageSizing {
    /// Whether an image sized so is resized or cropped after it is decoded, rather than kept as the
    /// file decodes it (size 0, no crop): a tiled stylization then reads it as floats first
    /// (``StylizationMemory/tiledPeakBytes(content:tile:styles:sourcePixels:keepsFeatures:resizes:output:resizedBack:measuring:masks:)``).
    var resizes: Bool { size != 0 || crop }

    /// The size a stylization of a `width` x `height` image is resized back to after it is decoded
    /// (``Shape/square`` with a size other than the sized image's: the read image's, cropped), or
    /// nil when it keeps the sized image's size (``loadGivingBack(path:minimumSide:)``).
    func resizedBackDimensions(width: Int, height: Int) -> (width: Int, height: Int)? {
        guard shape == .square, let sized = sizedDimensions(width: width, height: height) else { return nil }
        let own = crop ? (width: min(width, height), height: min(width, height)) : (width: width, height: height)
        return own == sized ? nil : own
    }
}
