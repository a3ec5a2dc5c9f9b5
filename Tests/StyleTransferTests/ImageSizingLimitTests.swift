// `--content-size=9223372036854775807` crashed in the resize's size arithmetic: ImageSizing now
// passes the codec's typed refusal on.

import Foundation
import ImageCodec
import StyleTransfer
import Testing

@Suite struct ImageSizingLimitTests {
    @Test(arguments: [(Int.max, false), (Int.max, true), (1 << 32, true), (20000, false)])
    func hugeSizeIsRefused(size: Int, crop: Bool) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sizing-\(UUID().uuidString).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writeImage(RGBImage(width: 30, height: 20, pixels: [Float](repeating: 0.5, count: 3 * 30 * 20)), path: path)
        let expected = ImageCodecError.outputTooLarge(width: 30, height: 20, request: "to a shorter side of \(size)", limit: ImageLimits.standard.maxPixels)
        do {
            _ = try ImageSizing(size: size, crop: crop).load(path: path)
            Issue.record("a shorter side of \(size) was accepted")
        } catch {
            guard case .image(let codec) = error else { Issue.record("\(error)"); return }
            #expect(codec == expected)
        }
    }
}
