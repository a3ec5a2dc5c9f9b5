// Sweeps whose cells run in tiles: the same cells as the untiled sweep (images within a level,
// losses within the tiled losses' tolerance), shards that take the tile their plan records and
// give the unsharded tiled sweep, a shard with another tile or too little memory refused before
// work, a memory too small for the smallest tiles refused naming the minimum.

import Foundation
import ImageCodec
@testable import StyleReports
import StyleTransfer
import Testing
import TestSupport

@Suite struct SweepTilingTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("stylereports-tiled-\(UUID().uuidString)")

    func folder(_ name: String) -> String { temp.appendingPathComponent(name).path }

    /// A budget no stylization here comes near, so that nothing is tiled by itself.
    static let plenty = (bytes: 1 << 40, source: "--max-memory 1024G")

    /// cornell.jpg at its own 729 x 512 with sketch.png at 256, alphas 0.5 and 1: two cells.
    func configuration(_ name: String, tile: Int? = nil, memory: (bytes: Int, source: String)? = plenty) throws -> SweepConfiguration {
        SweepConfiguration(
            contents: [sharedImage("content/cornell.jpg")], styles: [sharedImage("style/sketch.png")], alphas: [0.5, 1],
            contentSize: 0, styleSize: 256, models: try #require(goldenModels), folder: folder(name), toolVersion: "test",
            tiling: try tile.map { try Tiling(tile: $0) }, memory: memory)
    }

    func stylizer() throws -> Stylizer { try #require(goldenStylizer, "the golden weights in .goldens/network/ do not load") }

    /// Every file under `folder` (recursively) with its bytes; empty when it does not exist.
    func snapshot(_ folder: String) -> [String: Data] {
        guard let names = FileManager.default.subpaths(atPath: folder) else { return [:] }
        var files: [String: Data] = [:]
        for name in names { files[name] = FileManager.default.contents(atPath: folder + "/" + name) }
        return files
    }

    /// How two 8-bit images agree: the share of values within 1 level, and the largest difference.
    func agreement(_ a: RGB8Image, _ b: RGB8Image) -> (withinOne: Double, worst: Int) {
        var (close, worst) = (0, 0)
        for (p, q) in zip(a.samples, b.samples) {
            let d = abs(Int(p) - Int(q))
            if d <= 1 { close += 1 }
            worst = max(worst, d)
        }
        return (Double(close) / Double(a.samples.count), worst)
    }

    /// The estimates of the sweep's one stylization (cornell with sketch), in tiles of `tile` (nil: whole).
    func needed(_ configuration: SweepConfiguration, tile: Int?) throws -> Int {
        let definition = try configuration.definition()
        let group = try #require(memoryGroups(definition).first)
        return try #require(try StylizationMemory.peakBytes(jobs: group.jobs, contentSizing: group.content, styleSizing: group.style,
                                                            tile: tile, measuring: true).first).bytes
    }

    /// Cells without their timings: what two runs of one sweep must agree on.
    func untimed(_ cells: [SweepManifest.Cell]) -> [SweepManifest.Cell] {
        cells.map { cell in
            var cell = cell
            (cell.seconds, cell.encodeSeconds, cell.decodeSeconds) = (cell.seconds.map { _ in 0 }, nil, nil)
            return cell
        }
    }

    /// Forced tiles of 256 on a 729 x 512 content: the tile is recorded, each cell's image agrees
    /// with the untiled sweep's within 1 level on at least 99.9 % of values (none more than 2 off),
    /// its losses within 1e-4 relative (the colour distance, of the 8-bit images, within 1e-3), as
    /// the tiled losses of one stylization do; a rerun without --tile keeps the recorded tiles and
    /// finds every cell done.
    @Test func aTiledSweepGivesTheUntiledCells() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let untiled = try runSweep(configuration("whole"), stylizer: stylizer())
        let tiled = try runSweep(configuration("tiled", tile: 256), stylizer: stylizer())
        #expect(untiled.definition.tile == nil && tiled.definition.tile == 256)
        #expect(try SweepManifest.read(folder: folder("tiled")).definition.tile == 256)
        #expect(tiled.cells.count == 2 && tiled.cells.allSatisfy(\.isDone))
        func close(_ a: Double?, _ b: Double?, _ name: String, tolerance: Double = 1e-4) {
            guard let a, let b else { return #expect(a == nil && b == nil, "\(name)") }
            #expect(abs(a - b) <= tolerance * max(abs(b), 1e-12), "\(name): tiled \(a), whole \(b), relative \(abs(a - b) / abs(b))")
        }
        for (cell, reference) in zip(tiled.cells, untiled.cells) {
            #expect(cell.output == reference.output)
            let image = try #require(try readImageBytes(path: folder("tiled") + "/" + cell.output))
            let whole = try #require(try readImageBytes(path: folder("whole") + "/" + reference.output))
            #expect(image.width == 729 && image.height == 512 && whole.width == 729 && whole.height == 512)
            let result = agreement(image, whole)
            print("tiled sweep cell \(cell.output): \(100 * result.withinOne)% within 1 level, worst \(result.worst); content loss \(cell.contentLoss ?? .nan) (whole \(reference.contentLoss ?? .nan)), style \(cell.styleLoss ?? .nan) (\(reference.styleLoss ?? .nan))")
            #expect(result.withinOne >= 0.999 && result.worst <= 2, "\(cell.output): \(result)")
            close(cell.contentLoss, reference.contentLoss, "content")
            close(cell.styleLoss, reference.styleLoss, "style")
            close(cell.gramStyleLoss, reference.gramStyleLoss, "gram")
            close(cell.colorDistance, reference.colorDistance, "colour", tolerance: 1e-3)
            #expect(cell.contentLoss != nil && cell.styleLoss != nil)
        }
        var skipped = 0
        let rerun = try runSweep(configuration("tiled"), stylizer: stylizer()) { if $0.skipped { skipped += 1 } }
        #expect(rerun.definition.tile == 256 && skipped == 2)
    }

    /// Two shards of the tiled sweep, the second given no --tile (it takes the plan's), assembled:
    /// the unsharded tiled sweep's cells and images, byte for byte; the plan and the manifest record the tile.
    @Test func shardsOfATiledSweepGiveTheUnshardedTiledSweep() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let whole = try runSweep(configuration("whole", tile: 256), stylizer: stylizer())
        let first = try checkSweep(configuration("sharded", tile: 256), shard: SweepShard(index: 0, count: 2))
        #expect(first.tiling?.tile == 256)
        _ = try runSweepShard(first, shard: SweepShard(index: 0, count: 2), stylizer: stylizer())
        let plan = try SweepShardPlan.read(report: folder("sharded"))
        #expect(plan.manifest.definition.tile == 256)
        let second = try checkSweep(configuration("sharded"), shard: SweepShard(index: 1, count: 2))
        #expect(second.tiling?.tile == 256)
        _ = try runSweepShard(configuration("sharded"), shard: SweepShard(index: 1, count: 2), stylizer: stylizer())
        let assembled = try assembleSweep(folder: folder("sharded"))
        #expect(assembled.definition == whole.definition && assembled.definition.tile == 256)
        #expect(untimed(assembled.cells) == untimed(whole.cells))
        for cell in whole.cells {
            #expect(FileManager.default.contents(atPath: folder("sharded") + "/" + cell.output) == FileManager.default.contents(atPath: folder("whole") + "/" + cell.output))
        }
        #expect(try SweepManifest.read(folder: folder("sharded")).definition.tile == 256)
    }

    /// A folder whose plan records tiles of 256 (written by shard 0 joining it, no cell run).
    func plannedFolder(_ name: String) throws -> String {
        let configuration = try configuration(name, tile: 256)
        let plan = SweepShardPlan(configuration: configuration, definition: try configuration.definition(), shardCount: 2)
        try FileManager.default.createDirectory(atPath: folder(name) + "/" + SweepShard.shardsFolderName, withIntermediateDirectories: true)
        try plan.join(folder: folder(name), shard: SweepShard(index: 0, count: 2))
        return folder(name) + "/" + SweepShard.shardsFolderName + "/" + SweepShardPlan.fileName
    }

    /// A shard given another --tile than its plan's (or tiles where the plan is untiled) is refused
    /// before work, by the check and by the run, naming both; nothing in the folder changes.
    @Test func aShardWithAnotherTileIsRefusedBeforeWork() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let record = try plannedFolder("planned")
        let before = snapshot(folder("planned"))
        let shard = try SweepShard(index: 1, count: 2)
        let expected = ReportError.shardTileDiffers(record: record, shard: "1/2", given: 128, recorded: 256)
        #expect(throws: expected) { try checkSweep(configuration("planned", tile: 128), shard: shard) }
        #expect(throws: expected) { try runSweepShard(configuration("planned", tile: 128), shard: shard, stylizer: stylizer()) }
        #expect(expected.description.contains("--tile 128 differs from the tiles the sweep's plan \(record) records (256 pixels)")
                && expected.description.contains("give --tile 256 or no --tile"), "\(expected)")
        #expect(snapshot(folder("planned")) == before)
        // An untiled plan: a shard given tiles is refused alike.
        let untiled = try configuration("untiled")
        try FileManager.default.createDirectory(atPath: folder("untiled") + "/" + SweepShard.shardsFolderName, withIntermediateDirectories: true)
        try SweepShardPlan(configuration: untiled, definition: try untiled.definition(), shardCount: 2).join(folder: folder("untiled"), shard: shard)
        let untiledRecord = folder("untiled") + "/" + SweepShard.shardsFolderName + "/" + SweepShardPlan.fileName
        #expect(throws: ReportError.shardTileDiffers(record: untiledRecord, shard: "1/2", given: 256, recorded: nil)) {
            try runSweepShard(configuration("untiled", tile: 256), shard: shard, stylizer: stylizer())
        }
    }

    /// A shard whose memory does not hold the plan's tiles is refused before work, naming the tile,
    /// the memory needed and the memory available; nothing in the folder changes. With enough, it
    /// takes the plan's tile even though its memory would have chosen none.
    @Test func aShardWithTooLittleMemoryForThePlansTileIsRefused() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let record = try plannedFolder("planned")
        let before = snapshot(folder("planned"))
        let shard = try SweepShard(index: 1, count: 2)
        let needed = try needed(configuration("planned"), tile: 256)
        let small = (bytes: needed - 1, source: "--max-memory \(needed - 1)")
        let expected = ReportError.recordedTileDoesNotFit(record: record, shard: "1/2", tile: 256, path: sharedImage("content/cornell.jpg"),
                                                          needed: needed, available: needed - 1, source: small.source)
        #expect(throws: expected) { try checkSweep(configuration("planned", memory: small), shard: shard) }
        #expect(throws: expected) { try runSweepShard(configuration("planned", memory: small), shard: shard, stylizer: stylizer()) }
        #expect(expected.description.hasPrefix("shard 1/2: stylizing '\(sharedImage("content/cornell.jpg"))' in tiles of 256 pixels, as \(record) records, needs about \(StylizationMemory.format(needed)) of memory"), "\(expected)")
        #expect(snapshot(folder("planned")) == before)
        #expect(try checkSweep(configuration("planned", memory: (needed, "enough")), shard: shard).tiling?.tile == 256)
    }

    /// With no --tile, a memory that does not hold a cell whole gives the largest tiles it holds
    /// (losses measured over them counted); one too small for the smallest tiles is refused as
    /// `stylize` refuses it, naming the minimum; nothing is written either way.
    @Test func theMemoryChoosesTheTileOrNamesTheMinimum() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let whole = try needed(configuration("chosen"), tile: nil)
        let chosen = try checkSweep(configuration("chosen", memory: (whole - 1, "--max-memory \(whole - 1)")))
        let tile = try #require(chosen.tiling?.tile)
        #expect(tile >= Tiling.minimumTile && tile < 729)
        #expect(try needed(configuration("chosen"), tile: tile) <= whole - 1)
        #expect(try needed(configuration("chosen"), tile: tile + 8) > whole - 1 || tile + 8 >= 729)
        #expect(try chosen.definition().tile == tile)

        let minimum = try needed(configuration("small"), tile: Tiling.minimumTile)
        let small = (bytes: minimum - 1, source: "--max-memory \(minimum - 1)")
        let tooSmall = try configuration("small", memory: small)
        do throws(ReportError) {
            try checkSweep(tooSmall)
            Issue.record("a memory below the smallest tiles' was accepted")
        } catch {
            guard case .memory(.tilesDoNotFit(let path, 729, 512, let named, minimum - 1, small.source, _)) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(path == sharedImage("content/cornell.jpg") && named == minimum)
            #expect(error.description.contains("give it at least --max-memory \(StylizationMemory.flagValue(minimum))"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: temp.path))
    }

    /// The measured losses widen pass 2's crops and encode g(t) again: the estimate counts them.
    /// Printed: the estimate of the README's measured run (`stylectl sweep` of a 1024 x 768 PNG kept
    /// at its size, sketch.png at 512, tiles of 256, pass 1's features kept).
    @Test func measuringRaisesTheTiledEstimate() {
        let size = (width: 1024, height: 768)
        let plain = StylizationMemory.tiledPeakBytes(content: size, tile: 256, styles: [(512, 512)], sourcePixels: 1024 * 768, resizes: false, output: .png)
        let measured = StylizationMemory.tiledPeakBytes(content: size, tile: 256, styles: [(512, 512)], sourcePixels: 1024 * 768, resizes: false,
                                                        output: .png, measuring: true)
        let kept = StylizationMemory.tiledPeakBytes(content: size, tile: 256, styles: [(512, 512)], sourcePixels: 1024 * 768, keepsFeatures: true,
                                                    resizes: false, output: .png, measuring: true)
        print("tiled estimate, 1024x768 in tiles of 256, 512x512 style, PNG: \(plain) B; measuring losses \(measured) B; with the features kept \(kept) B")
        // At least the four kept layers over the interior tile and its encoder halo (320 x 320).
        #expect(measured - plain >= StylizationMemory.measuredBytesPerPixel * 320 * 320, "\(plain) \(measured)")
    }

    /// A masks grid's cells read their mask file whole at its own size (as 8-bit samples, 3 B per
    /// pixel, 6 while it decodes) while the styles are encoded, and hold region weights over the
    /// whole map at each loss layer while the tiles run: the estimate counts both from the mask's
    /// header. With a two-colour mask of 12 x cornell.jpg's size (8748 x 6144) the mask dominates
    /// the smallest tiles' need, and a memory that holds the unmasked cell in them but not the
    /// masked one is refused naming the masked minimum, before anything is written.
    @Test func aMaskedSweepCountsItsMasks() throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let (width, height) = (8748, 6144)
        var samples = [UInt8](repeating: 0, count: 3 * width * height)
        samples.withUnsafeMutableBytes { bytes in
            for y in 0 ..< height { memset(bytes.baseAddress! + 3 * width * y, 255, 3 * (width / 2)) }
        }
        let mask = folder("halves.png")
        try writeImage(RGB8Image(width: width, height: height, samples: samples), path: mask)
        func masked(_ name: String, memory: (bytes: Int, source: String)? = Self.plenty) throws -> SweepConfiguration {
            SweepConfiguration(grid: .masks, contents: [sharedImage("content/cornell.jpg")],
                               styles: [sharedImage("style/sketch.png"), sharedImage("style/mondrian.jpg")], masks: [mask], alphas: [1],
                               contentSize: 0, styleSize: 256, models: try #require(goldenModels), folder: folder(name), toolVersion: "test",
                               memory: memory)
        }
        let group = try #require(memoryGroups(try masked("masked").definition()).first)
        #expect(group.jobs.map(\.masks) == [[mask]])
        func minimum(_ jobs: [StylizationJob]) throws -> Int {
            try #require(try StylizationMemory.peakBytes(jobs: jobs, contentSizing: group.content, styleSizing: group.style,
                                                         tile: Tiling.minimumTile, measuring: true).first).bytes
        }
        let needed = try minimum(group.jobs)
        let unmasked = try minimum(group.jobs.map { StylizationJob(content: $0.content, styles: $0.styles, output: $0.output) })
        print("masked sweep cell, 729x512 in tiles of 64 with a 8748x6144 mask: \(StylizationMemory.format(needed)); unmasked \(StylizationMemory.format(unmasked))")
        // The mask image as it decodes (6 B per mask pixel) over the weights and the runtime.
        #expect(needed >= StylizationMemory.fixedBytes + 6 * width * height && unmasked < StylizationMemory.fixedBytes + 6 * width * height)
        let small = (bytes: needed - 1, source: "--max-memory \(needed - 1)")
        // The same styles mixed over the whole content (no mask) fit that memory.
        let mixed = SweepConfiguration(contents: [sharedImage("content/cornell.jpg")],
                                       styles: [sharedImage("style/sketch.png"), sharedImage("style/mondrian.jpg")], alphas: [1],
                                       contentSize: 0, styleSize: 256, models: try #require(goldenModels), folder: folder("mixed"),
                                       toolVersion: "test", styleWeights: [1, 1], memory: small)
        #expect(try memoryGroups(mixed.definition()).first?.jobs.map(\.styles) == group.jobs.map(\.styles))
        _ = try checkSweep(mixed)
        let tooSmall = try masked("small", memory: small)
        do throws(ReportError) {
            _ = try checkSweep(tooSmall)
            Issue.record("a memory below the masked cell's smallest tiles was accepted")
        } catch {
            guard case .memory(.tilesDoNotFit(_, 729, 512, let named, needed - 1, small.source, _)) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(named == needed)
        }
        #expect(!FileManager.default.fileExists(atPath: folder("small")))
    }

    /// A definition without a tile is written without the key (an old manifest's bytes), read back
    /// as untiled; a tampered tile is refused by the manifest's checks.
    @Test func theTileIsRecordedOnlyWhenTiledAndChecked() throws {
        var manifest = SweepManifest(definition: try configuration("record").definition())
        let text = String(decoding: try JSONEncoder().encode(manifest), as: UTF8.self)
        #expect(!text.contains("\"tile\""))
        manifest.definition.tile = 65
        #expect(throws: ReportError.invalidRecord(file: "m.json", reason: "definition.tile: \(StyleControlError.badTile(65).description)")) {
            try manifest.validate(record: "m.json")
        }
        manifest.definition.tile = 256
        let decoded = try JSONDecoder().decode(SweepManifest.self, from: JSONEncoder().encode(manifest))
        #expect(decoded.definition.tile == 256)
    }
}
