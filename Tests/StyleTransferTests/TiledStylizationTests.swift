// Tiled stylization (Tiling) against the whole-image pipeline on the seeded golden networks: the
// halos derived from the tables, each tile's features equal the whole image's, the statistics
// merged from tiles equal the whole map's, the images agree for every control, no seams; bad tiles
// and the controls tiles cannot give refused in words.

import Foundation
import ImageCodec
import StyleTransfer
import Synchronization
import TensorCore
import Testing
import TestSupport

@Suite struct TiledStylizationTests {
    static let content = TestPaths.sharedImages.appendingPathComponent("content/cornell.jpg").path
    static let styles = ["style/woman_with_hat_matisse.jpg", "style/sketch.png"].map { TestPaths.sharedImages.appendingPathComponent($0).path }

    /// The seeded pytorch-AdaIN networks of NetworkGoldenTests.
    static func stylizer() throws -> Stylizer {
        let networks = try NetworkGoldens.networks.get()
        return Stylizer(encoder: networks.encoder, decoder: networks.decoder)
    }

    /// How two 8-bit images agree: the share of values within 1 level, and the largest difference.
    static func agreement(_ a: RGBImage, _ b: RGBImage) -> (withinOne: Double, worst: Int) {
        let (x, y) = (quantize(a.pixels), quantize(b.pixels))
        var (close, worst) = (0, 0)
        for (p, q) in zip(x, y) {
            let d = abs(Int(p) - Int(q))
            if d <= 1 { close += 1 }
            worst = max(worst, d)
        }
        return (Double(close) / Double(x.count), worst)
    }

    /// VGG-19 to relu4_1 (both encoders' tables) needs 30 image pixels each side, 32 on the pooling
    /// grid; the decoder 4 feature pixels (worked out by hand in ``Halo``'s description).
    @Test func halosFollowFromTheTables() {
        #expect(Halo(encoderArchitecture: VGGEncoder.architecture) == Halo(encoder: 32, decoder: 4))
        #expect(Halo(encoderArchitecture: ModelVariant.seed.conventions.encoderArchitecture).encoder == 32)
    }

    /// Each tile's relu4_1 interior, encoded from the tile and the encoder's halo, equals the whole
    /// image's features there within 1e-4 relative (to the map's largest magnitude); with a halo of
    /// 8 pixels, far below the receptive field, it does not.
    @Test func tileFeaturesEqualTheWholeImages() throws {
        let stylizer = try Self.stylizer()
        let image = try ImageSizing(size: 201).load(path: Self.content)  // 286 x 201: neither side a multiple of 8
        let whole = stylizer.encode(image)
        let scale = whole.values.map(abs).max()!
        func worst(halo: Int) -> Float {
            var worst: Float = 0
            for (rows, columns) in [(0 ..< 8, 0 ..< 8), (8 ..< 16, 12 ..< 20), (20 ..< whole.height, 28 ..< whole.width)] {
                let top = max(0, 8 * rows.lowerBound - halo), left = max(0, 8 * columns.lowerBound - halo)
                let bottom = min(image.height, 8 * rows.upperBound + halo), right = min(image.width, 8 * columns.upperBound + halo)
                var crop = [Float](repeating: 0, count: 3 * (bottom - top) * (right - left))
                for c in 0 ..< 3 {
                    for y in top ..< bottom {
                        for x in left ..< right {
                            crop[(c * (bottom - top) + y - top) * (right - left) + x - left] = image.pixels[(c * image.height + y) * image.width + x]
                        }
                    }
                }
                let tile = stylizer.encode(RGBImage(width: right - left, height: bottom - top, pixels: crop))
                for c in 0 ..< whole.channels {
                    for y in rows {
                        for x in columns {
                            let a = whole.values[(c * whole.height + y) * whole.width + x]
                            let b = tile.values[(c * tile.height + y - top / 8) * tile.width + x - left / 8]
                            worst = max(worst, abs(a - b))
                        }
                    }
                }
            }
            return worst / scale
        }
        let halo = Halo(encoderArchitecture: VGGEncoder.architecture).encoder
        #expect(worst(halo: halo) <= 1e-4, "halo \(halo): \(worst(halo: halo))")
        #expect(worst(halo: 8) > 1e-3, "a halo of 8 pixels should not be enough")
    }

    /// Tiled and whole stylizations agree for every control: within 1 level on at least 99.9% of
    /// values and none more than 2 off. 1001 x 777 (odd sides, tiles of 256: 4 x 4 tiles, the last
    /// partial) for one style; a smaller image for the other controls, for pass 2 decoding from the
    /// features pass 1 kept in memory (``Tiling/keepsFeatures``), and for pass 2 encoding each tile
    /// again (no ``Tiling/featureFolder``); the others read pass 1's features from a file.
    @Test(arguments: [
        ("single", 777, 256),
        ("alpha", 301, 128),
        ("interpolation", 301, 128),
        ("coral", 301, 128),
        ("luminance", 301, 128),
        ("kept features", 301, 128),
        ("encoded again", 301, 128),
    ])
    func tiledEqualsWhole(control: String, size: Int, tile: Int) throws {
        let stylizer = try Self.stylizer()
        let sizing = ImageSizing(size: size)
        let controls: StyleControls = switch control {
        case "alpha": StyleControls(styles: [Self.styles[0]], alpha: 0.6)
        case "interpolation": StyleControls(styles: Self.styles, weights: [0.3, 0.7])
        case "coral": StyleControls(styles: [Self.styles[0]], preserveColor: .coral)
        case "luminance": StyleControls(styles: [Self.styles[0]], preserveColor: .luminance)
        default: StyleControls(styles: [Self.styles[0]])
        }
        let whole = try StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: ImageSizing(size: 256))
            .stylize(content: Self.content, controls: controls)
        let tiling = try Tiling(tile: tile, keepsFeatures: control == "kept features", featureFolder: control == "encoded again" ? nil : Tiling.temporaryFolder)
        let tiled = try StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: ImageSizing(size: 256), tiling: tiling)
            .stylize(content: Self.content, controls: controls)
        try #require(tiled.width == whole.width && tiled.height == whole.height)
        let result = Self.agreement(tiled, whole)
        print("tiled \(control) at \(whole.width)x\(whole.height), tiles of \(tile): \(100 * result.withinOne)% within 1 level, worst \(result.worst)")
        #expect(result.withinOne >= 0.999 && result.worst <= 2, "\(control): \(result)")
    }

    /// Pass 1's features go to an unlinked file in ``Tiling/featureFolder`` (seen among the process's
    /// open files while the tiles run, named in the folder, deleted), and nothing is left in the folder
    /// after; a folder that does not exist leaves pass 2 to encode the tiles again, with the same result.
    @Test func featuresGoToAnUnlinkedFileOrAreEncodedAgain() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-tiled-features-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let stylizer = try Self.stylizer()
        let controls = StyleControls(styles: [Self.styles[0]])
        /// The process's open files in `folder`, as /proc/self/fd names them.
        @Sendable func openFiles(in folder: String) -> [String] {
            let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return descriptors.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) }
                .filter { $0.hasPrefix(folder + "/") }
        }
        func run(_ featureFolder: String?) throws -> (image: RGBImage, seen: [String]) {
            let seen = Mutex<[String]>([])
            let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: ImageSizing(size: 200), styleSizing: ImageSizing(size: 128),
                                               tiling: try Tiling(tile: 64, featureFolder: featureFolder),
                                               tileProgress: { _ in seen.withLock { $0 += openFiles(in: folder.path) } })
            return (try pipeline.stylize(content: Self.content, controls: controls), seen.withLock { $0 })
        }
        let (fromFile, seen) = try run(folder.path)
        #expect(!seen.isEmpty && seen.allSatisfy { $0.hasPrefix(folder.path + "/stylectl-features-") && $0.hasSuffix(" (deleted)") }, "\(Set(seen))")
        #expect(openFiles(in: folder.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        let missing = folder.appendingPathComponent("missing").path
        let (encodedAgain, none) = try run(missing)
        #expect(none.isEmpty && !FileManager.default.fileExists(atPath: missing))
        let result = Self.agreement(fromFile, encodedAgain)
        #expect(result.withinOne >= 0.999 && result.worst <= 2, "\(result)")
    }

    /// On a smooth image no tile border leaves a step: across each border the mean absolute
    /// difference between the rows (columns) on either side is no larger than between neighbouring
    /// rows (columns) elsewhere, plus half a level.
    @Test func tileBordersLeaveNoSeam() throws {
        let stylizer = try Self.stylizer()
        let (width, height) = (320, 256)
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        for c in 0 ..< 3 {
            for y in 0 ..< height {
                for x in 0 ..< width {
                    pixels[(c * height + y) * width + x] = 0.2 + 0.6 * Float(x + (c + 1) * y) / Float(width + 3 * height)
                }
            }
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-seams-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("smooth.png").path
        try writeImage(RGBImage(width: width, height: height, pixels: pixels), path: path)
        let reports = Mutex<[TileProgress]>([])
        let tiled = try StylizationPipeline(stylizer: stylizer, contentSizing: ImageSizing(size: 0), styleSizing: ImageSizing(size: 128),
                                            tiling: Tiling(tile: 64), tileProgress: { progress in reports.withLock { $0.append(progress) } })
            .stylize(content: path, controls: StyleControls(styles: [Self.styles[0]]))
        // 5 x 4 tiles, each reported once per pass, in order; the time left ends at 0.
        let progress = reports.withLock { $0 }
        #expect(progress.map(\.done) == Array(1 ... 40) && progress.allSatisfy { $0.total == 40 })
        #expect(progress.allSatisfy { $0.secondsLeft >= 0 } && progress.last?.secondsLeft == 0 && progress.last?.description == "tile 40/40")
        let levels = quantize(tiled.pixels).map(Double.init)
        func step(row y: Int) -> Double {  // mean |row y - row y-1|
            var sum = 0.0
            for c in 0 ..< 3 { for x in 0 ..< width { sum += abs(levels[(c * height + y) * width + x] - levels[(c * height + y - 1) * width + x]) } }
            return sum / Double(3 * width)
        }
        func step(column x: Int) -> Double {
            var sum = 0.0
            for c in 0 ..< 3 { for y in 0 ..< height { sum += abs(levels[(c * height + y) * width + x] - levels[(c * height + y) * width + x - 1]) } }
            return sum / Double(3 * height)
        }
        for border in stride(from: 64, to: height, by: 64) {
            let around = (step(row: border - 2) + step(row: border + 2)) / 2
            #expect(step(row: border) <= around + 0.5, "row \(border): \(step(row: border)) against \(around)")
        }
        for border in stride(from: 64, to: width, by: 64) {
            let around = (step(column: border - 2) + step(column: border + 2)) / 2
            #expect(step(column: border) <= around + 0.5, "column \(border): \(step(column: border)) against \(around)")
        }
    }

    /// With a mask, each region's content statistics are accumulated over the tiles weighted by the
    /// region's weights: tiled and whole agree within 1 level on at least 99.9% of values, none more
    /// than 2 off. The paper's mask (600 x 800, as blonde_girl.jpg) read binary and soft, and a radial
    /// ramp (fractional weights, so the weighted counts `V1 - V2 / V1` matter); 200 x 267 in tiles of 64.
    @Test(arguments: [("paper", SpatialMask.Mode.binary), ("paper", .soft), ("radial", .soft)])
    func maskedTiledEqualsWhole(mask: String, mode: SpatialMask.Mode) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-tiled-mask-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var path = TestPaths.sharedImages.appendingPathComponent("mask/mask.png").path
        if mask == "radial" {
            path = folder.appendingPathComponent("radial.png").path
            try writeImage(MaskShape.radial.image(width: 600, height: 800), path: path)
        }
        let content = TestPaths.sharedImages.appendingPathComponent("content/blonde_girl.jpg").path
        let controls = StyleControls(styles: Self.styles, mask: SpatialMask(paths: [path], mode: mode), alpha: 0.9)
        let (sizing, styleSizing) = (ImageSizing(size: 200), ImageSizing(size: 128))
        let stylizer = try Self.stylizer()
        let whole = try StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: styleSizing)
            .stylize(content: content, controls: controls)
        let tiled = try StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: styleSizing, tiling: Tiling(tile: 64))
            .stylize(content: content, controls: controls)
        try #require(tiled.width == whole.width && tiled.height == whole.height)
        let result = Self.agreement(tiled, whole)
        print("tiled \(mask) mask, \(mode), at \(whole.width)x\(whole.height), tiles of 64: \(100 * result.withinOne)% within 1 level, worst \(result.worst)")
        #expect(result.withinOne >= 0.999 && result.worst <= 2, "\(mask) \(mode): \(result)")
    }

    /// A mask region too small for statistics is refused tiled as whole, in the same words, before
    /// any tile is encoded.
    @Test func maskRegionTooSmallIsRefusedTiledAsWhole() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-tiled-mask-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("white.png").path
        try writeImage(RGBImage(width: 600, height: 800, pixels: [Float](repeating: 1, count: 3 * 600 * 800)), path: path)
        let content = TestPaths.sharedImages.appendingPathComponent("content/blonde_girl.jpg").path
        let controls = StyleControls(styles: Self.styles, mask: SpatialMask(paths: [path]))
        var messages: [String?] = []
        for tiling in [nil, try Tiling(tile: 64)] {
            let pipeline = StylizationPipeline(stylizer: try Self.stylizer(), contentSizing: ImageSizing(size: 200),
                                               styleSizing: ImageSizing(size: 64), tiling: tiling)
            let error = #expect(throws: StyleControlError.self) { try pipeline.stylize(content: content, controls: controls) }
            messages.append(error?.description)
        }
        #expect(messages[0] == "--mask: the region of style 2 covers fewer than two positions of the 25x34 feature map (1/8 of the content size); enlarge that region or the content")
        #expect(messages[1] == messages[0])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["white.png"])
    }

    /// `stylectl stylize`'s runner stylizes a tiled content into 8-bit samples and writes them: the
    /// file holds the bytes of the tiled ``StylizationPipeline/stylize(content:controls:)`` image,
    /// and agrees with the whole stylization's file within 1 level on at least 99.9% of values, none
    /// more than 2 off (luminance: the chroma recombined per tile from the 8-bit content). A content
    /// no larger than the tile is not tiled (nil).
    @Test func theRunnerWritesTheTiledBytes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-tiled-bytes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let stylizer = try Self.stylizer()
        let (sizing, styleSizing) = (ImageSizing(size: 200), ImageSizing(size: 128))
        let controls = StyleControls(styles: [Self.styles[0]], preserveColor: .luminance)
        let tiled = StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: styleSizing, tiling: try Tiling(tile: 64))
        let whole = StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: styleSizing)
        let (tiledPath, wholePath) = (folder.appendingPathComponent("tiled.png").path, folder.appendingPathComponent("whole.png").path)
        for (pipeline, path) in [(tiled, tiledPath), (whole, wholePath)] {
            let outcome = StylizationRunner(pipeline: pipeline).run(StylizationTask(content: Self.content, controls: controls, output: path))
            #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        }
        let written = try #require(try readImageBytes(path: tiledPath))
        let image = try tiled.stylize(content: Self.content, controls: controls)
        #expect(written == RGB8Image(quantizing: image))
        let wholeImage = try readImage(path: wholePath)
        let result = Self.agreement(written.image, wholeImage)
        print("tiled file against whole file (luminance, 284x200, tiles of 64): \(100 * result.withinOne)% within 1 level, worst \(result.worst)")
        #expect(result.withinOne >= 0.999 && result.worst <= 2, "\(result)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == ["tiled.png", "whole.png"])
        let large = StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: styleSizing, tiling: try Tiling(tile: 512))
        let untiled = try large.tiledStylization(content: Self.content, controls: controls)
        #expect(untiled == nil)
    }

    /// A tiled stylization written band of rows by band of rows (``StylizationPipeline/tiledStylization(content:controls:writingTo:jpegQuality:)``,
    /// as the runner writes it) is, byte for byte, the file the whole-image writers give for the
    /// tiled image (``writeImage(_:path:jpegQuality:)`` of the floats and of the bytes), as PNG and
    /// JPEG, at an odd size (284 x 200 in tiles of 64: a last row of tiles 8 pixels high).
    @Test(arguments: ["out.png", "out.jpg"])
    func bandWrittenFileEqualsTheWholeImageWrite(name: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-tiled-bands-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pipeline = StylizationPipeline(stylizer: try Self.stylizer(), contentSizing: ImageSizing(size: 200), styleSizing: ImageSizing(size: 128),
                                           tiling: try Tiling(tile: 64))
        let controls = StyleControls(styles: Self.styles, weights: [2, 1], alpha: 0.8)
        let (bands, floats, bytes) = (folder.appendingPathComponent(name).path, folder.appendingPathComponent("floats-" + name).path,
                                      folder.appendingPathComponent("bytes-" + name).path)
        #expect(try pipeline.tiledStylization(content: Self.content, controls: controls, writingTo: bands, jpegQuality: 90))
        let image = try #require(try pipeline.tiledStylization(content: Self.content, controls: controls))
        #expect((image.width, image.height) == (284, 200))
        try writeImage(try pipeline.stylize(content: Self.content, controls: controls), path: floats, jpegQuality: 90)
        try writeImage(image, path: bytes, jpegQuality: 90)
        let written = try Data(contentsOf: URL(fileURLWithPath: bands))
        #expect(written.count > 1000)
        #expect(written == (try Data(contentsOf: URL(fileURLWithPath: floats))))
        #expect(written == (try Data(contentsOf: URL(fileURLWithPath: bytes))))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == [name, "floats-" + name, "bytes-" + name])
        let untiled = StylizationPipeline(stylizer: try Self.stylizer(), contentSizing: ImageSizing(size: 200), styleSizing: ImageSizing(size: 128),
                                          tiling: try Tiling(tile: 512))
        #expect(try untiled.tiledStylization(content: Self.content, controls: controls, writingTo: folder.appendingPathComponent("no-" + name).path) == false)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == [name, "floats-" + name, "bytes-" + name])
    }

    /// The bands are written while the tiles run: before the last tile, the temporary file beside
    /// the output already holds bytes and the output does not exist. A write that then fails (the
    /// output path turned into a folder, so the rename fails) throws the image error and leaves no
    /// file and no temporary file. A bad extension is refused before any tile is encoded.
    @Test func aFailedBandWriteLeavesNoFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-tiled-failed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out.png").path
        let seen = Mutex<[(files: [String], bytes: Int)]>([])
        let reports = Mutex(0)
        let pipeline = StylizationPipeline(
            stylizer: try Self.stylizer(), contentSizing: ImageSizing(size: 200), styleSizing: ImageSizing(size: 128), tiling: try Tiling(tile: 64),
            tileProgress: { progress in
                reports.withLock { $0 += 1 }
                guard progress.done == progress.total - 1 else { return }
                let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
                let bytes = files.first.flatMap { try? FileManager.default.attributesOfItem(atPath: folder.path + "/" + $0)[.size] as? Int } ?? 0
                seen.withLock { $0.append((files, bytes)) }
                try? FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
            })
        let controls = StyleControls(styles: [Self.styles[0]])
        let error = #expect(throws: StyleControlError.self) { try pipeline.tiledStylization(content: Self.content, controls: controls, writingTo: output) }
        guard case .transfer(.image(.writeFailed(let path, _)))? = error else {
            Issue.record("expected the rename to fail, got \(String(describing: error))")
            return
        }
        #expect(path == output)
        let before = seen.withLock { $0 }
        #expect(before.count == 1 && before[0].files.count == 1 && before[0].files[0].hasPrefix(".out.png.") && before[0].files[0].hasSuffix(".tmp"),
                "\(before.map(\.files))")
        #expect(before.first.map { $0.bytes > 10_000 } == true, "\(before.map(\.bytes))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.png"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: output) == [])

        reports.withLock { $0 = 0 }
        let gif = folder.appendingPathComponent("out.gif").path
        let refused = #expect(throws: StyleControlError.self) { try pipeline.tiledStylization(content: Self.content, controls: controls, writingTo: gif) }
        #expect(refused?.description == StyleControlError.transfer(.image(.unsupportedOutputExtension(path: gif, extension: "gif"))).description)
        #expect(reports.withLock { $0 } == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.png"])
    }

    /// A stylization resized back to the content's own size (the seed's square sizing, its own
    /// networks) tiled agrees with the whole one as every control does: the tiles' floats are
    /// gathered, resized back as a whole and truncated to 8 bits. Cornell (729 x 512) from 256 x 256
    /// grows on both axes; the seed goldens' 90 x 24 content from 128 x 128 shrinks on both (with
    /// scikit-image's antialiasing); luminance recombines each tile before the resize, as whole.
    @Test(arguments: [("cornell", 256, 96, ColorPreservation.none), ("small", 128, 64, .none), ("cornell", 256, 96, .luminance)])
    func squareSizingTiledEqualsWhole(content name: String, imsize: Int, tile: Int, mode: ColorPreservation) throws {
        let stylizer = try #require(try VariantGoldens.stylizers[.seed]?.get())
        let content: String
        if name == "small" {
            let cases = try #require(VariantGoldens.arrays.index()["seed_infer"] as? [[String: Any]])
            content = try VariantGoldens.path(try #require(cases.first { $0["case"] as? String == "small" }?["content"] as? String))
        } else {
            content = Self.content
        }
        let sizing = ModelVariant.seed.conventions.sizing(size: imsize, crop: false)
        let controls = StyleControls(styles: [Self.styles[0]], preserveColor: mode)
        let whole = try StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: sizing).stylize(content: content, controls: controls)
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: sizing, tiling: try Tiling(tile: tile))
        let tiled = try pipeline.stylize(content: content, controls: controls)
        try #require(tiled.width == whole.width && tiled.height == whole.height && (whole.width, whole.height) != (imsize, imsize))
        let result = Self.agreement(tiled, whole)
        print("tiled seed \(name) \(mode) from \(imsize)x\(imsize) to \(whole.width)x\(whole.height), tiles of \(tile): \(100 * result.withinOne)% within 1 level, worst \(result.worst)")
        #expect(result.withinOne >= 0.999 && result.worst <= 2, "\(result)")
        // Written by bands, the file holds the same bytes as the gathered bands.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-tiled-seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out.png").path
        #expect(try pipeline.tiledStylization(content: content, controls: controls, writingTo: output))
        #expect(try readImage(path: output).pixels == tiled.pixels)
    }

    /// The losses of a tiled stylization, measured over its tiles (g(t) decoded over each tile and
    /// the encoder's halo, encoded again there, the statistics merged), equal the untiled ones within
    /// 1e-4 relative: content, style and Gram style losses, the colour distance, a mask's fidelity.
    /// 1001 x 777 in tiles of 256 for one style (through the runner, which writes the image band by
    /// band); smaller images for an interpolation, a mask, coral, and the seed's square sizing.
    @Test(arguments: [("single", 777, 256), ("interpolation", 301, 128), ("mask", 200, 64), ("coral", 301, 128), ("seed", 256, 96)])
    func tiledLossesEqualWhole(control: String, size: Int, tile: Int) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-tiled-losses-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var stylizer = try Self.stylizer()
        var (sizing, styleSizing) = (ImageSizing(size: size), ImageSizing(size: 256))
        var content = Self.content
        let controls: StyleControls
        switch control {
        case "interpolation": controls = StyleControls(styles: Self.styles, weights: [0.3, 0.7], alpha: 0.8)
        case "mask":
            content = TestPaths.sharedImages.appendingPathComponent("content/blonde_girl.jpg").path
            let mask = TestPaths.sharedImages.appendingPathComponent("mask/mask.png").path
            controls = StyleControls(styles: Self.styles, mask: SpatialMask(paths: [mask], mode: .soft))
            styleSizing = ImageSizing(size: 128)
        case "coral": controls = StyleControls(styles: [Self.styles[0]], preserveColor: .coral)
        case "seed":
            stylizer = try #require(try VariantGoldens.stylizers[.seed]?.get())
            sizing = ModelVariant.seed.conventions.sizing(size: size, crop: false)
            styleSizing = sizing
            controls = StyleControls(styles: [Self.styles[0]])
        default: controls = StyleControls(styles: [Self.styles[0]])
        }
        let whole = StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: styleSizing)
        let expected = try whole.losses(of: whole.stylize(content: content, controls: controls, measuring: true))
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: sizing, styleSizing: styleSizing, tiling: try Tiling(tile: tile))
        let stylization = try pipeline.stylize(content: content, controls: controls, measuring: true)
        #expect(stylization.decoded == nil && stylization.tiledLosses != nil)
        var measured = [try pipeline.losses(of: stylization)]
        if control == "single" {
            let output = folder.appendingPathComponent("out.png").path
            let outcome = StylizationRunner(pipeline: pipeline, measuresLosses: true).run(StylizationTask(content: content, controls: controls, output: output))
            #expect(outcome.error == nil)
            measured.append(try #require(outcome.losses))
            #expect(try readImage(path: output).pixels == stylization.image.pixels)
        }
        func close(_ a: Double?, _ b: Double?, _ name: String, tolerance: Double = 1e-4) {
            guard let a, let b else { return #expect(a == nil && b == nil, "\(control) \(name): \(String(describing: a)) against \(String(describing: b))") }
            #expect(abs(a - b) <= tolerance * max(abs(b), 1e-12), "\(control) \(name): tiled \(a), whole \(b), relative \(abs(a - b) / abs(b))")
        }
        for losses in measured {
            print("tiled losses, \(control): content \(losses.content) (whole \(expected.content)), style \(losses.style ?? .nan) (\(expected.style ?? .nan)), gram \(losses.gramStyle ?? .nan) (\(expected.gramStyle ?? .nan)), colour \(losses.colorDistance ?? .nan) (\(expected.colorDistance ?? .nan))")
            close(losses.content, expected.content, "content")
            close(losses.style, expected.style, "style")
            close(losses.gramStyle, expected.gramStyle, "gram")
            // The colour distance is of the 8-bit images, which agree within a level or two on a few values.
            close(losses.colorDistance, expected.colorDistance, "colour", tolerance: 1e-3)
            #expect((losses.maskFidelity == nil) == (expected.maskFidelity == nil))
            if let fidelity = losses.maskFidelity, let reference = expected.maskFidelity {
                for (row, referenceRow) in zip(fidelity.losses, reference.losses) {
                    for (a, b) in zip(row, referenceRow) { close(a, b, "mask fidelity") }
                }
                close(fidelity.leakage, reference.leakage, "leakage")
            }
        }
    }

    /// Bad tiles, and what tiles cannot give (a video's smoothing), are refused in words.
    @Test func badTilesAndUntiledControlsAreRefused() throws {
        for tile in [0, 60, 100, -8] {
            let error = #expect(throws: StyleControlError.self) { try Tiling(tile: tile) }
            #expect(error?.description == "--tile must be a multiple of 8 of at least 64 pixels, got \(tile)")
        }
        let pipeline = StylizationPipeline(stylizer: try Self.stylizer(), contentSizing: ImageSizing(size: 128), styleSizing: ImageSizing(size: 64),
                                           tiling: try Tiling(tile: 64))
        let smoothed = #expect(throws: StyleControlError.self) {
            try pipeline.stylize(content: Self.content, controls: StyleControls(styles: [Self.styles[0]]), measuring: false,
                                 smoothing: TemporalSmoothing(.statistics, momentum: 0.5))
        }
        #expect(smoothed?.description == "--tile: smoothed frames (--stabilize) are not available on a tiled stylization yet; stylize this content without --tile")
    }
}
