// The training and CIN goldens, and the tiny seeded networks their scripts build
// (Scripts/pytorch_adain.py's tiny_encoder and seeded_conv).

import StyleTransfer
import TensorCore
import TestSupport

/// .goldens/training (Scripts/goldens_training.py).
let trainingGoldens = ArrayGoldens("training")
/// .goldens/norms (Scripts/goldens_norms.py).
let normGoldens = ArrayGoldens("norms")

extension ArrayGoldens {
    /// Reflection padding 1, then the 3x3 convolution `NAME_weight`, `NAME_bias`, then a ReLU if `relu`.
    func convolution(_ name: String, relu: Bool) throws -> TrainingNetwork.Step {
        let w = try tensor("\(name)_weight"), b = try tensor("\(name)_bias")
        return .convolution(ConvolutionWeights(outChannels: w.shape[0], inChannels: w.shape[1], kernelHeight: 3, kernelWidth: 3,
                                               weight: w.values, bias: b.values), padding: 1, relu: relu)
    }

    /// `tiny_encoder()`'s network from `enc_conv0` ... `enc_conv4`: conv 3->4 (relu1_1), conv 4->4,
    /// pool, conv 4->6 (relu2_1), pool, conv 6->6 (relu3_1), pool, conv 6->8 (relu4_1), each after
    /// reflection padding and with a ReLU.
    func tinyEncoder() throws -> TrainingNetwork {
        var steps: [TrainingNetwork.Step] = []
        for k in 0 ..< 5 {
            steps.append(try convolution("enc_conv\(k)", relu: true))
            if k == 1 || k == 2 || k == 3 { steps.append(.maxPool) }
        }
        return TrainingNetwork(steps: steps, landmarks: [0, 3, 5, 7])
    }
}
