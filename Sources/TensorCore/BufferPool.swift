// Aligned float buffers and a process-wide pool that recycles them between forward passes.

import Foundation
import Synchronization

/// A 64-byte aligned (2 MiB aligned and backed by transparent huge pages when large) array of
/// floats, freed when released.
final class AlignedBuffer: @unchecked Sendable {
    // @unchecked: the pointer is owned by this object; who writes through it at a given time is
    // decided by BufferPool (a buffer is used by one forward pass at a time) or by the owner.
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    private static let hugePage = 2 << 20

    init(count: Int) {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let alignment = bytes >= Self.hugePage ? Self.hugePage : 64
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, alignment, bytes) == 0, let raw else {
            fatalError("out of memory: cannot allocate \(bytes) bytes for activations")
        }
        if bytes >= Self.hugePage { madvise(raw, bytes, MADV_HUGEPAGE) }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
    }

    /// A copy of `values` in an aligned buffer.
    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    var raw: UnsafeMutableRawPointer { UnsafeMutableRawPointer(pointer) }

    deinit { free(pointer) }
}

/// Recycles the large activation buffers of forward passes, so that repeated passes neither call
/// `malloc` nor touch fresh pages. A buffer taken is used by one pass only until it is given back.
/// Buffers given back are kept (the pool holds the high-water mark of concurrent use).
final class BufferPool: Sendable {
    static let shared = BufferPool()

    private let free = Mutex<[AlignedBuffer]>([])

    /// The smallest free buffer holding at least `count` floats, or a new one.
    func take(count: Int) -> AlignedBuffer {
        let reused: AlignedBuffer? = free.withLock { buffers in
            var best: Int?
            for (i, buffer) in buffers.enumerated() where buffer.count >= count {
                if best == nil || buffer.count < buffers[best!].count { best = i }
            }
            return best.map { buffers.remove(at: $0) }
        }
        return reused ?? AlignedBuffer(count: count)
    }

    /// Returns buffers for later passes; their contents are garbage to the next user.
    func give(_ buffers: [AlignedBuffer]) {
        free.withLock { $0.append(contentsOf: buffers) }
    }
}
