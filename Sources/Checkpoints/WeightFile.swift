// Opening a weight file: only regular files are read.

import Foundation

/// The bytes of the weight file at `path`, memory-mapped.
///
/// The path is checked with `stat` before it is opened: a FIFO would block the open (or never
/// end), a device such as `/dev/zero` would be read until memory runs out.
///
/// - Throws: ``CheckpointError/unreadable(path:reason:)`` naming what the path is instead.
func mappedWeightFile(path: String) throws(CheckpointError) -> Data {
    var info = stat()
    guard stat(path, &info) == 0 else {
        let code = errno
        throw .unreadable(path: path, reason: code == ENOENT || code == ENOTDIR ? "no such file" : String(cString: strerror(code)))
    }
    let kind: String? = switch info.st_mode & S_IFMT {
    case S_IFREG: nil
    case S_IFDIR: "a folder"
    case S_IFIFO: "a FIFO (named pipe)"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFSOCK: "a socket"
    default: "a special file"
    }
    if let kind { throw .unreadable(path: path, reason: "it is \(kind), not a regular file") }
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
        throw .unreadable(path: path, reason: "permission denied or the file cannot be mapped")
    }
}
