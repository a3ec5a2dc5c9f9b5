// The time-left estimate of long runs: the mean of the pieces done times the pieces left.

import StyleTransfer
import Testing

@Suite struct TimeLeftTests {
    @Test func theEstimateIsTheMeanTimesThePiecesLeft() {
        var clock = TimeLeft()
        #expect(clock.seconds(forRemaining: 5) == nil && clock.phrase(forRemaining: 5) == "")
        clock.record(seconds: 2)
        clock.record(seconds: 4)
        #expect(clock.seconds(forRemaining: 10) == 30)
        #expect(clock.phrase(forRemaining: 10) == ", about 30 s left")
        #expect(clock.phrase(forRemaining: 0) == "")
    }

    @Test(arguments: [(0.2, "1 s"), (7, "7 s"), (98.5, "99 s"), (99.5, "1 min 40 s"), (100, "1 min 40 s"), (180, "3 min"), (3599, "59 min 59 s"),
                      (3600, "1 h"), (3661, "1 h 2 min"), (90000, "25 h")] as [(Double, String)])
    func durationsReadAsPeopleSayThem(seconds: Double, text: String) {
        #expect(TimeLeft.duration(seconds) == text)
    }
}
