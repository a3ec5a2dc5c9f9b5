// Splitting a loop over the cores for the kernels written here (oneDNN threads its own).

import Dispatch
import Foundation

/// Runs `body(i)` for every `i` in `0 ..< count`, in contiguous chunks on all cores when `count`
/// times `costPerItem` (a rough number of floats touched per item) is worth a thread hand-off;
/// otherwise on the calling thread. `body` must be safe to call concurrently for distinct `i`.
func parallelFor(_ count: Int, costPerItem: Int, _ body: (Int) -> Void) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    guard cores > 1, count > 1, count * costPerItem >= 1 << 15 else {
        for i in 0 ..< count { body(i) }
        return
    }
    let chunks = min(count, cores * 4)
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            for i in count * chunk / chunks ..< count * (chunk + 1) / chunks { shared.value(i) }
        }
    }
}

/// Carries a value into `concurrentPerform`'s closure; the caller guarantees that the concurrent
/// uses touch disjoint memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
