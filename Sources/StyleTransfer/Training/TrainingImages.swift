// The training data of pytorch-AdaIN's train.py: a flat folder of images, each resized to
// image-size x image-size (transforms.Resize((512, 512))), randomly cropped (RandomCrop(256)),
// drawn in batches by an endless sampler that reshuffles the folder every pass
// (InfiniteSamplerWrapper).

import Foundation
import ImageCodec
import TensorCore

/// The images of one training folder and how they are prepared.
public struct TrainingImageFolder: Sendable {
    /// The .jpg, .jpeg and .png files of the folder, sorted by name.
    public let paths: [String]
    /// Both sides are resized to this (train.py's `Resize(size=(512, 512))`, aspect not kept);
    /// 0 keeps the images' sizes.
    public let imageSize: Int
    /// The side of the random square crop (train.py's `RandomCrop(256)`).
    public let cropSize: Int

    /// Lists the folder; `role` names it in errors.
    public init(path: String, role: InputRole, imageSize: Int, cropSize: Int) throws(TrainingError) {
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
    }

    /// The folder's `paths` with other sizes (a resumed run takes its saved sizes).
    init(paths: [String], imageSize: Int, cropSize: Int) {
        self.paths = paths
        self.imageSize = imageSize
        self.cropSize = cropSize
    }

    /// Image `index` read, resized (Pillow's bilinear filter, as torchvision on PIL images) and
    /// cropped at a random corner: 3 * cropSize * cropSize values, planar RGB in [0, 1].
    ///
    /// The corner is drawn as RandomCrop draws it, top then left, each uniform in
    /// 0 ... side - cropSize (from `random`, not torch's generator).
    func crop(_ index: Int, random: inout SeededRandom) throws(TrainingError) -> [Float] {
        let path = paths[index]
        var image: RGBImage
        do {
            image = try readImage(path: path)
            if imageSize > 0 { image = try resizeBilinear(image, width: imageSize, height: imageSize) }
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
        return pixels
    }

    /// The next `count` images of `sampler`, cropped: (count, 3, cropSize, cropSize).
    func batch(_ count: Int, sampler: inout ImageSampler, random: inout SeededRandom) throws(TrainingError) -> Tensor {
        var values: [Float] = []
        values.reserveCapacity(count * 3 * cropSize * cropSize)
        for _ in 0 ..< count { values += try crop(sampler.next(count: paths.count, random: &random), random: &random) }
        return Tensor(shape: [count, 3, cropSize, cropSize], values: values)
    }
}

/// An endless sampler over `count` items: a fresh random permutation each pass
/// (pytorch-AdaIN's InfiniteSamplerWrapper), drawn from the caller's generator.
public struct ImageSampler: Sendable, Codable, Equatable {
    /// The current pass's order and the position in it.
    var order: [Int] = []
    var position = 0

    public init() {}

    mutating func next(count: Int, random: inout SeededRandom) -> Int {
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
