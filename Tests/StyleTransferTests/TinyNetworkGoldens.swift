// The training and CIN goldens, and the tiny seeded networks their scripts build
// (Scripts/pytorch_adain.py's tiny_encoder and seeded_conv).

import Checkpoints
import StyleTransfer
import TensorCore
import TestSupport

/// .goldens/training (Scripts/goldens_training.py).
let trainingGoldens = ArrayGoldens("training")
/// .goldens/norms (Scripts/goldens_norms.py).
let normGoldens = ArrayGoldens("norms")

/// A small network written as an architecture table in pytorch-AdaIN's module numbering (each 3x3
/// convolution after its reflection padding and before its ReLU, each module counted), with its
/// state_dict: how tests build the tiny networks the golden scripts use.
struct TinyChain {
    private(set) var table: [ArchitectureLayer] = []
    private(set) var weights: [String: StoredTensor] = [:]
    private var module = 0

    /// Reflection padding 1, the 3x3 convolution of `weight` (out, in, 3, 3) and `bias` (out), then a ReLU if `relu`.
    mutating func convolution(weight: Tensor, bias: [Float], relu: Bool, landmark: String? = nil) {
        module += 1
        table.append(.convolution(module: module, inChannels: weight.shape[1], outChannels: weight.shape[0], kernel: 3, relu: relu, landmark: landmark))
        weights["\(module).weight"] = StoredTensor(shape: weight.shape, values: weight.values)
        weights["\(module).bias"] = StoredTensor(shape: [weight.shape[0]], values: bias)
        module += relu ? 2 : 1
    }

    mutating func maxPool() {
        table.append(.maxPool(module: module))
        module += 1
    }

    mutating func upsample() {
        table.append(.upsample(module: module))
        module += 1
    }

    func network() throws -> TrainingNetwork { try TrainingNetwork(architecture: table, weights: weights, network: "tiny") }
}

extension ArrayGoldens {
    /// Appends reflection padding 1, the 3x3 convolution `NAME_weight`, `NAME_bias`, then a ReLU if `relu`.
    func convolution(_ name: String, relu: Bool, landmark: String? = nil, to chain: inout TinyChain) throws {
        chain.convolution(weight: try tensor("\(name)_weight"), bias: try tensor("\(name)_bias").values, relu: relu, landmark: landmark)
    }

    /// `tiny_encoder()`'s network from `enc_conv0` ... `enc_conv4`: conv 3->4 (relu1_1), conv 4->4,
    /// pool, conv 4->6 (relu2_1), pool, conv 6->6 (relu3_1), pool, conv 6->8 (relu4_1), each after
    /// reflection padding and with a ReLU.
    func tinyEncoder() throws -> TrainingNetwork {
        var chain = TinyChain()
        let landmarks = [0: "relu1_1", 2: "relu2_1", 3: "relu3_1", 4: "relu4_1"]
        for k in 0 ..< 5 {
            try convolution("enc_conv\(k)", relu: true, landmark: landmarks[k], to: &chain)
            if k == 1 || k == 2 || k == 3 { chain.maxPool() }
        }
        return try chain.network()
    }
}
