// Forward 3x3 stride-1 convolution by Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray
// 2016): input and output transforms here, in SIMD over the channels of a block, and the 36
// elementwise products as matrix products by OpenBLAS's sgemm.

import COpenBLAS
import Foundation

/// The matrices of F(4x4, 3x3) with the interpolation points 0, 1, -1, 2, -2 and infinity
/// (Lavin & Gray's): an output tile `Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` of 4x4 pixels from an input
/// tile `d` of 6x6 and a kernel `g` of 3x3.
///
/// These points keep the transforms' coefficients small (at most 5 in `Bᵀ`, 8 in `Aᵀ`): the
/// rounding error of the 36 products grows with them, and larger tiles (F(6x6, 3x3)) need points
/// such as ±1/2 whose error is an order of magnitude larger, beyond the 1e-4 the layers allow.
enum WinogradF4x3 {
    /// Pixels of an input tile's side, of an output tile's side, and products per tile.
    static let inputSide = 6
    static let outputSide = 4
    static let products = 36

    /// G (6x3) applied to 3 values (a column or a row of a kernel), in Double, when the weights
    /// are transformed: the rows of G are (1/4, 0, 0), -(1, 1, 1)/6, -(1, -1, 1)/6,
    /// (1/24, 1/12, 1/6), (1/24, -1/12, 1/6) and (0, 0, 1).
    @inline(__always)
    static func kernel(_ g0: Double, _ g1: Double, _ g2: Double) -> (Double, Double, Double, Double, Double, Double) {
        let (outer, middle) = (g0 + g2, g1)
        return (g0 / 4, -(outer + middle) / 6, -(outer - middle) / 6,
                g0 / 24 + g1 / 12 + g2 / 6, g0 / 24 - g1 / 12 + g2 / 6, g2)
    }

    /// Bᵀ applied to 6 values (a column or a row of an input tile).
    @inline(__always)
    static func input(_ d0: SIMD8<Float>, _ d1: SIMD8<Float>, _ d2: SIMD8<Float>, _ d3: SIMD8<Float>, _ d4: SIMD8<Float>, _ d5: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let four: SIMD8<Float> = .init(repeating: 4), five: SIMD8<Float> = .init(repeating: 5), two: SIMD8<Float> = .init(repeating: 2)
        let r0 = four * d0 - five * d2 + d4
        let r1 = (d3 + d4) - four * (d1 + d2)
        let r2 = four * (d1 - d2) + (d4 - d3)
        let r3 = two * (d3 - d1) + (d4 - d2)
        let r4 = two * (d1 - d3) + (d4 - d2)
        let r5 = four * d1 - five * d3 + d5
        return (r0, r1, r2, r3, r4, r5)
    }

    /// Aᵀ applied to 6 values (a column or a row of a tile of products).
    @inline(__always)
    static func output(_ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>, _ m4: SIMD8<Float>, _ m5: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let two: SIMD8<Float> = .init(repeating: 2), four: SIMD8<Float> = .init(repeating: 4), eight: SIMD8<Float> = .init(repeating: 8)
        let (sum12, difference12) = (m1 + m2, m1 - m2)
        let (sum34, difference34) = (m3 + m4, m3 - m4)
        return (m0 + sum12 + sum34, difference12 + two * difference34, sum12 + four * sum34, difference12 + eight * difference34 + m5)
    }
}

/// A 3x3 convolution's weights transformed for ``WinogradConvolutionForward``: 36 matrices
/// `U[ξ]` of `inputWidth x outputWidth` (input channel major, row-major), `U[ξ][c][o] = (G g[o][c] Gᵀ)[ξ]`,
/// and the bias; channels that pad a channel block have zero weights and bias.
final class WinogradWeights: Sendable {
    /// Input channels rounded up to the input's channel blocks (the products' inner dimension).
    let inputWidth: Int
    /// Output channels rounded up to the output's channel blocks.
    let outputWidth: Int
    let matrices: AlignedBuffer
    let bias: AlignedBuffer

    /// Transforms `parameters` (3x3) once; sums are formed in Double.
    ///
    /// The cores take input channels `c` and each runs over the output channels `o`, so that each of
    /// the 36 matrices is written along its rows, one cache line after the other (the loop over `o`
    /// outside and `c` inside wrote a new cache line of each matrix per value). Only matrices with
    /// channels padding a block are zeroed first. Every process transforms its weights before its
    /// first stylization: on a 2-core Zen 3 (AVX2), pytorch-AdaIN's weights took 126-151 ms of CPU
    /// this way against 164-190 ms before (perf samples, three interleaved cold 512x512 runs each).
    init(_ parameters: ConvolutionWeights, inputWidth: Int, outputWidth: Int) {
        precondition(parameters.kernelHeight == 3 && parameters.kernelWidth == 3, "Winograd F(4x4, 3x3) needs a 3x3 kernel")
        precondition(inputWidth >= parameters.inChannels && outputWidth >= parameters.outChannels && outputWidth % 8 == 0)
        self.inputWidth = inputWidth
        self.outputWidth = outputWidth
        let (ic, oc) = (parameters.inChannels, parameters.outChannels)
        let matrices = AlignedBuffer(count: WinogradF4x3.products * inputWidth * outputWidth)
        if ic < inputWidth || oc < outputWidth { matrices.pointer.update(repeating: 0, count: matrices.count) }
        let out = UncheckedSendable(matrices.pointer)
        parameters.weight.withUnsafeBufferPointer { weight in
            let weight = UncheckedSendable(weight.baseAddress!)
            parallelFor(ic, costPerItem: oc * 36 * 12) { c in
                for o in 0 ..< oc {
                    let g = weight.value + (o * ic + c) * 9
                    // G g (6x3), column by column; then each of its rows times Gᵀ (6x6).
                    let a = WinogradF4x3.kernel(Double(g[0]), Double(g[3]), Double(g[6]))
                    let b = WinogradF4x3.kernel(Double(g[1]), Double(g[4]), Double(g[7]))
                    let d = WinogradF4x3.kernel(Double(g[2]), Double(g[5]), Double(g[8]))
                    let (target, stride) = (out.value + c * outputWidth + o, inputWidth * outputWidth)
                    func store(_ i: Int, _ row: (Double, Double, Double, Double, Double, Double)) {
                        let first = target + i * 6 * stride
                        (first[0], first[stride], first[2 * stride]) = (Float(row.0), Float(row.1), Float(row.2))
                        (first[3 * stride], first[4 * stride], first[5 * stride]) = (Float(row.3), Float(row.4), Float(row.5))
                    }
                    store(0, WinogradF4x3.kernel(a.0, b.0, d.0))
                    store(1, WinogradF4x3.kernel(a.1, b.1, d.1))
                    store(2, WinogradF4x3.kernel(a.2, b.2, d.2))
                    store(3, WinogradF4x3.kernel(a.3, b.3, d.3))
                    store(4, WinogradF4x3.kernel(a.4, b.4, d.4))
                    store(5, WinogradF4x3.kernel(a.5, b.5, d.5))
                }
            }
        }
        self.matrices = matrices
        bias = parameters.paddedBias(width: outputWidth)
    }
}

/// One 3x3 stride-1 convolution layer by F(4x4, 3x3) for one input size.
///
/// input is (N, IC, H, W) channel-blocked (8 or 16) with a halo of q = the layer's padding already
/// filled (reflection or zeros, as for ``ConvolutionForward``); output is (N, OC, H + 2q - 2, W + 2q - 2),
/// whose interior is written (bias added, ReLU applied if asked, channels padding the last block
/// zero) and whose halo is left for ``fillHalo(_:_:)``.
///
/// The output is cut into 4x4 tiles, each reading the 6x6 input pixels from its corner on (tiles
/// at the right and bottom edges read zeros past the padded input and keep only their pixels
/// inside the output). Tiles are taken in chunks of ``chunkTiles`` at most by the cores in turn
/// (``ChunkedWork``); per chunk, the input transform writes `V[ξ]` (tiles x inputWidth), 36 sgemms
/// give `M[ξ] = V[ξ] U[ξ]` (tiles x outputWidth), and the output transform writes the pixels. Each core has its own `V`
/// and `M` in the scratch (``scratchCount``) and calls a single-threaded OpenBLAS
/// (``OpenBLAS/configure()``), so the chunks, not the products, are what runs in parallel.
final class WinogradConvolutionForward: Sendable {
    let input: ActivationLayout
    let output: ActivationLayout
    let weights: WinogradWeights
    let relu: Bool
    let tilesDown: Int
    let tilesAcross: Int
    /// The tiles in chunks that the cores take in turn.
    let work: ChunkedWork

    /// Tiles per chunk: V and M of a chunk then hold at most 36 x 128 x (256 + 512) floats (14 MB,
    /// the 256 -> 512 convolution), and the products have 128 rows, enough for OpenBLAS's kernels.
    static let chunkTiles = 128

    /// Whether the layer can run this way: a 3x3 kernel, and a channel-blocked input (the plain
    /// NCHW input of a first convolution has no block of channels to vectorise over).
    static func suits(_ parameters: ConvolutionWeights, input: ActivationLayout) -> Bool {
        parameters.kernelHeight == 3 && parameters.kernelWidth == 3 && input.block % 8 == 0
    }

    init(_ parameters: ConvolutionWeights, input: ActivationLayout, output: ActivationLayout, relu: Bool, weights: WinogradWeights) {
        precondition(Self.suits(parameters, input: input) && output.block % 8 == 0)
        precondition(input.channels == parameters.inChannels && output.channels == parameters.outChannels && output.batch == input.batch)
        precondition(output.height == input.paddedHeight - 2 && output.width == input.paddedWidth - 2)
        precondition(weights.inputWidth == input.channelBlocks * input.block && weights.outputWidth == output.channelBlocks * output.block)
        OpenBLAS.configure()
        self.input = input
        self.output = output
        self.weights = weights
        self.relu = relu
        tilesDown = (output.height + 3) / 4
        tilesAcross = (output.width + 3) / 4
        work = ChunkedWork(items: input.batch * tilesDown * tilesAcross, largestChunk: Self.chunkTiles)
    }

    /// Floats of scratch per core: V then M of one chunk.
    private var scratchPerWorker: Int { WinogradF4x3.products * work.chunk * (weights.inputWidth + weights.outputWidth) }

    /// Floats of scratch a pass needs (``forward(input:output:scratch:)``).
    var scratchCount: Int { work.workers * scratchPerWorker }

    /// input and output are buffers laid out as ``input`` and ``output``; scratch holds at least
    /// ``scratchCount`` floats.
    func forward(input data: UnsafePointer<Float>, output result: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let tiles = input.batch * tilesDown * tilesAcross
        let chunk = work.chunk
        let (k, n) = (weights.inputWidth, weights.outputWidth)
        work.run(chunks: (tiles + chunk - 1) / chunk) { worker, index in
            let v = scratch + worker * scratchPerWorker
            let m = v + WinogradF4x3.products * chunk * k
            let first = index * chunk
            let count = min(chunk, tiles - first)
            transformInput(data, tiles: first ..< first + count, into: v)
            for product in 0 ..< WinogradF4x3.products {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(n), Int32(k), 1,
                            v + product * chunk * k, Int32(k), weights.matrices.pointer + product * k * n, Int32(n),
                            0, m + product * chunk * n, Int32(n))
            }
            transformOutput(m, tiles: first ..< first + count, into: result)
        }
    }

    /// The image, tile row and tile column of tile `index`.
    @inline(__always)
    private func position(of index: Int) -> (image: Int, row: Int, column: Int) {
        let (image, rest) = index.quotientAndRemainder(dividingBy: tilesDown * tilesAcross)
        let (row, column) = rest.quotientAndRemainder(dividingBy: tilesAcross)
        return (image, row, column)
    }

    /// `V[ξ][t][c] = (Bᵀ d B)[ξ]` for the tiles `t` of `tiles` (numbered from its first) and every
    /// input channel `c`, 8 channels at a time.
    private func transformInput(_ data: UnsafePointer<Float>, tiles: Range<Int>, into v: UnsafeMutablePointer<Float>) {
        let layout = input
        let (b, k, stride) = (layout.block, weights.inputWidth, work.chunk * weights.inputWidth)
        var d = [SIMD8<Float>](repeating: .zero, count: 36)
        d.withUnsafeMutableBufferPointer { d in
            let d = d.baseAddress!
            for tile in tiles {
                let (image, row, column) = position(of: tile)
                let (top, left) = (row * 4, column * 4)
                for group in 0 ..< k / 8 {
                    let (channelBlock, lane) = (group * 8 / b, group * 8 % b)
                    let plane = data + (image * layout.channelBlocks + channelBlock) * layout.planeStride + lane
                    if top + 6 <= layout.paddedHeight && left + 6 <= layout.paddedWidth {
                        for y in 0 ..< 6 {
                            let pixels = plane + (top + y) * layout.rowStride + left * b
                            for x in 0 ..< 6 { d[y * 6 + x] = UnsafeRawPointer(pixels + x * b).loadUnaligned(as: SIMD8<Float>.self) }
                        }
                    } else {
                        for y in 0 ..< 6 {
                            for x in 0 ..< 6 {
                                let inside = top + y < layout.paddedHeight && left + x < layout.paddedWidth
                                d[y * 6 + x] = inside
                                    ? UnsafeRawPointer(plane + (top + y) * layout.rowStride + (left + x) * b).loadUnaligned(as: SIMD8<Float>.self)
                                    : .zero
                            }
                        }
                    }
                    // Bᵀ d: columns, in place; then (Bᵀ d) B: rows, in place.
                    for x in 0 ..< 6 {
                        let r = WinogradF4x3.input(d[x], d[6 + x], d[12 + x], d[18 + x], d[24 + x], d[30 + x])
                        (d[x], d[6 + x], d[12 + x], d[18 + x], d[24 + x], d[30 + x]) = r
                    }
                    let target = v + (tile - tiles.lowerBound) * k + group * 8
                    for y in 0 ..< 6 {
                        let r = WinogradF4x3.input(d[y * 6], d[y * 6 + 1], d[y * 6 + 2], d[y * 6 + 3], d[y * 6 + 4], d[y * 6 + 5])
                        let base = target + y * 6 * stride
                        UnsafeMutableRawPointer(base).storeBytes(of: r.0, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(base + stride).storeBytes(of: r.1, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(base + 2 * stride).storeBytes(of: r.2, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(base + 3 * stride).storeBytes(of: r.3, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(base + 4 * stride).storeBytes(of: r.4, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(base + 5 * stride).storeBytes(of: r.5, as: SIMD8<Float>.self)
                    }
                }
            }
        }
    }

    /// The output pixels `Aᵀ M A + bias` (ReLU if asked) of the tiles of `tiles`, 8 output
    /// channels at a time; pixels past the output's edge are not written.
    private func transformOutput(_ m: UnsafePointer<Float>, tiles: Range<Int>, into result: UnsafeMutablePointer<Float>) {
        let layout = output
        let (b, n, stride) = (layout.block, weights.outputWidth, work.chunk * weights.outputWidth)
        var s = [SIMD8<Float>](repeating: .zero, count: 24)
        s.withUnsafeMutableBufferPointer { s in
            let s = s.baseAddress!
            for tile in tiles {
                let (image, row, column) = position(of: tile)
                let (top, left) = (row * 4, column * 4)
                for group in 0 ..< n / 8 {
                    let (channelBlock, lane) = (group * 8 / b, group * 8 % b)
                    let bias = UnsafeRawPointer(weights.bias.pointer + group * 8).loadUnaligned(as: SIMD8<Float>.self)
                    let source = m + (tile - tiles.lowerBound) * n + group * 8
                    // Aᵀ M: the 6 columns of products to 4 rows (s, 4 x 6).
                    for x in 0 ..< 6 {
                        func load(_ y: Int) -> SIMD8<Float> { UnsafeRawPointer(source + (y * 6 + x) * stride).loadUnaligned(as: SIMD8<Float>.self) }
                        let r = WinogradF4x3.output(load(0), load(1), load(2), load(3), load(4), load(5))
                        (s[x], s[6 + x], s[12 + x], s[18 + x]) = r
                    }
                    let plane = result + layout.offset(plane: image * layout.channelBlocks + channelBlock, y: 0, x: 0) + lane
                    let columns = min(4, layout.width - left)
                    for y in 0 ..< min(4, layout.height - top) {
                        let r = WinogradF4x3.output(s[y * 6], s[y * 6 + 1], s[y * 6 + 2], s[y * 6 + 3], s[y * 6 + 4], s[y * 6 + 5])
                        var pixels = (r.0 + bias, r.1 + bias, r.2 + bias, r.3 + bias)
                        if relu {
                            pixels = (pixels.0.replacing(with: 0, where: pixels.0 .< 0), pixels.1.replacing(with: 0, where: pixels.1 .< 0),
                                      pixels.2.replacing(with: 0, where: pixels.2 .< 0), pixels.3.replacing(with: 0, where: pixels.3 .< 0))
                        }
                        let rowStart = plane + (top + y) * layout.rowStride + left * b
                        UnsafeMutableRawPointer(rowStart).storeBytes(of: pixels.0, as: SIMD8<Float>.self)
                        if columns > 1 { UnsafeMutableRawPointer(rowStart + b).storeBytes(of: pixels.1, as: SIMD8<Float>.self) }
                        if columns > 2 { UnsafeMutableRawPointer(rowStart + 2 * b).storeBytes(of: pixels.2, as: SIMD8<Float>.self) }
                        if columns > 3 { UnsafeMutableRawPointer(rowStart + 3 * b).storeBytes(of: pixels.3, as: SIMD8<Float>.self) }
                    }
                }
            }
        }
    }
}

extension ConvolutionWeights {
    /// The bias in an aligned buffer of `width` floats (the output channels rounded up to their
    /// blocks), zero past the last channel: what the convolutions written here add to each output.
    func paddedBias(width: Int) -> AlignedBuffer {
        precondition(width >= outChannels)
        let padded = AlignedBuffer(count: width)
        padded.pointer.update(repeating: 0, count: width)
        bias.withUnsafeBufferPointer { padded.pointer.update(from: $0.baseAddress!, count: outChannels) }
        return padded
    }
}

/// OpenBLAS as the Winograd convolutions use it.
enum OpenBLAS {
    /// Makes OpenBLAS single-threaded, once per process: each core already runs its own chunk of
    /// tiles (``WinogradConvolutionForward``), and OpenBLAS's own threads would compete with them
    /// for the same cores (and spin while they wait).
    static func configure() { _ = configured }

    private static let configured: Bool = {
        openblas_set_num_threads(1)
        return true
    }()
}

/// The OpenBLAS kernel that runs the Winograd products, e.g. `"OpenBLAS 0.3.21, kernel Haswell,
/// 1 thread"`: the core type is what `OPENBLAS_CORETYPE` forced or what OpenBLAS detected.
public var blasDescription: String {
    OpenBLAS.configure()
    let core = openblas_get_corename().map { String(cString: $0) } ?? "?"
    let threads = openblas_get_num_threads()
    return "OpenBLAS kernel \(core), \(threads) thread\(threads == 1 ? "" : "s")"
}
