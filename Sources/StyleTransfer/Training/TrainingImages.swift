// The training data of a model's trainer: a flat folder of images, each resized (pytorch-AdaIN's
// transforms.Resize((512, 512)), the seed's shorter side to 512, or train.lua's image.scale of the
// shorter side to 512), randomly cropped
// (RandomCrop(256)), normalised as the model's encoder takes them, drawn in batches by an endless
// sampler (reshuffling the folder every pass, or with replacement): TrainingConventions says which.

import Foundation
import ImageCodec
import TensorCore

/// How a model's trainer prepares and draws its images (from its ``TrainingConventions`` and ``ModelConventions/input``).
public struct TrainingImagePreparation: Sendable, Equatable {
    public var resizing: TrainingConventions.Resizing
    public var sampling: TrainingConventions.Sampling
    /// The encoder's input: the crop as it is, or normalised (the seed's `Normalize(mean, std)` after the crop).
    public var input: EncoderInput

    public init(resizing: TrainingConventions.Resizing, sampling: TrainingConventions.Sampling, input: EncoderInput) {
        self.resizing = resizing
        self.sampling = sampling
        self.input = input
    }

    /// pytorch-AdaIN's train.py.
    public static let pytorchAdaIN = TrainingImagePreparation(resizing: .bothSides, sampling: .reshuffledPasses, input: .image)

    /// How `model`'s trainer prepares its images.
    public init(_ model: ModelVariant, _ training: TrainingConventions) {
        self.init(resizing: training.resizing, sampling: training.sampling, input: model.conventions.input)
    }
}

/// The images of one training folder and how they are prepared.
public struct TrainingImageFolder: Sendable {
    /// The .jpg, .jpeg and .png files of the folder, sorted by name.
    public let paths: [String]
    /// The images are resized to this as ``preparation`` says (pytorch-AdaIN: both sides, train.py's
    /// `Resize(size=(512, 512))`, aspect not kept; the seed and train.lua: the shorter side); 0 keeps the images' sizes.
    public let imageSize: Int
    /// The side of the random square crop (train.py's `RandomCrop(256)`).
    public let cropSize: Int
    public let preparation: TrainingImagePreparation

    /// Lists the folder; `role` names it in errors.
    public init(path: String, role: InputRole, imageSize: Int, cropSize: Int, preparation: TrainingImagePreparation = .pytorchAdaIN) throws(TrainingError) {
        precondition(imageSize >= 0 && cropSize > 0, "sizes must be positive")
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw .folderNotFound(role: role, path: path)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let images = names.filter { ImageFiles.isImageName($0) }.sorted()
        guard !images.isEmpty else { throw .noImages(role: role, path: path) }
        paths = images.map { (path as NSString).appendingPathComponent($0) }
        self.imageSize = imageSize
        self.cropSize = cropSize
        self.preparation = preparation
    }

    /// The folder's `paths` with other sizes (a resumed run takes its saved sizes).
    init(paths: [String], imageSize: Int, cropSize: Int, preparation: TrainingImagePreparation) {
        self.paths = paths
        self.imageSize = imageSize
        self.cropSize = cropSize
        self.preparation = preparation
    }

    /// Image `index` read, resized (``preparation``'s ``TrainingConventions/Resizing``), cropped at a
    /// random corner and normalised as the encoder takes it (``TrainingImagePreparation/input``):
    /// 3 * cropSize * cropSize values, planar RGB.
    ///
    /// The corner is drawn as RandomCrop draws it, top then left, each uniform in
    /// 0 ... side - cropSize (from `random`, not torch's generator).
    func crop(_ index: Int, random: inout SeededRandom) throws(TrainingError) -> [Float] {
        let path = paths[index]
        var image: RGBImage
        do {
            image = try readImage(path: path)
            if imageSize > 0 { image = try resized(image) }
        } catch {
            throw .unreadableImage(error)
        }
        guard image.width >= cropSize && image.height >= cropSize else {
            throw .imageSmallerThanCrop(path: path, width: image.width, height: image.height, crop: cropSize)
        }
        let top = random.integer(upTo: image.height - cropSize)
        let left = random.integer(upTo: image.width - cropSize)
        var pixels = [Float](repeating: 0, count: 3 * cropSize * cropSize)
        for c in 0 ..< 3 {
            for y in 0 ..< cropSize {
                let source = (c * image.height + top + y) * image.width + left
                for x in 0 ..< cropSize { pixels[(c * cropSize + y) * cropSize + x] = image.pixels[source + x] }
            }
        }
        guard case .normalized(let mean, let std) = preparation.input else { return pixels }
        let plane = cropSize * cropSize
        for c in 0 ..< 3 {
            for i in c * plane ..< (c + 1) * plane { pixels[i] = (pixels[i] - mean[c]) / std[c] }
        }
        return pixels
    }

    /// The image sized for cropping as ``preparation`` says (``imageSize`` > 0).
    private func resized(_ image: RGBImage) throws(ImageCodecError) -> RGBImage {
        switch preparation.resizing {
        case .bothSides:
            return try resizeBilinear(image, width: imageSize, height: imageSize)
        case .shorterSide:
            // albumentations' smallest_max_size: scale = size / short, each side round(side * scale), half to even.
            let scale = Double(imageSize) / Double(min(image.width, image.height))
            let side = { (length: Int) in Int((Double(length) * scale).rounded(.toNearestOrEven)) }
            return try resizeBilinearUnantialiased(image, width: side(image.width), height: side(image.height))
        case .luaShorterSide:
            // ImageLoaderAsync's image.scale(img, "^" .. len): the sizes truncated, torch/image's scaleBilinear.
            let sized = try torchImageShorterSideSize(width: image.width, height: image.height, to: imageSize)
            return try resizeLikeTorchImage(image, width: sized.width, height: sized.height)
        }
    }

    /// The next `count` images of `sampler`, cropped: (count, 3, cropSize, cropSize).
    func batch(_ count: Int, sampler: inout ImageSampler, random: inout SeededRandom) throws(TrainingError) -> Tensor {
        var values: [Float] = []
        values.reserveCapacity(count * 3 * cropSize * cropSize)
        for _ in 0 ..< count {
            let index = sampler.next(count: paths.count, sampling: preparation.sampling, random: &random)
            values += try crop(index, random: &random)
        }
        return Tensor(shape: [count, 3, cropSize, cropSize], values: values)
    }
}

/// An endless sampler over `count` items: a fresh random permutation each pass
/// (pytorch-AdaIN's InfiniteSamplerWrapper), or uniformly with replacement (the seed's
/// `RandomSampler(replacement=True)`, which keeps no order), drawn from the caller's generator.
public struct ImageSampler: Sendable, Codable, Equatable {
    /// The current pass's order and the position in it.
    var order: [Int] = []
    var position = 0

    public init() {}

    mutating func next(count: Int, sampling: TrainingConventions.Sampling = .reshuffledPasses, random: inout SeededRandom) -> Int {
        if sampling == .withReplacement { return random.integer(upTo: count - 1) }
        if position >= order.count || order.count != count {
            order = random.permutation(count)
            position = 0
        }
        defer { position += 1 }
        return order[position]
    }
}

extension SeededRandom {
    /// Uniform in 0 ... bound (the modulo bias, below 2^-40 for the sizes here, is ignored).
    mutating func integer(upTo bound: Int) -> Int {
        precondition(bound >= 0)
        return Int(next() % UInt64(bound + 1))
    }

    /// A random order of `0 ..< count`: a Fisher-Yates shuffle, from the last position down.
    mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0 ..< count)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, integer(upTo: i)) }
        return order
    }
}
