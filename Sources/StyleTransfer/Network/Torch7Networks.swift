// AdaIN-style's Torch7 networks (vgg_normalised.t7, decoder.t7) checked module by module against
// the architecture tables and turned into pytorch-AdaIN's state_dicts (whose module numbers are
// the .t7 files' module positions: pytorch-AdaIN's files were converted from these).

import Checkpoints

/// The state_dict of a Torch7 `nn.Sequential` for `network`'s table (``VGGEncoder/architecture``
/// or ``Decoder/architecture``), keyed `"<index>.weight"` / `"<index>.bias"` by module position.
///
/// Every module up to the table's last is checked: at a convolution's position an
/// `nn.SpatialConvolution` of the table's planes and kernel, stride 1 and no padding of its own,
/// with a bias; before a 3x3 convolution an `nn.SpatialReflectionPadding(1, 1, 1, 1)`; after it an
/// `nn.ReLU` when the table has one; `nn.SpatialMaxPooling(2, 2, 2, 2)` in ceil mode; an
/// `nn.SpatialUpSamplingNearest(2)`. The encoder's modules past relu4_1 (AdaIN-style's test.lua
/// removes modules 32 ... 53) are ignored; a decoder must end with its last convolution.
///
/// - Throws: ``NetworkWeightError/torch7Module(network:index:found:expected:)`` naming the first
///   module that differs, or the missing one.
public func torch7StateDict(_ modules: [Torch7Module], network: NetworkRole) throws(NetworkWeightError) -> [String: StoredTensor] {
    let table = network == .encoder ? VGGEncoder.architecture : Decoder.architecture
    var expected: [Int: (description: String, matches: (Torch7Module) -> Bool)] = [:]
    for row in table {
        switch row {
        case .convolution(let module, let inChannels, let outChannels, let kernel, let relu, _):
            expected[module] = ("nn.SpatialConvolution(\(inChannels) -> \(outChannels), \(kernel)x\(kernel), stride 1, no padding, with bias)", { m in
                guard case .convolution(let c) = m else { return false }
                return c.inputPlanes == inChannels && c.outputPlanes == outChannels && c.kernelWidth == kernel && c.kernelHeight == kernel
                    && c.strideWidth == 1 && c.strideHeight == 1 && c.padWidth == 0 && c.padHeight == 0 && c.bias != nil
            })
            if kernel > 1 {
                let p = kernel / 2
                expected[module - 1] = ("nn.SpatialReflectionPadding(\(p), \(p), \(p), \(p))", { $0 == .reflectionPadding(left: p, right: p, top: p, bottom: p) })
            }
            if relu { expected[module + 1] = ("nn.ReLU", { $0 == .relu }) }
        case .maxPool(let module):
            expected[module] = ("nn.SpatialMaxPooling(2, 2, 2, 2, 0, 0) in ceil mode", { m in
                guard case .maxPooling(let p) = m else { return false }
                return p.kernelWidth == 2 && p.kernelHeight == 2 && p.strideWidth == 2 && p.strideHeight == 2
                    && p.padWidth == 0 && p.padHeight == 0 && p.ceilMode
            })
        case .upsample(let module):
            expected[module] = ("nn.SpatialUpSamplingNearest(2)", { $0 == .nearestUpsampling(scale: 2) })
        }
    }
    let count = expected.keys.max()! + 1
    let name = network.title
    for index in 0 ..< count {
        guard let (description, matches) = expected[index] else { continue }
        guard index < modules.count else {
            throw .torch7Module(network: name, index: index, found: "missing (the file has \(modules.count) modules)", expected: description)
        }
        guard matches(modules[index]) else {
            throw .torch7Module(network: name, index: index, found: modules[index].summary, expected: description)
        }
    }
    if network == .decoder, modules.count > count {
        throw .torch7Module(network: name, index: count, found: modules[count].summary, expected: "nothing (the decoder ends with its last convolution)")
    }
    var state: [String: StoredTensor] = [:]
    for index in 0 ..< count {
        guard case .convolution(let c) = modules[index], let bias = c.bias else { continue }
        state["\(index).weight"] = c.weight
        state["\(index).bias"] = bias
    }
    return state
}

extension Torch7Module {
    /// The module's class and defining fields, for messages.
    var summary: String {
        switch self {
        case .convolution(let c):
            return "nn.SpatialConvolution(\(c.inputPlanes) -> \(c.outputPlanes), \(c.kernelWidth)x\(c.kernelHeight), stride \(c.strideWidth)x\(c.strideHeight), padding \(c.padWidth)x\(c.padHeight)\(c.bias == nil ? ", no bias" : ""))"
        case .reflectionPadding(let l, let r, let t, let b): return "nn.SpatialReflectionPadding(\(l), \(r), \(t), \(b))"
        case .relu: return "nn.ReLU"
        case .maxPooling(let p):
            return "nn.SpatialMaxPooling(\(p.kernelWidth), \(p.kernelHeight), \(p.strideWidth), \(p.strideHeight), \(p.padWidth), \(p.padHeight))\(p.ceilMode ? " in ceil mode" : " in floor mode")"
        case .nearestUpsampling(let scale): return "nn.SpatialUpSamplingNearest(\(scale))"
        }
    }
}
