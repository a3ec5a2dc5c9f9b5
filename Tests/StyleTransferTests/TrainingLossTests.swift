// The AdaIN training losses, their gradients through a fixed encoder, and Adam: against finite
// differences and against PyTorch autograd / torch.optim.Adam (.goldens/training,
// Scripts/goldens_training.py).

import StyleTransfer
import Testing
import TensorCore
import TestSupport

private func randomTensor(_ shape: [Int], _ random: inout SeededRandom, scale: Float = 1, offset: Float = 0) -> Tensor {
    Tensor(shape: shape, values: (0 ..< shape.reduce(1, *)).map { _ in random.uniform() * scale + offset })
}

/// Central differences of `loss` at the given indices of `x`.
private func finiteDifferences(_ x: Tensor, at indices: [Int], step h: Float, _ loss: (Tensor) -> Double) -> [Float] {
    var x = x
    return indices.map { i in
        let saved = x.values[i]
        x.values[i] = saved + h
        let plus = loss(x)
        x.values[i] = saved - h
        let minus = loss(x)
        x.values[i] = saved
        return Float((plus - minus) / Double(2 * h))
    }
}

private func expectGradient(_ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
    let scale = expected.reduce(0) { max($0, abs($1)) }
    let worst = maxAbsDifference(actual, expected)
    #expect(worst.value <= tolerance * scale,
            "\(what): max abs difference \(worst.value) at \(worst.index) (\(actual[worst.index]) vs \(expected[worst.index])), scale \(scale)",
            sourceLocation: sourceLocation)
}

@Suite("Training losses vs finite differences")
struct TrainingLossFiniteDifferenceTests {
    @Test("calc_mean_std backward", arguments: [[1, 2, 4, 5], [2, 3, 5, 7]])
    func meanStd(shape: [Int]) {
        var random = SeededRandom(seed: 31)
        let x = randomTensor(shape, &random)
        let planes = shape[0] * shape[1]
        let gm = (0 ..< planes).map { _ in random.uniform() }, gs = (0 ..< planes).map { _ in random.uniform() }
        var dx = Tensor(zeros: shape)
        calcMeanStdBackward(x, dMean: gm, dStd: gs, accumulatingInto: &dx)
        let fd = finiteDifferences(x, at: Array(x.values.indices), step: 1e-2) { x in
            let (m, s) = calcMeanStd(x)
            return (0 ..< planes).reduce(0.0) { $0 + Double(m[$1]) * Double(gm[$1]) + Double(s[$1]) * Double(gs[$1]) }
        }
        expectGradient(dx.values, fd, tolerance: 2e-3, "calc_mean_std \(shape)")
    }

    @Test("content and style loss gradients")
    func losses() {
        var random = SeededRandom(seed: 32)
        let x = randomTensor([2, 3, 4, 5], &random), target = randomTensor([2, 3, 4, 5], &random)
        let (_, contentGradient) = contentLoss(x, target: target, scale: 0.7)
        let fdContent = finiteDifferences(x, at: Array(x.values.indices), step: 1e-2) { Double(0.7 * contentLoss($0, target: target).loss) }
        expectGradient(contentGradient.values, fdContent, tolerance: 2e-3, "content loss")

        let (tm, ts) = calcMeanStd(randomTensor([2, 3, 6, 3], &random, scale: 2, offset: 0.5))
        let (_, styleGradient) = styleLoss(x, targetMean: tm, targetStd: ts, scale: 3)
        let fdStyle = finiteDifferences(x, at: Array(x.values.indices), step: 1e-2) { Double(3 * styleLoss($0, targetMean: tm, targetStd: ts).loss) }
        expectGradient(styleGradient.values, fdStyle, tolerance: 2e-3, "style loss")
    }

    @Test("AdaIN loss gradient through a seeded encoder chain")
    func adainLossGradient() throws {
        var random = SeededRandom(seed: 33)
        var chain = TinyChain()
        func conv(_ oc: Int, _ ic: Int, _ landmark: String? = nil) {
            let scale = (6 / Float(9 * ic)).squareRoot()
            chain.convolution(weight: Tensor(shape: [oc, ic, 3, 3], values: (0 ..< oc * ic * 9).map { _ in random.uniform() * scale }),
                              bias: (0 ..< oc).map { _ in 0.1 * random.uniform() }, relu: true, landmark: landmark)
        }
        conv(3, 3, "relu1_1")
        conv(3, 3)
        chain.maxPool()
        conv(4, 3, "relu2_1")
        chain.maxPool()
        conv(4, 4, "relu3_1")
        chain.maxPool()
        conv(5, 4, "relu4_1")
        let encoder = try chain.network()
        let decoded = randomTensor([1, 3, 11, 9], &random, scale: 0.5, offset: 0.5)
        let styleFeatures = encoder.features(randomTensor([1, 3, 10, 12], &random, scale: 0.5, offset: 0.5))
        let target = randomTensor([1, 5, 2, 2], &random, scale: 0.3, offset: 0.3)
        let result = adainLoss(encoder: encoder, decoded: decoded, target: target, styleFeatures: styleFeatures, styleWeight: 2)
        let indices = Array(stride(from: 0, to: decoded.values.count, by: 7))
        let fd = finiteDifferences(decoded, at: indices, step: 1e-2) {
            Double(adainLoss(encoder: encoder, decoded: $0, target: target, styleFeatures: styleFeatures, styleWeight: 2).total)
        }
        expectGradient(indices.map { result.gradient.values[$0] }, fd, tolerance: 2e-2, "AdaIN loss")
    }
}

@Suite("Training losses and Adam vs PyTorch")
struct TrainingGoldenTests {
    @Test("calc_mean_std backward")
    func meanStd() throws {
        let x = try trainingGoldens.tensor("meanstd_in0"), g = try trainingGoldens.tensor("meanstd_g")
        let (n, c) = (x.batch, x.channels)
        // g is (N, 2C): the mean's gradient then the std's for each image.
        let gm = (0 ..< n * c).map { g.values[($0 / c) * 2 * c + $0 % c] }
        let gs = (0 ..< n * c).map { g.values[($0 / c) * 2 * c + c + $0 % c] }
        var dx = Tensor(zeros: x.shape)
        calcMeanStdBackward(x, dMean: gm, dStd: gs, accumulatingInto: &dx)
        let expected = try trainingGoldens.tensor("meanstd_din0")
        #expect(allClose(dx.values, expected.values, rtol: 1e-4, atol: 1e-5), "\(maxAbsDifference(dx.values, expected.values))")
    }

    @Test("AdaIN loss and its gradient through a tiny encoder chain")
    func adainLoss() throws {
        let encoder = try trainingGoldens.tinyEncoder()
        let decoded = try trainingGoldens.tensor("loss_decoded")
        let features = encoder.forward(decoded).features
        for (k, feature) in features.enumerated() {
            let expected = try trainingGoldens.tensor("loss_feat\(k)")
            #expect(feature.shape == expected.shape && allClose(feature.values, expected.values, rtol: 1e-4, atol: 1e-5), "feature \(k)")
        }
        let styleWeight = Float(try trainingGoldens.double("style_weight"))
        let result = StyleTransfer.adainLoss(encoder: encoder, decoded: decoded, target: try trainingGoldens.tensor("loss_target"),
                                             styleFeatures: encoder.features(try trainingGoldens.tensor("loss_style")), styleWeight: styleWeight)
        #expect(abs(Double(result.content) - (try trainingGoldens.double("loss_content"))) <= 1e-5 * (try trainingGoldens.double("loss_content")))
        #expect(abs(Double(result.style) - (try trainingGoldens.double("loss_style"))) <= 1e-5 * (try trainingGoldens.double("loss_style")))
        #expect(abs(Double(result.total) - (try trainingGoldens.double("loss_total"))) <= 1e-5 * (try trainingGoldens.double("loss_total")))
        let expected = try trainingGoldens.tensor("loss_grad")
        let scale = expected.values.reduce(0) { max($0, abs($1)) }
        let worst = maxAbsDifference(result.gradient.values, expected.values)
        #expect(worst.value <= 1e-4 * scale, "gradient: max abs difference \(worst.value) at \(worst.index), scale \(scale)")
    }

    @Test("Adam steps as torch.optim.Adam", arguments: ["adam", "adamwd"])
    func adam(name: String) throws {
        let settings = try #require((try trainingGoldens.index()["scalars"] as! [String: Any])[name] as? [String: Any])
        let betas = settings["betas"] as? [Double] ?? [0.9, 0.999]
        let optimizer = Adam(learningRate: Float(settings["lr"] as! Double), beta1: Float(betas[0]), beta2: Float(betas[1]),
                             eps: Float(settings["eps"] as? Double ?? 1e-8), weightDecay: Float(settings["weight_decay"] as? Double ?? 0))
        var parameters = try trainingGoldens.tensor("\(name)_param0").values
        var state = Adam.State(count: parameters.count)
        for step in 1 ... 5 {
            optimizer.step(&parameters, gradient: try trainingGoldens.tensor("\(name)_grad\(step)").values, state: &state)
            let expected = try trainingGoldens.tensor("\(name)_param\(step)").values
            #expect(allClose(parameters, expected, rtol: 1e-6, atol: 1e-6), "step \(step): \(maxAbsDifference(parameters, expected))")
        }
        #expect(state.step == 5)
    }
}
