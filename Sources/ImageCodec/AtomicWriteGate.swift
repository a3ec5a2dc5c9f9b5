// The gate between atomic writes and a process exiting on a signal.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts the atomic writes in flight (``replaceAtomically(path:with:)``: from creating the
/// temporary file to renaming or removing it) and lets an exit wait for them.
///
/// A signal handler that removes this process's temporary files and then exits races with the
/// threads still writing: a temporary file created after the handler listed the folder would be
/// left behind. ``closeForExit()`` shuts the gate first: it waits until no write is between
/// creating and renaming its temporary file, and makes every later write wait for ever (until the
/// process exits), so that afterwards none of this process's temporary files exists or appears.
/// A write that spans many calls (``RowBandWriter``: a tiled stylization's output, written band by
/// band while the tiles run) passes the gate only to create and to rename its temporary file, and
/// the gate keeps the file's name between the two: ``closeForExit()`` removes it, wherever it is.
public final class AtomicWriteGate: @unchecked Sendable {
    /// The gate every ``replaceAtomically(path:with:)`` passes.
    public static let shared = AtomicWriteGate()

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var inFlight = 0
    private var closed = false
    /// The temporary files of writes between two passes (``keep(temporary:)``).
    private var kept: Set<String> = []

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `write` as one write in flight; waits first while the gate is closed (for ever: the
    /// process is exiting).
    public func passing<Result, Failure>(_ write: () throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        while closed { pthread_cond_wait(condition, mutex) }
        inFlight += 1
        pthread_mutex_unlock(mutex)
        defer {
            pthread_mutex_lock(mutex)
            inFlight -= 1
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try write()
    }

    /// Closes the gate for good and returns once no write is in flight, having removed the
    /// temporary files kept between passes (``keep(temporary:)``). For a handler that removes the
    /// other temporary files and exits.
    public func closeForExit() {
        pthread_mutex_lock(mutex)
        closed = true
        while inFlight > 0 { pthread_cond_wait(condition, mutex) }
        for path in kept { unlink(path) }
        kept.removeAll()
        pthread_mutex_unlock(mutex)
    }

    /// Records the temporary file of a write that leaves the gate before renaming it (called
    /// while passing, having created it), for ``closeForExit()`` to remove.
    func keep(temporary path: String) {
        pthread_mutex_lock(mutex)
        kept.insert(path)
        pthread_mutex_unlock(mutex)
    }

    /// Forgets a temporary file recorded by ``keep(temporary:)``: renamed or removed.
    func forget(temporary path: String) {
        pthread_mutex_lock(mutex)
        kept.remove(path)
        pthread_mutex_unlock(mutex)
    }
}
