// `stylectl figure`: a finished sweep's grid as a label-free PNG and a PDF of the same pixels;
// `stylectl sweep --cell-size` refused at parse time when out of range.

import ArgumentParser
import Foundation
import ImageCodec
@testable import StyleReports
@testable import stylectl
import Testing
import TestSupport

@Suite struct FigureCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-figure-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    func image(_ relative: String) -> String { TestPaths.sharedImages.appendingPathComponent(relative).path }

    var models: [String] {
        get throws { ["--vgg", try TestPaths.golden("network/vgg_legacy.pth").path, "--decoder", try TestPaths.golden("network/decoder_legacy.pth").path] }
    }

    /// The message and exit code of parsing and running `command` with `arguments`; nil on success.
    func outcome<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String]) -> (message: String, code: Int32)? {
        do {
            var parsed = try command.parse(arguments)
            try parsed.run()
            return nil
        } catch {
            return (command.message(for: error), command.exitCode(for: error).rawValue)
        }
    }

    /// A finished interpolation sweep at 32 px (3 steps), its folder.
    func interpolationSweep(_ name: String = "interp") throws -> String {
        let failure = outcome(Sweep.self, ["--content", image("content/cornell.jpg"), "--interpolate", image("style/mondrian.jpg") + "," + image("style/sketch.png"),
                                           "--steps", "3", "--content-size", "32", "--style-size", "32", "--report", name, "--reports-dir", temp.path] + (try models))
        #expect(failure == nil, "\(String(describing: failure))")
        return temp.appendingPathComponent(name).path
    }

    @Test(arguments: ["0", "31", "1025", "-5"])
    func sweepRefusesABadCellSizeAtParseTime(value: String) throws {
        let swept = outcome(Sweep.self, ["--content", image("content/cornell.jpg"), "--style", image("style/sketch.png"), "--cell-size", value,
                                         "--report", "r", "--reports-dir", temp.path] + (try models))
        #expect(swept?.message == "'--cell-size' must be 32 to 1024 pixels, got \(value)." && swept?.code == 64, "\(String(describing: swept))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }

    /// The figure holds the cells and the end styles where ``FigureLayout`` puts them, and nothing
    /// else: every pixel outside the cells is white (no label, no title, no legend).
    @Test func figureIsTheGridWithoutText() throws {
        let folder = try interpolationSweep()
        let manifest = try SweepManifest.read(folder: folder)
        let output = temp.appendingPathComponent("figure.png").path
        #expect(outcome(Figure.self, [folder, "--output", output, "--cell-size", "96"]) == nil)
        let figure = try readImage(path: output)
        let layout = FigureLayout(cell: 96, columns: 3, before: 1, after: 1, rows: 1)
        #expect((figure.width, figure.height) == (layout.width, layout.height))
        #expect((layout.width, layout.height) == (1 * (96 + 3) + 6 + 3 * 96 + 2 * 3 + 9 + 96, 96))
        var boxes: [(origin: (x: Int, y: Int), path: String)] = [(layout.beforeOrigin(row: 0, column: 0), manifest.definition.styles[0].path),
                                                                   (layout.afterOrigin(row: 0, column: 0), manifest.definition.styles[1].path)]
        for c in 0 ..< 3 { boxes.append((layout.cellOrigin(row: 0, column: c), folder + "/" + manifest.cells[c].output)) }
        for (origin, path) in boxes {
            let picture = try readImage(path: path)
            let scale = min(96 / Double(picture.width), 96 / Double(picture.height))
            let (w, h) = (Int((Double(picture.width) * scale).rounded()), Int((Double(picture.height) * scale).rounded()))
            // The mean colour of the picture's central half, drawn and in the file.
            func mean(_ image: RGBImage, _ x0: Int, _ y0: Int, _ w: Int, _ h: Int) -> [Double] {
                let plane = image.width * image.height
                return (0 ..< 3).map { c in
                    var sum = 0.0
                    for y in y0 + h / 4 ..< y0 + 3 * h / 4 { for x in x0 + w / 4 ..< x0 + 3 * w / 4 { sum += Double(image.pixels[c * plane + y * image.width + x]) } }
                    return sum / Double((3 * h / 4 - h / 4) * (3 * w / 4 - w / 4))
                }
            }
            let drawn = mean(figure, origin.x + (96 - w) / 2, origin.y + (96 - h) / 2, w, h)
            let source = mean(picture, 0, 0, picture.width, picture.height)
            #expect(zip(drawn, source).allSatisfy { abs($0 - $1) < 0.03 }, "\(path) at \(origin): \(drawn) against \(source)")
        }
        // Every pixel outside the cells is white.
        let cells = boxes.map(\.origin)
        var coloured = 0
        for y in 0 ..< figure.height {
            for x in 0 ..< figure.width where !cells.contains(where: { x >= $0.x && x < $0.x + 96 && y >= $0.y && y < $0.y + 96 }) {
                if pixel(figure, x: x, y: y) != 0xFFFFFF { coloured += 1 }
            }
        }
        #expect(coloured == 0)
    }

    /// The PDF's image stream, inflated and unfiltered by Python's zlib (an independent reader),
    /// is the PNG's pixels; the cross-reference offsets point at their objects.
    @Test func pdfHoldsThePNGsPixels() throws {
        let folder = try interpolationSweep()
        let (png, pdf) = (temp.appendingPathComponent("f.png").path, temp.appendingPathComponent("f.pdf").path)
        #expect(outcome(Figure.self, [folder, "--output", png, "--pdf", pdf, "--cell-size", "40", "--dpi", "144"]) == nil)
        let figure = try readImage(path: png)
        let plane = figure.width * figure.height
        var raw = [UInt8](repeating: 0, count: 3 * plane)
        for i in 0 ..< plane { for c in 0 ..< 3 { raw[3 * i + c] = UInt8((figure.pixels[c * plane + i] * 255).rounded()) } }
        let rawPath = temp.appendingPathComponent("f.rgb").path
        try Data(raw).write(to: URL(fileURLWithPath: rawPath))
        let script = #"""
        import re, sys, zlib
        pdf = open(sys.argv[1], "rb").read()
        raw = open(sys.argv[2], "rb").read()
        xref = int(re.search(rb"startxref\n(\d+)", pdf).group(1))
        assert pdf[xref:xref + 4] == b"xref", "startxref"
        offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", pdf[xref:])]
        for n, o in enumerate(offsets, 1):
            assert pdf[o:].startswith(b"%d 0 obj" % n), "object %d" % n
        d = re.search(rb"/Width (\d+) /Height (\d+) .*?/Length (\d+) >>\nstream\n", pdf)
        w, h, n = int(d.group(1)), int(d.group(2)), int(d.group(3))
        data = zlib.decompress(pdf[d.end():d.end() + n])
        media = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
        assert abs(float(media.group(1)) - w * 72 / 144) < 0.01 and abs(float(media.group(2)) - h * 72 / 144) < 0.01, "page size"
        stride, out, prev = 3 * w, bytearray(), bytearray(3 * w)
        for y in range(h):
            f, line = data[y * (stride + 1)], bytearray(data[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for i in range(stride):
                a = line[i - 3] if i >= 3 else 0
                b, c = prev[i], (prev[i - 3] if i >= 3 else 0)
                if f == 1: line[i] = (line[i] + a) & 255
                elif f == 2: line[i] = (line[i] + b) & 255
                elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            out += line; prev = line
        assert bytes(out) == raw, "pixels differ"
        print("ok", w, h)
        """#
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, pdf, rawPath]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        process.waitUntilExit()
        let said = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0 && said == "ok \(figure.width) \(figure.height)\n", "\(said)")
    }

    /// Refused before anything is written: a bad cell size, outputs of the wrong kind, an output
    /// that is one of the report's images, a sweep with a cell not done.
    @Test func badFiguresAreRefusedAndNothingChanges() throws {
        let folder = try interpolationSweep()
        let manifest = try SweepManifest.read(folder: folder)
        let cellImage = folder + "/" + manifest.cells[0].output
        let before = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        let cellBytes = try Data(contentsOf: URL(fileURLWithPath: cellImage))
        let out = temp.appendingPathComponent("out.png").path
        for (arguments, message) in [
            (["--output", out, "--cell-size", "2000"], "'--cell-size': '2000' is not allowed; expected 32 to 1024 pixels."),
            (["--output", temp.appendingPathComponent("out.jpg").path], "'--output': '\(temp.appendingPathComponent("out.jpg").path)' is not allowed; expected a .png file."),
            (["--output", out, "--pdf", temp.appendingPathComponent("out.ps").path], "'--pdf': '\(temp.appendingPathComponent("out.ps").path)' is not allowed; expected a .pdf file."),
            (["--output", cellImage], "'--output': '\(cellImage)' is not allowed; expected a file that is not one of the report's images, records or inputs."),
        ] {
            let refused = outcome(Figure.self, [folder] + arguments)
            #expect(refused?.message == message && refused?.code == 1, "\(String(describing: refused))")
        }
        // A link to one of the report's records, as output: refused, the record unchanged.
        let link = temp.appendingPathComponent("link.png").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: folder + "/manifest.json")
        let linked = outcome(Figure.self, [folder, "--output", link])
        #expect(linked?.message == "'--output': '\(link)' is not allowed; expected a file that is not one of the report's images, records or inputs.",
                "\(String(describing: linked))")
        #expect(try SweepManifest.read(folder: folder) == manifest)
        // A cell not done (its record removed, as an interrupted sweep leaves it).
        var unfinished = manifest
        unfinished.cells[1].seconds = nil
        try unfinished.write(folder: folder)
        let refused = outcome(Figure.self, [folder, "--output", out])
        #expect(refused?.message == "\(folder): 1 cell of 3 not done; a figure shows a finished sweep: finish it with stylectl sweep --spec \(folder)/manifest.json",
                "\(String(describing: refused))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: cellImage)) == cellBytes)
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}

/// The 8-bit colour 0xRRGGBB of pixel (x, y).
private func pixel(_ image: RGBImage, x: Int, y: Int) -> Int {
    let plane = image.width * image.height
    let i = y * image.width + x
    return (0 ..< 3).reduce(0) { $0 << 8 | Int((image.pixels[$1 * plane + i] * 255).rounded()) }
}

@Suite struct SizeListFlagTests {
    @Test func sizeListsAreParsedAndCheckedAtParseTime() throws {
        let sweep = try Sweep.parse(["--content", "c.jpg", "--style", "s.jpg", "--style-size", "256,512", "--content-size", "128", "--report", "r"])
        let request = try sweep.request()
        #expect(request.styleSizes == [256, 512] && request.styleSize == 256 && request.contentSizes == nil && request.contentSize == 128)
        for (value, words) in [("256,abc", "The value 'abc' is invalid for '--style-size <style-size>'"), ("256,,512", nil), ("256,20000", nil)] {
            do {
                _ = try Sweep.parse(["--content", "c.jpg", "--style", "s.jpg", "--style-size", value, "--report", "r"])
                Issue.record("--style-size \(value) was accepted")
            } catch {
                #expect(Sweep.exitCode(for: error).rawValue == 64)
                if let words { #expect(Sweep.message(for: error) == words) }
                #expect(Sweep.message(for: error).contains("--style-size"), "\(Sweep.message(for: error))")
            }
        }
    }
}
