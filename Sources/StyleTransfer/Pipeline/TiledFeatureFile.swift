// Pass 1's relu4_1 features of a tiled stylization kept in a temporary file, so that pass 2 reads
// them instead of encoding each tile again, in memory the page cache lends rather than the process's.

import Foundation
import TensorCore

/// The relu4_1 features of a tiled stylization's tiles (``Tiling``), written by pass 1 tile by tile
/// and read back by pass 2 over each tile and the decoder's halo: pass 2 then runs the decoder
/// alone, about half the work of encoding each tile again (its crop with both halos is about 1.5
/// times the tile). 4 bytes per channel and feature pixel (32 per image pixel for VGG's 512),
/// written with `pwrite` and read with `pread` to an unlinked file in ``Tiling/featureFolder``: the
/// file is gone when it is closed or the process ends, however it ends, and its pages are the
/// kernel's page cache, written back to disk under memory pressure, not the process's memory.
///
/// Each tile's interior is one block, channels then rows then columns. A block that could not be
/// written (the disk filled up, an I/O error) is marked missing, and a pass-2 tile that needs it
/// is encoded again instead, so a failing file never fails the stylization.
final class TiledFeatureFile {
    private let descriptor: Int32
    private let channels: Int
    private let rowTiles: [Range<Int>]
    private let columnTiles: [Range<Int>]
    /// Each block's offset in bytes, row of tiles after row of tiles.
    private let offsets: [Int]
    private var written: [Bool]

    /// Free space kept beyond the file's size on its file system, for everything else.
    static let spareBytes = 256 << 20

    /// A file for `channels` channels over the tiles `rowTiles` x `columnTiles` (feature rows and
    /// columns) in the folder `folder`; nil when the folder's file system has not the file's size
    /// plus ``spareBytes`` free, or the file cannot be created (pass 2 then encodes again).
    init?(channels: Int, rowTiles: [Range<Int>], columnTiles: [Range<Int>], folder: String) {
        var offsets: [Int] = []
        var total = 0
        for rows in rowTiles {
            for columns in columnTiles {
                offsets.append(total)
                total += 4 * channels * rows.count * columns.count
            }
        }
        var status = statvfs()
        guard statvfs(folder, &status) == 0, Int(status.f_bavail) * Int(status.f_frsize) >= total + Self.spareBytes else { return nil }
        var template = Array((folder + "/stylectl-features-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { return nil }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        self.descriptor = descriptor
        self.channels = channels
        self.rowTiles = rowTiles
        self.columnTiles = columnTiles
        self.offsets = offsets
        written = Array(repeating: false, count: offsets.count)
    }

    deinit { close(descriptor) }

    /// Writes tile (`row`, `column`)'s interior: `features` over `interiorRows` x `interiorColumns`
    /// (the tile's size). A failed write leaves the block missing.
    func write(row: Int, column: Int, features: Tensor, interiorRows: Range<Int>, interiorColumns: Range<Int>) {
        let block = StylizationPipeline.region(of: features, rows: interiorRows, columns: interiorColumns)
        let index = row * columnTiles.count + column
        precondition(block.channels == channels && interiorRows.count == rowTiles[row].count && interiorColumns.count == columnTiles[column].count)
        written[index] = block.values.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let count = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offsets[index] + done))
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                done += count
            }
            return true
        }
    }

    /// The features over feature rows `rows` and columns `columns` (a tile and the decoder's halo,
    /// within the tiles' neighbours), from the blocks that cover them; nil when one of those is
    /// missing or cannot be read.
    func read(rows: Range<Int>, columns: Range<Int>) -> Tensor? {
        var values = [Float](repeating: 0, count: channels * rows.count * columns.count)
        let complete = values.withUnsafeMutableBufferPointer { target -> Bool in
            var scratch = [Float]()
            for (i, tileRows) in rowTiles.enumerated() where tileRows.overlaps(rows) {
                for (j, tileColumns) in columnTiles.enumerated() where tileColumns.overlaps(columns) {
                    let index = i * columnTiles.count + j
                    guard written[index] else { return false }
                    let (needRows, needColumns) = (tileRows.clamped(to: rows), tileColumns.clamped(to: columns))
                    let blockWidth = tileColumns.count
                    // Per channel, the needed rows are one run of whole block rows.
                    let run = needRows.count * blockWidth
                    if scratch.count < run { scratch = [Float](repeating: 0, count: run) }
                    for c in 0 ..< channels {
                        let start = offsets[index] + 4 * ((c * tileRows.count + needRows.lowerBound - tileRows.lowerBound) * blockWidth)
                        let complete = scratch.withUnsafeMutableBytes { bytes -> Bool in
                            var done = 0
                            while done < 4 * run {
                                let count = pread(descriptor, bytes.baseAddress! + done, 4 * run - done, off_t(start + done))
                                if count < 0 && errno == EINTR { continue }
                                guard count > 0 else { return false }
                                done += count
                            }
                            return true
                        }
                        guard complete else { return false }
                        for y in needRows {
                            let from = (y - needRows.lowerBound) * blockWidth + needColumns.lowerBound - tileColumns.lowerBound
                            let to = (c * rows.count + y - rows.lowerBound) * columns.count + needColumns.lowerBound - columns.lowerBound
                            for x in 0 ..< needColumns.count { target[to + x] = scratch[from + x] }
                        }
                    }
                }
            }
            return true
        }
        return complete ? Tensor(shape: [1, channels, rows.count, columns.count], values: values) : nil
    }
}
