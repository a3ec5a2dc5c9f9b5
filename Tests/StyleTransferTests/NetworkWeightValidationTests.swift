// Building the encoder and decoder from state_dicts that do not fit: each error names the key,
// and a VGG file given as the decoder (or the reverse) is recognised as such.

import Checkpoints
import StyleTransfer
import Testing

@Suite struct NetworkWeightValidationTests {
    /// (module, out, in, kernel) of pytorch-AdaIN's convolutions, written out independently of the
    /// tables in Sources/StyleTransfer/Network.
    static let vggConvolutions = [(0, 3, 3, 1), (2, 64, 3, 3), (5, 64, 64, 3), (9, 128, 64, 3), (12, 128, 128, 3),
                                  (16, 256, 128, 3), (19, 256, 256, 3), (22, 256, 256, 3), (25, 256, 256, 3), (29, 512, 256, 3)]
    static let vggBeyondRelu4_1 = [(32, 512, 512, 3), (35, 512, 512, 3), (38, 512, 512, 3), (42, 512, 512, 3), (45, 512, 512, 3)]
    static let decoderConvolutions = [(1, 256, 512, 3), (5, 256, 256, 3), (8, 256, 256, 3), (11, 256, 256, 3), (14, 128, 256, 3),
                                      (18, 128, 128, 3), (21, 64, 128, 3), (25, 64, 64, 3), (28, 3, 64, 3)]

    static func stateDict(_ convolutions: [(Int, Int, Int, Int)]) -> [String: StoredTensor] {
        var state: [String: StoredTensor] = [:]
        for (module, out, input, kernel) in convolutions {
            state["\(module).weight"] = StoredTensor(shape: [out, input, kernel, kernel], values: [Float](repeating: 0.01, count: out * input * kernel * kernel))
            state["\(module).bias"] = StoredTensor(shape: [out], values: [Float](repeating: 0, count: out))
        }
        return state
    }

    @Test func completeFilesLoadAndExtraVGGLayersAreIgnored() throws {
        _ = try VGGEncoder(weights: Self.stateDict(Self.vggConvolutions + Self.vggBeyondRelu4_1))
        _ = try Decoder(weights: Self.stateDict(Self.decoderConvolutions))
    }

    @Test func missingKeyIsNamed() {
        var vgg = Self.stateDict(Self.vggConvolutions)
        vgg["29.bias"] = nil
        #expect(throws: NetworkWeightError.missingKey(network: "VGG encoder", key: "29.bias", expectedShape: [512])) {
            try VGGEncoder(weights: vgg)
        }
        var decoder = Self.stateDict(Self.decoderConvolutions)
        decoder["28.weight"] = nil
        #expect(throws: NetworkWeightError.missingKey(network: "decoder", key: "28.weight", expectedShape: [3, 64, 3, 3])) {
            try Decoder(weights: decoder)
        }
    }

    @Test func wrongShapeGivesExpectedAndFound() {
        var vgg = Self.stateDict(Self.vggConvolutions)
        vgg["5.weight"] = StoredTensor(shape: [64, 64, 1, 9], values: [Float](repeating: 0, count: 64 * 64 * 9))
        let error = NetworkWeightError.wrongShape(network: "VGG encoder", key: "5.weight", expected: [64, 64, 3, 3], found: [64, 64, 1, 9])
        #expect(throws: error) { try VGGEncoder(weights: vgg) }
        #expect(error.description == "tensor '5.weight' has shape [64, 64, 1, 9], the VGG encoder needs [64, 64, 3, 3]")
    }

    @Test func unexpectedDecoderKeyIsAnError() {
        var decoder = Self.stateDict(Self.decoderConvolutions)
        decoder["30.weight"] = StoredTensor(shape: [1], values: [0])
        #expect(throws: NetworkWeightError.unexpectedKey(network: "decoder", key: "30.weight")) { try Decoder(weights: decoder) }
    }

    @Test func swappedFilesAreRecognised() {
        #expect(throws: NetworkWeightError.vggGivenAsDecoder) {
            try Decoder(weights: Self.stateDict(Self.vggConvolutions + Self.vggBeyondRelu4_1))
        }
        #expect(throws: NetworkWeightError.decoderGivenAsVGG) { try VGGEncoder(weights: Self.stateDict(Self.decoderConvolutions)) }
        #expect(NetworkWeightError.vggGivenAsDecoder.description.contains("this looks like a VGG checkpoint, not a decoder"))
        #expect(NetworkWeightError.decoderGivenAsVGG.description.contains("this looks like a decoder checkpoint, not a VGG"))
    }

    @Test func swappedGoldenFilesAreRecognised() throws {
        let vgg = try loadStateDict(path: NetworkGoldens.url("vgg.safetensors").path)
        let decoder = try loadStateDict(path: NetworkGoldens.url("decoder.safetensors").path)
        #expect(throws: NetworkWeightError.vggGivenAsDecoder) { try Decoder(weights: vgg) }
        #expect(throws: NetworkWeightError.decoderGivenAsVGG) { try VGGEncoder(weights: decoder) }
    }
}
