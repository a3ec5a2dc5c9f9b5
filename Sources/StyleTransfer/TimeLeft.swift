// How long a run of like pieces of work (stylizations, sweep cells, learning steps) has left.

/// The time a run has left, estimated as the mean seconds of the pieces done so far times the
/// pieces still to do. Pieces skipped without work (a resumed sweep's finished cells) are not
/// recorded and not counted as left.
public struct TimeLeft: Sendable, Equatable {
    public private(set) var seconds = 0.0
    public private(set) var done = 0

    public init() {}

    /// Records one finished piece that took `seconds`.
    public mutating func record(seconds: Double) {
        self.seconds += seconds
        done += 1
    }

    /// The estimate for `remaining` more pieces; nil before any piece is done.
    public func seconds(forRemaining remaining: Int) -> Double? {
        guard done > 0 else { return nil }
        return seconds / Double(done) * Double(remaining)
    }

    /// `", about 12 s left"` (rounded up to a whole second; minutes and hours from 100 s), or
    /// `""` when nothing is left or nothing is known yet.
    public func phrase(forRemaining remaining: Int) -> String {
        guard remaining > 0, let left = seconds(forRemaining: remaining) else { return "" }
        return ", about \(Self.duration(left)) left"
    }

    /// A duration for people: `7 s`, `3 min 20 s`, `1 h 5 min`.
    public static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 100 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min" + (whole % 60 == 0 ? "" : " \(whole % 60) s") }
        let minutes = (whole + 59) / 60
        return "\(minutes / 60) h" + (minutes % 60 == 0 ? "" : " \(minutes % 60) min")
    }
}
