// A small decoder training run for a model's run tests: two-image folders cut from the paper's
// images, the model's golden weights, two iterations at a 16-pixel crop.

import Foundation
import ImageCodec
import StyleTransfer
import TestSupport

/// A configuration of `model`'s trainer over fresh folders of two PNGs each (cornell.jpg at 40 and
/// 43 x 30, woman_with_hat_matisse.jpg at 30 and 33 x 36), starting from the golden weights `vgg`
/// and `decoder` (files of ``VariantGoldens``), 2 iterations of batch 2, images at 24, crops of 16,
/// saving at 2, into `output`.
func smallTrainingRun(model: ModelVariant, vgg: String, decoder: String, output: String) throws -> DecoderTrainingConfiguration {
    /// A folder holding `count` PNGs cut from the shared image `name`, `width + 3 i` x `height`.
    func folder(_ kind: String, _ name: String, width: Int, height: Int, count: Int) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(model.rawValue)-train-\(kind)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let image = try readImage(path: TestPaths.sharedImages.appendingPathComponent("\(kind)/\(name)").path)
        for i in 0 ..< count {
            try writeImage(try resizeBilinear(image, width: width + 3 * i, height: height), path: "\(folder)/\(i).png")
        }
        return folder
    }
    var c = DecoderTrainingConfiguration(model: model, contentFolder: try folder("content", "cornell.jpg", width: 40, height: 30, count: 2),
                                         styleFolder: try folder("style", "woman_with_hat_matisse.jpg", width: 30, height: 36, count: 2),
                                         outputFolder: output)
    c.vggWeights = try VariantGoldens.path(vgg)
    c.initialDecoder = try VariantGoldens.path(decoder)
    (c.iterations, c.batchSize, c.imageSize, c.cropSize, c.saveInterval) = (2, 2, 24, 16, 2)
    return c
}
