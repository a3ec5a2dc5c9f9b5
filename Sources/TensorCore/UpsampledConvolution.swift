// Forward 3x3 convolution (padding 1) of a nearest-2x-upsampled input, computed from the input
// before upsampling: four 2x2 convolutions, one per output phase, as matrix products by OpenBLAS.

import COpenBLAS
import Foundation

/// The decomposition: output pixel `(2i + py, 2j + px)` of `conv3x3(pad(upsample(x)))` reads the
/// upsampled rows `2i + py - 1 ... 2i + py + 1`, which are the rows `i - 1, i, i` of `x` for
/// `py = 0` and `i, i, i + 1` for `py = 1` (columns alike). So each of the four phases `(py, px)`
/// is a 2x2 convolution of `x` whose taps are sums of the 3x3 kernel's taps (``taps(phase:)``):
/// 16 products per pixel of `x` and output channel pair instead of the 36 of the 3x3 convolution
/// over the 4 upsampled pixels, and no upsampled activation is written.
///
/// The padding of the upsampled image is a padding of `x` by one pixel: reflection of `upsample(x)`
/// by one (`u[-1] = u[1] = x[0]`, `u[2H] = u[2H - 2] = x[H - 1]`) is the replication of `x`'s edge,
/// and zero padding stays zero padding. Up to float summation order the result is the layer pair's.
enum UpsampledConvolutionPhases {
    /// For a phase along one axis (0: even output rows or columns, 1: odd ones), the offsets into
    /// `x` of its two taps (-1 or 0, 0 or 1) and the kernel rows (or columns) each sums.
    static func taps(phase: Int) -> [(offset: Int, kernel: [Int])] {
        phase == 0 ? [(-1, [0]), (0, [1, 2])] : [(0, [0, 1]), (1, [2])]
    }
}

/// A 3x3 convolution's weights combined for ``UpsampledConvolutionForward``: for each phase
/// `(py, px)` (index `2 py + px`) and tap `(a, b)` (index `2 a + b`, in the order of
/// ``UpsampledConvolutionPhases/taps(phase:)``), a matrix of `inputWidth x outputWidth` (input
/// channel major, row-major) whose entry `[c][o]` sums the kernel taps `g[o][c]` that fall on that
/// tap; then the bias. Channels that pad a channel block have zero weights and bias.
final class UpsampledConvolutionWeights: Sendable {
    /// Input channels rounded up to the input's channel blocks (the products' inner dimension).
    let inputWidth: Int
    /// Output channels rounded up to the output's channel blocks.
    let outputWidth: Int
    let matrices: AlignedBuffer
    let bias: AlignedBuffer

    /// Combines `parameters` (3x3) once; sums are formed in Double.
    init(_ parameters: ConvolutionWeights, inputWidth: Int, outputWidth: Int) {
        precondition(parameters.kernelHeight == 3 && parameters.kernelWidth == 3, "the upsampled convolution needs a 3x3 kernel")
        precondition(inputWidth >= parameters.inChannels && outputWidth >= parameters.outChannels && outputWidth % 8 == 0)
        self.inputWidth = inputWidth
        self.outputWidth = outputWidth
        let (ic, oc) = (parameters.inChannels, parameters.outChannels)
        let matrixCount = inputWidth * outputWidth
        let matrices = AlignedBuffer(count: 16 * matrixCount)
        matrices.pointer.update(repeating: 0, count: matrices.count)
        let out = UncheckedSendable(matrices.pointer)
        parameters.weight.withUnsafeBufferPointer { weight in
            let weight = UncheckedSendable(weight.baseAddress!)
            parallelFor(ic, costPerItem: oc * 16 * 4) { c in
                for py in 0 ..< 2 {
                    for px in 0 ..< 2 {
                        for (a, rows) in UpsampledConvolutionPhases.taps(phase: py).enumerated() {
                            for (b, columns) in UpsampledConvolutionPhases.taps(phase: px).enumerated() {
                                let target = out.value + ((2 * py + px) * 4 + 2 * a + b) * matrixCount + c * outputWidth
                                for o in 0 ..< oc {
                                    let g = weight.value + (o * ic + c) * 9
                                    var sum = 0.0
                                    for ky in rows.kernel { for kx in columns.kernel { sum += Double(g[ky * 3 + kx]) } }
                                    target[o] = Float(sum)
                                }
                            }
                        }
                    }
                }
            }
        }
        self.matrices = matrices
        bias = parameters.paddedBias(width: outputWidth)
    }
}

/// `nn.Upsample(scale_factor=2, mode='nearest')` followed by a 3x3 stride-1 convolution with
/// padding 1 (reflection or zero, as the output's layer pads), for one input size, by
/// ``UpsampledConvolutionPhases``.
///
/// input is (N, IC, H, W) channel-blocked (8 or 16), any halo (not read); output is
/// (N, OC, 2H, 2W), whose interior is written (bias added, ReLU applied if asked, channels padding
/// the last block zero) and whose halo is left for ``fillHalo(_:_:)``.
///
/// The pass first copies each image as pixel-major rows of `inputWidth` floats with a border of
/// one pixel (`(H + 2) x (W + 2)` pixels: `x`'s edge replicated, or zeros). A tap at offset
/// `(dy, dx)` of a bordered pixel is then the pixel `dy (W + 2) + dx` further on. The products run
/// over consecutive bordered pixels (the border columns' are computed and dropped), in chunks of
/// ``chunkRows`` that the cores take in turn: per chunk and phase, each pixel's four taps are
/// gathered into one row of `4 x inputWidth` floats, one sgemm multiplies the rows by the phase's
/// four stacked matrices into `M` (rows x outputWidth), and `M` is written to the phase's output
/// pixels. Each core has its own gathered rows and `M` in the scratch and calls a single-threaded
/// OpenBLAS (``OpenBLAS/configure()``). Stacking the taps makes one product of inner dimension
/// 4 x inputWidth per phase, and `M` is written once, rather than four of inputWidth accumulating
/// into it (sgemm is least efficient at the small inner dimensions of the 64-channel layers).
final class UpsampledConvolutionForward: Sendable {
    let input: ActivationLayout
    let output: ActivationLayout
    let weights: UpsampledConvolutionWeights
    let relu: Bool
    /// Whether the border is zero padding (else replication: reflection of the upsampled image).
    let zeroPadding: Bool
    /// The rows of the products in chunks that the cores take in turn.
    let work: ChunkedWork

    /// Rows per chunk: for the 64 channels the automatic rule fuses, the gathered rows and `M`
    /// are then 320 KB, inside one core's L2 on Zen 3 (512 KB), and the products have enough rows
    /// for OpenBLAS's kernels.
    static let chunkRows = 256

    /// Whether the pair can run this way: a 3x3 kernel with padding 1 after the upsampling, and a
    /// channel-blocked input.
    static func suits(_ parameters: ConvolutionWeights, padding: Int, input: ActivationLayout) -> Bool {
        parameters.kernelHeight == 3 && parameters.kernelWidth == 3 && padding == 1 && input.block % 8 == 0
    }

    init(_ parameters: ConvolutionWeights, input: ActivationLayout, output: ActivationLayout, relu: Bool, zeroPadding: Bool,
         weights: UpsampledConvolutionWeights) {
        precondition(input.block % 8 == 0 && output.block % 8 == 0)
        precondition(input.channels == parameters.inChannels && output.channels == parameters.outChannels && output.batch == input.batch)
        precondition(output.height == 2 * input.height && output.width == 2 * input.width)
        precondition(weights.inputWidth == input.channelBlocks * input.block && weights.outputWidth == output.channelBlocks * output.block)
        OpenBLAS.configure()
        self.input = input
        self.output = output
        self.weights = weights
        self.relu = relu
        self.zeroPadding = zeroPadding
        work = ChunkedWork(items: input.batch * Self.rowsPerImage(input), largestChunk: Self.chunkRows)
    }

    /// Pixels of one bordered image.
    private static func borderedPixels(_ input: ActivationLayout) -> Int { (input.height + 2) * (input.width + 2) }

    /// The rows of the products per image: from the bordered pixel (1, 1) to (H, W), so that every
    /// tap's shifted rows stay inside the bordered image.
    private static func rowsPerImage(_ input: ActivationLayout) -> Int { (input.height - 1) * (input.width + 2) + input.width }

    /// Floats of the bordered copy of the input (``forward(input:bordered:output:scratch:)``).
    var borderedCount: Int { input.batch * Self.borderedPixels(input) * weights.inputWidth }

    /// Floats of scratch per core: the gathered taps of a chunk, then its products `M`.
    private var scratchPerWorker: Int { work.chunk * (4 * weights.inputWidth + weights.outputWidth) }

    /// Floats of scratch a pass needs (``forward(input:bordered:output:scratch:)``): each core's
    /// gathered taps and products.
    var scratchCount: Int { work.workers * scratchPerWorker }

    /// input and output are buffers laid out as ``input`` and ``output``; bordered holds at least
    /// ``borderedCount`` floats (a forward pass puts them after the input in its buffer, which is
    /// sized for the upsampled activation: four times the input's floats and more), and scratch at
    /// least ``scratchCount``.
    func forward(input data: UnsafePointer<Float>, bordered: UnsafeMutablePointer<Float>, output result: UnsafeMutablePointer<Float>,
                 scratch: UnsafeMutablePointer<Float>) {
        copyBordered(data, into: bordered)
        let perImage = Self.rowsPerImage(input)
        let chunk = work.chunk
        let chunksPerImage = (perImage + chunk - 1) / chunk
        let (k, n, across) = (weights.inputWidth, weights.outputWidth, input.width + 2)
        // Per phase (2 py + px), the offsets of its four taps from a bordered pixel, in the order of
        // the stacked matrices.
        let offsets = (0 ..< 4).map { phase in
            UpsampledConvolutionPhases.taps(phase: phase / 2).flatMap { rowTap in
                UpsampledConvolutionPhases.taps(phase: phase % 2).map { columnTap in rowTap.offset * across + columnTap.offset }
            }
        }
        work.run(chunks: input.batch * chunksPerImage) { worker, index in
            let gathered = scratch + worker * scratchPerWorker
            let m = gathered + chunk * 4 * k
            // Chunks do not cross images.
            let (image, chunkInImage) = index.quotientAndRemainder(dividingBy: chunksPerImage)
            let firstRow = chunkInImage * chunk
            let count = min(chunk, perImage - firstRow)
            let first = across + 1 + firstRow
            let pixels = bordered + image * Self.borderedPixels(input) * k
            for py in 0 ..< 2 {
                for px in 0 ..< 2 {
                    // Each row of `gathered`: the pixel's four taps, input channels of each in turn.
                    for r in 0 ..< count {
                        for (tap, offset) in offsets[2 * py + px].enumerated() {
                            (gathered + (r * 4 + tap) * k).update(from: pixels + (first + r + offset) * k, count: k)
                        }
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(n), Int32(4 * k), 1,
                                gathered, Int32(4 * k), weights.matrices.pointer + (2 * py + px) * 4 * k * n, Int32(n), 0, m, Int32(n))
                    scatter(m, image: image, firstPixel: first, count: count, py: py, px: px, into: result)
                }
            }
        }
    }

    /// Copies `data` into `bordered`: per image, `(H + 2) x (W + 2)` pixels of ``UpsampledConvolutionWeights/inputWidth``
    /// floats (the channel blocks one after the other), the border replicating the edge or zero.
    private func copyBordered(_ data: UnsafePointer<Float>, into bordered: UnsafeMutablePointer<Float>) {
        let layout = input
        let (h, w, b, k) = (layout.height, layout.width, layout.block, weights.inputWidth)
        let zero = zeroPadding
        let out = UncheckedSendable(bordered)
        parallelFor(layout.batch * (h + 2), costPerItem: (w + 2) * k) { item in
            let (image, row) = item.quotientAndRemainder(dividingBy: h + 2)
            let target = out.value + (image * (h + 2) + row) * (w + 2) * k
            let sourceRow = min(max(row - 1, 0), h - 1)
            if zero && (row == 0 || row == h + 1) {
                target.update(repeating: 0, count: (w + 2) * k)
                return
            }
            for column in 0 ..< w + 2 {
                let pixel = target + column * k
                if zero && (column == 0 || column == w + 1) {
                    pixel.update(repeating: 0, count: k)
                    continue
                }
                let sourceColumn = min(max(column - 1, 0), w - 1)
                for block in 0 ..< layout.channelBlocks {
                    let source = data + layout.offset(plane: image * layout.channelBlocks + block, y: sourceRow, x: sourceColumn)
                    (pixel + block * b).update(from: source, count: b)
                }
            }
        }
    }

    /// Writes the products `m` of `count` consecutive bordered pixels from `firstPixel` (phase
    /// `(py, px)`) to their output pixels, bias added and ReLU applied if asked; border pixels are
    /// dropped.
    private func scatter(_ m: UnsafePointer<Float>, image: Int, firstPixel: Int, count: Int, py: Int, px: Int,
                         into result: UnsafeMutablePointer<Float>) {
        let layout = output
        let (b, n, across) = (layout.block, weights.outputWidth, input.width + 2)
        for r in 0 ..< count {
            let (row, column) = (firstPixel + r).quotientAndRemainder(dividingBy: across)
            guard column >= 1 && column <= input.width else { continue }
            let (y, x) = (2 * (row - 1) + py, 2 * (column - 1) + px)
            let source = m + r * n
            for group in 0 ..< n / 8 {
                let bias = UnsafeRawPointer(weights.bias.pointer + group * 8).loadUnaligned(as: SIMD8<Float>.self)
                var pixel = UnsafeRawPointer(source + group * 8).loadUnaligned(as: SIMD8<Float>.self) + bias
                if relu { pixel = pixel.replacing(with: 0, where: pixel .< 0) }
                let (channelBlock, lane) = (group * 8 / b, group * 8 % b)
                let target = result + layout.offset(plane: image * layout.channelBlocks + channelBlock, y: y, x: x) + lane
                UnsafeMutableRawPointer(target).storeBytes(of: pixel, as: SIMD8<Float>.self)
            }
        }
    }
}
