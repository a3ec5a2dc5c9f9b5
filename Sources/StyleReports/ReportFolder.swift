// A report folder as every report command uses it: file names read from records checked once,
// removal of regular files only, one writer at a time (a lock), and no temporary files left behind.

import Foundation
import ImageCodec
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file name read from a record (a manifest's cell `output`, a sheet name): a plain name of a
/// file directly inside the report folder.
///
/// Records are files on disk that anyone can edit; a name such as `..`, `` (empty), `.`,
/// `../../etc/passwd` or `/tmp/x` would otherwise make a report read, link or delete outside
/// its folder. Every name taken from a record goes through ``check(_:)`` before it is joined to a
/// folder.
public enum ReportFileName {
    /// Why `name` is not a plain file name, or nil when it is one: not empty, not `.` or `..`, no
    /// `/`, no NUL, at most 255 bytes (the longest name Linux allows).
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name == "." || name == ".." { return "is '\(name)', not a file name" }
        if name.contains("/") { return "contains '/' (only plain file names inside the report folder are allowed)" }
        if name.utf8.contains(0) { return "contains a NUL byte" }
        if name.utf8.count > 255 { return "is longer than 255 bytes" }
        return nil
    }

    /// `name` if it is a plain file name.
    ///
    /// - Throws: ``ReportError/invalidRecord(file:reason:)`` naming `record` (the record file that
    ///   held the name) and the field.
    public static func check(_ name: String, field: String, record: String) throws(ReportError) -> String {
        if let problem = problem(name) {
            throw .invalidRecord(file: record, reason: "\(field) '\(name.prefix(80))' \(problem)")
        }
        return name
    }
}

/// A report folder: where a sweep, a comparison or a compare-norms report writes.
public struct ReportFolder: Sendable {
    /// The name of the lock file each writer holds (``lock()``).
    public static let lockName = ".stylectl.lock"

    public let path: String

    public init(_ path: String) {
        self.path = path
    }

    /// `path/name` for a name already checked with ``ReportFileName/check(_:field:record:)``.
    func file(_ name: String) -> String { path + "/" + name }

    /// Whether `name` is one of the bookkeeping files of a run (the lock, a temporary file), which
    /// do not make a folder "hold files".
    static func isBookkeeping(_ name: String) -> Bool {
        name == lockName || isShardLock(name) || TemporaryName(name) != nil
    }

    /// Whether `name` is the lock a shard of a sweep holds in the report folder (``SweepShard/lockName``).
    static func isShardLock(_ name: String) -> Bool {
        name.hasPrefix(".stylectl-shard-") && name.hasSuffix(".lock")
    }

    /// The folder's entries, without the bookkeeping files (the lock, temporary files).
    func entries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !Self.isBookkeeping($0) }
    }

    /// Removes `name` if it is a regular file (not a folder, not a symbolic link, which is left as
    /// it is rather than followed); a name that is not a plain file name is never removed.
    /// Returns whether a file was removed.
    @discardableResult
    func removeFile(_ name: String) -> Bool {
        guard ReportFileName.problem(name) == nil else { return false }
        var info = stat()
        guard lstat(file(name), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return unlink(file(name)) == 0
    }

    /// Writes `data` as `name` atomically, as ImageCodec writes images (``replaceAtomically(path:with:)``:
    /// a temporary file `.NAME.<pid>-<random>.tmp` of this folder, flushed, then renamed over `name`).
    func writeAtomically(_ data: Data, name: String) throws(ReportError) {
        do { try replaceAtomically(path: file(name), with: [UInt8](data)) } catch {
            guard case .writeFailed(_, let reason) = error else { throw .failed(error.description) }
            throw .failed("cannot write \(file(name)): \(reason)")
        }
    }

    /// Takes the folder's lock (creating the folder if missing): `flock(LOCK_EX | LOCK_NB)` on
    /// `name` (``lockName`` unless given), holding this process's id. The lock is per open file: a
    /// second run, or a second ``lock()`` in this process, fails at once instead of waiting. Then
    /// removes the stale temporary files of earlier runs that were killed (``removeStaleTemporaries(owned:)``).
    ///
    /// `owned`: the names only the holder of this lock writes (a shard's cells and record, which
    /// other shards, perhaps on other machines, write beside them): only their temporary files
    /// are removed, whatever process id they name, since no other writer makes them. Nil: every
    /// temporary of a dead process, as the one writer of the folder may.
    ///
    /// - Throws: ``ReportError/reportBusy(folder:pid:)`` when another run holds the lock,
    ///   ``ReportError/failed(_:)`` when the folder or the lock file cannot be made.
    public func lock(name: String = lockName, owning owned: Set<String>? = nil) throws(ReportError) -> ReportFolderLock {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw .failed("cannot create the report folder \(path): \(error.localizedDescription)")
        }
        let lockPath = file(name)
        // The file is unlinked when released: after taking the lock, check that it is still the
        // file at the path (not one a releasing run just unlinked), else take the new one.
        for _ in 0 ..< 100 {
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard fd >= 0 else {
                throw .failed("cannot create the lock file \(lockPath): \(String(cString: strerror(errno)))")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let holder = Self.pid(in: fd)
                close(fd)
                throw .reportBusy(folder: path, pid: holder)
            }
            var opened = stat(), linked = stat()
            if fstat(fd, &opened) == 0, lstat(lockPath, &linked) == 0, opened.st_ino == linked.st_ino, opened.st_dev == linked.st_dev {
                let text = "\(getpid())\n"
                _ = ftruncate(fd, 0)
                _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
                let held = ReportFolderLock(folder: self, name: name, owned: owned, descriptor: fd)
                removeStaleTemporaries(owned: owned)
                return held
            }
            close(fd)
        }
        throw .failed("cannot take the lock \(lockPath): it keeps being replaced")
    }

    /// Whether a run holds the lock `name` of this folder now, changing nothing (the lock file is
    /// neither created nor removed): a shared `flock` on it is refused.
    public func isLocked(name: String = lockName) -> Bool {
        let fd = open(file(name), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        flock(fd, LOCK_UN)
        return false
    }

    /// The lock file of a shard (``SweepShard/lockName``) that a running shard holds in this
    /// folder, if any: a whole run or an assembly must not write beside it.
    func runningShardLock() -> String? {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().first { Self.isShardLock($0) && isLocked(name: $0) }
    }

    /// The process id written in a lock file, if any.
    private static func pid(in fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Removes the temporary files that runs killed while writing left in the folder (SIGKILL, a
    /// crash): ImageCodec's and ``writeAtomically(_:name:)``'s `.NAME.<pid>-<random>.tmp` whose
    /// process is dead, and Foundation's `.dat.nosync…` of atomic writes (no process id: only
    /// removed under the lock, which no other writer holds). With `owned` (a shard's lock), only
    /// the temporaries of those names, whatever their process id: a process id says nothing of a
    /// process on another machine sharing the folder. Only regular files. Call with the lock held.
    /// Returns the names removed.
    @discardableResult
    func removeStaleTemporaries(owned: Set<String>? = nil) -> [String] {
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            guard let temporary = TemporaryName(name) else { continue }
            if let owned {
                guard let target = temporary.target, owned.contains(target), temporary.pid != getpid() else { continue }
            } else if let pid = temporary.pid, pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH {
                continue
            }
            if removeFile(name) { removed.append(name) }
        }
        return removed
    }

    /// Removes this process's temporary files in the folder (interrupted writes; regular files
    /// only; with `owned`, only those of the names owned) and the lock file `lockName`: what
    /// ``removeInFlightTemporaryFiles()`` does for each lock held.
    func removeInFlightFiles(lockName: String = lockName, owned: Set<String>? = nil) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            guard let temporary = TemporaryName(name), temporary.pid == getpid() else { continue }
            if let owned, !(temporary.target.map(owned.contains) ?? false) { continue }
            removeFile(name)
        }
        unlink(file(lockName))
    }
}

/// The name of a temporary file of an atomic write: `.NAME.<pid>-<random>.tmp` (ImageCodec's
/// `writeImage` and ``ReportFolder/writeAtomically(_:name:)``; `pid` set) or `.dat.nosync…`
/// (Foundation's `.atomic` writes; no pid).
struct TemporaryName {
    var pid: Int32?
    /// The name being written (`NAME`); nil for Foundation's.
    var target: String?

    init?(_ name: String) {
        if name.hasPrefix(".dat.nosync") {
            pid = nil
            target = nil
            return
        }
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return nil }
        let core = name.dropLast(4)
        guard let dot = core.lastIndex(of: "."), dot != core.startIndex else { return nil }
        let parts = core[core.index(after: dot)...].split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, UInt32(parts[1]) != nil else { return nil }
        self.pid = pid
        target = String(core[core.index(after: core.startIndex) ..< dot])
    }
}

/// The lock of a report folder (``ReportFolder/lock()``), held until ``release()`` or until the
/// process ends (the kernel releases it then, even after SIGKILL). While held, the folder is in
/// the registry that ``removeInFlightTemporaryFiles()`` cleans.
public final class ReportFolderLock: @unchecked Sendable {
    public let folder: ReportFolder
    /// The lock file's name in the folder.
    public let name: String
    /// The names only this lock's holder writes (``ReportFolder/lock(name:owning:)``); nil: all.
    let owned: Set<String>?
    private var descriptor: Int32

    init(folder: ReportFolder, name: String, owned: Set<String>?, descriptor: Int32) {
        self.folder = folder
        self.name = name
        self.owned = owned
        self.descriptor = descriptor
        ActiveReportFolders.shared.insert(self)
    }

    /// Unlinks the lock file and releases the lock (once; later calls do nothing).
    public func release() {
        ActiveReportFolders.shared.remove(self)
        guard descriptor >= 0 else { return }
        unlink(folder.file(name))
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}

/// The report folders this process holds locked, for the signal handler of the CLI.
final class ActiveReportFolders: @unchecked Sendable {
    static let shared = ActiveReportFolders()
    private let guardLock = NSLock()
    private var locks: [ObjectIdentifier: (folder: ReportFolder, name: String, owned: Set<String>?)] = [:]

    func insert(_ lock: ReportFolderLock) {
        guardLock.withLock { locks[ObjectIdentifier(lock)] = (lock.folder, lock.name, lock.owned) }
    }

    func remove(_ lock: ReportFolderLock) {
        guardLock.withLock { _ = locks.removeValue(forKey: ObjectIdentifier(lock)) }
    }

    var held: [(folder: ReportFolder, name: String, owned: Set<String>?)] { guardLock.withLock { Array(locks.values) } }
}

/// Removes the temporary files this process is writing in the report folders it holds locked, and
/// their lock files: what an interrupted run (SIGINT, SIGTERM) would otherwise leave. For the
/// CLI's signal handler, which then exits; the kernel releases the locks themselves.
public func removeInFlightTemporaryFiles() {
    for lock in ActiveReportFolders.shared.held { lock.folder.removeInFlightFiles(lockName: lock.name, owned: lock.owned) }
}
