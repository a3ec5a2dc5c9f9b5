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
    public static let fixedBytes = 160 << 20
    /// Tensors and images alive outside the forward passes, per content pixel (see the type's comment).
    public static let tensorBytesPerPixel = 160
    /// A decoded source image before resizing: 3 bytes and 3 floats per pixel, rounded up.
    public static let sourceBytesPerPixel = 16
    /// The channel block assumed: the larger of oneDNN's two (16 with AVX-512, 8 otherwise).
    static let block = 16

    /// The environment variable that replaces `/proc/meminfo`'s MemAvailable (tests, containers).
    public static let limitVariable = "STYLECTL_MAX_MEMORY"

    /// The estimated peak bytes of stylizing content sized `content` with styles sized `styles`,
    /// the images decoded from sources of `sourcePixels` pixels in all (the largest at one time).
    /// Computed in floating point, so absurd sizes give a huge estimate rather than an overflow;
    /// the result saturates at `Int.max`.
    public static func peakBytes(content: (width: Int, height: Int), styles: [(width: Int, height: Int)], sourcePixels: Int) -> Int {
        var pool: [Double] = []
        var peak = 0.0
        func pass(_ sizes: [Double]) {
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
        func encoder(_ size: (width: Int, height: Int)) -> Double {
            largestActivation(VGGEncoder.architecture.dropFirst(), channels: 3, height: Double(size.height), width: Double(size.width)).floats
        }
        let contentEncoder = encoder(content)
        pass([contentEncoder, contentEncoder])
        for style in styles {
            let floats = encoder(style)
            pass([floats, floats])
        }
        let (h, w) = ((Double(content.height) / 8).rounded(.up), (Double(content.width) / 8).rounded(.up))
        let decoder = largestActivation(Decoder.architecture[...], channels: 512, height: h, width: w)
        pass([decoder.floats, decoder.floats, decoder.partialSums])
        let pixels = Double(content.width) * Double(content.height)
        let bytes = Double(fixedBytes) + 4 * peak + Double(tensorBytesPerPixel) * pixels + Double(sourceBytesPerPixel) * Double(sourcePixels)
        return bytes < Double(Int.max) ? Int(bytes) : Int.max
    }

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
    /// 1024) when set, else MemAvailable from `/proc/meminfo`; nil when neither is known (no check).
    public static func available(
        environment: [String: String] = ProcessInfo.processInfo.environment, meminfo: String = "/proc/meminfo"
    ) throws(StyleTransferError) -> (bytes: Int, source: String)? {
        if let setting = environment[limitVariable] {
            guard let bytes = parseBytes(setting) else { throw .invalidMemorySetting(variable: limitVariable, value: setting) }
            return (bytes, "\(limitVariable)=\(setting)")
        }
        guard let text = try? String(contentsOfFile: meminfo, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return (kilobytes * 1024, "MemAvailable in \(meminfo)")
        }
        return nil
    }

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

    /// Refuses the first job whose estimate exceeds the memory available (``available(environment:meminfo:)``;
    /// no check when it is unknown). Image sizes come from the files' headers
    /// (`readImageSize(path:limits:)`), so nothing is decoded; an unreadable header is reported
    /// as the image error it is. Each job is checked alone: buffers kept from an earlier job of
    /// the same sizes are reused, and larger ones are checked as their own job.
    public static func check(jobs: [StylizationJob], contentSizing: ImageSizing, styleSizing: ImageSizing) throws(StyleTransferError) {
        guard let available = try available() else { return }
        var sizes: [String: (width: Int, height: Int)] = [:]
        func size(_ path: String) throws(StyleTransferError) -> (width: Int, height: Int) {
            if let known = sizes[path] { return known }
            let size: (width: Int, height: Int)
            do { size = try readImageSize(path: path) } catch { throw .image(error) }
            sizes[path] = size
            return size
        }
        for job in jobs {
            let source = try size(job.content)
            var styles: [(width: Int, height: Int)] = []
            var sourcePixels = source.width * source.height
            for style in job.styles {
                let styleSource = try size(style)
                sourcePixels = max(sourcePixels, styleSource.width * styleSource.height)
                styles.append(styleSizing.sizedDimensions(width: styleSource.width, height: styleSource.height) ?? (.max, .max))
            }
            try check(path: job.content, source: source, sizing: contentSizing, styles: styles,
                      sourcePixels: sourcePixels, available: available)
        }
    }

    /// Refuses a stylization of `path` (a source of `source` pixels, sized by `sizing`) with styles
    /// sized `styles` when its estimate exceeds `available`, saying the largest `--content-size`
    /// that would fit.
    public static func check(
        path: String, source: (width: Int, height: Int), sizing: ImageSizing, styles: [(width: Int, height: Int)],
        sourcePixels: Int, available: (bytes: Int, source: String)
    ) throws(StyleTransferError) {
        func needed(_ sizing: ImageSizing) -> (bytes: Int, size: (width: Int, height: Int)) {
            guard let size = sizing.sizedDimensions(width: source.width, height: source.height) else { return (.max, source) }
            return (peakBytes(content: size, styles: styles, sourcePixels: sourcePixels), size)
        }
        let (bytes, size) = needed(sizing)
        guard bytes > available.bytes else { return }
        // The estimate grows with the size: the largest fitting size by bisection.
        var (low, high) = (VGGEncoder.minimumImageSide - 1, ImageSizing.maximumSize)
        while low < high {
            let middle = (low + high + 1) / 2
            if needed(ImageSizing(size: middle, crop: sizing.crop, shape: sizing.shape)).bytes <= available.bytes { low = middle } else { high = middle - 1 }
        }
        throw .insufficientMemory(path: path, width: size.width, height: size.height, needed: bytes, available: available.bytes,
                                  source: available.source, largestFittingSize: low >= VGGEncoder.minimumImageSide ? low : nil)
    }

    /// Bytes for messages: `1.2 GB`, `350 MB` (powers of 1000).
    public static func format(_ bytes: Int) -> String {
        bytes >= 1_000_000_000 ? String(format: "%.1f GB", Double(bytes) / 1e9) : String(format: "%.0f MB", Double(bytes) / 1e6)
    }
}
