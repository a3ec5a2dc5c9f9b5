// The Winograd F(4x4, 3x3) convolutions against the naive reference and against oneDNN's direct
// convolution, layer by layer on the seeded AdaIN network, and the automatic rule's choices.
// Run under STYLECTL_CHANNEL_BLOCK=8 and =16 (Scripts/test does) for both activation layouts.

import Dispatch
import Foundation
import Synchronization
import Testing
import TensorCore
import TestSupport

/// The error measure for convolutions: `max |actual - expected| / max |expected|` over the whole
/// output.
///
/// Winograd's rounding errors are not proportional to each output value: a tile's transform mixes
/// its 36 inputs, so an output near zero (a ReLU's edge, a cancellation) carries an error of the
/// size of its neighbours'. Measured against the output's largest value, the error is scale-free
/// and is what the next layer sees, since it sums absolute values of the whole activation.
func scaledMaxError(_ actual: Tensor, _ expected: Tensor) -> Double {
    let scale = expected.values.reduce(Float(0)) { max($0, abs($1)) }
    return Double(maxAbsDifference(actual.values, expected.values).value) / Double(max(scale, .leastNormalMagnitude))
}

/// The bound every Winograd layer must meet against the direct convolution (issue 17).
///
/// Where it comes from: in float32 (unit roundoff u = 6e-8) a direct convolution's sum of
/// K = 9 IC ≤ 4608 products has a relative error up to about u √K ≈ 4e-6 of its scale (random
/// rounding). Winograd F(4x4, 3x3) adds its transforms, whose rows sum to at most 10 in absolute
/// value (Bᵀ, applied twice) and 19 (Aᵀ, applied twice), and its products run over IC instead of
/// 9 IC terms: a rounding error of u · 10² · 19² ≈ 2e-3 in the worst case where all the errors
/// align, and about its square root in relative terms, ~5e-5 scaled error, for random signs. 1e-4
/// leaves a factor two above that estimate on any CPU (the summation order of sgemm's kernels, AVX2
/// or AVX-512, changes the errors' signs, not their size).
let winogradBound = 1e-4

@Suite struct WinogradTests {
    /// He-uniform weights (as stylebench's seeded network) so that activations keep their scale
    /// through the layers, and a bias in [-0.1, 0.1).
    static func heConvolution(_ oc: Int, _ ic: Int, random: inout SeededRandom) -> ConvolutionWeights {
        let bound = (6 / Float(ic * 9)).squareRoot()
        return ConvolutionWeights(outChannels: oc, inChannels: ic, kernelHeight: 3, kernelWidth: 3,
                                  weight: (0 ..< oc * ic * 9).map { _ in random.uniform() * bound },
                                  bias: (0 ..< oc).map { _ in 0.1 * random.uniform() })
    }

    /// The implementations a pass ran, per layer name.
    static func implementations(_ network: Sequential, _ input: Tensor, _ algorithm: ConvolutionAlgorithm) throws -> [String: String] {
        var ran: [String: String] = [:]
        _ = try network.forward(input, keeping: [network.layers.count - 1], convolutions: algorithm) { ran[$0.name] = $0.implementation }
        return ran
    }

    /// Partial tiles at both edges (sizes not multiples of 4, planes smaller than a tile), batches,
    /// channels that do not fill a block, reflection and zero padding, with and without ReLU. The
    /// shapes take Winograd under both channel blocks (at least 16 input channels, so that the
    /// input is blocked, and more than 8 output channels, so that the layer is not narrow).
    @Test(arguments: [(1, 16, 5, 7, 12), (2, 19, 6, 9, 21), (1, 17, 1, 2, 16), (1, 32, 13, 4, 40), (2, 24, 9, 11, 24)])
    func matchesTheReference(n: Int, c: Int, h: Int, w: Int, oc: Int) throws {
        var random = SeededRandom(seed: UInt64(n * 1000 + c * 100 + h * 10 + w))
        for relu in [true, false] {
            for zero in [false, true] {
                let weights = Self.heConvolution(oc, c, random: &random)
                let layer = zero ? Layer("zero", .zeroPaddedConvolution(weights, zeroPadding: 1, relu: relu))
                    : Layer("reflect", .convolution(weights, reflectionPadding: 1, relu: relu))
                let input = random.tensor([n, c, h + (zero ? 0 : 1), w + (zero ? 0 : 1)])
                let network = Sequential(inputChannels: c, layers: [layer])
                #expect(try Self.implementations(network, input, .winograd)[layer.name]!.hasPrefix("winograd"))
                let fast = try network.forward(input, keeping: [0], convolutions: .winograd)[0]
                let slow = Reference.forward(input, [layer])[0]
                #expect(fast.shape == slow.shape)
                let error = scaledMaxError(fast, slow)
                #expect(error <= winogradBound, "\(layer.name) relu \(relu) on \(input.shape): scaled max error \(error)")
            }
        }
    }

    /// Every 3x3 layer of the seeded AdaIN network (vgg_normalised to relu4_1, then the decoder) on
    /// the activations the direct path gives it from an image-like input: Winograd within
    /// ``winogradBound`` of the direct convolution, layer by layer.
    @Test func everyLayerOfTheSeededNetworkMeetsTheBound() throws {
        var random = SeededRandom(seed: 17)
        func conv(_ name: String, _ oc: Int, _ ic: Int, relu: Bool = true) -> Layer {
            Layer(name, .convolution(Self.heConvolution(oc, ic, random: &random), reflectionPadding: 1, relu: relu))
        }
        let layers = [
            conv("conv1_1", 64, 3), conv("conv1_2", 64, 64), Layer("pool1", .maxPool2x2Ceil),
            conv("conv2_1", 128, 64), conv("conv2_2", 128, 128), Layer("pool2", .maxPool2x2Ceil),
            conv("conv3_1", 256, 128), conv("conv3_2", 256, 256), conv("conv3_3", 256, 256), conv("conv3_4", 256, 256),
            Layer("pool3", .maxPool2x2Ceil), conv("conv4_1", 512, 256),
            conv("dec4_1", 256, 512), Layer("up1", .upsampleNearest2x), conv("dec3_4", 256, 256), conv("dec3_3", 256, 256),
            conv("dec3_2", 256, 256), conv("dec3_1", 128, 256), Layer("up2", .upsampleNearest2x), conv("dec2_2", 128, 128),
            conv("dec2_1", 64, 128), Layer("up3", .upsampleNearest2x), conv("dec1_2", 64, 64), conv("dec1_1", 3, 64, relu: false),
        ]
        // A smooth image with texture, in [0, 1], 40x36 (tiles cut through the edges at every level).
        let (h, w) = (40, 36)
        var pixels: [Float] = []
        for c in 0 ..< 3 {
            for y in 0 ..< h {
                for x in 0 ..< w {
                    let wave = Float(0.5 + 0.3 * sin(Double(x + 3 * c) / 5) * cos(Double(y) / 7))
                    pixels.append(min(1, max(0, wave + 0.1 * random.uniform())))
                }
            }
        }
        let image = Tensor(shape: [1, 3, h, w], values: pixels)
        let network = Sequential(inputChannels: 3, layers: layers)
        let activations = try network.forward(image, keeping: Array(layers.indices), convolutions: .direct)
        var checked = 0
        for (index, layer) in layers.enumerated() {
            guard let (weights, _, _, _) = layer.convolution, weights.inChannels >= 8, weights.outChannels >= 8 else { continue }
            let single = Sequential(inputChannels: weights.inChannels, layers: [layer])
            let input = activations[index - 1]
            #expect(try Self.implementations(single, input, .winograd)[layer.name]!.hasPrefix("winograd"))
            let direct = try single.forward(input, keeping: [0], convolutions: .direct)[0]
            let winograd = try single.forward(input, keeping: [0], convolutions: .winograd)[0]
            let error = scaledMaxError(winograd, direct)
            #expect(error <= winogradBound, "\(layer.name) on \(input.shape): scaled max error \(error)")
            print("winograd vs direct, \(layer.name) \(input.shape): scaled max error \(error)")
            checked += 1
        }
        #expect(checked == 16)
    }

    /// The automatic rule keeps the first convolution (3 channels, plain input) and the narrow last
    /// one direct and takes Winograd for the others; `.direct` takes it for none.
    @Test func automaticRuleChoosesPerLayer() throws {
        var random = SeededRandom(seed: 23)
        let layers = [
            Layer("first", .convolution(Self.heConvolution(64, 3, random: &random), reflectionPadding: 1, relu: true)),
            Layer("middle", .convolution(Self.heConvolution(64, 64, random: &random), reflectionPadding: 1, relu: true)),
            Layer("last", .convolution(Self.heConvolution(3, 64, random: &random), reflectionPadding: 1, relu: false)),
        ]
        let network = Sequential(inputChannels: 3, layers: layers)
        let input = random.tensor([1, 3, 20, 20])
        let automatic = try Self.implementations(network, input, .automatic)
        #expect(!automatic["first"]!.hasPrefix("winograd"))
        #expect(automatic["middle"]!.hasPrefix("winograd"))
        #expect(!automatic["last"]!.hasPrefix("winograd"))
        #expect(try Self.implementations(network, input, .direct).values.allSatisfy { !$0.hasPrefix("winograd") })
        // Both algorithms' plans live side by side in one network and agree.
        let a = try network.forward(input, keeping: [2], convolutions: .automatic)[0]
        let d = try network.forward(input, keeping: [2], convolutions: .direct)[0]
        #expect(scaledMaxError(a, d) <= winogradBound)
    }

    /// Passes of several shapes on one network at once: each takes its own tile scratch from the
    /// pool, the transformed weights are shared, and every result is the reference's.
    @Test func concurrentPassesShareTransformedWeights() throws {
        var random = SeededRandom(seed: 29)
        let layers = [
            Layer("a", .convolution(Self.heConvolution(24, 16, random: &random), reflectionPadding: 1, relu: true)),
            Layer("pool", .maxPool2x2Ceil),
            Layer("b", .zeroPaddedConvolution(Self.heConvolution(32, 24, random: &random), zeroPadding: 1, relu: false)),
        ]
        let network = Sequential(inputChannels: 16, layers: layers)
        let inputs = [random.tensor([1, 16, 13, 10]), random.tensor([2, 16, 7, 9]), random.tensor([1, 16, 22, 17])]
        let expected = inputs.map { Reference.forward($0, layers).last! }
        let results = Mutex<[Int: Tensor]>([:])
        DispatchQueue.concurrentPerform(iterations: 9) { i in
            let output = try! network.forward(inputs[i % 3], keeping: [2], convolutions: .winograd)[0]
            if i >= 6 { results.withLock { $0[i % 3] = output } }
        }
        for i in 0 ..< 3 {
            let error = scaledMaxError(results.withLock { $0[i]! }, expected[i])
            #expect(error <= winogradBound, "input \(inputs[i].shape): scaled max error \(error)")
        }
    }
}
