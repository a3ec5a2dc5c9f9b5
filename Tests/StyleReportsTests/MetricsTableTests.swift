// `metrics.csv` read back by Python's csv module (an independent RFC 4180 reader): one row per
// cell, every parameter and measurement as the manifest records it, awkward file names intact.

import Foundation
import ImageCodec
@testable import StyleReports
import StyleTransfer
import Testing
import TestSupport

@Suite struct MetricsTableTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-table-\(UUID().uuidString)")

    /// The rows of a CSV file as Python's `csv.reader` reads them.
    func pythonRows(_ path: String) throws -> [[String]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='')))))", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return try JSONDecoder().decode([[String]].self, from: data)
    }

    @Test func everyCellIsARowAsPythonReadsIt() throws {
        let stylizer = try #require(goldenStylizer, "the golden weights in .goldens/network/ do not load")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        // A style whose name holds a comma and a quote: the fields that hold it must be quoted.
        let odd = temp.appendingPathComponent("sketch, \"b\".png").path
        try FileManager.default.copyItem(atPath: sharedImage("style/sketch.png"), toPath: odd)
        let configuration = SweepConfiguration(
            grid: .interpolation, contents: [sharedImage("content/cornell.jpg")], styles: [sharedImage("style/mondrian.jpg"), odd],
            masks: [], stretchMask: false, steps: 3, alphas: [0.5, 1], preserveColors: [.none], contentSize: 32, styleSize: 32,
            models: try #require(goldenModels), folder: temp.appendingPathComponent("report").path, overwrite: false,
            toolVersion: "test", rowsPerSheet: 6)
        var lines: [String] = []
        let manifest = try runSweep(configuration, stylizer: stylizer, progress: { lines.append($0.description) })
        // Progress says how long the sweep has left, until its last cell.
        #expect(lines.count == 6 && lines.dropLast().allSatisfy { $0.hasSuffix(" left") } && !lines.last!.contains("left"), "\(lines)")
        let rows = try pythonRows(configuration.folder + "/metrics.csv")
        #expect(rows.first == ["row", "column", "row_label", "column_label", "content", "styles", "weights", "mask", "alpha",
                               "preserve_color", "output", "seconds", "encode_seconds", "decode_seconds", "style_loss", "content_loss", "colour_distance", "gram_style_loss"])
        #expect(rows.count == manifest.cells.count + 1)
        for (cell, row) in zip(manifest.cells, rows.dropFirst()) {
            #expect(row.count == 18)
            #expect(Int(row[0]) == cell.row + 1 && Int(row[1]) == cell.column + 1)
            #expect(row[2] == manifest.rows[cell.row].label && row[3] == manifest.columns[cell.column].label)
            #expect(row[4] == cell.content && row[5].components(separatedBy: ";") == cell.styles)
            #expect(row[6].components(separatedBy: ";").map { Float($0) } == cell.weights!.map { $0 })
            #expect(row[7] == "" && Float(row[8]) == cell.alpha && row[9] == "none" && row[10] == cell.output)
            #expect(Double(row[11]) == cell.seconds && Double(row[12]) == cell.encodeSeconds && Double(row[13]) == cell.decodeSeconds)
            #expect(Double(row[14]) == cell.styleLoss && Double(row[15]) == cell.contentLoss && Double(row[16]) == cell.colorDistance)
            #expect(Double(row[17]) == cell.gramStyleLoss)
            // The parts are within the whole; only the first cell of each style encodes it.
            #expect(cell.encodeSeconds! + cell.decodeSeconds! <= cell.seconds!)
        }
        #expect(rows.dropFirst().contains { $0[5].hasSuffix(odd) })
        let index = try String(contentsOfFile: configuration.folder + "/index.html", encoding: .utf8)
        #expect(index.contains("<a href=\"metrics.csv\">metrics.csv</a>"))

        // The loss plots: a point per cell at (u, loss), drawn higher for a larger loss, one line
        // per alpha.
        let plots = index.components(separatedBy: "<svg ").dropFirst()
        #expect(plots.count == 2)
        // The same plots as a PNG side by side: every point's dot is drawn there, in its line's colour.
        #expect(index.contains("<a href=\"losses.png\">losses.png</a>"))
        let picture = try readImage(path: configuration.folder + "/losses.png")
        #expect((picture.width, picture.height) == (880, 300))
        for (k, (plot, loss)) in zip(plots, [\SweepManifest.Cell.styleLoss, \.contentLoss]).enumerated() {
            let dots = try NSRegularExpression(pattern: ##"cx="([0-9.]+)" cy="([0-9.]+)" r="3" fill="#([0-9a-f]{6})""##)
                .matches(in: plot, range: NSRange(plot.startIndex..., in: plot)).map { match in
                    (Double(plot[Range(match.range(at: 1), in: plot)!])!, Double(plot[Range(match.range(at: 2), in: plot)!])!,
                     Int(plot[Range(match.range(at: 3), in: plot)!], radix: 16)!)
                }
            #expect(dots.count == manifest.cells.count)
            // A dot drawn later (another line) may cover one at the same place: each place shows a line's colour.
            let colours = Set(dots.map { [$0.2 >> 16, ($0.2 >> 8) & 0xFF, $0.2 & 0xFF] })
            for (x, y, _) in dots {
                let (px, py) = (k * 440 + Int(x.rounded()), Int(y.rounded()))
                let rgb = (0 ..< 3).map { c in Int(quantize(picture.pixels[(c * picture.height + py) * picture.width + px])) }
                #expect(colours.contains(rgb), "the dot at \(px), \(py) is \(rgb)")
            }
            let points = try NSRegularExpression(pattern: #"cy="([0-9.]+)"[^>]*data-x="([^"]+)" data-y="([^"]+)""#)
                .matches(in: plot, range: NSRange(plot.startIndex..., in: plot)).map { match in
                    (1 ... 3).map { Double(plot[Range(match.range(at: $0), in: plot)!])! }
                }
            let expected = manifest.cells.map { [Double($0.weights![1]), $0[keyPath: loss]!] }
            #expect(Set(points.map { [$0[1], $0[2]] }) == Set(expected))
            for a in points { for b in points where a[2] < b[2] { #expect(a[0] > b[0], "a smaller loss is drawn higher") } }
            #expect(plot.components(separatedBy: "<polyline").count - 1 == 2)
        }
    }
}
