// Progress lines of tiled stylizations: tiles done and the time left, at most one a second.

import Dispatch
import StyleTransfer
import Synchronization

/// Prints a tiled stylization's progress (``TileProgress``: `tile 12/40, about 30 s left`) to
/// standard error, at most one line per `interval` seconds: the first tile's, then the next one
/// due, and the last tile's, after which the next stylization starts over. A big image has thousands
/// of tiles; a line each would bury the per-image lines of ``ProgressReport``.
final class TileProgressLines: Sendable {
    let interval: Double
    let emit: @Sendable (String) -> Void
    let clock: @Sendable () -> UInt64
    /// The clock's reading when the last line was printed; nil before a stylization's first.
    private let last = Mutex<UInt64?>(nil)

    init(interval: Double = 1, emit: @escaping @Sendable (String) -> Void = { printError($0) },
         clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        self.interval = interval
        self.emit = emit
        self.clock = clock
    }

    func record(_ progress: TileProgress) {
        let now = clock()
        let due = last.withLock { last -> Bool in
            let finished = progress.done == progress.total
            defer { if finished { last = nil } }
            guard finished || last.map({ Double(now &- $0) / 1e9 >= interval }) ?? true else { return false }
            last = now
            return true
        }
        if due { emit("  " + progress.description) }
    }
}
