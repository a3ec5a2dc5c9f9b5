// Conditional instance normalisation: forward and backward against PyTorch autograd
// (.goldens/norms, Scripts/goldens_norms.py) and finite differences, its IN and AdaIN special
// cases, interpolation, learning through tiny networks against torch.optim.Adam, and its file.

import Foundation
import StyleTransfer
import Testing
import TensorCore
import TestSupport

extension ArrayGoldens {
    /// goldens_norms.py's tiny decoder: conv 8->4, up, conv 4->4, up, conv 4->3, up, conv 3->3 (no ReLU).
    fileprivate func cinDecoder() throws -> TrainingNetwork {
        var chain = TinyChain()
        for k in 0 ..< 4 {
            try convolution("dec_conv\(k)", relu: k < 3, landmark: k == 3 ? "image" : nil, to: &chain)
            if k < 3 { chain.upsample() }
        }
        return try chain.network()
    }
}

private func randomTensor(_ shape: [Int], _ random: inout SeededRandom, scale: Float = 1, offset: Float = 0) -> Tensor {
    Tensor(shape: shape, values: (0 ..< shape.reduce(1, *)).map { _ in random.uniform() * scale + offset })
}

private func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let scale = max(expected.reduce(0) { max($0, abs($1)) }, 1e-6)
    let worst = maxAbsDifference(actual, expected)
    #expect(worst.value <= tolerance * scale, "\(what): max abs difference \(worst.value) at \(worst.index), scale \(scale)", sourceLocation: sourceLocation)
}

@Suite("Conditional instance normalisation")
struct ConditionalInstanceNormTests {
    func goldenLayer() throws -> (cin: ConditionalInstanceNorm, x: Tensor, style: Int) {
        let gamma = try normGoldens.tensor("cin_gamma"), beta = try normGoldens.tensor("cin_beta")
        let cin = ConditionalInstanceNorm(channels: gamma.shape[1], gamma: gamma.values, beta: beta.values)
        return (cin, try normGoldens.tensor("cin_x"), try normGoldens.scalar("cin_style") as! Int)
    }

    @Test func forwardAndBackwardMatchAutograd() throws {
        let (cin, x, style) = try goldenLayer()
        #expect(cin.styleCount == 3 && cin.parameterCount == 2 * 6 * 3)
        expectClose(cin.apply(x, style: style).values, try normGoldens.tensor("cin_out").values, tolerance: 1e-6, "CIN output")
        let (dGamma, dBeta) = cin.backward(x, style: style, outputGradient: try normGoldens.tensor("cin_g"))
        expectClose(dGamma, try normGoldens.tensor("cin_dgamma").values, tolerance: 1e-5, "d gamma")
        expectClose(dBeta, try normGoldens.tensor("cin_dbeta").values, tolerance: 1e-5, "d beta")
    }

    @Test func backwardMatchesFiniteDifferences() {
        var random = SeededRandom(seed: 11)
        let x = randomTensor([2, 3, 4, 3], &random, scale: 2)
        let dy = randomTensor(x.shape, &random)
        let cin = ConditionalInstanceNorm(channels: 3, gamma: (0 ..< 6).map { _ in random.uniform() + 1.5 }, beta: (0 ..< 6).map { _ in random.uniform() })
        let style = 1
        func loss(_ c: ConditionalInstanceNorm) -> Double {
            zip(c.apply(x, style: style).values, dy.values).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let (dGamma, dBeta) = cin.backward(x, style: style, outputGradient: dy)
        let h: Float = 1e-2
        var fdGamma: [Float] = [], fdBeta: [Float] = []
        for i in 0 ..< 6 {
            var plus = cin, minus = cin
            plus.gamma[i] += h; minus.gamma[i] -= h
            fdGamma.append(Float((loss(plus) - loss(minus)) / Double(2 * h)))
            plus = cin; minus = cin
            plus.beta[i] += h; minus.beta[i] -= h
            fdBeta.append(Float((loss(plus) - loss(minus)) / Double(2 * h)))
        }
        expectClose(dGamma, fdGamma, tolerance: 1e-3, "d gamma vs finite differences")
        expectClose(dBeta, fdBeta, tolerance: 1e-3, "d beta vs finite differences")
        // Style 0's row gets no gradient.
        #expect(dGamma[0 ..< 3].allSatisfy { $0 == 0 } && dBeta[0 ..< 3].allSatisfy { $0 == 0 })
        #expect(fdGamma[0 ..< 3].allSatisfy { abs($0) < 1e-3 })
    }

    @Test func instanceNormalizationGivesZeroMeanUnitStd() {
        var random = SeededRandom(seed: 3)
        let x = randomTensor([2, 5, 6, 7], &random, scale: 4, offset: 3)
        let y = ConditionalInstanceNorm.instanceNormalization(channels: 5).apply(x, style: 0)
        let (mean, std) = calcMeanStd(y, eps: 0)
        let (_, inputStd) = calcMeanStd(x, eps: 0)
        for plane in mean.indices {
            #expect(abs(mean[plane]) < 1e-5)
            // std(y) = std(x) / sqrt(var(x) + 1e-5): just under 1.
            let expected = inputStd[plane] / (inputStd[plane] * inputStd[plane] + 1e-5).squareRoot()
            #expect(abs(std[plane] - expected) < 1e-5 && std[plane] < 1 && std[plane] > 0.999)
        }
    }

    @Test func adainStatisticsAsParametersGiveAdaINBitForBit() {
        var random = SeededRandom(seed: 5)
        let content = randomTensor([1, 8, 5, 6], &random, scale: 2, offset: 1)
        let styles = [randomTensor([1, 8, 7, 4], &random, scale: 3), randomTensor([1, 8, 3, 3], &random, offset: 2)]
        let cin = ConditionalInstanceNorm(adainStatisticsOf: styles)
        #expect(cin.styleCount == 2)
        for (s, style) in styles.enumerated() {
            #expect(cin.apply(content, style: s) == adaptiveInstanceNormalization(content: content, style: style))
        }
    }

    @Test func interpolationEndpointsAreTheSingleStyles() {
        var random = SeededRandom(seed: 9)
        let x = randomTensor([1, 4, 3, 5], &random, scale: 2)
        let cin = ConditionalInstanceNorm(channels: 4, gamma: (0 ..< 8).map { _ in random.uniform() + 2 }, beta: (0 ..< 8).map { _ in random.uniform() })
        #expect(cin.interpolated(weights: [1, 0]).apply(x, style: 0) == cin.apply(x, style: 0))
        #expect(cin.interpolated(weights: [0, 1]).apply(x, style: 0) == cin.apply(x, style: 1))
        let half = cin.interpolated(weights: [0.5, 0.5])
        for c in 0 ..< 4 {
            #expect(abs(half.gamma[c] - (cin.gamma[c] + cin.gamma[4 + c]) / 2) < 1e-6)
            #expect(abs(half.beta[c] - (cin.beta[c] + cin.beta[4 + c]) / 2) < 1e-6)
        }
        // AdaIN's interpolation has the same endpoints: AdaIN of each style alone.
        let styles = [randomTensor([1, 4, 4, 4], &random), randomTensor([1, 4, 4, 4], &random, offset: 1)]
        #expect(interpolatedAdaptiveInstanceNormalization(content: x, styles: styles, weights: [0, 1])
                == adaptiveInstanceNormalization(content: x, style: styles[1]))
    }

    @Test func learningMatchesTorchAdamAndLowersTheLoss() throws {
        let encoder = try normGoldens.tinyEncoder(), decoder = try normGoldens.cinDecoder()
        let steps = try normGoldens.scalar("learn_steps") as! Int
        let options = CINLearningOptions(iterations: steps, learningRate: Float(try normGoldens.scalar("learn_lr") as! Double),
                                         styleWeight: Float(try normGoldens.scalar("learn_style_weight") as! Double))
        var reported = 0
        let result = learnConditionalInstanceNorm(
            encoder: encoder, decoder: decoder, contents: [try normGoldens.tensor("learn_content")],
            styles: [try normGoldens.tensor("learn_style0"), try normGoldens.tensor("learn_style1")], options: options
        ) { _ in reported += 1 }
        #expect(reported == 2 * steps && result.seconds > 0)
        #expect(result.parameters.styleCount == 2 && result.parameters.parameterCount == 2 * 8 * 2)
        for s in 0 ..< 2 {
            let losses = (try normGoldens.scalar("learn_losses\(s)") as! [Double]).map(Float.init)
            expectClose(result.lossHistory[s], losses, tolerance: 1e-4, "style \(s): loss before each step")
            #expect(zip(result.lossHistory[s], result.lossHistory[s].dropFirst()).allSatisfy { $0 > $1 }, "style \(s): \(result.lossHistory[s])")
            // Adam moves each parameter by about lr per step whatever the gradient's size, so float32
            // differences in small gradients show as differences of a small fraction of lr * steps.
            let row = s * 8 ..< (s + 1) * 8
            let bound = 1e-3 * options.learningRate * Float(steps)
            for (name, actual, expected) in [("gamma", Array(result.parameters.gamma[row]), try normGoldens.tensor("learn_gamma\(s)").values),
                                             ("beta", Array(result.parameters.beta[row]), try normGoldens.tensor("learn_beta\(s)").values)] {
                let worst = maxAbsDifference(actual, expected)
                #expect(worst.value <= bound, "style \(s): \(name) differs by \(worst.value) at \(worst.index) (\(actual[worst.index]) vs \(expected[worst.index]))")
                // And it moved: the learned values are not the starting point.
                #expect(maxAbsDifference(expected, [Float](repeating: name == "gamma" ? 1 : 0, count: 8)).value > 100 * bound)
            }
        }
    }

    /// Styles learned together (step i of the styles whose contents have one size as one batch)
    /// learn what each learns alone: the first style's contents are drawn first either way, and
    /// with contents of two sizes the styles of a step fall into one or two batches.
    @Test func stylesLearnedInBatchesLearnWhatEachLearnsAlone() throws {
        let encoder = try normGoldens.tinyEncoder(), decoder = try normGoldens.cinDecoder()
        var random = SeededRandom(seed: 5)
        let contents = [try normGoldens.tensor("learn_content"), randomTensor([1, 3, 16, 24], &random, scale: 0.5, offset: 0.5)]
        let styles = [try normGoldens.tensor("learn_style0"), try normGoldens.tensor("learn_style1"), randomTensor([1, 3, 20, 20], &random, scale: 0.5, offset: 0.5)]
        let options = CINLearningOptions(iterations: 6, learningRate: 0.05, seed: 3)
        var sizes: [[Int]] = []
        let together = learnConditionalInstanceNorm(encoder: encoder, decoder: decoder, contents: contents, styles: styles, options: options) {
            sizes.append(contents[$0.content].shape)
        }
        // Some step batched two styles of one content size, and some step had two sizes.
        #expect(Set(sizes).count == 2)
        for s in styles.indices {
            // Alone, style s sees the contents style 0 sees: compare style 0 with the whole set, the
            // others with one content (whose schedule does not depend on the draws).
            let set = s == 0 ? contents : [contents[0]]
            let alone = learnConditionalInstanceNorm(encoder: encoder, decoder: decoder, contents: set, styles: [styles[s]], options: options)
            let reference = s == 0 ? together : learnConditionalInstanceNorm(encoder: encoder, decoder: decoder, contents: set, styles: styles, options: options)
            let row = s * 8 ..< (s + 1) * 8
            expectClose(reference.lossHistory[s], alone.lossHistory[0], tolerance: 1e-5, "style \(s): loss before each step")
            #expect(maxAbsDifference(Array(reference.parameters.gamma[row]), alone.parameters.gamma).value <= 1e-5, "style \(s): gamma")
            #expect(maxAbsDifference(Array(reference.parameters.beta[row]), alone.parameters.beta).value <= 1e-5, "style \(s): beta")
        }
    }

    @Test func learningIsReproducible() throws {
        let encoder = try normGoldens.tinyEncoder(), decoder = try normGoldens.cinDecoder()
        var random = SeededRandom(seed: 21)
        let contents = [try normGoldens.tensor("learn_content"), randomTensor([1, 3, 16, 24], &random, scale: 0.5, offset: 0.5)]
        let styles = [try normGoldens.tensor("learn_style1")]
        let options = CINLearningOptions(iterations: 5, learningRate: 0.05, seed: 4)
        var order: [Int] = []
        let first = learnConditionalInstanceNorm(encoder: encoder, decoder: decoder, contents: contents, styles: styles, options: options) { order.append($0.content) }
        let second = learnConditionalInstanceNorm(encoder: encoder, decoder: decoder, contents: contents, styles: styles, options: options)
        #expect(first.parameters == second.parameters && first.lossHistory == second.lossHistory)
        // Every content image once per pass over the set.
        #expect(Set(order[0 ..< 2]) == [0, 1] && Set(order[2 ..< 4]) == [0, 1])
    }
}

@Suite("CIN parameter files")
struct CINParameterFileTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("cin-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    func path(_ name: String) -> String { temp.appendingPathComponent(name).path }

    @Test func roundTripIsExact() throws {
        var random = SeededRandom(seed: 2)
        let cin = ConditionalInstanceNorm(channels: 5, gamma: (0 ..< 15).map { _ in random.uniform() * 3 }, beta: (0 ..< 15).map { _ in random.uniform() / 7 })
        let file = CINParameterFile(parameters: cin, styles: ["a.jpg", "b.png", "c.jpg"], learning: CINLearningOptions(iterations: 3))
        try file.write(path: path("p.json"))
        let read = try CINParameterFile.read(path: path("p.json"))
        #expect(read == file && read.parameters == cin)
    }

    @Test func badFilesGiveErrorsNamingTheFile() throws {
        let missing = path("missing.json")
        #expect(throws: CINFileError.unreadable(path: missing, reason: "no such file")) { try CINParameterFile.read(path: missing) }
        let cases: [(String, String)] = [
            ("garbage.json", "not json"),
            ("format.json", #"{"format":"other","version":1,"channels":2,"styles":["a"],"gamma":[1,1],"beta":[0,0]}"#),
            ("version.json", #"{"format":"stylectl-cin","version":2,"channels":2,"styles":["a"],"gamma":[1,1],"beta":[0,0]}"#),
            ("shape.json", #"{"format":"stylectl-cin","version":1,"channels":2,"styles":["a","b"],"gamma":[1,1],"beta":[0,0]}"#),
            ("missing-key.json", #"{"format":"stylectl-cin","version":1,"channels":2,"styles":["a"],"gamma":[1,1]}"#),
        ]
        for (name, text) in cases {
            try Data(text.utf8).write(to: temp.appendingPathComponent(name))
            do {
                _ = try CINParameterFile.read(path: path(name))
                Issue.record("\(name) was accepted")
            } catch {
                guard case .malformed(let p, _) = error else { Issue.record("\(name): \(error)"); continue }
                #expect(p == path(name) && error.description.contains(path(name)))
            }
        }
        #expect(CINFileError.styleCount(path: "x.json", inFile: 2, given: 3).description.contains("--style"))
    }
}
