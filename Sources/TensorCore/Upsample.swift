// Forward nearest-neighbour 2x upsampling (PyTorch's Upsample(scale_factor=2, mode='nearest')).

/// Repeats every pixel into a 2x2 block: output (y, x) is input (y / 2, x / 2).
///
/// input is (N, C, H, W); output is (N, C, 2H, 2W); both blocked (block 8 or 16) with any halo.
/// The output's halo is not written.
func upsampleNearest2xForward(_ input: UnsafePointer<Float>, _ inputLayout: ActivationLayout,
                              _ output: UnsafeMutablePointer<Float>, _ outputLayout: ActivationLayout) {
    precondition(outputLayout.height == 2 * inputLayout.height && outputLayout.width == 2 * inputLayout.width)
    precondition(inputLayout.planes == outputLayout.planes && inputLayout.block == outputLayout.block)
    precondition(inputLayout.block % 4 == 0, "upsampling needs a channel block of 8 or 16, got \(inputLayout.block)")
    let (ho, wi, b) = (outputLayout.height, inputLayout.width, inputLayout.block)
    parallelFor(outputLayout.planes * ho, costPerItem: 3 * wi * b) { item in
        let (plane, oy) = item.quotientAndRemainder(dividingBy: ho)
        let from = UnsafeRawPointer(input + inputLayout.offset(plane: plane, y: oy / 2, x: 0))
        let to = UnsafeMutableRawPointer(output + outputLayout.offset(plane: plane, y: oy, x: 0))
        let bytes = b * MemoryLayout<Float>.stride
        for x in 0 ..< wi {
            for lane in stride(from: 0, to: bytes, by: 16) {
                let v = from.loadUnaligned(fromByteOffset: x * bytes + lane, as: SIMD4<Float>.self)
                to.storeBytes(of: v, toByteOffset: 2 * x * bytes + lane, as: SIMD4<Float>.self)
                to.storeBytes(of: v, toByteOffset: (2 * x + 1) * bytes + lane, as: SIMD4<Float>.self)
            }
        }
    }
}
