// Reflection padding (PyTorch's ReflectionPad2d) or zero padding (Conv2d's own) written into the
// halo around each plane.

/// Fills the halo of an activation as its layout says: zeros (``ActivationLayout/zeroHalo``), else
/// the reflection of the interior (``fillReflectionHalo(_:_:)``).
func fillHalo(_ data: UnsafeMutablePointer<Float>, _ layout: ActivationLayout) {
    if layout.zeroHalo { fillZeroHalo(data, layout) } else { fillReflectionHalo(data, layout) }
}

/// Writes zeros into the halo of an activation, as `nn.Conv2d(padding=p)` pads: the convolution
/// that produced it wrote a frame of extra outputs there (see ``ConvolutionForward``).
///
/// data is (N, C, H, W) laid out as `layout`, with halo p = `layout.halo`.
func fillZeroHalo(_ data: UnsafeMutablePointer<Float>, _ layout: ActivationLayout) {
    let p = layout.halo
    guard p > 0 else { return }
    let (h, w, b) = (layout.height, layout.width, layout.block)
    parallelFor(layout.planes, costPerItem: 4 * p * (h + w) * b) { plane in
        for i in 1 ... p {
            let stride = layout.rowStride
            (data + layout.offset(plane: plane, y: -i, x: -p)).update(repeating: 0, count: stride)
            (data + layout.offset(plane: plane, y: h - 1 + i, x: -p)).update(repeating: 0, count: stride)
        }
        for y in 0 ..< h {
            (data + layout.offset(plane: plane, y: y, x: -p)).update(repeating: 0, count: p * b)
            (data + layout.offset(plane: plane, y: y, x: w)).update(repeating: 0, count: p * b)
        }
    }
}

/// Fills the halo of an activation with the reflection of its interior, as `nn.ReflectionPad2d(p)`:
/// padded row `-i` is row `i`, padded row `H - 1 + i` is row `H - 1 - i`, the same for columns,
/// and corners reflect both ways. The edge row or column itself is not repeated.
///
/// data is (N, C, H, W) laid out as `layout`, with halo p = `layout.halo` < H and < W.
func fillReflectionHalo(_ data: UnsafeMutablePointer<Float>, _ layout: ActivationLayout) {
    let p = layout.halo
    guard p > 0 else { return }
    precondition(p < layout.height && p < layout.width, "reflection padding \(p) needs a plane larger than \(layout.height)x\(layout.width)")
    let (h, w, b) = (layout.height, layout.width, layout.block)
    parallelFor(layout.planes, costPerItem: 4 * p * (h + w) * b) { plane in
        // Columns of the interior rows first, then whole padded rows (which carries the corners).
        for y in 0 ..< h {
            let row = data + layout.offset(plane: plane, y: y, x: 0)
            for i in 1 ... p {
                (row + (-i) * b).update(from: row + i * b, count: b)
                (row + (w - 1 + i) * b).update(from: row + (w - 1 - i) * b, count: b)
            }
        }
        for i in 1 ... p {
            let stride = layout.rowStride
            let top = data + layout.offset(plane: plane, y: -i, x: -p)
            top.update(from: top + 2 * i * stride, count: stride)
            let bottom = data + layout.offset(plane: plane, y: h - 1 + i, x: -p)
            bottom.update(from: bottom - 2 * i * stride, count: stride)
        }
    }
}
