// The oneDNN forward pass of Sequential networks against the naive reference kernels, on small
// odd shapes: channels that do not fill a channel block, odd sizes for ceil-mode pooling, the
// smallest planes reflection padding allows, batches, every layer kind after every other.

import Foundation
import Synchronization
import Testing
import TensorCore

@Suite struct SequentialTests {
    /// Runs `layers` on `input` with both implementations and compares every layer's output.
    func check(_ layers: [Layer], input: Tensor, rtol: Float = 1e-4, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let network = Sequential(inputChannels: input.channels, layers: layers)
        let fast = try network.forward(input, keeping: Array(layers.indices))
        let slow = Reference.forward(input, layers)
        for i in layers.indices {
            expectClose(fast[i], slow[i], rtol: rtol, "layer \(i) (\(layers[i].name)) of \(input.shape)", sourceLocation: sourceLocation)
        }
        #expect(network.outputShape(forInput: input.shape) == slow.last!.shape)
    }

    @Test(arguments: [(1, 5, 7, 5, 7), (1, 3, 5, 7, 64), (2, 19, 6, 5, 21), (1, 16, 9, 11, 32), (1, 8, 2, 2, 8), (1, 3, 2, 9, 3)])
    func convolution3x3ReflectionReLU(n: Int, c: Int, h: Int, w: Int, oc: Int) throws {
        var random = SeededRandom(seed: UInt64(n * 1000 + c * 100 + h * 10 + w))
        for relu in [true, false] {
            try check([Layer("conv", .convolution(random.convolution(oc, c, 3), reflectionPadding: 1, relu: relu))],
                      input: random.tensor([n, c, h, w]))
        }
    }

    @Test func convolution1x1AndLargerKernel() throws {
        var random = SeededRandom(seed: 7)
        try check([
            Layer("1x1", .convolution(random.convolution(6, 3, 1), reflectionPadding: 0, relu: false)),
            Layer("5x5 pad 2", .convolution(random.convolution(10, 6, 5), reflectionPadding: 2, relu: true)),
            Layer("3x3 pad 0", .convolution(random.convolution(9, 10, 3), reflectionPadding: 0, relu: true)),
        ], input: random.tensor([1, 3, 8, 9]))
    }

    @Test(arguments: [(5, 7), (6, 8), (1, 1), (1, 4), (3, 2), (33, 47)])
    func maxPoolCeilMode(h: Int, w: Int) throws {
        var random = SeededRandom(seed: UInt64(h * 100 + w))
        for c in [3, 10, 16, 37] {
            try check([Layer("pool", .maxPool2x2Ceil)], input: random.tensor([2, c, h, w]))
        }
    }

    @Test(arguments: [(5, 7), (6, 8), (2, 2), (3, 2), (33, 47)])
    func maxPoolFloorMode(h: Int, w: Int) throws {
        var random = SeededRandom(seed: UInt64(h * 100 + w + 7))
        for c in [3, 10, 16, 37] {
            try check([Layer("pool", .maxPool2x2Floor)], input: random.tensor([2, c, h, w]))
        }
    }

    /// torchvision's VGG: zero-padded convolutions (the first on a 3-channel plain input, others
    /// on blocked activations whose halo a convolution or a pool wrote), floor-mode pooling of odd
    /// sizes, a reflection-padded convolution after a zero-padded one and the reverse, and a
    /// narrow last convolution.
    @Test(arguments: [(5, 7), (9, 10), (4, 4), (1, 2)])
    func zeroPaddingChain(h: Int, w: Int) throws {
        var random = SeededRandom(seed: UInt64(h * 37 + w))
        try check([
            Layer("zero a", .zeroPaddedConvolution(random.convolution(16, 3, 3), zeroPadding: 1, relu: true)),
            Layer("zero b", .zeroPaddedConvolution(random.convolution(20, 16, 3), zeroPadding: 1, relu: true)),
            Layer("pool", .maxPool2x2Floor),
            Layer("zero c", .zeroPaddedConvolution(random.convolution(24, 20, 3), zeroPadding: 1, relu: true)),
            Layer("up", .upsampleNearest2x),
            Layer("zero d 5x5", .zeroPaddedConvolution(random.convolution(16, 24, 5), zeroPadding: 2, relu: false)),
            Layer("zero narrow", .zeroPaddedConvolution(random.convolution(3, 16, 3), zeroPadding: 1, relu: false)),
        ], input: random.tensor([2, 3, 2 * h, 2 * w]))
        try check([
            Layer("reflect", .convolution(random.convolution(8, 3, 3), reflectionPadding: 1, relu: true)),
            Layer("zero", .zeroPaddedConvolution(random.convolution(8, 8, 3), zeroPadding: 1, relu: true)),
            Layer("reflect again", .convolution(random.convolution(3, 8, 3), reflectionPadding: 1, relu: false)),
        ], input: random.tensor([1, 3, h + 2, w + 2]))
    }

    @Test(arguments: [(1, 1), (2, 3), (5, 7), (40, 33)])
    func upsampleNearest(h: Int, w: Int) throws {
        var random = SeededRandom(seed: UInt64(h * 100 + w))
        for c in [3, 24, 40] {
            try check([Layer("up", .upsampleNearest2x)], input: random.tensor([1, c, h, w]))
        }
    }

    /// Every hand-over between layers: a convolution writing the next one's halo, a pool and an
    /// upsample writing into a halo, a convolution feeding a pool, the last layer with 3 channels.
    @Test(arguments: [(5, 7), (9, 10), (4, 4)])
    func encoderDecoderChain(h: Int, w: Int) throws {
        var random = SeededRandom(seed: UInt64(h * 31 + w))
        let layers = [
            Layer("conv a", .convolution(random.convolution(16, 3, 3), reflectionPadding: 1, relu: true)),
            Layer("conv b", .convolution(random.convolution(20, 16, 3), reflectionPadding: 1, relu: true)),
            Layer("pool", .maxPool2x2Ceil),
            Layer("conv c", .convolution(random.convolution(32, 20, 3), reflectionPadding: 1, relu: true)),
            Layer("up", .upsampleNearest2x),
            Layer("conv d", .convolution(random.convolution(16, 32, 3), reflectionPadding: 1, relu: true)),
            Layer("up", .upsampleNearest2x),
            Layer("pool", .maxPool2x2Ceil),
            Layer("conv e", .convolution(random.convolution(3, 16, 3), reflectionPadding: 1, relu: false)),
        ]
        try check(layers, input: random.tensor([1, 3, h, w]))
        try check(layers, input: random.tensor([2, 3, h, w]))
    }

    /// Large enough that the hand-written kernels split their loops over threads.
    @Test func largerShapesUseThreads() throws {
        var random = SeededRandom(seed: 11)
        try check([
            Layer("conv a", .convolution(random.convolution(32, 3, 3), reflectionPadding: 1, relu: true)),
            Layer("pool", .maxPool2x2Ceil),
            Layer("conv b", .convolution(random.convolution(64, 32, 3), reflectionPadding: 1, relu: true)),
            Layer("up", .upsampleNearest2x),
            Layer("conv c", .convolution(random.convolution(3, 64, 3), reflectionPadding: 1, relu: false)),
        ], input: random.tensor([1, 3, 37, 45]), rtol: 2e-4)
    }

    @Test func foldedPointwiseConvolutionMatchesTheTwoLayers() throws {
        var random = SeededRandom(seed: 3)
        let pointwise = random.convolution(3, 3, 1)
        let conv = random.convolution(8, 3, 3)
        let input = random.tensor([1, 3, 6, 7])
        let twoLayers = Reference.forward(input, [
            Layer("1x1", .convolution(pointwise, reflectionPadding: 0, relu: false)),
            Layer("3x3", .convolution(conv, reflectionPadding: 1, relu: true)),
        ]).last!
        let folded = try Sequential(inputChannels: 3, layers: [Layer("folded", .convolution(conv.folding(pointwise: pointwise), reflectionPadding: 1, relu: true))])
            .forward(input)
        expectClose(folded, twoLayers, "folded 1x1 into 3x3")
    }

    @Test func shapesShareANetworkAndPassesRunConcurrently() throws {
        var random = SeededRandom(seed: 5)
        let layers = [
            Layer("conv a", .convolution(random.convolution(16, 3, 3), reflectionPadding: 1, relu: true)),
            Layer("pool", .maxPool2x2Ceil),
            Layer("conv b", .convolution(random.convolution(8, 16, 3), reflectionPadding: 1, relu: true)),
        ]
        let network = Sequential(inputChannels: 3, layers: layers)
        let inputs = [random.tensor([1, 3, 12, 10]), random.tensor([1, 3, 7, 9]), random.tensor([2, 3, 12, 10])]
        let expected = inputs.map { Reference.forward($0, layers).last! }
        let results = Mutex<[Int: Tensor]>([:])
        DispatchQueue.concurrentPerform(iterations: 12) { i in
            let output = try! network.forward(inputs[i % 3])
            if i >= 9 { results.withLock { $0[i % 3] = output } }
        }
        for i in 0 ..< 3 { expectClose(results.withLock { $0[i]! }, expected[i], "input \(inputs[i].shape)") }
    }
}
