// The element types a checkpoint may store, and their conversion to Float.

/// Element types accepted in weight files; all are converted to `Float` on load.
enum TensorDType: Sendable {
    case float32, float16, bfloat16, float64

    init?(safetensorsName name: String) {
        switch name {
        case "F32": self = .float32
        case "F16": self = .float16
        case "BF16": self = .bfloat16
        case "F64": self = .float64
        default: return nil
        }
    }

    /// PyTorch storage class names as pickled (`torch.FloatStorage`) or zip-format dtype names.
    init?(storageName name: String) {
        switch name {
        case "FloatStorage", "float32": self = .float32
        case "HalfStorage", "float16": self = .float16
        case "BFloat16Storage", "bfloat16": self = .bfloat16
        case "DoubleStorage", "float64": self = .float64
        default: return nil
        }
    }

    var byteSize: Int {
        switch self {
        case .float32: 4
        case .float16, .bfloat16: 2
        case .float64: 8
        }
    }

    /// Decodes `count` little-endian elements from `bytes` (which holds at least that many).
    func decode(_ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        precondition(bytes.count >= count * byteSize)
        switch self {
        case .float32:
            #if _endian(little)
            // The common case (all of pytorch-AdaIN's weights): one copy from the file's pages.
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<(4 * count)]))
                initialized = count
            }
            #else
            return (0 ..< count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            #endif
        case .float64:
            return (0 ..< count).map { Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) }
        case .float16:
            return (0 ..< count).map { Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))) }
        case .bfloat16:
            return (0 ..< count).map { Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) << 16) }
        }
    }

    /// Decodes the little-endian element at `index` (in elements) of `bytes`.
    func decodeElement(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Float {
        switch self {
        case .float32:
            Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
        case .float64:
            Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))))
        case .float16:
            Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))))
        case .bfloat16:
            Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))) << 16)
        }
    }

    /// The elements of a strided view of `bytes` in row-major order: `size` and `stride` (in
    /// elements, not negative) from element `offset`, as PyTorch and Torch7 save views with their
    /// whole storage. The caller has checked that every element lies within `bytes`.
    func decodeStrided(_ bytes: UnsafeRawBufferPointer, size: [Int], stride: [Int], offset: Int) -> [Float] {
        let count = size.reduce(1, *)
        var values: [Float] = []
        values.reserveCapacity(count)
        var index = [Int](repeating: 0, count: size.count)
        var element = offset
        for _ in 0 ..< count {
            values.append(decodeElement(bytes, at: element))
            var d = size.count - 1
            while d >= 0 {
                index[d] += 1
                element += stride[d]
                if index[d] < size[d] { break }
                element -= stride[d] * size[d]
                index[d] = 0
                d -= 1
            }
        }
        return values
    }
}
