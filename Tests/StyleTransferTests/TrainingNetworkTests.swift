// The training encoder built from the VGG encoder gives pytorch-AdaIN's relu1_1 ... relu4_1
// (.goldens/network), so the AdaIN loss is computed on the real features.

import StyleTransfer
import Testing
import TensorCore
import TestSupport

@Suite struct TrainingNetworkTests {
    @Test("TrainingNetwork(VGGEncoder) features match PyTorch")
    func vggFeatures() throws {
        let (encoder, _) = try NetworkGoldens.networks.get()
        let training = TrainingNetwork(encoder)
        #expect(training.steps.count == 12 && training.landmarks == [0, 3, 6, 11])
        let features = training.features(try NetworkGoldens.tensor("style_input"))
        for (i, (landmark, tolerance)) in zip(VGGEncoder.landmarks, [1e-5, 2e-5, 3e-5, 5e-5] as [Float]).enumerated() {
            expectMatchesGolden(features[i], try NetworkGoldens.tensor("style_\(landmark)"), rtol: tolerance, "training encoder \(landmark)")
        }
    }
}

@Suite struct TrainingDecoderChainTests {
    /// goldens_training.py's tiny decoder chain: pad, conv 4->5, ReLU, upsample, pad, conv 5->3.
    static func decoder() throws -> TrainingNetwork {
        TrainingNetwork(steps: [try trainingGoldens.convolution("dec_conv0", relu: true), .upsample,
                                try trainingGoldens.convolution("dec_conv1", relu: false)], landmarks: [2])
    }

    @Test("decoder chain: output, input and weight gradients match PyTorch autograd")
    func gradients() throws {
        let decoder = try Self.decoder()
        let pass = decoder.forward(try trainingGoldens.tensor("dec_in"))
        let expectedOut = try trainingGoldens.tensor("dec_out")
        #expect(pass.output.shape == expectedOut.shape)
        #expect(allClose(pass.output.values, expectedOut.values, rtol: 1e-5, atol: 1e-5), "output: \(maxAbsDifference(pass.output.values, expectedOut.values))")
        let (input, convolutions) = decoder.backward(pass, featureGradients: [try trainingGoldens.tensor("dec_g")], weights: true)
        let din = try trainingGoldens.tensor("dec_din")
        #expect(allClose(input.values, din.values, rtol: 1e-4, atol: 1e-4), "input gradient: \(maxAbsDifference(input.values, din.values))")
        #expect(convolutions.count == 2)
        for (k, gradient) in convolutions.enumerated() {
            let dw = try trainingGoldens.tensor("dec_conv\(k)_dweight").values, db = try trainingGoldens.tensor("dec_conv\(k)_dbias").values
            #expect(allClose(gradient.weight, dw, rtol: 1e-4, atol: 1e-4), "conv \(k) weight gradient: \(maxAbsDifference(gradient.weight, dw))")
            #expect(allClose(gradient.bias, db, rtol: 1e-4, atol: 1e-4), "conv \(k) bias gradient: \(maxAbsDifference(gradient.bias, db))")
        }
    }

    @Test("TrainingNetwork(Decoder) computes what the inference decoder computes")
    func inferenceDecoder() throws {
        let (_, decoder) = try NetworkGoldens.networks.get()
        let training = TrainingNetwork(decoder)
        #expect(training.convolutions.count == 9 && training.landmarks == [training.steps.count - 1])
        var random = SeededRandom(seed: 41)
        let t = Tensor(shape: [1, 512, 3, 4], values: (0 ..< 512 * 12).map { _ in random.uniform() })
        let expected = decoder.decode(t)
        let output = training.forward(t).output
        #expect(output.shape == expected.shape)
        #expect(allClose(output.values, expected.values, rtol: 1e-4, atol: 1e-5), "\(maxAbsDifference(output.values, expected.values))")
    }
}
