// The upsampling and the 3x3 convolution after it computed as one (UpsampledConvolutionForward)
// against the naive reference (upsample, pad, convolve) and oneDNN's direct convolution, and the
// automatic rule's choices. Run under STYLECTL_CHANNEL_BLOCK=8 and =16 (Scripts/test does).

import Testing
import TensorCore
import TestSupport

@Suite struct UpsampledConvolutionTests {
    /// The implementations a pass ran, per layer name.
    static func implementations(_ network: Sequential, _ input: Tensor, _ algorithm: ConvolutionAlgorithm) throws -> [String: String] {
        try WinogradTests.implementations(network, input, algorithm)
    }

    /// Odd sizes, a single row or column (the edge replicated on both sides), batches, channels
    /// that do not fill a block, reflection and zero padding, with and without ReLU, up to the
    /// 64 input channels where the automatic rule fuses; a last block of output channels beyond `oc`.
    @Test(arguments: [(1, 16, 5, 7, 16), (2, 19, 6, 9, 21), (1, 17, 1, 3, 24), (1, 64, 2, 1, 64), (2, 24, 9, 11, 40), (1, 64, 7, 5, 128)])
    func matchesTheReference(n: Int, c: Int, h: Int, w: Int, oc: Int) throws {
        var random = SeededRandom(seed: UInt64(n * 1000 + c * 100 + h * 10 + w))
        for relu in [true, false] {
            for zero in [false, true] {
                let weights = WinogradTests.heConvolution(oc, c, random: &random)
                let layers = [Layer("up", .upsampleNearest2x),
                              zero ? Layer("conv", .zeroPaddedConvolution(weights, zeroPadding: 1, relu: relu))
                                  : Layer("conv", .convolution(weights, reflectionPadding: 1, relu: relu))]
                let input = random.tensor([n, c, h, w])
                let network = Sequential(inputChannels: c, layers: layers)
                let ran = try Self.implementations(network, input, .automatic)
                #expect(ran["conv"]!.hasPrefix("upsampled"), "conv ran \(ran["conv"]!)")
                let fused = try network.forward(input, keeping: [1], convolutions: .automatic)[0]
                let reference = Reference.forward(input, layers)[1]
                #expect(fused.shape == [n, oc, 2 * h, 2 * w])
                let error = scaledMaxError(fused, reference)
                #expect(error <= winogradBound, "zero padding \(zero), relu \(relu), input \(input.shape): scaled max error \(error)")
                let direct = try network.forward(input, keeping: [1], convolutions: .direct)[0]
                #expect(scaledMaxError(fused, direct) <= winogradBound)
            }
        }
    }

    /// A kept upsampling output is the upsampled input, exactly, though the pass never writes it.
    @Test func keptUpsamplingIsTheUpsampledInput() throws {
        var random = SeededRandom(seed: 31)
        let layers = [Layer("up", .upsampleNearest2x),
                      Layer("conv", .convolution(WinogradTests.heConvolution(32, 32, random: &random), reflectionPadding: 1, relu: true))]
        let network = Sequential(inputChannels: 32, layers: layers)
        let input = random.tensor([2, 32, 5, 6])
        let outputs = try network.forward(input, keeping: [0, 1], convolutions: .automatic)
        #expect(outputs[0] == Reference.upsampleNearest2x(input))
        #expect(scaledMaxError(outputs[1], Reference.forward(input, layers)[1]) <= winogradBound)
    }

    /// After an upsampling, the automatic rule fuses up to 64 input channels and leaves 128 and
    /// more to Winograd; `.winograd` and `.direct` never fuse, and a convolution not after an upsampling,
    /// or a 1x1 one after it, is not fused.
    @Test func automaticRuleFusesSmallLayers() throws {
        var random = SeededRandom(seed: 37)
        let wide = WinogradTests.heConvolution(256, 256, random: &random)
        let narrowing = WinogradTests.heConvolution(64, 128, random: &random)
        let small = WinogradTests.heConvolution(64, 64, random: &random)
        let pointwise = ConvolutionWeights(outChannels: 16, inChannels: 64, kernelHeight: 1, kernelWidth: 1,
                                           weight: (0 ..< 16 * 64).map { _ in random.uniform() }, bias: [Float](repeating: 0, count: 16))
        let layers = [
            Layer("up1", .upsampleNearest2x), Layer("wide", .convolution(wide, reflectionPadding: 1, relu: true)),
            Layer("plain", .convolution(WinogradTests.heConvolution(128, 256, random: &random), reflectionPadding: 1, relu: true)),
            Layer("up2", .upsampleNearest2x), Layer("narrowing", .convolution(narrowing, reflectionPadding: 1, relu: true)),
            Layer("up3", .upsampleNearest2x), Layer("small", .convolution(small, reflectionPadding: 1, relu: true)),
            Layer("up4", .upsampleNearest2x), Layer("pointwise", .convolution(pointwise, reflectionPadding: 0, relu: false)),
        ]
        let network = Sequential(inputChannels: 256, layers: layers)
        let input = random.tensor([1, 256, 3, 4])
        let automatic = try Self.implementations(network, input, .automatic)
        #expect(automatic["wide"]!.hasPrefix("winograd"))
        #expect(automatic["plain"]!.hasPrefix("winograd"))
        #expect(automatic["narrowing"]!.hasPrefix("winograd"))
        #expect(automatic["small"]!.hasPrefix("upsampled"))
        #expect(!automatic["pointwise"]!.hasPrefix("upsampled"))
        for algorithm in [ConvolutionAlgorithm.winograd, .direct] {
            #expect(try Self.implementations(network, input, algorithm).values.allSatisfy { !$0.hasPrefix("upsampled") })
        }
        let a = try network.forward(input, keeping: [8], convolutions: .automatic)[0]
        let d = try network.forward(input, keeping: [8], convolutions: .direct)[0]
        #expect(scaledMaxError(a, d) <= winogradBound)
    }
}
