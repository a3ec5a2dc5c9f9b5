// stylebench --sweep N: an N-point alpha sweep through StyleReports' runner (without and with the
// metrics) against N separate single stylizations, each loading and encoding its content and style
// anew (as N `stylectl stylize` runs do, without their weight loading); all of it with the automatic
// convolutions (Winograd) and then with oneDNN's direct ones, in one process, with their ratios.

import Checkpoints
import Foundation
import ImageCodec
import StyleReports
import StyleTransfer
import TensorCore

/// A seeded noise image of `side` x `side` pixels.
func noiseImage(side: Int, random: inout SeededRandom) -> RGBImage {
    RGBImage(width: side, height: side, pixels: (0 ..< 3 * side * side).map { _ in random.unit() })
}

/// `--vgg` and `--decoder` when given, else the seeded weights written as safetensors into `folder`.
func benchModelFiles(_ options: Options, folder: String) throws -> ModelFiles {
    if let vgg = options.vgg, let decoder = options.decoder { return ModelFiles(vgg: vgg, decoder: decoder) }
    let models = ModelFiles(vgg: folder + "/vgg.safetensors", decoder: folder + "/decoder.safetensors")
    let (vgg, decoder) = seededStateDicts()
    try writeSafeTensors(vgg, path: models.vgg)
    try writeSafeTensors(decoder, path: models.decoder)
    return models
}

func runSweepBenchmark(_ options: Options, points: Int) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylebench-sweep-\(ProcessInfo.processInfo.processIdentifier)").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let models = try benchModelFiles(options, folder: folder)
        let stylizer = try Stylizer(models: models)
        var random = SeededRandom(seed: 2)
        let (content, style) = (folder + "/content.png", folder + "/style.png")
        try writeImage(noiseImage(side: options.size, random: &random), path: content)
        try writeImage(noiseImage(side: options.size, random: &random), path: style)
        let alphas = (0 ..< points).map { points == 1 ? 1 : Float($0) / Float(points - 1) }
        let sizing = ImageSizing(size: options.size)

        print("sweep: \(points) alphas (\(alphas.map(formatAlpha).joined(separator: ", "))), \(options.size)x\(options.size) content and style")
        print("  engine: \(computeEngineDescription); \(ProcessInfo.processInfo.activeProcessorCount) cores; weights: \(options.vgg == nil ? "seeded random" : "\(models.vgg), \(models.decoder)")")
        var sweeps: [ConvolutionAlgorithm: Double] = [:]
        for algorithm in [ConvolutionAlgorithm.automatic, .direct] {
            ConvolutionAlgorithm.process = algorithm
            print("  convolutions \(algorithm.rawValue):")
            // Warm-up: primitives, weight reorders, buffers, and the weights' sha256 (cached per process).
            _ = try stylizer.stylize(content: sizing.load(path: content), style: sizing.load(path: style), alpha: 1)
            _ = try SHA256Digest.file(models.vgg)
            _ = try SHA256Digest.file(models.decoder)

            // N separate stylizations: load, encode content and style, AdaIN, decode, write.
            var start = now()
            for (i, alpha) in alphas.enumerated() {
                let image = try stylizer.stylize(content: sizing.load(path: content), style: sizing.load(path: style), alpha: alpha)
                try writeImage(image, path: folder + "/separate-\(i).png")
            }
            let separate = now() - start

            // The sweep: each image encoded once, a decoder pass per cell, manifest, contact sheet and
            // index; with metrics, an encoder pass of each output too.
            var results: [(metrics: Bool, seconds: Double, cells: Double)] = []
            for metrics in [false, true] {
                let configuration = SweepConfiguration(
                    contents: [content], styles: [style], alphas: alphas, contentSize: options.size, styleSize: options.size,
                    models: models, folder: folder + "/report-\(algorithm.rawValue)-\(metrics)", toolVersion: "stylebench", metrics: metrics)
                start = now()
                let manifest = try runSweep(configuration, stylizer: stylizer)
                results.append((metrics, now() - start, manifest.cells.compactMap(\.seconds).reduce(0, +)))
            }
            sweeps[algorithm] = results[0].seconds

            print(String(format: "    %d separate stylizations: %.3f s (%.3f s each)", points, separate, separate / Double(points)))
            for result in results {
                print(String(format: "    sweep %@: %.3f s in all (cells %.3f s, the rest %.3f s); separate / sweep %.2fx",
                             result.metrics ? "with metrics   " : "without metrics", result.seconds, result.cells,
                             result.seconds - result.cells, separate / result.seconds))
            }
        }
        ConvolutionAlgorithm.process = .automatic
        print(String(format: "  sweep without metrics: automatic %.3f s, direct %.3f s: automatic is %.2fx as fast",
                     sweeps[.automatic]!, sweeps[.direct]!, sweeps[.direct]! / sweeps[.automatic]!))
    } catch {
        fail("sweep benchmark: \(error)")
    }
}
