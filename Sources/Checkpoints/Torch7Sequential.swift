// The nn.Sequential of a Torch7 .t7 file (xunhuang1995/AdaIN-style's vgg_normalised.t7, decoder.t7,
// decoder-content-similar.t7) as a typed list of modules.

import Foundation

/// A module of a Torch7 `nn.Sequential`: the five kinds AdaIN-style's released networks are made of.
public enum Torch7Module: Equatable, Sendable {
    /// `nn.SpatialConvolution`.
    case convolution(Torch7Convolution)
    /// `nn.SpatialReflectionPadding(pad_l, pad_r, pad_t, pad_b)`.
    case reflectionPadding(left: Int, right: Int, top: Int, bottom: Int)
    /// `nn.ReLU`.
    case relu
    /// `nn.SpatialMaxPooling`.
    case maxPooling(Torch7MaxPooling)
    /// `nn.SpatialUpSamplingNearest(scale_factor)`.
    case nearestUpsampling(scale: Int)
}

/// An `nn.SpatialConvolution`: its fields and weights.
public struct Torch7Convolution: Equatable, Sendable {
    /// `nInputPlane`, `nOutputPlane`.
    public var inputPlanes: Int, outputPlanes: Int
    /// `kW`, `kH`.
    public var kernelWidth: Int, kernelHeight: Int
    /// `dW`, `dH`.
    public var strideWidth: Int, strideHeight: Int
    /// `padW`, `padH` (zero padding; AdaIN-style pads with separate reflection padding modules).
    public var padWidth: Int, padHeight: Int
    /// Shape `[outputPlanes, inputPlanes, kernelHeight, kernelWidth]`, as PyTorch's `Conv2d.weight`.
    public var weight: StoredTensor
    /// Shape `[outputPlanes]`; nil for a convolution made with `noBias()`.
    public var bias: StoredTensor?

    /// A convolution of `weight` and `bias` (stride 1 and no padding of its own unless given, as
    /// AdaIN-style's networks make them).
    public init(inputPlanes: Int, outputPlanes: Int, kernelWidth: Int, kernelHeight: Int, strideWidth: Int = 1, strideHeight: Int = 1,
                padWidth: Int = 0, padHeight: Int = 0, weight: StoredTensor, bias: StoredTensor?) {
        self.inputPlanes = inputPlanes
        self.outputPlanes = outputPlanes
        self.kernelWidth = kernelWidth
        self.kernelHeight = kernelHeight
        self.strideWidth = strideWidth
        self.strideHeight = strideHeight
        self.padWidth = padWidth
        self.padHeight = padHeight
        self.weight = weight
        self.bias = bias
    }
}

/// An `nn.SpatialMaxPooling`.
public struct Torch7MaxPooling: Equatable, Sendable {
    /// `kW`, `kH`, `dW`, `dH`, `padW`, `padH`.
    public var kernelWidth: Int, kernelHeight: Int, strideWidth: Int, strideHeight: Int, padWidth: Int, padHeight: Int
    /// `ceil_mode`: output sizes rounded up (AdaIN-style's VGG pools with `:ceil()`).
    public var ceilMode: Bool
}

/// Reads the `nn.Sequential` saved in a Torch7 `.t7` file (Lua Torch's `torch.save(file, model)`,
/// binary format) as its list of modules, in order.
///
/// Only `nn.SpatialConvolution`, `nn.SpatialReflectionPadding`, `nn.ReLU`, `nn.SpatialMaxPooling` and
/// `nn.SpatialUpSamplingNearest` are read; any other module is refused by its class name. Fields
/// other than those the modules are defined by (`gradWeight`, `output`, `_type`, ...) are read past
/// and ignored. As nn's own `backCompatibility` does for files of older nn versions, a convolution's
/// `padding` stands for `padW` and `padH`, missing `padW` / `padH` / `ceil_mode` are 0 / false, and a
/// 2-D weight `[out, in * kH * kW]` is viewed as `[out, in, kH, kW]`. Float and Double weights are
/// converted to `Float`. Nothing in the file is executed (a Lua function in it is refused).
///
/// - Parameter path: the `.t7` file.
/// - Returns: the modules; module `i` of the list is Lua's `model:get(i + 1)`.
/// - Throws: ``CheckpointError`` naming the file: `unreadable` (missing, not a regular file),
///   `truncated`, `malformed` (a wrong type tag, a reference loop, a tensor reaching past its storage,
///   a module field of the wrong kind or size, naming the module and field), `unsupportedModule`
///   (naming the module's index and class), `unsupportedFeature` (CUDA tensors, Lua functions).
public func loadTorch7Sequential(path: String) throws(CheckpointError) -> [Torch7Module] {
    try readTorch7Sequential(mappedWeightFile(path: path), path: path)
}

/// Reads a `.t7` file's bytes; `path` is only for messages.
func readTorch7Sequential(_ data: Data, path: String) throws(CheckpointError) -> [Torch7Module] {
    guard !data.isEmpty else { throw .truncated(path: path, detail: "the file is empty") }
    let result: Result<[Torch7Module], CheckpointError> = data.withUnsafeBytes { bytes in
        Result { () throws(CheckpointError) in
            var reader = Torch7Reader(bytes: bytes, path: path)
            let root = try reader.readValue()
            guard reader.remaining == 0 else {
                throw .malformed(path: path, detail: "\(reader.remaining) bytes follow the saved object")
            }
            return try Torch7Modules(heap: reader.heap, bytes: bytes, path: path).sequential(root)
        }
    }
    return try result.get()
}

/// From the values of a file to typed modules.
private struct Torch7Modules {
    let heap: Torch7Heap
    let bytes: UnsafeRawBufferPointer
    let path: String

    static let supported = [
        "nn.SpatialConvolution", "nn.SpatialReflectionPadding", "nn.ReLU", "nn.SpatialMaxPooling", "nn.SpatialUpSamplingNearest",
    ]

    func sequential(_ root: Torch7Value) throws(CheckpointError) -> [Torch7Module] {
        guard case .object(let handle) = root, case .fields(let fields) = heap.objects[handle].content,
              heap.objects[handle].className == "nn.Sequential"
        else {
            let found = if case .object(let h) = root { "a '\(heap.objects[h].className)'" } else { root.kindDescription }
            throw .malformed(path: path, detail: "it holds \(found), not an nn.Sequential")
        }
        guard case .table(let list)? = heap.field("modules", of: fields) else {
            throw .malformed(path: path, detail: "the nn.Sequential has no 'modules' table")
        }
        // The list is a table with the keys 1 ... n, in any order.
        let entries = heap.tables[list]
        var modules = [Torch7Value?](repeating: nil, count: entries.count)
        for (key, value) in entries {
            guard case .number(let k) = key, k >= 1, k <= Double(entries.count), k.rounded() == k, modules[Int(k) - 1] == nil else {
                throw .malformed(path: path, detail: "the nn.Sequential's 'modules' table has the key \(key.kindDescription), not the indices 1 to \(entries.count)")
            }
            modules[Int(k) - 1] = value
        }
        var result: [Torch7Module] = []
        for (index, value) in modules.enumerated() {
            result.append(try module(index, value ?? .nil_))
        }
        return result
    }

    private func module(_ index: Int, _ value: Torch7Value) throws(CheckpointError) -> Torch7Module {
        guard case .object(let handle) = value, case .fields(let fields) = heap.objects[handle].content else {
            throw .malformed(path: path, detail: "module \(index) is \(value.kindDescription), not an nn module")
        }
        let className = heap.objects[handle].className
        let m = ModuleFields(heap: heap, table: fields, index: index, className: className, path: path)
        switch className {
        case "nn.SpatialConvolution":
            let padding = try m.optionalInt("padding")
            let padW = try m.optionalInt("padW"), padH = try m.optionalInt("padH")
            let c = try (inputPlanes: m.int("nInputPlane", minimum: 1), outputPlanes: m.int("nOutputPlane", minimum: 1),
                         kW: m.int("kW", minimum: 1), kH: m.int("kH", minimum: 1), dW: m.int("dW", minimum: 1), dH: m.int("dH", minimum: 1),
                         padW: padding ?? padW ?? 0, padH: padding ?? padH ?? 0)
            let shape = [c.outputPlanes, c.inputPlanes, c.kH, c.kW]
            guard let weightValue = m.value("weight") else { throw m.malformed("has no 'weight'") }
            let weight = try floats(weightValue, field: "weight", of: m, shape: shape, accepting: [shape, [c.outputPlanes, c.inputPlanes * c.kH * c.kW]])
            var bias: StoredTensor?
            if let biasValue = m.value("bias"), biasValue != .nil_ {
                bias = try floats(biasValue, field: "bias", of: m, shape: [c.outputPlanes], accepting: [[c.outputPlanes]])
            }
            return .convolution(Torch7Convolution(
                inputPlanes: c.inputPlanes, outputPlanes: c.outputPlanes, kernelWidth: c.kW, kernelHeight: c.kH,
                strideWidth: c.dW, strideHeight: c.dH, padWidth: c.padW, padHeight: c.padH, weight: weight, bias: bias))
        case "nn.SpatialReflectionPadding":
            return try .reflectionPadding(left: m.int("pad_l"), right: m.int("pad_r"), top: m.int("pad_t"), bottom: m.int("pad_b"))
        case "nn.ReLU":
            return .relu
        case "nn.SpatialMaxPooling":
            let padW = try m.optionalInt("padW"), padH = try m.optionalInt("padH"), ceilMode = try m.optionalBool("ceil_mode")
            return .maxPooling(try Torch7MaxPooling(
                kernelWidth: m.int("kW", minimum: 1), kernelHeight: m.int("kH", minimum: 1),
                strideWidth: m.int("dW", minimum: 1), strideHeight: m.int("dH", minimum: 1),
                padWidth: padW ?? 0, padHeight: padH ?? 0, ceilMode: ceilMode ?? false))
        case "nn.SpatialUpSamplingNearest":
            return .nearestUpsampling(scale: try m.int("scale_factor", minimum: 1))
        default:
            throw .unsupportedModule(path: path, index: index, className: className)
        }
    }

    /// A Float or Double tensor field as `Float`s in row-major order, shaped `shape`; its own shape
    /// must be one of `accepting`.
    private func floats(_ value: Torch7Value, field: String, of m: ModuleFields, shape: [Int], accepting: [[Int]]) throws(CheckpointError) -> StoredTensor {
        guard case .object(let handle) = value, case .tensor(let t) = heap.objects[handle].content else {
            throw m.malformed("field '\(field)' is \(value.kindDescription), not a tensor")
        }
        guard let dtype = t.type.floatType else {
            throw m.malformed("field '\(field)' is a '\(heap.objects[handle].className)'; a FloatTensor or DoubleTensor is needed")
        }
        guard accepting.contains(t.size) else {
            throw m.malformed("field '\(field)' has size \(t.size); \(accepting.map { "\($0)" }.joined(separator: " or ")) expected from its planes and kernel size")
        }
        guard let storageHandle = t.storage, case .storage(let storage) = heap.objects[storageHandle].content else {
            throw m.malformed("field '\(field)' has no storage")
        }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[storage.bytes])
        // Torch7 tensors are contiguous unless made as views; walk the strides either way.
        return StoredTensor(shape: shape, values: dtype.decodeStrided(raw, size: t.size, stride: t.stride, offset: t.offset))
    }
}

/// The fields of one module, read with checks that name the module and field.
private struct ModuleFields {
    let heap: Torch7Heap
    let table: Int
    let index: Int
    let className: String
    let path: String

    func value(_ name: String) -> Torch7Value? { heap.field(name, of: table) }

    func malformed(_ detail: String) -> CheckpointError {
        .malformed(path: path, detail: "module \(index) (\(className)) \(detail)")
    }

    /// A whole number field, at least `minimum` and at most 2^20 (no kernel, stride, padding or
    /// plane count of a real network comes near).
    func int(_ name: String, minimum: Int = 0) throws(CheckpointError) -> Int {
        guard let v = try optionalInt(name, minimum: minimum) else { throw malformed("has no field '\(name)'") }
        return v
    }

    func optionalInt(_ name: String, minimum: Int = 0) throws(CheckpointError) -> Int? {
        guard let value = value(name), value != .nil_ else { return nil }
        guard case .number(let n) = value, n.rounded() == n, n >= Double(minimum), n <= Double(1 << 20) else {
            throw malformed("field '\(name)' is \(value.kindDescription); a whole number from \(minimum) to \(1 << 20) is needed")
        }
        return Int(n)
    }

    func optionalBool(_ name: String) throws(CheckpointError) -> Bool? {
        guard let value = value(name), value != .nil_ else { return nil }
        guard case .boolean(let b) = value else { throw malformed("field '\(name)' is \(value.kindDescription), not a boolean") }
        return b
    }
}
