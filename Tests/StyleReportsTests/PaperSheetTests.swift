// Sheets laid out as the AdaIN paper's figures, made from the specs in Reports/examples/ at 64 px
// with the seeded weights: the content and style before alpha rows (Fig. 7), the end and corner
// styles beside interpolation rows and bilinear blocks (Fig. 8), the tinted mask above masked
// results (Fig. 10); two-parameter grids as rows x columns paged by whole groups; `--cell-size`;
// every text inside the sheet.

import Foundation
import ImageCodec
@testable import StyleReports
import StyleTransfer
import Testing
import TestSupport

@Suite struct PaperSheetTests {
    let fixtures = ReportFixtures()

    /// Runs `Reports/examples/<spec>` at 64 px with the seeded weights into the fixtures' folder,
    /// `contents` replacing the spec's when given.
    func sweep(_ spec: String, contents: [String]? = nil, cellSize: Int? = nil, rowsPerSheet: Int = 6) throws -> (SweepManifest, String) {
        let stylizer = try #require(goldenStylizer, "the golden weights in .goldens/network/ do not load")
        var request = try SweepRequest(specFile: TestPaths.repoRoot.appendingPathComponent("Reports/examples/" + spec).path)
        request.contentSize = 64
        request.styleSize = 64
        request.reportsDirectory = fixtures.temp.path
        if let contents { request.contents = contents.map(sharedImage) }
        if let cellSize { request.cellSize = cellSize }
        var configuration = try request.configuration(models: try #require(goldenModels), toolVersion: "test")
        configuration.rowsPerSheet = rowsPerSheet
        return (try runSweep(configuration, stylizer: stylizer), configuration.folder)
    }

    func problem(_ sheet: RGBImage, _ origin: (x: Int, y: Int), _ path: String?, cell: Int = SheetLayout.defaultCell) throws -> String? {
        cellProblem(sheet, origin: origin, picture: try path.map { try readImage(path: $0) }, size: cell)
    }

    /// Fig. 7: the content and the style at cell size before the row, then the alphas.
    @Test func alphaRowsStartWithTheContentAndTheStyle() throws {
        let (manifest, folder) = try sweep("alpha-chicago.yaml")
        let d = manifest.definition
        let layout = SheetLayout(groups: [5], before: 2)
        let sheet = try readImage(path: folder + "/sheet-1.png")
        #expect((sheet.width, sheet.height) == layout.size(rows: 1))
        #expect(try problem(sheet, layout.beforeOrigin(row: 0, column: 0), d.contents[0].path) == nil)
        #expect(try problem(sheet, layout.beforeOrigin(row: 0, column: 1), d.styles[0].path) == nil)
        for c in 0 ..< 5 {
            let found = try problem(sheet, layout.cellOrigin(row: 0, column: c), folder + "/" + manifest.cells[c].output)
            #expect(found == nil, "alpha \(d.alphas[c]): \(found ?? "")")
        }
        // The style is not where a result is: the check can fail.
        #expect(try problem(sheet, layout.cellOrigin(row: 0, column: 0), d.styles[0].path) != nil)
    }

    /// Fig. 8, one dimension: the end styles before and after the row.
    @Test func interpolationRowsShowBothEndStyles() throws {
        let (manifest, folder) = try sweep("interpolation.yaml")
        let d = manifest.definition
        let layout = SheetLayout(groups: [5], before: 1, after: 1)
        let sheet = try readImage(path: folder + "/sheet-1.png")
        #expect((sheet.width, sheet.height) == layout.size(rows: 1))
        #expect(try problem(sheet, layout.beforeOrigin(row: 0, column: 0), d.styles[0].path) == nil)
        #expect(try problem(sheet, layout.afterOrigin(row: 0, column: 0), d.styles[1].path) == nil)
        for c in 0 ..< 5 { #expect(try problem(sheet, layout.cellOrigin(row: 0, column: c), folder + "/" + manifest.cells[c].output) == nil) }
    }

    /// Fig. 8: the four corner styles beside the block's four corners; the rows between have none.
    @Test func bilinearBlocksShowTheFourCornerStyles() throws {
        let (manifest, folder) = try sweep("corners.yaml")
        let d = manifest.definition
        let layout = SheetLayout(groups: [5], before: 1, after: 1)
        let sheet = try readImage(path: folder + "/sheet-1.png")
        #expect((sheet.width, sheet.height) == layout.size(rows: 5))
        #expect(try problem(sheet, layout.beforeOrigin(row: 0, column: 0), d.styles[0].path) == nil, "a, top left")
        #expect(try problem(sheet, layout.afterOrigin(row: 0, column: 0), d.styles[1].path) == nil, "b, top right")
        #expect(try problem(sheet, layout.beforeOrigin(row: 4, column: 0), d.styles[2].path) == nil, "c, bottom left")
        #expect(try problem(sheet, layout.afterOrigin(row: 4, column: 0), d.styles[3].path) == nil, "d, bottom right")
        for r in 1 ..< 4 {
            let left = layout.beforeOrigin(row: r, column: 0), right = layout.afterOrigin(row: r, column: 0)
            #expect(pixel(sheet, x: left.x + 64, y: left.y + 64) == 0xFFFFFF && pixel(sheet, x: right.x + 64, y: right.y + 64) == 0xFFFFFF)
        }
        for (i, cell) in manifest.cells.enumerated() {
            #expect(try problem(sheet, layout.cellOrigin(row: i / 5, column: i % 5), folder + "/" + cell.output) == nil, "\(cell.output)")
        }
    }

    /// The losses over the corner position as heat maps: a square per cell at (u, v) as the sheet
    /// places it, carrying the manifest's loss, coloured on viridis from the lowest (dark) to the
    /// highest (yellow); the PNG shows the same colours at the same places.
    @Test func bilinearLossesAreHeatMapsOverTheCornerPosition() throws {
        let (manifest, folder) = try sweep("corners.yaml")
        let page = try String(contentsOfFile: folder + "/index.html", encoding: .utf8)
        #expect(page.contains("<h2>Losses over the corner position</h2>"))
        let maps = page.components(separatedBy: "<svg class=\"plot heatmap\"").dropFirst().map { String($0.split(separator: "</svg>")[0]) }
        #expect(maps.count == 2)
        let picture = try readImage(path: folder + "/losses.png")
        let frame = HeatMapFrame.standard
        #expect((picture.width, picture.height) == (2 * Int(frame.width), Int(frame.height)))
        let squares = try NSRegularExpression(pattern: ##"fill="#([0-9a-f]{6})" data-u="([0-9]+)" data-v="([0-9]+)" data-value="([-0-9.e+]+)""##)
        for (k, (map, loss)) in zip(maps, [\SweepManifest.Cell.styleLoss, \.contentLoss]).enumerated() {
            let found = squares.matches(in: map, range: NSRange(map.startIndex..., in: map)).map { match in
                let text = { (i: Int) in String(map[Range(match.range(at: i), in: map)!]) }
                return (colour: Int(text(1), radix: 16)!, u: Int(text(2))!, v: Int(text(3))!, value: Double(text(4))!)
            }
            #expect(found.count == 25)
            let values = manifest.cells.compactMap { $0[keyPath: loss] }
            let (low, high) = (values.min()!, values.max()!)
            for cell in manifest.cells {
                // Cell i sits in sheet row i / 5 (v) and column i % 5 (u).
                let i = cell.row * 5 + cell.column
                let square = try #require(found.first { $0.u == i % 5 && $0.v == i / 5 }, "\(cell.output)")
                #expect(square.value == cell[keyPath: loss], "\(cell.output)")
                let expected = HeatMapFrame.color(HeatMapFrame.scaled(square.value, (low, high)))
                #expect(square.colour == Int(expected))
                let x = k * Int(frame.width) + Int(frame.left + (Double(square.u) + 0.5) * frame.side / 5)
                let y = Int(frame.top + (Double(square.v) + 0.5) * frame.side / 5)
                #expect(pixel(picture, x: x, y: y) == Int(expected), "\(cell.output) in losses.png")
            }
            // The lowest loss is the darkest square, the highest the yellow one.
            #expect(found.first { $0.value == low }!.colour == 0x440154 && found.first { $0.value == high }!.colour == 0xFDE725)
        }
    }

    /// Fig. 10: the content and the styles (framed in their region's colour) before the result;
    /// above it the mask, each region in its style's colour.
    @Test func maskedResultsShowTheTintedMaskAndTheStyles() throws {
        let (manifest, folder) = try sweep("masks.yaml")
        let d = manifest.definition
        let layout = SheetLayout(groups: [1], before: 3)
        let sheet = try readImage(path: folder + "/sheet-1.png")
        #expect((sheet.width, sheet.height) == layout.size(rows: 2))
        #expect(try problem(sheet, layout.beforeOrigin(row: 1, column: 0), d.contents[0].path) == nil)
        for s in 0 ..< 2 {
            let origin = layout.beforeOrigin(row: 1, column: 1 + s)
            #expect(cellProblem(sheet, origin: origin, picture: try readImage(path: d.styles[s].path), size: 128, framed: true) == nil)
            #expect(pixel(sheet, x: origin.x + 1, y: origin.y + 64) == Int(SheetPalette.colour(s)), "style \(s + 1)'s frame")
        }
        #expect(try problem(sheet, layout.cellOrigin(row: 1, column: 0), folder + "/" + manifest.cells[0].output) == nil)
        // The mask drawn at cell size: where the mask is white (the first style) the sheet is red,
        // where black (the second) blue.
        let mask = try readImage(path: d.masks[0].path)
        let scale = min(128 / Double(mask.width), 128 / Double(mask.height))
        let (w, h) = (Int((Double(mask.width) * scale).rounded()), Int((Double(mask.height) * scale).rounded()))
        let origin = layout.cellOrigin(row: 0, column: 0)
        var counts = [0, 0], wrong = 0
        for y in stride(from: 8, to: h - 8, by: 4) {
            for x in stride(from: 8, to: w - 8, by: 4) {
                let white = pixel(mask, x: x * mask.width / w, y: y * mask.height / h) == 0xFFFFFF
                let drawn = pixel(sheet, x: origin.x + (128 - w) / 2 + x, y: origin.y + (128 - h) / 2 + y)
                // The captions are black text on white boxes: grey levels, not a region's colour.
                let grey = drawn >> 16 == drawn & 0xFF && (drawn >> 8) & 0xFF == drawn & 0xFF
                if drawn == Int(SheetPalette.colour(white ? 0 : 1)) { counts[white ? 0 : 1] += 1 } else if !grey { wrong += 1 }
            }
        }
        let total = counts[0] + counts[1] + wrong
        #expect(counts[0] > total / 10 && counts[1] > total / 10 && wrong < total / 20, "red \(counts[0]), blue \(counts[1]), other \(wrong)")
    }

    /// An alpha x u sweep is rows x columns (an alpha a row, u across), not one row of 20 paged at 10.
    @Test func alphaByWeightIsLaidOutAsRowsAndColumns() throws {
        let (manifest, folder) = try sweep("alpha-interpolation.yaml")
        #expect(manifest.rows.count == 1 && manifest.columns.count == 20)
        let layout = SheetLayout(groups: [5], before: 1, after: 1)
        let sheet = try readImage(path: folder + "/sheet-1.png")
        #expect((sheet.width, sheet.height) == layout.size(rows: 4))
        #expect(!FileManager.default.fileExists(atPath: folder + "/sheet-2.png"))
        for (i, cell) in manifest.cells.enumerated() {
            #expect(try problem(sheet, layout.cellOrigin(row: i / 5, column: i % 5), folder + "/" + cell.output) == nil, "\(cell.output)")
        }
        let grid = sweepSheetGrid(manifest, folder: folder)
        #expect(grid.groups[0].columns == ["u 0", "u 0.25", "u 0.5", "u 0.75", "u 1"])
        #expect(grid.rows.map(\.label) == ["avril, alpha 0.25", "avril, alpha 0.5", "avril, alpha 0.75", "avril, alpha 1"])
    }

    /// Pages hold whole groups: two contents of four alpha rows on sheets of 6 rows are two pages
    /// of 4 rows, not 6 + 2.
    @Test func pagesSplitByWholeGroups() throws {
        let (manifest, folder) = try sweep("alpha-interpolation.yaml", contents: ["content/avril.jpg", "content/cornell.jpg"])
        let layout = SheetLayout(groups: [5], before: 1, after: 1)
        for page in 0 ..< 2 {
            let sheet = try readImage(path: folder + "/sheet-\(page + 1).png")
            #expect((sheet.width, sheet.height) == layout.size(rows: 4), "sheet \(page + 1)")
            for r in 0 ..< 4 {
                let cell = manifest.cells[page * 20 + r * 5 + 2]
                #expect(try problem(sheet, layout.cellOrigin(row: r, column: 2), folder + "/" + cell.output) == nil, "\(cell.output)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/sheet-3.png"))
    }

    /// `--cell-size 64`: recorded in the manifest, the sheets' cells 64 px, kept on resume from the manifest as spec.
    @Test func cellSizeIsUsedAndRecorded() throws {
        let (manifest, folder) = try sweep("alpha-chicago.yaml", cellSize: 64)
        #expect(manifest.sheetCellSize == 64)
        #expect(try SweepManifest.read(folder: folder).sheetCellSize == 64)
        #expect(try SweepRequest(specFile: folder + "/manifest.json").cellSize == 64)
        let layout = SheetLayout(cell: 64, groups: [5], before: 2)
        let sheet = try readImage(path: folder + "/sheet-1.png")
        #expect((sheet.width, sheet.height) == layout.size(rows: 1))
        for c in 0 ..< 5 { #expect(try problem(sheet, layout.cellOrigin(row: 0, column: c), folder + "/" + manifest.cells[c].output, cell: 64) == nil) }
        #expect(try problem(sheet, layout.beforeOrigin(row: 0, column: 1), manifest.definition.styles[0].path, cell: 64) == nil)
    }

    /// A cell size out of range is refused naming the flag, before anything is written.
    @Test(arguments: [0, 31, 1025, -128])
    func badCellSizesAreRefused(size: Int) throws {
        var request = try SweepRequest(specFile: TestPaths.repoRoot.appendingPathComponent("Reports/examples/alpha-chicago.yaml").path)
        request.reportsDirectory = fixtures.temp.path
        request.cellSize = size
        #expect(throws: ReportError.invalidValue(flag: "--cell-size", value: "\(size)", expected: "32 to 1024 pixels")) {
            try request.configuration(models: try #require(goldenModels), toolVersion: "test")
        }
        #expect(!FileManager.default.fileExists(atPath: fixtures.temp.path))
    }

    /// A manifest edited to an impossible cell size is refused when read, naming the field.
    @Test func tamperedCellSizeIsRefused() throws {
        let (_, folder) = try sweep("alpha-chicago.yaml", cellSize: 64)
        let path = folder + "/manifest.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"sheetCellSize\" : 64"))
        try Data(text.replacingOccurrences(of: "\"sheetCellSize\" : 64", with: "\"sheetCellSize\" : 100000").utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ReportError.invalidRecord(file: path, reason: "sheetCellSize is 100000, not 32 to 1024")) { try SweepManifest.read(folder: folder) }
    }

    /// Every text on every kind of sheet, at small and default cell sizes, lies inside the sheet
    /// and overlaps no other text (boxes as libgd measures them with the font it draws with).
    @Test func sheetTextStaysInsideTheSheet() throws {
        #expect(FileManager.default.fileExists(atPath: SheetLayout.font), "install fonts-dejavu-core")
        for spec in ["alpha-chicago.yaml", "interpolation.yaml", "corners.yaml", "masks.yaml", "alpha-interpolation.yaml", "alpha.json"] {
            let (manifest, folder) = try sweep(spec)
            for cell in [32, 64, 128] {
                var grid = sweepSheetGrid(manifest, folder: folder)
                grid.cell = cell
                for (file, canvas) in renderSheets(grid, rowsPerSheet: 6) {
                    let boxes = canvas.textBoxes
                    #expect(!boxes.isEmpty)
                    for box in boxes {
                        #expect(box.x >= 0 && box.y >= 0 && box.x + box.width <= canvas.width && box.y + box.height <= canvas.height,
                                "\(spec) at \(cell) px, \(file): '\(box.text)' at \(box.x), \(box.y), \(box.width) x \(box.height) in \(canvas.width) x \(canvas.height)")
                    }
                    for (i, a) in boxes.enumerated() {
                        for b in boxes[(i + 1)...] where a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height {
                            Issue.record("\(spec) at \(cell) px, \(file): '\(a.text)' overlaps '\(b.text)'")
                        }
                    }
                }
            }
        }
    }
}

@Suite struct MaskCaptionTests {
    /// A ring-shaped region's caption goes inside the ring, not at its centre of mass (the hole).
    @Test func captionsOfRingShapedRegionsFallInsideThem() {
        let (width, height) = (9, 9)
        let centre = (0 ..< 81).map { p -> Float in (3 ..< 6).contains(p % 9) && (3 ..< 6).contains(p / 9) ? 1 : 0 }
        let regions = RegionWeights(regions: 2, width: width, height: height, values: centre + centre.map { 1 - $0 })
        let points = deepestPoints(of: regions, width: width, height: height)
        #expect(points[0].map { [$0.x, $0.y] } == [4, 4])
        let ring = points[1].map { centre[$0.y * width + $0.x] == 0 } ?? false
        #expect(ring, "\(String(describing: points[1]))")
        #expect(deepestPoints(of: RegionWeights(regions: 1, width: 2, height: 1, values: [0, 0]), width: 2, height: 1)[0] == nil)
    }
}

/// Stroke size as a sweep dimension: `--style-size` and `--content-size` lists, a column each,
/// laid out and labelled like alpha.
@Suite struct StrokeSizeSweepTests {
    let fixtures = ReportFixtures()

    func request(styleSizes: [Int], contentSizes: [Int] = [64], alphas: [Float] = [0.5, 1]) throws -> SweepRequest {
        var request = try SweepRequest(specFile: TestPaths.repoRoot.appendingPathComponent("Reports/examples/stroke-size.yaml").path)
        #expect(request.styleSizes == [256, 512, 768] && request.styleSize == 256)
        request.setStyleSizes(styleSizes)
        request.setContentSizes(contentSizes)
        request.alphas = alphas
        request.reportsDirectory = fixtures.temp.path
        return request
    }

    @Test func eachStyleSizeIsAColumnAndEachCellIsThatSizesImage() throws {
        let stylizer = try #require(goldenStylizer, "the golden weights in .goldens/network/ do not load")
        let models = try #require(goldenModels)
        let configuration = try request(styleSizes: [32, 64]).configuration(models: models, toolVersion: "test")
        let manifest = try runSweep(configuration, stylizer: stylizer)
        #expect(manifest.definition.styleSizes == [32, 64] && manifest.definition.styleSize == 32 && manifest.definition.contentSizes == nil)
        #expect(manifest.columns.map(\.label) == ["style-size 32, alpha 0.5", "style-size 32, alpha 1", "style-size 64, alpha 0.5", "style-size 64, alpha 1"])
        #expect(manifest.cells.map(\.styleSize) == [32, 32, 64, 64] && manifest.cells.allSatisfy { $0.contentSize == nil })
        #expect(manifest.cells[1].output.hasSuffix("_a1_none_ss32.png"), "\(manifest.cells[1].output)")
        // Each cell is the image of a sweep of that one style size, byte for byte.
        for (size, cell) in [(32, manifest.cells[1]), (64, manifest.cells[3])] {
            var single = try request(styleSizes: [size], alphas: [1])
            single.report = "single-\(size)"
            let plain = try runSweep(try single.configuration(models: models, toolVersion: "test"), stylizer: stylizer)
            #expect(plain.definition.styleSizes == nil)
            let a = try Data(contentsOf: URL(fileURLWithPath: configuration.folder + "/" + cell.output))
            let b = try Data(contentsOf: URL(fileURLWithPath: fixtures.folder("single-\(size)") + "/" + plain.cells[0].output))
            #expect(a == b, "style-size \(size)")
        }
        // The two sizes differ (the check can fail).
        #expect(try Data(contentsOf: URL(fileURLWithPath: configuration.folder + "/" + manifest.cells[1].output))
                != Data(contentsOf: URL(fileURLWithPath: configuration.folder + "/" + manifest.cells[3].output)))
        // Sheets: a row per style size, alpha across, labelled like alpha.
        let grid = sweepSheetGrid(manifest, folder: configuration.folder)
        #expect(grid.rows.map(\.label) == ["chicago x asheville, style-size 32", "chicago x asheville, style-size 64"])
        #expect(grid.groups[0].columns == ["alpha 0.5", "alpha 1"])
        let csv = try String(contentsOfFile: configuration.folder + "/metrics.csv", encoding: .utf8)
        #expect(csv.components(separatedBy: "\r\n")[0].hasSuffix(",content_size,style_size"))
        #expect(csv.components(separatedBy: "\r\n")[3].hasSuffix(",64,64"), "\(csv)")
        // Resumed: nothing redone, the same record.
        #expect(try runSweep(configuration, stylizer: stylizer) == manifest)
        // The manifest as spec gives the same sweep.
        let again = try SweepRequest(specFile: configuration.folder + "/manifest.json")
        #expect(again.styleSizes == [32, 64] && again.contentSizes == nil)
    }

    @Test func badSizeListsAreRefusedNamingTheFlag() throws {
        let models = try #require(goldenModels)
        var tooMany = try request(styleSizes: Array(repeating: 64, count: 17))
        #expect(throws: ReportError.invalidValue(flag: "--style-size", value: "17 values", expected: "at most 16 values")) {
            try tooMany.configuration(models: models, toolVersion: "test")
        }
        tooMany.setStyleSizes([64, 20000])
        #expect(throws: ReportError.invalidValue(flag: "--style-size", value: "20000", expected: "0 to 16384")) {
            try tooMany.configuration(models: models, toolVersion: "test")
        }
        #expect(!FileManager.default.fileExists(atPath: fixtures.temp.path))
    }
}
