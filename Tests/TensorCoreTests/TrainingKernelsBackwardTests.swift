// The plain NCHW training kernels: every backward against central finite differences of its
// forward (sums in Double) on tiny shapes, the oneDNN convolution against naive loops, and all of
// them against PyTorch autograd (.goldens/training, Scripts/goldens_training.py).

import Testing
import TensorCore
import TestSupport

/// The loss sum(f(x) * g) in Double, and the gradient of it by central differences in each input.
private func finiteDifferences(_ x: [Float], step h: Float, _ loss: ([Float]) -> Double) -> [Float] {
    var x = x
    return x.indices.map { i in
        let saved = x[i]
        x[i] = saved + h
        let plus = loss(x)
        x[i] = saved - h
        let minus = loss(x)
        x[i] = saved
        return Float((plus - minus) / Double(2 * h))
    }
}

private func dot(_ a: Tensor, _ g: Tensor) -> Double {
    zip(a.values, g.values).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

/// Expects |actual - expected| <= tolerance * max(1, max|expected|) everywhere.
private func expectGradient(_ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
    let scale = max(1, expected.reduce(0) { max($0, abs($1)) })
    let worst = maxAbsDifference(actual, expected)
    #expect(worst.value <= tolerance * scale,
            "\(what): max abs difference \(worst.value) at \(worst.index) (\(actual[worst.index]) vs \(expected[worst.index])), scale \(scale)",
            sourceLocation: sourceLocation)
}

/// Values spaced at least 0.01 apart in a seeded order (no ties and no kinks within a step of 1e-3).
private func distinctValues(_ shape: [Int], seed: UInt64) -> Tensor {
    var random = SeededRandom(seed: seed)
    let count = shape.reduce(1, *)
    var values = (0 ..< count).map { Float($0) * 0.01 - Float(count) * 0.005 + 0.005 }
    for i in stride(from: count - 1, to: 0, by: -1) { values.swapAt(i, Int(random.next() % UInt64(i + 1))) }
    return Tensor(shape: shape, values: values)
}

@Suite("Training kernels: backward vs finite differences")
struct TrainingKernelsFiniteDifferenceTests {
    @Test("reflection pad 1", arguments: [[1, 2, 4, 5], [2, 3, 5, 7], [1, 2, 2, 3]])
    func reflectionPad(shape: [Int]) {
        var random = SeededRandom(seed: 11)
        let x = random.tensor(shape)
        let g = random.tensor([shape[0], shape[1], shape[2] + 2, shape[3] + 2])
        var dx = Tensor(zeros: shape)
        TrainingKernels.reflectionPad1Backward(g, accumulatingInto: &dx)
        let fd = finiteDifferences(x.values, step: 1e-2) { dot(TrainingKernels.reflectionPad1Forward(Tensor(shape: shape, values: $0)), g) }
        expectGradient(dx.values, fd, tolerance: 1e-3, "pad \(shape)")
        #expect(TrainingKernels.reflectionPad1Forward(x) == Reference.reflectionPad(x, 1))
    }

    @Test("3x3 convolution: input, weight and bias gradients", arguments: [[1, 2, 4, 5], [2, 3, 6, 7]])
    func convolution(shape: [Int]) {
        var random = SeededRandom(seed: 12)
        let x = random.tensor(shape)
        let w = random.convolution(3, shape[1], 3)
        let g = random.tensor([shape[0], 3, shape[2] - 2, shape[3] - 2])
        func conv(_ x: [Float], _ weight: [Float], _ bias: [Float]) -> Tensor {
            TrainingKernels.convolutionForward(Tensor(shape: shape, values: x),
                                               ConvolutionWeights(outChannels: 3, inChannels: shape[1], kernelHeight: 3, kernelWidth: 3, weight: weight, bias: bias))
        }
        var dx = Tensor(zeros: shape)
        TrainingKernels.convolutionBackwardData(g, w, accumulatingInto: &dx)
        var dw = [Float](repeating: 0, count: w.weight.count), db = [Float](repeating: 0, count: 3)
        TrainingKernels.convolutionBackwardWeights(g, input: x, w, accumulatingInto: &dw, &db)
        expectGradient(dx.values, finiteDifferences(x.values, step: 1e-2) { dot(conv($0, w.weight, w.bias), g) }, tolerance: 1e-3, "conv dInput \(shape)")
        expectGradient(dw, finiteDifferences(w.weight, step: 1e-2) { dot(conv(x.values, $0, w.bias), g) }, tolerance: 1e-3, "conv dWeight \(shape)")
        expectGradient(db, finiteDifferences(w.bias, step: 1e-2) { dot(conv(x.values, w.weight, $0), g) }, tolerance: 1e-3, "conv dBias \(shape)")
    }

    @Test("ReLU")
    func relu() {
        var random = SeededRandom(seed: 13)
        let shape = [2, 3, 4, 5]
        let x = distinctValues(shape, seed: 3)
        let g = random.tensor(shape)
        var dx = Tensor(zeros: shape)
        TrainingKernels.reluBackward(g, output: TrainingKernels.reluForward(x), accumulatingInto: &dx)
        let fd = finiteDifferences(x.values, step: 1e-3) { dot(TrainingKernels.reluForward(Tensor(shape: shape, values: $0)), g) }
        expectGradient(dx.values, fd, tolerance: 1e-3, "relu")
    }

    @Test("max-pool 2x2 ceil mode", arguments: [[1, 2, 4, 4], [2, 3, 5, 7], [1, 2, 7, 6], [1, 1, 1, 3]])
    func maxPool(shape: [Int]) {
        var random = SeededRandom(seed: 14)
        let x = distinctValues(shape, seed: 4)
        let (out, argmax) = TrainingKernels.maxPool2x2CeilForward(x)
        #expect(out == Reference.maxPool2x2Ceil(x))
        let g = random.tensor(out.shape)
        var dx = Tensor(zeros: shape)
        TrainingKernels.maxPool2x2CeilBackward(g, argmax: argmax, accumulatingInto: &dx)
        let fd = finiteDifferences(x.values, step: 1e-3) { dot(TrainingKernels.maxPool2x2CeilForward(Tensor(shape: shape, values: $0)).output, g) }
        expectGradient(dx.values, fd, tolerance: 1e-3, "max-pool \(shape)")
    }

    @Test("zero padding", arguments: [([1, 2, 4, 5], 1), ([2, 3, 5, 7], 2), ([1, 1, 1, 3], 1)])
    func zeroPad(shape: [Int], padding: Int) {
        var random = SeededRandom(seed: 15)
        let x = random.tensor(shape)
        #expect(TrainingKernels.zeroPadForward(x, padding: padding) == Reference.zeroPad(x, padding))
        let g = random.tensor([shape[0], shape[1], shape[2] + 2 * padding, shape[3] + 2 * padding])
        var dx = Tensor(zeros: shape)
        TrainingKernels.zeroPadBackward(g, padding: padding, accumulatingInto: &dx)
        let fd = finiteDifferences(x.values, step: 1e-2) { dot(TrainingKernels.zeroPadForward(Tensor(shape: shape, values: $0), padding: padding), g) }
        expectGradient(dx.values, fd, tolerance: 1e-3, "zero pad \(shape) by \(padding)")
    }

    /// Odd sides drop their last row or column, which then get no gradient.
    @Test("max-pool 2x2 floor mode", arguments: [[1, 2, 4, 4], [2, 3, 5, 7], [1, 2, 7, 6], [1, 1, 3, 2]])
    func maxPoolFloor(shape: [Int]) {
        var random = SeededRandom(seed: 16)
        let x = distinctValues(shape, seed: 5)
        let (out, argmax) = TrainingKernels.maxPool2x2FloorForward(x)
        #expect(out == Reference.maxPool2x2Floor(x))
        let g = random.tensor(out.shape)
        var dx = Tensor(zeros: shape)
        TrainingKernels.maxPool2x2FloorBackward(g, argmax: argmax, accumulatingInto: &dx)
        let fd = finiteDifferences(x.values, step: 1e-3) { dot(TrainingKernels.maxPool2x2FloorForward(Tensor(shape: shape, values: $0)).output, g) }
        expectGradient(dx.values, fd, tolerance: 1e-3, "max-pool floor \(shape)")
    }

    @Test("max-pool ties go to the first maximum in scan order")
    func maxPoolTies() {
        let x = Tensor(shape: [1, 1, 3, 3], values: [1, 2, 0,
                                                     2, 2, 5,
                                                     0, 0, 5])
        let (out, argmax) = TrainingKernels.maxPool2x2CeilForward(x)
        #expect(out.values == [2, 5, 0, 5])
        #expect(argmax == [1, 5, 6, 8])
    }

    @Test("nearest upsampling 2x", arguments: [[1, 2, 3, 4], [2, 3, 1, 5]])
    func upsample(shape: [Int]) {
        var random = SeededRandom(seed: 15)
        let x = random.tensor(shape)
        let g = random.tensor([shape[0], shape[1], 2 * shape[2], 2 * shape[3]])
        var dx = Tensor(zeros: shape)
        TrainingKernels.upsampleNearest2xBackward(g, accumulatingInto: &dx)
        let fd = finiteDifferences(x.values, step: 1e-2) { dot(TrainingKernels.upsampleNearest2xForward(Tensor(shape: shape, values: $0)), g) }
        expectGradient(dx.values, fd, tolerance: 1e-3, "upsample \(shape)")
        #expect(TrainingKernels.upsampleNearest2xForward(x) == Reference.upsampleNearest2x(x))
    }

    @Test("backward kernels accumulate into the gradient they are given")
    func accumulation() {
        var random = SeededRandom(seed: 16)
        let g = random.tensor([1, 2, 6, 6])
        var once = Tensor(zeros: [1, 2, 3, 3])
        TrainingKernels.upsampleNearest2xBackward(g, accumulatingInto: &once)
        var twice = once
        TrainingKernels.upsampleNearest2xBackward(g, accumulatingInto: &twice)
        #expect(allClose(twice.values, once.values.map { 2 * $0 }, rtol: 1e-6, atol: 1e-6))
        let w = random.convolution(2, 2, 3)
        var dw = [Float](repeating: 1, count: w.weight.count), db = [Float](repeating: 1, count: 2)
        var dw0 = [Float](repeating: 0, count: w.weight.count), db0 = [Float](repeating: 0, count: 2)
        let x = random.tensor([1, 2, 8, 8])
        TrainingKernels.convolutionBackwardWeights(g, input: x, w, accumulatingInto: &dw, &db)
        TrainingKernels.convolutionBackwardWeights(g, input: x, w, accumulatingInto: &dw0, &db0)
        #expect(dw == dw0.map { $0 + 1 } && db == db0.map { $0 + 1 })
    }
}

/// The backward passes of a 3x3 valid convolution by naive loops in Double: dInput, dWeight and
/// dBias of the loss sum(conv(x) * g).
private func naiveConvolutionBackward(_ x: Tensor, _ weights: ConvolutionWeights, _ g: Tensor) -> (dx: [Double], dw: [Double], db: [Double]) {
    let (n, ic, oc, h, w) = (x.batch, x.channels, weights.outChannels, x.height, x.width)
    var dx = [Double](repeating: 0, count: x.values.count), dw = [Double](repeating: 0, count: weights.weight.count)
    var db = [Double](repeating: 0, count: oc)
    let (ho, wo) = (h - 2, w - 2)
    for b in 0 ..< n { for o in 0 ..< oc { for y in 0 ..< ho { for xx in 0 ..< wo {
        let gv = Double(g[b, o, y, xx])
        db[o] += gv
        for i in 0 ..< ic { for ky in 0 ..< 3 { for kx in 0 ..< 3 {
            let wi = ((o * ic + i) * 3 + ky) * 3 + kx
            let xi = ((b * ic + i) * h + y + ky) * w + xx + kx
            dx[xi] += gv * Double(weights.weight[wi])
            dw[wi] += gv * Double(x.values[xi])
        } } }
    } } } }
    return (dx, dw, db)
}

/// max |actual - expected| / max |expected|: the per-layer measure the Winograd layers are held to.
private func relativeDifference(_ actual: [Float], _ expected: [Float]) -> Float {
    maxAbsDifference(actual, expected).value / expected.map(abs).max()!
}

@Suite("Training convolution: oneDNN vs naive loops")
struct TrainingConvolutionReferenceTests {
    @Test("forward, dInput, dWeight, dBias on a VGG-like shape")
    func naive() {
        var random = SeededRandom(seed: 21)
        let (n, ic, oc, h, w) = (2, 5, 7, 9, 10)
        let x = random.tensor([n, ic, h, w])
        let weights = random.convolution(oc, ic, 3)
        let out = TrainingKernels.convolutionForward(x, weights)
        expectClose(out, Reference.convolution(x, weights), "forward")
        let g = random.tensor(out.shape)
        let (dx, dw, db) = naiveConvolutionBackward(x, weights, g)
        var dInput = Tensor(zeros: x.shape)
        TrainingKernels.convolutionBackwardData(g, weights, accumulatingInto: &dInput)
        var dWeight = [Float](repeating: 0, count: weights.weight.count), dBias = [Float](repeating: 0, count: oc)
        TrainingKernels.convolutionBackwardWeights(g, input: x, weights, accumulatingInto: &dWeight, &dBias)
        #expect(allClose(dInput.values, dx.map(Float.init), rtol: 1e-4, atol: 1e-5), "dInput: \(maxAbsDifference(dInput.values, dx.map(Float.init)))")
        #expect(allClose(dWeight, dw.map(Float.init), rtol: 1e-4, atol: 1e-4), "dWeight: \(maxAbsDifference(dWeight, dw.map(Float.init)))")
        #expect(allClose(dBias, db.map(Float.init), rtol: 1e-4, atol: 1e-4), "dBias: \(maxAbsDifference(dBias, db.map(Float.init)))")
    }

    /// Training's 3x3 layers by Winograd (forward, and backward to the input as the convolution of
    /// the zero-padded gradient with the flipped, transposed kernel) and by oneDNN's direct
    /// convolution, against the naive loops, within the 1e-4 the inference layers are held to.
    /// Odd sizes leave partial 4x4 tiles at the right and bottom; 20 input channels fill two and a
    /// half blocks of 8; whichever channel block the CPU prefers is the one tested.
    @Test("forward and dInput by Winograd and by direct convolution", arguments: [ConvolutionAlgorithm.winograd, .direct])
    func winograd(_ algorithm: ConvolutionAlgorithm) {
        var random = SeededRandom(seed: 22)
        let (n, ic, oc, h, w) = (2, 20, 24, 11, 14)
        let x = random.tensor([n, ic, h, w])
        let weights = random.convolution(oc, ic, 3)
        let out = TrainingKernels.convolutionForward(x, weights, convolutions: algorithm)
        let expected = Reference.convolution(x, weights)
        #expect(out.shape == expected.shape)
        let forward = relativeDifference(out.values, expected.values)
        #expect(forward <= 1e-4, "forward, \(algorithm.rawValue): \(forward)")
        let g = random.tensor(expected.shape)
        let dInput = TrainingKernels.convolutionBackwardData(g, weights, inputShape: x.shape, convolutions: algorithm)
        #expect(dInput.shape == x.shape)
        let backward = relativeDifference(dInput.values, naiveConvolutionBackward(x, weights, g).dx.map(Float.init))
        #expect(backward <= 1e-4, "dInput, \(algorithm.rawValue): \(backward)")
    }
}

@Suite("Training kernels vs PyTorch autograd")
struct TrainingKernelsGoldenTests {
    /// .goldens/training (Scripts/goldens_training.py).
    let goldens = ArrayGoldens("training")

    @Test("reflection pad")
    func pad() throws {
        let (x, g) = (try goldens.tensor("pad_in0"), try goldens.tensor("pad_g"))
        expectClose(TrainingKernels.reflectionPad1Forward(x), try goldens.tensor("pad_out"), "forward")
        var dx = Tensor(zeros: x.shape)
        TrainingKernels.reflectionPad1Backward(g, accumulatingInto: &dx)
        expectClose(dx, try goldens.tensor("pad_din0"), "backward")
    }

    @Test("convolution")
    func convolution() throws {
        let (x, wt, b, g) = (try goldens.tensor("conv_in0"), try goldens.tensor("conv_in1"), try goldens.tensor("conv_in2"), try goldens.tensor("conv_g"))
        let w = ConvolutionWeights(outChannels: wt.shape[0], inChannels: wt.shape[1], kernelHeight: 3, kernelWidth: 3, weight: wt.values, bias: b.values)
        expectClose(TrainingKernels.convolutionForward(x, w), try goldens.tensor("conv_out"), "forward")
        var dx = Tensor(zeros: x.shape)
        TrainingKernels.convolutionBackwardData(g, w, accumulatingInto: &dx)
        expectClose(dx, try goldens.tensor("conv_din0"), "dInput")
        var dw = [Float](repeating: 0, count: w.weight.count), db = [Float](repeating: 0, count: w.outChannels)
        TrainingKernels.convolutionBackwardWeights(g, input: x, w, accumulatingInto: &dw, &db)
        #expect(allClose(dw, try goldens.tensor("conv_din1").values, rtol: 1e-4, atol: 1e-4))
        #expect(allClose(db, try goldens.tensor("conv_din2").values, rtol: 1e-4, atol: 1e-4))
    }

    @Test("ReLU")
    func relu() throws {
        let (x, g) = (try goldens.tensor("relu_in0"), try goldens.tensor("relu_g"))
        let y = TrainingKernels.reluForward(x)
        expectClose(y, try goldens.tensor("relu_out"), "forward")
        var dx = Tensor(zeros: x.shape)
        TrainingKernels.reluBackward(g, output: y, accumulatingInto: &dx)
        expectClose(dx, try goldens.tensor("relu_din0"), "backward")
    }

    @Test("max-pool, random and with ties", arguments: ["pool", "pooltie"])
    func maxPool(name: String) throws {
        let (x, g) = (try goldens.tensor("\(name)_in0"), try goldens.tensor("\(name)_g"))
        let (y, argmax) = TrainingKernels.maxPool2x2CeilForward(x)
        expectClose(y, try goldens.tensor("\(name)_out"), "forward")
        var dx = Tensor(zeros: x.shape)
        TrainingKernels.maxPool2x2CeilBackward(g, argmax: argmax, accumulatingInto: &dx)
        expectClose(dx, try goldens.tensor("\(name)_din0"), rtol: 0, atol: 0, "backward")
    }

    @Test("nearest upsampling")
    func upsample() throws {
        let (x, g) = (try goldens.tensor("upsample_in0"), try goldens.tensor("upsample_g"))
        expectClose(TrainingKernels.upsampleNearest2xForward(x), try goldens.tensor("upsample_out"), "forward")
        var dx = Tensor(zeros: x.shape)
        TrainingKernels.upsampleNearest2xBackward(g, accumulatingInto: &dx)
        expectClose(dx, try goldens.tensor("upsample_din0"), "backward")
    }
}
