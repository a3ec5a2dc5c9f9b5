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
        #expect(training.layers.count == 12 && training.landmarks.map(\.layer) == [0, 3, 6, 11])
        // The landmarks are the table's named layers, the ones the inference encoder returns.
        #expect(training.landmarks.map(\.name) == VGGEncoder.landmarks && VGGEncoder.landmarks == ["relu1_1", "relu2_1", "relu3_1", "relu4_1"])
        let features = training.features(try NetworkGoldens.tensor("style_input"))
        for (i, (landmark, tolerance)) in zip(VGGEncoder.landmarks, [1e-5, 2e-5, 3e-5, 5e-5] as [Float]).enumerated() {
            expectMatchesGolden(features[i], try NetworkGoldens.tensor("style_\(landmark)"), rtol: tolerance, "training encoder \(landmark)")
        }
    }
}

@Suite struct TrainingDecoderChainTests {
    /// goldens_training.py's tiny decoder chain: pad, conv 4->5, ReLU, upsample, pad, conv 5->3.
    static func decoder() throws -> TrainingNetwork {
        var chain = TinyChain()
        try trainingGoldens.convolution("dec_conv0", relu: true, to: &chain)
        chain.upsample()
        try trainingGoldens.convolution("dec_conv1", relu: false, landmark: "image", to: &chain)
        return try chain.network()
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
        #expect(training.convolutions.count == 9 && training.landmarks.map(\.layer) == [training.layers.count - 1])
        #expect(training.landmarks.map(\.name) == ["image"])
        #expect(training.convolutionModules == [1, 5, 8, 11, 14, 18, 21, 25, 28])
        var random = SeededRandom(seed: 41)
        let t = Tensor(shape: [1, 512, 3, 4], values: (0 ..< 512 * 12).map { _ in random.uniform() })
        let expected = decoder.decode(t)
        let output = training.forward(t).output
        #expect(output.shape == expected.shape)
        #expect(allClose(output.values, expected.values, rtol: 1e-4, atol: 1e-5), "\(maxAbsDifference(output.values, expected.values))")
    }
}
