// `stylectl mask`: sizes and output formats refused before any pixel is drawn.

import ArgumentParser
import Foundation
import ImageCodec
@testable import stylectl
import Testing

@Suite struct MaskCommandTests {
    let temp: URL = FileManager.default.temporaryDirectory.appendingPathComponent("stylectl-mask-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    /// Parses and runs; returns the message the user would see, or nil on success.
    func run(_ arguments: [String]) -> String? {
        do {
            let command = try Mask.parse(arguments)
            try command.run()
            return nil
        } catch {
            return Mask.message(for: error)
        }
    }

    /// `--output m.jpg` wrote a lossy mask whose smeared grey levels failed only later in stylize.
    @Test(arguments: ["m.jpg", "m.JPEG", "m", "m.gif"])
    func nonPNGOutputsAreRefused(name: String) throws {
        let output = temp.appendingPathComponent(name).path
        let message = run(["--shape", "halves", "--output", output])
        #expect(message == "'--output' must be a .png file, got '\(output)': JPEG's lossy compression adds grey levels to a mask.",
                "\(message ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty)
    }

    /// `--width 3037000500 --height 3037000500` crashed with SIGSEGV (the product overflows Int).
    @Test(arguments: [["3037000500", "3037000500"], ["16385", "8"], ["16384", "16384"], ["0", "8"], ["8", "-1"]])
    func absurdSizesAreRefusedBeforeDrawing(size: [String]) throws {
        let output = temp.appendingPathComponent("m.png").path
        let message = run(["--shape", "ellipse", "--width", size[0], "--height", size[1], "--output", output])
        #expect(message == "a mask must be 1...16384 pixels wide and high and have at most 178956970 pixels, got --width \(size[0]) --height \(size[1])",
                "\(message ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func aPNGMaskIsWrittenAndReadsBack() throws {
        let output = temp.appendingPathComponent("bands.png").path
        #expect(run(["--shape", "bands", "--regions", "4", "--width", "12", "--height", "8", "--output", output]) == nil)
        let image = try readImage(path: output)
        #expect(image.width == 12 && image.height == 8 && Set(image.pixels).count == 4)
    }

    @Test func controlCharactersInTheOutputAreEscaped() {
        let output = temp.appendingPathComponent("m\u{1B}[2J.jpg").path
        let message = run(["--shape", "halves", "--output", output])
        #expect(message?.contains("m\\x1B[2J.jpg") == true && message?.contains("\u{1B}") == false, "\(message ?? "no error")")
    }
}
