// The encoder, AdaIN and decoder against pytorch-AdaIN run on the same seeded weights and images
// (Scripts/goldens_network.py): every relu landmark, the statistics, AdaIN, and the decoded output
// at alpha 1, 0.5 and 0. The content image is 90x128: ceil-mode pooling makes the output 96x128.

import Checkpoints
import StyleTransfer
import Testing
import TensorCore

@Suite struct NetworkGoldenTests {
    @Test(arguments: ["content", "style"])
    func encoderLandmarks(image: String) throws {
        let (encoder, _) = try NetworkGoldens.networks.get()
        let features = encoder.encodeWithIntermediates(try NetworkGoldens.tensor("\(image)_input"))
        for (landmark, tolerance) in zip(VGGEncoder.landmarks, [1e-5, 2e-5, 3e-5, 5e-5] as [Float]) {
            let i = VGGEncoder.landmarks.firstIndex(of: landmark)!
            expectMatchesGolden(features[i], try NetworkGoldens.tensor("\(image)_\(landmark)"), rtol: tolerance, "\(image) \(landmark)")
        }
        #expect(encoder.encode(try NetworkGoldens.tensor("\(image)_input")) == features[3])
    }

    @Test func meanAndStdOfRelu4_1() throws {
        let (mean, std) = calcMeanStd(try NetworkGoldens.tensor("content_relu4_1"))
        expectMatchesGolden(Tensor(shape: [1, 512, 1, 1], values: mean), try NetworkGoldens.tensor("content_relu4_1_mean"), rtol: 1e-6, "mean")
        expectMatchesGolden(Tensor(shape: [1, 512, 1, 1], values: std), try NetworkGoldens.tensor("content_relu4_1_std"), rtol: 1e-6, "std")
    }

    @Test func adaptiveInstanceNormalizationOfReferenceFeatures() throws {
        let t = adaptiveInstanceNormalization(content: try NetworkGoldens.tensor("content_relu4_1"), style: try NetworkGoldens.tensor("style_relu4_1"))
        expectMatchesGolden(t, try NetworkGoldens.tensor("adain"), rtol: 1e-5, "AdaIN")
    }

    @Test func decoderOfReferenceAdaIN() throws {
        let (_, decoder) = try NetworkGoldens.networks.get()
        expectMatchesGolden(decoder.decode(try NetworkGoldens.tensor("adain")), try NetworkGoldens.tensor("decoded_alpha1"), rtol: 3e-5, "g(AdaIN)")
    }

    /// test.py's style_transfer from the input images: f(c), f(s), AdaIN, blend, g.
    @Test(arguments: [(Float(1), "decoded_alpha1"), (0.5, "decoded_alpha0_5"), (0, "decoded_alpha0")])
    func stylizationEndToEnd(alpha: Float, golden: String) throws {
        let (encoder, decoder) = try NetworkGoldens.networks.get()
        let content = encoder.encode(try NetworkGoldens.tensor("content_input"))
        let style = encoder.encode(try NetworkGoldens.tensor("style_input"))
        let output = decoder.decode(blend(adaptiveInstanceNormalization(content: content, style: style), content, alpha: alpha))
        expectMatchesGolden(output, try NetworkGoldens.tensor(golden), rtol: 1e-4, "stylized, alpha \(alpha)")
    }

    /// pytorch-AdaIN's weights come as .pth files (legacy pickle or zip); built from either, the
    /// networks compute exactly what they compute from the safetensors copy.
    @Test(arguments: ["legacy", "zip"])
    func pthCheckpointsGiveTheSameNetworks(format: String) throws {
        let (encoder, decoder) = try NetworkGoldens.networks.get()
        let pthEncoder = try VGGEncoder(weights: loadStateDict(path: NetworkGoldens.url("vgg_\(format).pth").path))
        let pthDecoder = try Decoder(weights: loadStateDict(path: NetworkGoldens.url("decoder_\(format).pth").path))
        let image = try NetworkGoldens.tensor("style_input")
        #expect(pthEncoder.encode(image) == encoder.encode(image))
        let t = try NetworkGoldens.tensor("adain")
        #expect(pthDecoder.decode(t) == decoder.decode(t))
    }
}
