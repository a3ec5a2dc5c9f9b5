// Forward 2x2 max-pooling with stride 2, ceil mode (PyTorch's MaxPool2d(2, 2, ceil_mode=True)) or
// floor mode (MaxPool2d(2, 2)).

/// Max-pools 2x2 windows with stride 2; the output layout's size says the mode. With ceil mode the
/// output is ceil(H/2) x ceil(W/2) and a window that hangs over the bottom or right edge takes the
/// max of its in-bounds values; with floor mode it is floor(H/2) x floor(W/2) and every window is
/// whole (an odd last row or column is never read).
///
/// input is (N, C, H, W); output is (N, C, ceil or floor(H/2), ceil or floor(W/2)); both blocked
/// (block 8 or 16) with any halo. The output's halo is not written.
func maxPool2x2Forward(_ input: UnsafePointer<Float>, _ inputLayout: ActivationLayout,
                       _ output: UnsafeMutablePointer<Float>, _ outputLayout: ActivationLayout) {
    precondition([(inputLayout.height + 1) / 2, inputLayout.height / 2].contains(outputLayout.height)
                 && [(inputLayout.width + 1) / 2, inputLayout.width / 2].contains(outputLayout.width))
    precondition(inputLayout.planes == outputLayout.planes && inputLayout.block == outputLayout.block)
    precondition(inputLayout.block % 4 == 0, "max-pooling needs a channel block of 8 or 16, got \(inputLayout.block)")
    let (ho, wo, b) = (outputLayout.height, outputLayout.width, outputLayout.block)
    let (hi, wi) = (inputLayout.height, inputLayout.width)
    parallelFor(outputLayout.planes * ho, costPerItem: 5 * wo * b) { item in
        let (plane, oy) = item.quotientAndRemainder(dividingBy: ho)
        let top = UnsafeRawPointer(input + inputLayout.offset(plane: plane, y: 2 * oy, x: 0))
        let bottom = UnsafeRawPointer(input + inputLayout.offset(plane: plane, y: min(2 * oy + 1, hi - 1), x: 0))
        let to = UnsafeMutableRawPointer(output + outputLayout.offset(plane: plane, y: oy, x: 0))
        let bytes = b * MemoryLayout<Float>.stride
        for ox in 0 ..< wo {
            let left = 2 * ox * bytes
            let right = min(2 * ox + 1, wi - 1) * bytes
            // A pixel's block of channels, four lanes at a time (concrete SIMD4 so that the
            // comparisons compile to vector instructions).
            for lane in stride(from: 0, to: bytes, by: 16) {
                let m = maximum(
                    maximum(top.loadUnaligned(fromByteOffset: left + lane, as: SIMD4<Float>.self),
                            top.loadUnaligned(fromByteOffset: right + lane, as: SIMD4<Float>.self)),
                    maximum(bottom.loadUnaligned(fromByteOffset: left + lane, as: SIMD4<Float>.self),
                            bottom.loadUnaligned(fromByteOffset: right + lane, as: SIMD4<Float>.self)))
                to.storeBytes(of: m, toByteOffset: ox * bytes + lane, as: SIMD4<Float>.self)
            }
        }
    }
}

/// The lane-wise maximum as compare-and-select (the standard library's `pointwiseMax` compiles
/// to a scalar loop with branches). A NaN in `b` is not propagated.
@inline(__always)
private func maximum(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
    a.replacing(with: b, where: a .< b)
}
