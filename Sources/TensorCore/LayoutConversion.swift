// Moving a Tensor (plain NCHW) into a forward pass's blocked, haloed layout and back.

/// Copies a tensor into `data`, laid out as `layout` (same N, C, H, W), zeroing the channels that
/// pad the last block and filling the halo (by reflection, or with zeros: ``fillHalo(_:_:)``).
///
/// tensor is (N, C, H, W) row-major; data is `layout.count` floats.
func importTensor(_ tensor: Tensor, into data: UnsafeMutablePointer<Float>, _ layout: ActivationLayout) {
    precondition(tensor.shape == [layout.batch, layout.channels, layout.height, layout.width])
    let (c, h, w, b) = (layout.channels, layout.height, layout.width, layout.block)
    tensor.values.withUnsafeBufferPointer { values in
        let source = UncheckedSendable(values.baseAddress!)
        parallelFor(layout.planes, costPerItem: h * w * b) { plane in
            let (n, block) = plane.quotientAndRemainder(dividingBy: layout.channelBlocks)
            for lane in 0 ..< b {
                let channel = block * b + lane
                for y in 0 ..< h {
                    let row = data + layout.offset(plane: plane, y: y, x: 0) + lane
                    if channel < c {
                        let from = source.value + ((n * c + channel) * h + y) * w
                        for x in 0 ..< w { row[x * b] = from[x] }
                    } else {
                        for x in 0 ..< w { row[x * b] = 0 }
                    }
                }
            }
        }
    }
    fillHalo(data, layout)
}

/// The interior of an activation as a plain (N, C, H, W) tensor.
///
/// data is laid out as `layout`; the result is (N, C, H, W) row-major.
func exportTensor(_ data: UnsafePointer<Float>, _ layout: ActivationLayout) -> Tensor {
    let (c, h, w, b) = (layout.channels, layout.height, layout.width, layout.block)
    let values = [Float](unsafeUninitializedCapacity: layout.batch * c * h * w) { buffer, initialized in
        let destination = UncheckedSendable(buffer.baseAddress!)
        parallelFor(layout.batch * c, costPerItem: h * w) { image in
            let (n, channel) = image.quotientAndRemainder(dividingBy: c)
            let plane = n * layout.channelBlocks + channel / b
            for y in 0 ..< h {
                let from = data + layout.offset(plane: plane, y: y, x: 0) + channel % b
                let to = destination.value + (image * h + y) * w
                for x in 0 ..< w { to[x] = from[x * b] }
            }
        }
        initialized = buffer.count
    }
    return Tensor(shape: [layout.batch, c, h, w], values: values)
}
