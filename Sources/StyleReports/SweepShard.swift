// `--shard K/N`: which cells of a sweep one shard runs, and the names of its files.

import Foundation
import ImageCodec
import StyleTransfer

/// Shard `index` of `count` of a sweep (`--shard K/N`, K from 0): the cells ``partition(groups:costs:count:)``
/// gives it. Shards of one sweep may run in any order, at once, on machines sharing the report
/// folder; ``assembleSweep(folder:)`` then writes the report the whole sweep would have written.
public struct SweepShard: Hashable, Sendable, CustomStringConvertible {
    /// K, from 0.
    public let index: Int
    /// N, at least 1.
    public let count: Int

    /// - Throws: ``ReportError/invalidValue(flag:value:expected:)`` naming `--shard` when N < 1,
    ///   N > ``SweepLimits/cells``, K < 0 or K >= N.
    public init(index: Int, count: Int) throws(ReportError) {
        guard (1 ... SweepLimits.cells).contains(count), (0 ..< count).contains(index) else {
            throw .invalidValue(flag: "--shard", value: "\(index)/\(count)", expected: Self.expected)
        }
        self.index = index
        self.count = count
    }

    /// Parses `K/N` (two whole numbers in decimal, nothing else), as `--shard` takes it.
    ///
    /// - Throws: ``ReportError/invalidValue(flag:value:expected:)`` naming `--shard` and the text.
    public init(parsing text: String) throws(ReportError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw .invalidValue(flag: "--shard", value: String(text.prefix(80)), expected: Self.expected)
        }
        try self.init(index: index, count: count)
    }

    static let expected = "K/N, shard K of N counted from 0 (0 <= K < N, 1 <= N <= \(SweepLimits.cells)), e.g. 0/4 to 3/4"

    /// `K/N`.
    public var description: String { "\(index)/\(count)" }

    /// The shard's record in the folder's ``shardsFolderName``: `K-of-N.json`.
    public var recordName: String { "\(index)-of-\(count).json" }

    /// The lock the running shard holds, in the report folder and in its ``shardsFolderName``
    /// (``ReportFolder/lock(name:owning:)``): `.stylectl-shard-K-of-N.lock`.
    public var lockName: String { ".stylectl-shard-\(index)-of-\(count).lock" }

    /// The temporary name under which the shard writes the plan before linking it as `plan.json`
    /// (``SweepShardPlan/join(folder:shard:)``), owned by the shard for removal after a kill.
    var planDraftName: String { "plan-\(index)-of-\(count).json" }

    /// The folder of a report holding the shards' plan and records.
    public static let shardsFolderName = "shards"

    /// The shards of `count` over cells given by their group and cost: a partition of the cell
    /// indices (each in exactly one shard), each shard's cells in the order to run them.
    ///
    /// The cells are ordered by group (ascending; within a group by index), and this order is cut
    /// into `count` consecutive runs: run k holds the positions b_k ..< b_(k+1), where b_0 = 0,
    /// b_N = C (the cell count) and b_k is the first position p whose cells before it cost, times
    /// N, at least k times the total (integer arithmetic: the same cut on every machine). With equal
    /// costs the runs' lengths differ by at most one cell (b_k = ceil(k * C / N)); with unequal
    /// costs each run's cost is within one cell's cost of total / N (a run may be empty when one
    /// cell costs more than a share). Since cells of a group are consecutive, a group (a content
    /// image at a size: one encoding) is split only where a cut falls inside it, so the shards
    /// together encode at most groups + N - 1 contents, and each shard each of its contents once.
    static func partition(groups: [Int], costs: [Int], count: Int) -> [[Int]] {
        let order = groups.indices.sorted { (groups[$0], $0) < (groups[$1], $1) }
        var prefix = [0]
        for i in order { prefix.append(prefix.last! + max(costs[i], 1)) }
        let total = prefix.last!
        var boundaries = [0]
        var position = 0
        for k in 1 ..< count {
            while position < order.count && prefix[position] * count < k * total { position += 1 }
            boundaries.append(position)
        }
        boundaries.append(order.count)
        return (0 ..< count).map { Array(order[boundaries[$0] ..< boundaries[$0 + 1]]) }
    }

    /// The cells of each of `count` shards of the sweep `manifest` lays out (``partition(groups:costs:count:)``):
    /// grouped by content image and content size, each cell costing the pixels of its content
    /// after sizing (from the image's header, at most 2^31), so that a column of larger content
    /// sizes weighs more.
    ///
    /// - Throws: ``ReportError/failed(_:)`` when a content's header cannot be read.
    static func shards(of manifest: SweepManifest, count: Int) throws(ReportError) -> [[Int]] {
        let definition = manifest.definition
        let sizes = definition.contentSizeList
        var pixels: [String: Int] = [:]
        var groups: [Int] = [], costs: [Int] = []
        for cell in manifest.cells {
            let sizing = cell.sizing(in: definition).content
            let sizeIndex = sizes.firstIndex(of: sizing.size) ?? 0
            groups.append(manifest.rows[cell.row].content * sizes.count + sizeIndex)
            let key = "\(sizing.size) \(cell.content)"
            if pixels[key] == nil {
                let source: (width: Int, height: Int)
                do { source = try readImageSize(path: cell.content) } catch { throw .failed(error.description) }
                let sized = sizing.sizedDimensions(width: source.width, height: source.height)
                let area = sized.map { $0.width.multipliedReportingOverflow(by: $0.height) }
                pixels[key] = area.map { $0.overflow ? 1 << 31 : min($0.partialValue, 1 << 31) } ?? 1 << 31
            }
            costs.append(pixels[key]!)
        }
        return partition(groups: groups, costs: costs, count: count)
    }
}

/// The host name of this machine, as the shard records name it.
func currentHostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
