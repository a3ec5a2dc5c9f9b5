// stylebench --tiled SIZE|WxH [--tile N] [--keep-features] [--encode-again] [--square N] [--mask WxH] [--losses]: one tiled
// stylization of a W x H content (style 512 x 512) through StylizationRunner, as `stylectl stylize` runs it (the content
// read as 8-bit samples, the output written as a PNG band of rows by band of rows), its seconds and the process's peak
// RSS against StylizationMemory's estimate, and against a whole 512 x 512 stylization's seconds scaled by the pixels
// (issue 13's figure: within 1.3x). With --square N, both images are sized as the seed model sizes them (N x N) and the
// output is resized back to W x H. With --mask WxH, two styles, each in its half of a two-colour mask file of W x H; with
// --losses, the losses measured over the tiles as a sweep's metrics measure them.

import Checkpoints
import Foundation
import ImageCodec
import StyleTransfer
import Synchronization
import TensorCore

/// A smooth `width` x `height` test image with seeded noise (so that every tile's statistics
/// differ), as 8-bit samples: the bytes of the float image `min(1, 0.2 + 0.6 (x + (c + 1) y) /
/// ((c + 2) max(width, height)) + 0.2 u)` (u uniform in [0, 1), drawn channel by channel, row by
/// row) quantised as the writers quantise.
func smoothNoiseImage(width: Int, height: Int, seed: UInt64) -> RGB8Image {
    var random = SeededRandom(seed: seed)
    var image = RGB8Image(width: width, height: height)
    let side = Float(max(width, height))
    for c in 0 ..< 3 {
        for y in 0 ..< height {
            for x in 0 ..< width {
                let base = 0.2 + 0.6 * Float(x + (c + 1) * y) / (Float(c + 2) * side)
                image.samples[3 * (y * width + x) + c] = quantize(min(1, base + 0.2 * random.unit()))
            }
        }
    }
    return image
}

/// `stylebench --write-image WxH PATH`: the content image, written by a child process so that the
/// benchmark's peak RSS is the stylization's, not the image's making.
func writeBenchImage(width: Int, height: Int, path: String) {
    do { try writeImage(smoothNoiseImage(width: width, height: height, seed: 7), path: path) } catch { fail("cannot write \(path): \(error)") }
}

/// `stylebench --write-mask WxH PATH`: a two-colour mask, white on the left half (the first style)
/// and black on the right, written by a child process as the content is.
func writeBenchMask(width: Int, height: Int, path: String) {
    var mask = RGB8Image(width: width, height: height)
    for y in 0 ..< height {
        for x in 0 ..< width / 2 {
            for c in 0 ..< 3 { mask.samples[3 * (y * width + x) + c] = 255 }
        }
    }
    do { try writeImage(mask, path: path) } catch { fail("cannot write \(path): \(error)") }
}

func runTiledBenchmark(_ options: Options, width: Int, height: Int) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylebench-tiled-\(ProcessInfo.processInfo.processIdentifier)").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (content, style, small, mask) = (folder + "/content.png", folder + "/style.png", folder + "/small.png", folder + "/mask.png")
        var images = [("--write-image", content, "\(width)x\(height)"), ("--write-image", style, "512"), ("--write-image", small, "512")]
        if let size = options.mask { images.append(("--write-mask", mask, "\(size.width)x\(size.height)")) }
        for (flag, path, size) in images {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = [flag, size, path]
            try child.run()
            child.waitUntilExit()
            guard child.terminationStatus == 0 else { fail("the child writing \(path) failed") }
        }
        let (encoder, decoder, weightsName) = loadNetworks(options)
        let stylizer = Stylizer(encoder: encoder, decoder: decoder)
        let tiling = try Tiling(tile: options.tile, keepsFeatures: options.keepFeatures, featureFolder: options.encodeAgain ? nil : Tiling.temporaryFolder)
        // Masked: the 512 x 512 images as the two styles (as a sweep's masks grid gives them).
        var controls = StyleControls(styles: options.mask == nil ? [style] : [style, small])
        if options.mask != nil { controls.mask = SpatialMask(paths: [mask]) }
        let sizing = options.square.map { ImageSizing(size: $0, shape: .square) } ?? ImageSizing(size: 0)
        // When each tile finished (both passes), for the passes' seconds.
        let finished = Mutex<[Double]>([])
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: sizing, tiling: tiling,
                                           tileProgress: { _ in finished.withLock { $0.append(now()) } })
        let squared = options.square.map { ", sized \($0)x\($0) and resized back" } ?? ""
        let masked = options.mask.map { ", two by a \($0.width)x\($0.height) mask" } ?? ""
        print("stylectl tiled: \(width)x\(height) content\(squared) in tiles of \(options.tile), pass 1's features \(options.keepFeatures ? "kept in memory" : options.encodeAgain ? "encoded again" : "in a temporary file"), 512x512 style\(masked)\(options.losses ? ", losses measured" : ""); weights: \(weightsName)")
        print("  engine: \(computeEngineDescription); \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let start = now()
        let outcome = StylizationRunner(pipeline: pipeline, measuresLosses: options.losses)
            .run(StylizationTask(content: content, controls: controls, output: folder + "/out.png"))
        if let error = outcome.error { fail("\(error)") }
        let seconds = now() - start
        let peak = peakResidentBytes()
        let sized = options.square.map { (width: $0, height: $0) } ?? (width, height)
        let styleSize = options.square.map { (width: $0, height: $0) } ?? (512, 512)
        let estimate = StylizationMemory.tiledPeakBytes(content: sized, tile: options.tile, styles: Array(repeating: styleSize, count: controls.styles.count),
                                                        sourcePixels: width * height, keepsFeatures: options.keepFeatures, resizes: options.square != nil,
                                                        output: .png, resizedBack: options.square == nil ? nil : (width, height), measuring: options.losses,
                                                        masks: try StylizationMemory.Masks(paths: options.mask == nil ? [] : [mask], regions: 2))
        print(String(format: "  tiled: %.2f s (read, stylized, written), peak RSS %@ (estimate %@)", seconds, megabytes(peak), megabytes(estimate)))
        let times = finished.withLock { $0 }
        if times.count >= 2 {
            let half = times.count / 2
            print(String(format: "    the first tile done after %.2f s (reading, the style, the first tile), pass 1 (%d tiles) after %.2f s; pass 2: %.2f s; after the last tile (resize back): %.2f s",
                         times[0] - start, half, times[half - 1] - start, times[times.count - 1] - times[half - 1], start + seconds - times[times.count - 1]))
        }
        // The whole 512 x 512 stylization after a warm-up, three times: the median, with its encoder and decoder seconds.
        let whole = StylizationPipeline(stylizer: stylizer, contentSizing: ImageSizing(size: 0), styleSizing: ImageSizing(size: 0))
        let single = StyleControls(styles: [style])
        _ = try whole.stylize(content: small, controls: single)
        var runs: [(seconds: Double, encoding: Double, decoding: Double)] = []
        for _ in 0 ..< 3 {
            whole.contentCache.removeAll()
            let wholeStart = now()
            let stylization = try whole.stylize(content: small, controls: single, measuring: false)
            runs.append((now() - wholeStart, stylization.encodingSeconds, stylization.decodingSeconds))
        }
        let median = runs.sorted { $0.seconds < $1.seconds }[1]
        let scaled = median.seconds * Double(width * height) / Double(512 * 512)
        print(String(format: "  whole 512x512: %.3f s (median of %@; content encoding %.3f s, decoding %.3f s); scaled by pixels to %dx%d: %.2f s; tiled / scaled = %.2f",
                     median.seconds, runs.map { String(format: "%.3f", $0.seconds) }.joined(separator: ", "), median.encoding, median.decoding,
                     width, height, scaled, seconds / scaled))
    } catch {
        fail("\(error)")
    }
}
