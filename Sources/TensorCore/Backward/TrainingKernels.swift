// Plain NCHW forward and backward kernels for training, side by side (llm.c style): reflection
// padding by 1 and zero padding, ReLU, 2x2 max-pooling in ceil mode (pytorch-AdaIN's VGG) and floor
// mode (torchvision's, the seed model's), nearest 2x upsampling.
//
// These work on plain row-major `Tensor`s, not on the blocked layouts the inference path
// (`Sequential`) keeps inside a pass: training needs every activation kept for the backward pass
// anyway, and a simple separate path is easy to check. Backward kernels *accumulate* into the
// gradient they are given (`+=`), so a gradient reaching a tensor along several paths adds up.

/// Namespace of the plain NCHW training kernels (forward and backward of every layer AdaIN uses;
/// the convolution is in `TrainingConvolution.swift`).
public enum TrainingKernels {
    // MARK: - Reflection padding by 1

    /// `nn.ReflectionPad2d(1)`.
    ///
    /// x is (N, C, H, W) with H, W >= 2; out is (N, C, H + 2, W + 2). out[y + 1, x + 1] = x[y, x]; the
    /// border mirrors without repeating the edge: row -1 is row 1, row H is row H - 2.
    public static func reflectionPad1Forward(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = (x.batch, x.channels, x.height, x.width)
        precondition(h >= 2 && w >= 2, "reflection padding by 1 needs planes of at least 2x2, got \(h)x\(w)")
        let (ho, wo) = (h + 2, w + 2)
        var out = Tensor(zeros: [n, c, ho, wo])
        out.values.withUnsafeMutableBufferPointer { o in
            x.values.withUnsafeBufferPointer { i in
                let (op, ip) = (UncheckedSendable(o.baseAddress!), UncheckedSendable(i.baseAddress!))
                parallelFor(n * c, costPerItem: ho * wo) { plane in
                    let src = ip.value + plane * h * w, dst = op.value + plane * ho * wo
                    for y in 0 ..< ho {
                        let sy = reflect(y - 1, h)
                        for xx in 0 ..< wo { dst[y * wo + xx] = src[sy * w + reflect(xx - 1, w)] }
                    }
                }
            }
        }
        return out
    }

    /// Backward of ``reflectionPad1Forward(_:)``: every padded position's gradient goes to the
    /// input pixel it copies, so border gradients fold back onto rows/columns 1 and H-2 / W-2.
    ///
    /// dOut is (N, C, H + 2, W + 2); dInput is (N, C, H, W), accumulated into.
    public static func reflectionPad1Backward(_ dOut: Tensor, accumulatingInto dInput: inout Tensor) {
        let (n, c, h, w) = (dInput.batch, dInput.channels, dInput.height, dInput.width)
        let (ho, wo) = (h + 2, w + 2)
        precondition(dOut.shape == [n, c, ho, wo], "padded gradient \(dOut.shape) does not match input \(dInput.shape)")
        dInput.values.withUnsafeMutableBufferPointer { d in
            dOut.values.withUnsafeBufferPointer { g in
                let (dp, gp) = (UncheckedSendable(d.baseAddress!), UncheckedSendable(g.baseAddress!))
                parallelFor(n * c, costPerItem: ho * wo) { plane in
                    let src = gp.value + plane * ho * wo, dst = dp.value + plane * h * w
                    for y in 0 ..< ho {
                        let sy = reflect(y - 1, h)
                        for xx in 0 ..< wo { dst[sy * w + reflect(xx - 1, w)] += src[y * wo + xx] }
                    }
                }
            }
        }
    }

    /// The index reflection padding reads for position `i` of a dimension of `size` (i in -1 ... size).
    @inline(__always)
    static func reflect(_ i: Int, _ size: Int) -> Int {
        i < 0 ? -i : (i >= size ? 2 * size - 2 - i : i)
    }

    // MARK: - Zero padding

    /// `nn.Conv2d(padding=p)`'s padding, as a step of its own: the border is 0.
    ///
    /// x is (N, C, H, W); out is (N, C, H + 2p, W + 2p), out[y + p, x + p] = x[y, x].
    public static func zeroPadForward(_ x: Tensor, padding p: Int) -> Tensor {
        if p == 0 { return x }
        let (n, c, h, w) = (x.batch, x.channels, x.height, x.width)
        let (ho, wo) = (h + 2 * p, w + 2 * p)
        var out = Tensor(zeros: [n, c, ho, wo])
        out.values.withUnsafeMutableBufferPointer { o in
            x.values.withUnsafeBufferPointer { i in
                let (op, ip) = (UncheckedSendable(o.baseAddress!), UncheckedSendable(i.baseAddress!))
                parallelFor(n * c, costPerItem: ho * wo) { plane in
                    for y in 0 ..< h {
                        (op.value + (plane * ho + y + p) * wo + p).update(from: ip.value + (plane * h + y) * w, count: w)
                    }
                }
            }
        }
        return out
    }

    /// Backward of ``zeroPadForward(_:padding:)``: the inner H x W of dOut (the border's gradient
    /// goes nowhere).
    ///
    /// dOut is (N, C, H + 2p, W + 2p); dInput is (N, C, H, W), accumulated into.
    public static func zeroPadBackward(_ dOut: Tensor, padding p: Int, accumulatingInto dInput: inout Tensor) {
        let (n, c, h, w) = (dInput.batch, dInput.channels, dInput.height, dInput.width)
        let (ho, wo) = (h + 2 * p, w + 2 * p)
        precondition(dOut.shape == [n, c, ho, wo], "padded gradient \(dOut.shape) does not match input \(dInput.shape)")
        dInput.values.withUnsafeMutableBufferPointer { d in
            dOut.values.withUnsafeBufferPointer { g in
                let (dp, gp) = (UncheckedSendable(d.baseAddress!), UncheckedSendable(g.baseAddress!))
                parallelFor(n * c, costPerItem: h * w) { plane in
                    for y in 0 ..< h {
                        let (src, dst) = (gp.value + (plane * ho + y + p) * wo + p, dp.value + (plane * h + y) * w)
                        for xx in 0 ..< w { dst[xx] += src[xx] }
                    }
                }
            }
        }
    }

    // MARK: - ReLU

    /// Elementwise loops run in chunks of this many floats.
    static let chunk = 1 << 16

    /// The number of chunks covering `count` floats.
    static func chunks(_ count: Int) -> Int { (count + chunk - 1) / chunk }

    /// `max(x, 0)`. x and out are (N, C, H, W).
    public static func reluForward(_ x: Tensor) -> Tensor {
        var out = x
        out.values.withUnsafeMutableBufferPointer { v in
            let (vp, count) = (UncheckedSendable(v.baseAddress!), v.count)
            parallelFor(chunks(count), costPerItem: chunk) { c in
                for i in c * chunk ..< min(count, (c + 1) * chunk) { vp.value[i] = vp.value[i] > 0 ? vp.value[i] : 0 }
            }
        }
        return out
    }

    /// Backward of ReLU from its *output*: dInput += dOut where out > 0 (PyTorch's
    /// `threshold_backward`, the gradient at 0 is 0).
    ///
    /// dOut, output and dInput are (N, C, H, W); dInput is accumulated into.
    public static func reluBackward(_ dOut: Tensor, output: Tensor, accumulatingInto dInput: inout Tensor) {
        precondition(dOut.shape == output.shape && dInput.shape == output.shape, "ReLU backward needs equal shapes")
        dInput.values.withUnsafeMutableBufferPointer { d in
            dOut.values.withUnsafeBufferPointer { g in
                output.values.withUnsafeBufferPointer { o in
                    let (dp, gp, op, count) = (UncheckedSendable(d.baseAddress!), UncheckedSendable(g.baseAddress!), UncheckedSendable(o.baseAddress!), d.count)
                    parallelFor(chunks(count), costPerItem: chunk) { c in
                        for i in c * chunk ..< min(count, (c + 1) * chunk) where op.value[i] > 0 { dp.value[i] += gp.value[i] }
                    }
                }
            }
        }
    }

    // MARK: - Max-pooling 2x2, stride 2, ceil mode

    /// `nn.MaxPool2d(2, 2, ceil_mode=True)` with the argmax of each window.
    ///
    /// x is (N, C, H, W); out is (N, C, ceil(H/2), ceil(W/2)); argmax has one entry per output
    /// element: the index of the chosen input element within its (H, W) plane. Windows hanging over
    /// the bottom/right edge use their in-bounds values. Ties go to the first maximum in the
    /// window's row-major scan order and a NaN wins (the last one scanned), as PyTorch's CPU kernel (`val > max || isnan(val)`).
    public static func maxPool2x2CeilForward(_ x: Tensor) -> (output: Tensor, argmax: [Int32]) {
        maxPool2x2Forward(x, ceilMode: true)
    }

    /// `nn.MaxPool2d(2, 2)` (floor mode, torchvision's VGG-19): every window lies inside the plane, a
    /// last odd row or column is dropped; ties and NaN as ``maxPool2x2CeilForward(_:)``.
    ///
    /// x is (N, C, H, W); out is (N, C, floor(H/2), floor(W/2)); argmax indexes the (H, W) plane.
    public static func maxPool2x2FloorForward(_ x: Tensor) -> (output: Tensor, argmax: [Int32]) {
        maxPool2x2Forward(x, ceilMode: false)
    }

    /// The output side of 2x2 pooling of `side` in ceil or floor mode.
    private static func pooledSide(_ side: Int, ceilMode: Bool) -> Int { ceilMode ? (side + 1) / 2 : side / 2 }

    private static func maxPool2x2Forward(_ x: Tensor, ceilMode: Bool) -> (output: Tensor, argmax: [Int32]) {
        let (n, c, h, w) = (x.batch, x.channels, x.height, x.width)
        let (ho, wo) = (pooledSide(h, ceilMode: ceilMode), pooledSide(w, ceilMode: ceilMode))
        var out = Tensor(zeros: [n, c, ho, wo])
        var argmax = [Int32](repeating: 0, count: n * c * ho * wo)
        out.values.withUnsafeMutableBufferPointer { o in
            argmax.withUnsafeMutableBufferPointer { a in
                x.values.withUnsafeBufferPointer { i in
                    let (op, ap, ip) = (UncheckedSendable(o.baseAddress!), UncheckedSendable(a.baseAddress!), UncheckedSendable(i.baseAddress!))
                    parallelFor(n * c, costPerItem: h * w) { plane in
                        let src = ip.value + plane * h * w
                        let dst = op.value + plane * ho * wo, arg = ap.value + plane * ho * wo
                        for oy in 0 ..< ho {
                            for ox in 0 ..< wo {
                                var best = -Float.infinity
                                var at = (2 * oy) * w + 2 * ox
                                for y in 2 * oy ..< min(2 * oy + 2, h) {
                                    for xx in 2 * ox ..< min(2 * ox + 2, w) {
                                        let v = src[y * w + xx]
                                        if v > best || v.isNaN { best = v; at = y * w + xx }
                                    }
                                }
                                dst[oy * wo + ox] = best
                                arg[oy * wo + ox] = Int32(at)
                            }
                        }
                    }
                }
            }
        }
        return (out, argmax)
    }

    /// Backward of ``maxPool2x2CeilForward(_:)``: each output gradient goes to its window's argmax.
    ///
    /// dOut is (N, C, ceil(H/2), ceil(W/2)); argmax as the forward returned it; dInput is
    /// (N, C, H, W), accumulated into.
    public static func maxPool2x2CeilBackward(_ dOut: Tensor, argmax: [Int32], accumulatingInto dInput: inout Tensor) {
        maxPool2x2Backward(dOut, argmax: argmax, ceilMode: true, accumulatingInto: &dInput)
    }

    /// Backward of ``maxPool2x2FloorForward(_:)``: each output gradient goes to its window's argmax;
    /// a dropped last row or column gets none.
    ///
    /// dOut is (N, C, floor(H/2), floor(W/2)); dInput is (N, C, H, W), accumulated into.
    public static func maxPool2x2FloorBackward(_ dOut: Tensor, argmax: [Int32], accumulatingInto dInput: inout Tensor) {
        maxPool2x2Backward(dOut, argmax: argmax, ceilMode: false, accumulatingInto: &dInput)
    }

    private static func maxPool2x2Backward(_ dOut: Tensor, argmax: [Int32], ceilMode: Bool, accumulatingInto dInput: inout Tensor) {
        let (n, c, h, w) = (dInput.batch, dInput.channels, dInput.height, dInput.width)
        let (ho, wo) = (pooledSide(h, ceilMode: ceilMode), pooledSide(w, ceilMode: ceilMode))
        precondition(dOut.shape == [n, c, ho, wo] && argmax.count == dOut.values.count, "max-pool gradient \(dOut.shape) does not match input \(dInput.shape)")
        dInput.values.withUnsafeMutableBufferPointer { d in
            dOut.values.withUnsafeBufferPointer { g in
                argmax.withUnsafeBufferPointer { a in
                    let (dp, gp, ap) = (UncheckedSendable(d.baseAddress!), UncheckedSendable(g.baseAddress!), UncheckedSendable(a.baseAddress!))
                    parallelFor(n * c, costPerItem: h * w) { plane in
                        for i in 0 ..< ho * wo {
                            dp.value[plane * h * w + Int(ap.value[plane * ho * wo + i])] += gp.value[plane * ho * wo + i]
                        }
                    }
                }
            }
        }
    }

    // MARK: - Nearest upsampling 2x

    /// `nn.Upsample(scale_factor=2, mode='nearest')`: out[y, x] = x[y / 2, x / 2].
    ///
    /// x is (N, C, H, W); out is (N, C, 2H, 2W).
    public static func upsampleNearest2xForward(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = (x.batch, x.channels, x.height, x.width)
        var out = Tensor(zeros: [n, c, 2 * h, 2 * w])
        out.values.withUnsafeMutableBufferPointer { o in
            x.values.withUnsafeBufferPointer { i in
                let (op, ip) = (UncheckedSendable(o.baseAddress!), UncheckedSendable(i.baseAddress!))
                parallelFor(n * c, costPerItem: 4 * h * w) { plane in
                    for y in 0 ..< 2 * h {
                        for xx in 0 ..< 2 * w {
                            op.value[(plane * 2 * h + y) * 2 * w + xx] = ip.value[(plane * h + y / 2) * w + xx / 2]
                        }
                    }
                }
            }
        }
        return out
    }

    /// Backward of ``upsampleNearest2xForward(_:)``: each input pixel gets the sum of its 4 children.
    ///
    /// dOut is (N, C, 2H, 2W); dInput is (N, C, H, W), accumulated into.
    public static func upsampleNearest2xBackward(_ dOut: Tensor, accumulatingInto dInput: inout Tensor) {
        let (n, c, h, w) = (dInput.batch, dInput.channels, dInput.height, dInput.width)
        precondition(dOut.shape == [n, c, 2 * h, 2 * w], "upsampled gradient \(dOut.shape) does not match input \(dInput.shape)")
        dInput.values.withUnsafeMutableBufferPointer { d in
            dOut.values.withUnsafeBufferPointer { g in
                let (dp, gp) = (UncheckedSendable(d.baseAddress!), UncheckedSendable(g.baseAddress!))
                parallelFor(n * c, costPerItem: 4 * h * w) { plane in
                    for y in 0 ..< 2 * h {
                        for xx in 0 ..< 2 * w {
                            dp.value[(plane * h + y / 2) * w + xx / 2] += gp.value[(plane * 2 * h + y) * 2 * w + xx]
                        }
                    }
                }
            }
        }
    }
}
