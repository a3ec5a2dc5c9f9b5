// Progress over the tiles of a tiled stylization: the time left from the work each tile takes.

@testable import StyleTransfer
import Testing

@Suite struct TileProgressTests {
    /// The time left weighs each tile by its work (pass-2 tiles are encoded over a larger crop and
    /// decoded too): seconds so far per unit of work done, times the work left; 0 at the end.
    @Test func timeLeftWeighsTilesByTheirWork() {
        var timeLeft = TileTimeLeft(work: [1, 1, 2, 4])
        #expect(timeLeft.finished(elapsed: 1) == TileProgress(done: 1, total: 4, secondsLeft: 7))
        #expect(timeLeft.finished(elapsed: 4) == TileProgress(done: 2, total: 4, secondsLeft: 12))
        #expect(timeLeft.finished(elapsed: 6) == TileProgress(done: 3, total: 4, secondsLeft: 6))
        #expect(timeLeft.finished(elapsed: 9) == TileProgress(done: 4, total: 4, secondsLeft: 0))
        #expect(TileProgress(done: 3, total: 40, secondsLeft: 124.2).description == "tile 3/40, about 2 min 5 s left")
        #expect(TileProgress(done: 40, total: 40, secondsLeft: 0).description == "tile 40/40")
    }
}
