// Splitting a loop over the cores for the kernels written here (oneDNN threads its own).

import Dispatch
import Foundation
import Synchronization

/// The cores the kernels written here split their loops over (``parallelFor(_:costPerItem:_:)``).
var parallelCores: Int { ProcessInfo.processInfo.activeProcessorCount }

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

/// Work of `items` items cut into chunks that the cores take in turn, each core (a worker) with its
/// own scratch: chunks of at most `largestChunk` items, small enough for small work that every core
/// gets one, and no more workers than chunks. The Winograd and the upsampled convolutions run their
/// matrix products so, each worker calling a single-threaded OpenBLAS.
struct ChunkedWork: Sendable {
    /// Items per chunk.
    let chunk: Int
    /// The cores that take chunks.
    let workers: Int

    init(items: Int, largestChunk: Int) {
        let cores = parallelCores
        chunk = max(1, min(largestChunk, (items + cores - 1) / cores))
        workers = min(cores, (items + chunk - 1) / chunk)
    }

    /// Runs `body(worker, index)` for every chunk index in `0 ..< chunks`: each of the ``workers``
    /// takes the next index not yet taken until none is left. `body` must be safe to call
    /// concurrently for distinct workers.
    func run(chunks: Int, _ body: (_ worker: Int, _ index: Int) -> Void) {
        let next = Atomic<Int>(0)
        parallelFor(workers, costPerItem: 1 << 15) { worker in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < chunks else { break }
                body(worker, index)
            }
        }
    }
}

/// Carries a value into `concurrentPerform`'s closure; the caller guarantees that the concurrent
/// uses touch disjoint memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
