// The seed trainer's image handling: albumentations' SmallestMaxSize (the shorter side to the size,
// the longer rounded half to even, bilinear without antialiasing), the random crop, ImageNet
// normalisation after it, and RandomSampler(replacement=True); pytorch-AdaIN's left as it was.

import Checkpoints
import Foundation
import ImageCodec
@testable import StyleTransfer
import Testing
import TensorCore
import TestSupport

@Suite struct SeedTrainingImagesTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("seed-images-\(UUID().uuidString)")

    /// A folder holding one `width` x `height` PNG of smooth gradients (so that resamplings differ).
    func folder(width: Int, height: Int) throws -> (path: String, image: RGBImage) {
        let path = temp.appendingPathComponent("\(width)x\(height)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        for c in 0 ..< 3 {
            for y in 0 ..< height {
                for x in 0 ..< width { pixels[(c * height + y) * width + x] = Float((x * (c + 1) * 7 + y * 13 + c * 40) % 256) / 255 }
            }
        }
        try writeImage(RGBImage(width: width, height: height, pixels: pixels), path: path + "/a.png")
        return (path, try readImage(path: path + "/a.png"))
    }

    /// The crop the seed's transform gives: the image resized to `resized`, cut at the corner drawn
    /// from `random` (top, then left), normalised with ImageNet's mean and std.
    func expectedCrop(_ image: RGBImage, resized: (width: Int, height: Int), crop: Int, random: inout SeededRandom) throws -> [Float] {
        let sized = try resizeBilinearUnantialiased(image, width: resized.width, height: resized.height)
        let top = random.integer(upTo: sized.height - crop), left = random.integer(upTo: sized.width - crop)
        let (mean, std): ([Float], [Float]) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        var values: [Float] = []
        for c in 0 ..< 3 {
            for y in 0 ..< crop {
                for x in 0 ..< crop { values.append((sized.pixels[(c * sized.height + top + y) * sized.width + left + x] - mean[c]) / std[c]) }
            }
        }
        return values
    }

    @Test("the shorter side to the size, the longer rounded half to even, cropped, then normalised")
    func seedCropsAreSizedAndNormalisedAsItsTransform() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let preparation = TrainingImagePreparation(.seed, ModelVariant.seed.trainingConventions)
        #expect(preparation == TrainingImagePreparation(resizing: .shorterSide, sampling: .withReplacement, input: .imageNet))
        // 40 x 30 to a shorter side of 20: 26.67 -> 27; 45 x 20 to 10: 22.5 -> 22 (half to even, Python's round).
        for (width, height, size, resized) in [(40, 30, 20, (27, 20)), (45, 20, 10, (22, 10))] {
            let (path, image) = try folder(width: width, height: height)
            let images = try TrainingImageFolder(path: path, role: .trainingContent, imageSize: size, cropSize: 8, preparation: preparation)
            var random = SeededRandom(seed: 7), replay = random
            for _ in 0 ..< 3 {
                let crop = try images.crop(0, random: &random)
                #expect(crop == (try expectedCrop(image, resized: resized, crop: 8, random: &replay)), "\(width)x\(height) to \(size)")
            }
            // Rounded the other way, the crops differ (the comparison can fail).
            var other = SeededRandom(seed: 7), otherReplay = other
            let wrong = (resized.0 == 22 ? 23 : 26, resized.1)
            #expect(try images.crop(0, random: &other) != (try expectedCrop(image, resized: wrong, crop: 8, random: &otherReplay)))
        }
    }

    @Test("pytorch-AdaIN's crops are still both sides resized with Pillow's filter, not normalised")
    func pytorchAdaINCropsAreUnchanged() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let (path, image) = try folder(width: 40, height: 30)
        let images = try TrainingImageFolder(path: path, role: .trainingContent, imageSize: 20, cropSize: 8)
        var random = SeededRandom(seed: 3), replay = random
        let crop = try images.crop(0, random: &random)
        let sized = try resizeBilinear(image, width: 20, height: 20)
        let top = replay.integer(upTo: 12), left = replay.integer(upTo: 12)
        var expected: [Float] = []
        for c in 0 ..< 3 { for y in 0 ..< 8 { for x in 0 ..< 8 { expected.append(sized.pixels[(c * 20 + top + y) * 20 + left + x]) } } }
        #expect(crop == expected)
    }

    @Test("the seed draws images with replacement, pytorch-AdaIN a fresh order every pass")
    func samplingFollowsTheTrainer() {
        var sampler = ImageSampler(), random = SeededRandom(seed: 11), replay = random
        let drawn = (0 ..< 12).map { _ in sampler.next(count: 3, sampling: .withReplacement, random: &random) }
        #expect(drawn == (0 ..< 12).map { _ in replay.integer(upTo: 2) })
        #expect(sampler == ImageSampler(), "sampling with replacement keeps no order")
        var passes = ImageSampler(), other = SeededRandom(seed: 11)
        let order = (0 ..< 6).map { _ in passes.next(count: 3, random: &other) }
        #expect(Set(order[0 ..< 3]) == [0, 1, 2] && Set(order[3 ..< 6]) == [0, 1, 2])
    }
}

/// The seed encoder's layers in training, on odd sizes (the golden's 32 x 32 crops never drop a row
/// or column in pooling): zero padding and floor-mode pooling's backward against central finite
/// differences (step 1e-3) of the forward pass, within relative 1e-2 in norm (measured 2.7e-4;
/// the floor pool's gradient shifted by a column, or the padding's gradient read at the padded
/// plane's corner, give 1.2 and 1.4).
@Suite struct SeedTrainingLayerTests {
    @Test("zero padding and floor pooling: the input gradient matches finite differences on odd sizes")
    func zeroPaddingAndFloorPoolingBackward() throws {
        var random = SeededRandom(seed: 21)
        func values(_ count: Int, scale: Float) -> [Float] { (0 ..< count).map { _ in random.uniform() * scale } }  // uniform in [-scale, scale)
        let table: [ArchitectureLayer] = [
            .convolution(module: 0, inChannels: 3, outChannels: 4, kernel: 3, relu: true, landmark: "a"),
            .maxPool(module: 2),
            .convolution(module: 3, inChannels: 4, outChannels: 5, kernel: 3, relu: true, landmark: "b"),
        ]
        let weights: [String: StoredTensor] = [
            "0.weight": StoredTensor(shape: [4, 3, 3, 3], values: values(108, scale: 0.5)), "0.bias": StoredTensor(shape: [4], values: values(4, scale: 0.1)),
            "3.weight": StoredTensor(shape: [5, 4, 3, 3], values: values(180, scale: 0.5)), "3.bias": StoredTensor(shape: [5], values: values(5, scale: 0.1)),
        ]
        let seedLike = NetworkConventions(zeroPadding: true, floorPooling: true)
        let network = TrainingNetwork(try NetworkLayers(table, weights: weights, network: "test", conventions: seedLike))
        let input = Tensor(shape: [1, 3, 7, 9], values: values(189, scale: 1))
        let pass = network.forward(input)
        #expect(pass.features[0].shape == [1, 4, 7, 9] && pass.features[1].shape == [1, 5, 3, 4], "\(pass.features.map(\.shape))")
        // The loss reads relu "b" only, so that every gradient goes through the pool.
        let upstream = [Tensor(zeros: pass.features[0].shape), Tensor(shape: pass.features[1].shape, values: values(pass.features[1].values.count, scale: 1))]
        let analytic = network.backward(pass, featureGradients: upstream).input
        func loss(_ x: Tensor) -> Double {
            var sum = 0.0
            for (feature, g) in zip(network.forward(x).features, upstream) {
                for (a, b) in zip(feature.values, g.values) { sum += Double(a) * Double(b) }
            }
            return sum
        }
        var numeric = [Float](repeating: 0, count: input.values.count)
        let h: Float = 1e-3
        for i in input.values.indices {
            var plus = input, minus = input
            plus.values[i] += h
            minus.values[i] -= h
            numeric[i] = Float((loss(plus) - loss(minus)) / Double(2 * h))
        }
        let error = relativeNormError(analytic.values, numeric)
        print("zero padding and floor pooling: input gradient within \(error) of finite differences")
        #expect(error <= 1e-2, "relative error \(error)")
        #expect(analytic.values.contains { $0 != 0 })
    }
}

/// The training memory estimate and its check: the seed's default batch (128 crops of 256) is
/// refused in words under a 16 GB budget, with the figures and what to lower; pytorch-AdaIN's
/// default (8 crops of 256) fits; a budget that is not a byte count names the variable.
@Suite struct TrainingMemoryTests {
    @Test func theSeedsDefaultBatchIsRefusedUnderABudget() throws {
        let seed = ModelVariant.seed.trainingConventions, pytorch = ModelVariant.pytorchAdaIN.trainingConventions
        let budget = ["STYLECTL_MAX_MEMORY": "16G"]
        let needed = TrainingMemory.peakBytes(batchSize: seed.batchSize, cropSize: seed.cropSize)
        #expect(needed == (256 << 20) + 5632 * 128 * 256 * 256)
        #expect(throws: TrainingError.insufficientMemory(batchSize: 128, cropSize: 256, needed: needed, available: 16 << 30, source: "STYLECTL_MAX_MEMORY=16G")) {
            try TrainingMemory.check(batchSize: seed.batchSize, cropSize: seed.cropSize, environment: budget)
        }
        let message = TrainingError.insufficientMemory(batchSize: 128, cropSize: 256, needed: needed, available: 16 << 30, source: "STYLECTL_MAX_MEMORY=16G").description
        #expect(message == "training at --batch-size 128 and --crop-size 256 needs about 47.5 GB of memory, but 17.2 GB is available (STYLECTL_MAX_MEMORY=16G); lower --batch-size or --crop-size (a batch of one needs about 638 MB), or set STYLECTL_MAX_MEMORY")
        try TrainingMemory.check(batchSize: pytorch.batchSize, cropSize: pytorch.cropSize, environment: budget)
        #expect(TrainingMemory.peakBytes(batchSize: Int.max, cropSize: 256) == Int.max)
        #expect(throws: TrainingError.modelFiles(.invalidMemorySetting(variable: "STYLECTL_MAX_MEMORY", value: "lots"))) {
            try TrainingMemory.check(batchSize: 1, cropSize: 16, environment: ["STYLECTL_MAX_MEMORY": "lots"])
        }
    }
}
