// Writer for Lua Torch's binary serialisation (torch.save): an nn.Sequential of the modules
// ``loadTorch7Sequential(path:)`` reads, as AdaIN-style's decoder.t7 is laid out.

import Foundation

/// Writes `modules` as the `nn.Sequential` Lua Torch's `torch.save(path, model)` would write
/// (binary mode, as AdaIN-style's train.lua saves its decoders after `:float()`), atomically (a
/// temporary file in the same folder, renamed): what ``loadTorch7Sequential(path:)`` reads back
/// bit for bit, and what Lua's `torch.load` and PyPI's `torchfile` read.
///
/// The layout is torch7's `File.lua` `writeObject`: a 4-byte type tag (1 number, a double; 2
/// string, an int length and its bytes; 3 table; 4 torch object; 5 boolean, an int), a table or
/// torch object then its reference index (counting from 1 in the order written; nothing is
/// written twice here), a table its entry count and its key and value objects, a torch object its
/// version `V 1` and class name (as strings without tags) and then: for a `torch.FloatTensor` its
/// dimension count, sizes and strides (longs, row-major), its 1-based storage offset (a long) and
/// its `torch.FloatStorage` (an element count as a long, then the float32 values); for an nn module
/// the table of its fields. All numbers are little endian.
///
/// Each module's fields are those `nn` gives it: `train` (true), `_type` (`torch.FloatTensor`), empty
/// `output` and `gradInput` tensors, and its defining fields: `nn.SpatialConvolution`'s
/// `nInputPlane`, `nOutputPlane`, `kW`, `kH`, `dW`, `dH`, `padW`, `padH`, `weight` (4-D) and `bias`;
/// `nn.SpatialReflectionPadding`'s `pad_l`, `pad_r`, `pad_t`, `pad_b`; `nn.ReLU`'s (an
/// `nn.Threshold`) `threshold` 0, `val` 0 and `inplace` false; `nn.SpatialMaxPooling`'s `kW`, `kH`,
/// `dW`, `dH`, `padW`, `padH`, `ceil_mode`; `nn.SpatialUpSamplingNearest`'s `scale_factor`. The
/// gradients `gradWeight` and `gradBias` are not written (a loaded network runs forward; Lua's
/// `nn` remakes them to train it).
///
/// - Throws: ``CheckpointError/unwritable(path:reason:)``, before anything is written, when a
///   convolution's weight or bias does not have the shape its planes and kernel give it
///   (`[nOutputPlane, nInputPlane, kH, kW]`, `[nOutputPlane]`: `shape` is a var, a caller may have
///   changed it after the values) or has no bias; when the file cannot be written.
public func writeTorch7Sequential(_ modules: [Torch7Module], path: String) throws(CheckpointError) {
    for (index, module) in modules.enumerated() {
        guard case .convolution(let c) = module else { continue }
        let shape = [c.outputPlanes, c.inputPlanes, c.kernelHeight, c.kernelWidth]
        guard c.weight.shape == shape, c.weight.values.count == shape.reduce(1, *) else {
            throw .unwritable(path: path, reason: "module \(index) (nn.SpatialConvolution) has a weight of shape \(c.weight.shape) "
                + "with \(c.weight.values.count) values; its planes and kernel need \(shape)")
        }
        guard let bias = c.bias, bias.shape == [c.outputPlanes], bias.values.count == c.outputPlanes else {
            throw .unwritable(path: path, reason: "module \(index) (nn.SpatialConvolution) needs a bias of shape [\(c.outputPlanes)]")
        }
    }
    var writer = Torch7Writer()
    writer.object("nn.Sequential", fields: [
        ("modules", .table(modules.indices.map { (.number(Double($0 + 1)), Torch7Writer.module(modules[$0])) })),
    ] + Torch7Writer.moduleFields)
    do { try writer.data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
        throw .unwritable(path: path, reason: error.localizedDescription)
    }
}

/// The serialiser: values are built as a small tree and written depth first, each table and
/// torch object taking the next reference index.
private struct Torch7Writer {
    indirect enum Value {
        case number(Double)
        case string(String)
        case boolean(Bool)
        case table([(Value, Value)])
        /// An nn module (or other Lua class instance): its class name and fields.
        case object(String, [(String, Value)])
        /// A `torch.FloatTensor` of `shape` holding `values` (empty: no storage).
        case floatTensor(shape: [Int], values: [Float])
    }

    private(set) var data = Data()
    private var nextIndex: Int32 = 1

    /// The fields every module has: `nn.Module`'s `train`, `_type`, `output`, `gradInput`.
    static let moduleFields: [(String, Value)] = [
        ("train", .boolean(true)), ("_type", .string("torch.FloatTensor")),
        ("output", .floatTensor(shape: [], values: [])), ("gradInput", .floatTensor(shape: [], values: [])),
    ]

    /// One module as its nn class and fields.
    static func module(_ module: Torch7Module) -> Value {
        let n = { (value: Int) in Value.number(Double(value)) }
        switch module {
        case .convolution(let c):
            return .object("nn.SpatialConvolution", [
                ("nInputPlane", n(c.inputPlanes)), ("nOutputPlane", n(c.outputPlanes)), ("kW", n(c.kernelWidth)), ("kH", n(c.kernelHeight)),
                ("dW", n(c.strideWidth)), ("dH", n(c.strideHeight)), ("padW", n(c.padWidth)), ("padH", n(c.padHeight)),
                ("weight", .floatTensor(shape: c.weight.shape, values: c.weight.values)),
                ("bias", .floatTensor(shape: c.bias!.shape, values: c.bias!.values)),
            ] + moduleFields)
        case .reflectionPadding(let left, let right, let top, let bottom):
            return .object("nn.SpatialReflectionPadding", [("pad_l", n(left)), ("pad_r", n(right)), ("pad_t", n(top)), ("pad_b", n(bottom))] + moduleFields)
        case .relu:
            return .object("nn.ReLU", [("threshold", n(0)), ("val", n(0)), ("inplace", .boolean(false))] + moduleFields)
        case .maxPooling(let p):
            return .object("nn.SpatialMaxPooling", [
                ("kW", n(p.kernelWidth)), ("kH", n(p.kernelHeight)), ("dW", n(p.strideWidth)), ("dH", n(p.strideHeight)),
                ("padW", n(p.padWidth)), ("padH", n(p.padHeight)), ("ceil_mode", .boolean(p.ceilMode)),
            ] + moduleFields)
        case .nearestUpsampling(let scale):
            return .object("nn.SpatialUpSamplingNearest", [("scale_factor", n(scale))] + moduleFields)
        }
    }

    mutating func object(_ className: String, fields: [(String, Value)]) { write(.object(className, fields)) }

    mutating func write(_ value: Value) {
        switch value {
        case .number(let x):
            int32(1)
            withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        case .string(let s):
            int32(2)
            rawString(s)
        case .boolean(let b):
            int32(5)
            int32(b ? 1 : 0)
        case .table(let entries):
            int32(3)
            takeIndex()
            int32(Int32(entries.count))
            for (key, value) in entries {
                write(key)
                write(value)
            }
        case .object(let className, let fields):
            torchObjectHeader(className)
            write(.table(fields.map { (.string($0.0), $0.1) }))
        case .floatTensor(let shape, let values):
            torchObjectHeader("torch.FloatTensor")
            int32(Int32(shape.count))
            var strides = [Int](repeating: 1, count: shape.count)
            for i in shape.indices.dropLast().reversed() { strides[i] = strides[i + 1] * shape[i + 1] }
            for size in shape { int64(size) }
            for stride in strides { int64(stride) }
            int64(1)  // storageOffset + 1
            if shape.isEmpty {
                int32(0)  // no storage: nil
            } else {
                torchObjectHeader("torch.FloatStorage")
                int64(values.count)
                #if _endian(little)
                values.withUnsafeBytes { data.append(contentsOf: $0) }
                #else
                for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                #endif
            }
        }
    }

    /// The tag, reference index, version and class name of a torch object.
    private mutating func torchObjectHeader(_ className: String) {
        int32(4)
        takeIndex()
        rawString("V 1")
        rawString(className)
    }

    private mutating func takeIndex() {
        int32(nextIndex)
        nextIndex += 1
    }

    private mutating func rawString(_ s: String) {
        let bytes = Array(s.utf8)
        int32(Int32(bytes.count))
        data.append(contentsOf: bytes)
    }

    private mutating func int32(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    private mutating func int64(_ v: Int) { withUnsafeBytes(of: Int64(v).littleEndian) { data.append(contentsOf: $0) } }
}
