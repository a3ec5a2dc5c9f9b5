// Options that bound a stylization's memory, shared by the commands that take images of any size
// (stylize, video, sweep).

import ArgumentParser
import StyleTransfer

struct MemoryOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Stylize images (contents, video frames, a sweep's cells) with a side longer than this many pixels (a multiple of 8, at least 64) in tiles of this side.",
        discussion: "The encoder and decoder run on overlapping tiles and AdaIN takes the whole image's statistics, so the image equals the untiled one within float rounding, with every control (masks too)."))
    var tile: Int?

    @Option(help: ArgumentHelp(
        "The memory the stylization may use: bytes, or with a K, M or G suffix (powers of 1024).",
        discussion: "Default: $STYLECTL_MAX_MEMORY, else 3/4 of the machine's MemAvailable (the rest for the system, other processes and the estimate's error). An image that would not fit whole is stylized in the largest tiles that fit; with --tile, that tile must fit."))
    var maxMemory: String?

    func validate() throws {
        if let tile {
            do { _ = try Tiling(tile: tile) } catch { throw ValidationError(error.description) }
        }
        if let maxMemory {
            do { _ = try StylizationMemory.available(maxMemory: maxMemory) } catch { throw ValidationError(error.description) }
        }
    }
}
