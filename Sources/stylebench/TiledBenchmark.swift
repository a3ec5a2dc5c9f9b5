// stylebench --tiled SIZE [--tile N] [--keep-features]: one tiled stylization of a SIZE x SIZE content (style 512 x
// 512) through StylizationPipeline, its seconds and the process's peak RSS, against a whole 512 x
// 512 stylization's seconds scaled by the pixels (issue 13's figure: within 1.3x).

import Checkpoints
import Foundation
import ImageCodec
import StyleTransfer
import TensorCore

/// A smooth `side` x `side` test image with seeded noise (so that every tile's statistics differ).
func smoothNoiseImage(side: Int, seed: UInt64) -> RGBImage {
    var random = SeededRandom(seed: seed)
    var pixels = [Float](repeating: 0, count: 3 * side * side)
    for c in 0 ..< 3 {
        for y in 0 ..< side {
            for x in 0 ..< side {
                let base = 0.2 + 0.6 * Float(x + (c + 1) * y) / Float((c + 2) * side)
                pixels[(c * side + y) * side + x] = min(1, base + 0.2 * random.unit())
            }
        }
    }
    return RGBImage(width: side, height: side, pixels: pixels)
}

/// `stylebench --write-image SIDE PATH`: the content image, written by a child process so that the
/// benchmark's peak RSS is the stylization's, not the image's making.
func writeBenchImage(side: Int, path: String) {
    do { try writeImage(smoothNoiseImage(side: side, seed: 7), path: path) } catch { fail("cannot write \(path): \(error)") }
}

func runTiledBenchmark(_ options: Options, side: Int) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylebench-tiled-\(ProcessInfo.processInfo.processIdentifier)").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (content, style, small) = (folder + "/content.png", folder + "/style.png", folder + "/small.png")
        for (path, size) in [(content, side), (style, 512), (small, 512)] {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = ["--write-image", "\(size)", path]
            try child.run()
            child.waitUntilExit()
            guard child.terminationStatus == 0 else { fail("the child writing \(path) failed") }
        }
        let (encoder, decoder, weightsName) = loadNetworks(options)
        let stylizer = Stylizer(encoder: encoder, decoder: decoder)
        let tiling = try Tiling(tile: options.tile, keepsFeatures: options.keepFeatures)
        let controls = StyleControls(styles: [style])
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: ImageSizing(size: 0), styleSizing: ImageSizing(size: 0), tiling: tiling)
        print("stylectl tiled: \(side)x\(side) content in tiles of \(options.tile)\(options.keepFeatures ? ", pass 1's features kept" : ""), 512x512 style; weights: \(weightsName)")
        print("  engine: \(computeEngineDescription); \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let start = now()
        _ = try pipeline.stylize(content: content, controls: controls)
        let seconds = now() - start
        let peak = peakResidentBytes()
        let estimate = StylizationMemory.tiledPeakBytes(content: (side, side), tile: options.tile, styles: [(512, 512)], sourcePixels: side * side,
                                                        keepsFeatures: options.keepFeatures)
        print(String(format: "  tiled: %.2f s, peak RSS %@ (estimate %@)", seconds, megabytes(peak), megabytes(estimate)))
        let whole = StylizationPipeline(stylizer: stylizer, contentSizing: ImageSizing(size: 0), styleSizing: ImageSizing(size: 0))
        _ = try whole.stylize(content: small, controls: controls)  // warm-up
        whole.contentCache.removeAll()
        let wholeStart = now()
        _ = try whole.stylize(content: small, controls: controls)
        let wholeSeconds = now() - wholeStart
        let scaled = wholeSeconds * Double(side * side) / Double(512 * 512)
        print(String(format: "  whole 512x512: %.3f s; scaled by pixels to %dx%d: %.2f s; tiled / scaled = %.2f", wholeSeconds, side, side, scaled, seconds / scaled))
    } catch {
        fail("\(error)")
    }
}
