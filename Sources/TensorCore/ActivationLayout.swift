// The memory layout of activations inside a forward pass: channel-blocked planes with a halo of
// reflection padding stored around them, so that a 3x3 convolution reads its padded input directly.

import CDNNL
import Foundation

/// Where the values of a (N, C, H, W) activation live in a forward pass's buffer.
///
/// Channels are grouped in blocks of `block` (oneDNN's `nChw8c` / `nChw16c`; `block == 1` is plain
/// NCHW). Each (n, channel block) is a *plane* of `paddedHeight x paddedWidth` pixels of `block`
/// floats, where the `halo` outermost rows and columns hold the reflection padding of the
/// `height x width` interior. Channels beyond `channels` in the last block are zero, as oneDNN
/// requires. The float of channel `c` at interior pixel `(y, x)` of image `n` is at
/// `offset(plane: n * channelBlocks + c / block, y: y, x: x) + c % block`.
struct ActivationLayout: Equatable, Sendable {
    let batch: Int
    let channels: Int
    let height: Int
    let width: Int
    let block: Int
    let halo: Int
    /// Whether the halo holds zero padding (`nn.Conv2d(padding=p)`) rather than the reflection of
    /// the interior (`nn.ReflectionPad2d(p)`).
    var zeroHalo = false

    var channelBlocks: Int { (channels + block - 1) / block }
    var planes: Int { batch * channelBlocks }
    var paddedHeight: Int { height + 2 * halo }
    var paddedWidth: Int { width + 2 * halo }
    /// Floats from one row of a plane to the next.
    var rowStride: Int { paddedWidth * block }
    /// Floats from one plane to the next.
    var planeStride: Int { paddedHeight * rowStride }
    /// Floats in the whole activation, halo and zero channels included.
    var count: Int { planes * planeStride }

    /// The index of the first float of interior pixel `(y, x)` of `plane`; `y` and `x` may reach
    /// into the halo (`-halo ..< height + halo`).
    @inline(__always)
    func offset(plane: Int, y: Int, x: Int) -> Int {
        plane * planeStride + (y + halo) * rowStride + (x + halo) * block
    }

    /// oneDNN's descriptor of the whole buffer, halo included: dims (N, C, paddedHeight, paddedWidth).
    func descriptor() throws(DNNLError) -> dnnl_memory_desc_t {
        let tag: dnnl_format_tag_t
        switch block {
        case 1: tag = dnnl_nchw
        case 8: tag = dnnl_nChw8c
        case 16: tag = dnnl_nChw16c
        default: preconditionFailure("unsupported channel block \(block)")
        }
        return try memoryDescriptor([batch, channels, paddedHeight, paddedWidth], tag)
    }

    /// The channel block oneDNN's convolutions prefer on this CPU: 16 with AVX-512, 8 with AVX2 or
    /// SSE4.1 (found by asking oneDNN for a convolution's preferred destination layout).
    ///
    /// The environment variable `STYLECTL_CHANNEL_BLOCK` (8 or 16) overrides it, to test the other
    /// layout on a machine that does not prefer it (oneDNN then runs slower, generic kernels). A
    /// refused value is ignored here: ``EngineEnvironment/checkProcess()`` reports it, and commands
    /// refuse to start.
    static let nativeBlock: Int = {
        if let forced = (try? EngineEnvironment.process.get())?.channelBlock { return forced }
        do {
            var any = try memoryDescriptor([1, 32, 8, 8], dnnl_format_tag_any)
            var weights = try memoryDescriptor([32, 32, 3, 3], dnnl_format_tag_any)
            var output = try memoryDescriptor([1, 32, 8, 8], dnnl_format_tag_any)
            var operation = dnnl_convolution_desc_t()
            try check(dnnl_convolution_forward_desc_init(
                &operation, dnnl_forward_inference, dnnl_convolution_direct, &any, &weights, nil, &output,
                [1, 1], [1, 1], [1, 1]), "dnnl_convolution_forward_desc_init (layout probe)")
            let descriptor = try DNNLPrimitiveDescriptor(operation: &operation, attributes: nil, what: "layout probe")
            let md = descriptor.memoryDescriptor(dnnl_query_dst_md)
            let blocking = md.format_desc.blocking
            if md.format_kind == dnnl_blocked, blocking.inner_nblks == 1, blocking.inner_idxs.0 == 1,
               blocking.inner_blks.0 == 16 {
                return 16
            }
            return 8
        } catch {
            fatalError("oneDNN cannot describe a convolution: \(error)")
        }
    }()
}
