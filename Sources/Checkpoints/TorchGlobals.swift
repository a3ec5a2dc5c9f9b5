// The allow-list of Python globals a pickled state_dict may name, and PyTorch's element types.

/// A PyTorch element type as a checkpoint names it: by storage class (`torch.FloatStorage`) or by
/// dtype (`torch.float32`). Only the float types convert to ``TensorDType``; the others are known so
/// that their storages can be sized and the tensor reported as unsupported by name.
struct TorchElementType: Sendable, Equatable {
    /// The dtype's name without `torch.` (`"float32"`, `"int64"`).
    let name: String
    /// Bytes per element.
    let byteSize: Int

    /// The float type to decode with, or nil when the dtype is not supported.
    var floatType: TensorDType? { TensorDType(storageName: name) }

    /// `torch.<X>Storage` class names (legacy typed storages; `torch.cuda.<X>Storage` too) and
    /// `UntypedStorage` (bytes; its tensors carry their own dtype, see `_rebuild_tensor_v3`).
    static func storageClass(named name: String) -> TorchElementType? {
        switch name {
        case "FloatStorage": TorchElementType(name: "float32", byteSize: 4)
        case "DoubleStorage": TorchElementType(name: "float64", byteSize: 8)
        case "HalfStorage": TorchElementType(name: "float16", byteSize: 2)
        case "BFloat16Storage": TorchElementType(name: "bfloat16", byteSize: 2)
        case "LongStorage": TorchElementType(name: "int64", byteSize: 8)
        case "IntStorage": TorchElementType(name: "int32", byteSize: 4)
        case "ShortStorage": TorchElementType(name: "int16", byteSize: 2)
        case "CharStorage": TorchElementType(name: "int8", byteSize: 1)
        case "ByteStorage", "UntypedStorage": TorchElementType(name: "uint8", byteSize: 1)
        case "BoolStorage": TorchElementType(name: "bool", byteSize: 1)
        case "ComplexFloatStorage": TorchElementType(name: "complex64", byteSize: 8)
        case "ComplexDoubleStorage": TorchElementType(name: "complex128", byteSize: 16)
        case "QInt8Storage": TorchElementType(name: "qint8", byteSize: 1)
        case "QUInt8Storage": TorchElementType(name: "quint8", byteSize: 1)
        case "QInt32Storage": TorchElementType(name: "qint32", byteSize: 4)
        case "QUInt4x2Storage": TorchElementType(name: "quint4x2", byteSize: 1)
        case "QUInt2x4Storage": TorchElementType(name: "quint2x4", byteSize: 1)
        default: nil
        }
    }

    /// `torch.<dtype>` attribute names, as a `torch.dtype` pickles (its `__reduce__` gives the name).
    static func dtype(named name: String) -> TorchElementType? {
        let size: Int
        let canonical: String
        switch name {
        case "float32", "float": (canonical, size) = ("float32", 4)
        case "float64", "double": (canonical, size) = ("float64", 8)
        case "float16", "half": (canonical, size) = ("float16", 2)
        case "bfloat16": (canonical, size) = ("bfloat16", 2)
        case "int64", "long": (canonical, size) = ("int64", 8)
        case "int32", "int": (canonical, size) = ("int32", 4)
        case "int16", "short": (canonical, size) = ("int16", 2)
        case "complex32", "chalf": (canonical, size) = ("complex32", 4)
        case "complex64", "cfloat": (canonical, size) = ("complex64", 8)
        case "complex128", "cdouble": (canonical, size) = ("complex128", 16)
        case "uint16", "bits16": (canonical, size) = (name, 2)
        case "uint32", "qint32": (canonical, size) = (name, 4)
        case "uint64": (canonical, size) = (name, 8)
        case "int8", "uint8", "bool", "qint8", "quint8", "quint4x2", "quint2x4",
             "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu",
             "float4_e2m1fn_x2", "bits8", "bits1x8", "bits2x4", "bits4x2":
            (canonical, size) = (name, 1)
        default: return nil
        }
        return TorchElementType(name: canonical, byteSize: size)
    }
}

/// A Python global a `state_dict` pickle may name (`GLOBAL` / `STACK_GLOBAL`). Resolving one never
/// imports or runs anything: each case is a marker the pickle machine interprets itself.
enum TorchGlobal: Sendable, Equatable {
    /// `collections.OrderedDict`: the state_dict itself, `_metadata`, and empty backward hooks.
    case orderedDict
    /// `torch.Size`, a tuple subclass.
    case torchSize
    /// `torch._utils._rebuild_tensor(storage, offset, size, stride)` (PyTorch < 0.4).
    case rebuildTensor
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor_v3(untyped_storage, offset, size, stride, requires_grad, hooks, dtype[, metadata])`.
    case rebuildTensorV3
    /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)`: an `nn.Parameter`.
    case rebuildParameter
    /// `torch._utils._rebuild_parameter_with_state(data, requires_grad, hooks, state)`.
    case rebuildParameterWithState
    /// `torch._tensor._rebuild_from_type_v2(func, type, args, state)`: a tensor with Python state.
    case rebuildFromTypeV2
    /// `torch.Tensor` or `torch.nn.parameter.Parameter`, only as the type in `_rebuild_from_type_v2`.
    case tensorType(String)
    /// A storage class such as `torch.FloatStorage`, only as the type in a persistent id.
    case storageType(TorchElementType)
    /// A dtype such as `torch.float32`, only as an argument of `_rebuild_tensor_v3`.
    case dtype(TorchElementType)

    /// The allow-list: the global named `module.name`, or nil when it is not part of a state_dict.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch", "Size"): self = .torchSize
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor_v3"): self = .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("torch._tensor", "_rebuild_from_type_v2"): self = .rebuildFromTypeV2
        case ("torch", "Tensor"), ("torch._tensor", "Tensor"), ("torch.nn.parameter", "Parameter"):
            self = .tensorType("\(module).\(name)")
        case ("torch", _), ("torch.cuda", _), ("torch.storage", "UntypedStorage"):
            if let type = TorchElementType.storageClass(named: name) {
                self = .storageType(type)
            } else if module == "torch", let type = TorchElementType.dtype(named: name) {
                self = .dtype(type)
            } else {
                return nil
            }
        default: return nil
        }
    }

    /// The global's Python name, for messages.
    var pythonName: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .torchSize: "torch.Size"
        case .rebuildTensor: "torch._utils._rebuild_tensor"
        case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
        case .rebuildTensorV3: "torch._utils._rebuild_tensor_v3"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: "torch._utils._rebuild_parameter_with_state"
        case .rebuildFromTypeV2: "torch._tensor._rebuild_from_type_v2"
        case .tensorType(let name): name
        case .storageType(let type): "the \(type.name) storage class"
        case .dtype(let type): "torch.\(type.name)"
        }
    }
}
