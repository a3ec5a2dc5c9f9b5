// Writing: save_image's quantisation, round trips, extensions, and atomic replacement.

import Foundation
import ImageCodec
import Testing
import TestSupport

@Suite struct WritingTests {
    /// `quantize` equals the bytes torchvision's save_image wrote (clamping, halfway values, infinities).
    @Test func quantisationMatchesSaveImage() throws {
        let golden = try ImageGoldens.load().save_image
        let input = try readFloats(try ImageGoldens.url(golden.input))
        let reference = try ImageGoldens.bytes(golden.bytes)
        let difference = byteDifference(quantize(input), reference)
        #expect(difference.differing == 0, "\(difference.differing) bytes differ from save_image, by up to \(difference.largest)")
        // Reading save_image's PNG gives back the same bytes.
        let saved = try readImage(path: try ImageGoldens.url(golden.png).path)
        #expect(quantize(saved.pixels) == reference)
    }

    @Test func quantiseEdgeCases() {
        #expect(quantize(Float.nan) == 0)
        #expect(quantize(-Float.infinity) == 0 && quantize(Float.infinity) == 255)
        #expect(quantize(0.5 / 255) == 1)  // (0.5 / 255) * 255 + 0.5 rounds up to 1.0 in float32
        #expect(quantize(Float(1) / 255) == 1)
        #expect(quantize([0, 1, 2, -1]) == [0, 255, 255, 0])
    }

    /// writeImage gives the PNG save_image gives (same pixel bytes), read back exactly.
    @Test func pngRoundTripIsExact() throws {
        let golden = try ImageGoldens.load().save_image
        let input = try readFloats(try ImageGoldens.url(golden.input))
        let reference = try ImageGoldens.bytes(golden.bytes)
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("out.PNG").path
            try writeImage(RGBImage(width: golden.width, height: golden.height, pixels: input), path: path)
            let back = try readImage(path: path)
            #expect(back.width == golden.width && back.height == golden.height)
            #expect(back.pixels == reference.map { Float($0) / 255 })
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.PNG"])
        }
    }

    /// A JPEG at quality 95 reads back close to the original.
    @Test(arguments: ["out.jpg", "out.JPEG"])
    func jpegRoundTripIsClose(name: String) throws {
        let original = try readImage(path: TestPaths.sharedImages.appendingPathComponent("content/cornell.jpg").path)
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent(name).path
            try writeImage(original, path: path)
            let back = try readImage(path: path)
            #expect(back.width == original.width && back.height == original.height)
            let a = quantize(original.pixels)
            let b = quantize(back.pixels)
            let meanError = zip(a, b).reduce(0.0) { $0 + Double(abs(Int($1.0) - Int($1.1))) } / Double(a.count)
            #expect(meanError < 2, "mean absolute error \(meanError) levels")
            #expect(byteDifference(a, b).largest < 64)
        }
    }

    @Test func lowerQualityMakesASmallerFile() throws {
        let image = try readImage(path: TestPaths.sharedImages.appendingPathComponent("content/brad_pitt.jpg").path)
        try withTemporaryFolder { folder in
            let high = folder.appendingPathComponent("high.jpg").path
            let low = folder.appendingPathComponent("low.jpg").path
            try writeImage(image, path: high, jpegQuality: 95)
            try writeImage(image, path: low, jpegQuality: 20)
            let size = { (path: String) in try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int }
            #expect(try size(low) < size(high))
        }
    }

    /// An existing file is replaced whole.
    @Test func replacesAnExistingFile() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("out.png").path
            try Data(repeating: 7, count: 1_000_000).write(to: URL(fileURLWithPath: path))
            let image = sampleImage()
            try writeImage(image, path: path)
            #expect(try readImage(path: path) == image)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.png"])
        }
    }

    /// ``AtomicWriteGate/closeForExit()`` waits for a write in flight to finish and holds back any
    /// later write: what lets a signal handler remove every temporary file before it exits (the
    /// race that once left a `.tmp` file in an interrupted sweep's folder).
    @Test func closingTheGateWaitsForWritesInFlightAndHoldsBackLaterOnes() throws {
        let gate = AtomicWriteGate()
        let events = EventLog()
        let inside = DispatchSemaphore(value: 0), finish = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            gate.passing {
                inside.signal()
                finish.wait()
                events.append("first write done")
            }
        }
        inside.wait()
        let closed = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            gate.closeForExit()
            events.append("closed")
            closed.signal()
        }
        usleep(100_000)
        #expect(events.entries.isEmpty, "the gate closed while a write was in flight")
        finish.signal()
        closed.wait()
        #expect(events.entries == ["first write done", "closed"])
        // A write after closing does not start (its thread waits until the test process ends).
        Thread.detachNewThread { gate.passing { events.append("late write") } }
        usleep(100_000)
        #expect(events.entries == ["first write done", "closed"])
    }
}

/// Entries appended from several threads.
private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ entry: String) { lock.withLock { list.append(entry) } }
    var entries: [String] { lock.withLock { list } }
}
