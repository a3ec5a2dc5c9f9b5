// End to end against pytorch-AdaIN's test.py: image files in, PNG out, same weights.

import Foundation
import ImageCodec
import StyleTransfer
import Testing
import TestSupport

@Suite struct PipelineGoldenTests {
    struct Index: Decodable {
        let content: String
        let content_size: Int
        let style: String
        let style_size: Int
    }

    static func index() throws -> Index {
        try JSONDecoder().decode(Index.self, from: Data(contentsOf: try TestPaths.golden("network/index.json")))
    }

    /// The same picture as pytorch-AdaIN from each checkpoint format: most pixels identical, none
    /// more than a few levels off. The reference keeps the rows that ceil-mode pooling adds; we
    /// crop them, so the comparison is over the content image's size.
    @Test(arguments: ["legacy.pth", "zip.pth"])
    func stylizedImageMatchesPyTorch(format: String) throws {
        let index = try Self.index()
        let models = ModelFiles(
            vgg: try TestPaths.golden("network/vgg_\(format)").path,
            decoder: try TestPaths.golden("network/decoder_\(format)").path)
        let stylizer = try Stylizer(models: models)
        let content = try ImageSizing(size: index.content_size).load(path: TestPaths.sharedImages.appendingPathComponent(index.content).path)
        let style = try ImageSizing(size: index.style_size).load(path: TestPaths.sharedImages.appendingPathComponent(index.style).path)
        let output = try stylizer.stylize(content: content, style: style, alpha: 1)
        #expect(output.width == content.width && output.height == content.height)

        let reference = try readImage(path: try TestPaths.golden("network/output_alpha1.png").path)
        let ours = quantize(output.pixels)
        var differing = 0
        var worst = 0
        for c in 0 ..< 3 {
            for y in 0 ..< output.height {
                for x in 0 ..< output.width {
                    let a = Int(ours[(c * output.height + y) * output.width + x])
                    let b = Int(quantize([reference.pixels[(c * reference.height + y) * reference.width + x]])[0])
                    if a != b { differing += 1; worst = max(worst, abs(a - b)) }
                }
            }
        }
        let total = ours.count
        #expect(Double(differing) / Double(total) < 0.02, "\(differing) of \(total) values differ")
        #expect(worst <= 3, "largest difference \(worst) levels")
    }
}
