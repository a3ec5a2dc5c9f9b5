// The tiles a sweep runs in: chosen once when the sweep is planned (from --tile or the memory),
// recorded in its definition, and taken from the report folder by every shard and by a resumed run.

import Foundation
import StyleTransfer

/// `configuration` with its ``SweepConfiguration/tiling`` settled, and the definition it records
/// (``SweepDefinition/tile``), checked against the memory (``SweepConfiguration/memory``) before
/// anything is written. The estimates are `stylize`'s (``StylizationMemory``), with the losses
/// measured over the tiles when ``SweepConfiguration/metrics`` (``TiledLossMeasure``); each
/// distinct stylization of the grid (content and styles at a content and style size) is estimated
/// once, from the images' headers.
///
/// - A shard (`shard`) whose folder holds the plan of this sweep (`shards/plan.json`, equal but
///   perhaps for the tile) runs in the tiles the plan records, whatever its machine: a different
///   `--tile` is ``ReportError/shardTileDiffers(record:shard:given:recorded:)``, and a machine
///   whose memory does not hold those tiles (or the untiled cells of an untiled plan) is
///   ``ReportError/recordedTileDoesNotFit(record:shard:tile:path:needed:available:source:)``.
/// - Otherwise, with no `--tile`, a folder holding the `manifest.json` of this sweep (equal but
///   perhaps for the tile; not with `overwrite`) gives its tile, checked alike: a resumed sweep
///   keeps its tiles.
/// - Otherwise the tile is `--tile`, else nil when every cell fits whole, else the smallest of the
///   largest tiles each stylization fits in (``StylizationMemory/tiling(jobs:contentSizing:styleSizing:forced:available:measuring:)``),
///   so that one tile serves every cell; refused as `stylize` refuses it (``ReportError/memory(_:)``:
///   a `--tile` too large, a memory too small for the smallest tiles, naming the minimum).
///
/// With the memory unknown (no budget, no `/proc/meminfo`) nothing is checked and the tile is
/// `--tile`'s or the recorded one. Pass 1's features are kept in memory when every tiled cell fits
/// with them in the tiles chosen here (the machine's choice: it does not change the images); in
/// recorded tiles they go to the temporary file.
func planTiling(_ configuration: SweepConfiguration, shard: SweepShard?) throws(ReportError) -> (configuration: SweepConfiguration, definition: SweepDefinition) {
    var configuration = configuration
    var definition = try configuration.definition()
    let groups = memoryGroups(definition)
    let available: (bytes: Int, source: String)?
    if let memory = configuration.memory { available = memory } else {
        do { available = try StylizationMemory.available() } catch { throw .memory(error) }
    }
    if let recorded = recordedTile(definition, folder: configuration.folder, shard: shard, overwrite: configuration.overwrite) {
        if let shard, let given = configuration.tiling?.tile, given != recorded.tile {
            throw .shardTileDiffers(record: recorded.record, shard: shard.description, given: given, recorded: recorded.tile)
        }
        if shard != nil || configuration.tiling == nil {
            definition.tile = recorded.tile
            configuration.tiling = nil
            if let tile = recorded.tile { configuration.tiling = try tiling(side: tile) }
            if let available {
                for group in groups {
                    let needs: [(path: String, bytes: Int)]
                    do {
                        needs = try StylizationMemory.peakBytes(jobs: group.jobs, contentSizing: group.content, styleSizing: group.style,
                                                                tile: recorded.tile, measuring: configuration.metrics)
                    } catch { throw .memory(error) }
                    if let need = needs.first(where: { $0.bytes > available.bytes }) {
                        throw .recordedTileDoesNotFit(record: recorded.record, shard: shard?.description, tile: recorded.tile, path: need.path,
                                                      needed: need.bytes, available: available.bytes, source: available.source)
                    }
                }
            }
            // The recorded tiles, checked: not chosen again (the estimate is not monotonic in the
            // tile, so a search could refuse a tile that fits). Pass 1's features go to the
            // temporary file, which the estimate does not count. An untiled plan stays untiled.
            return (configuration, definition)
        }
    }
    guard let available else { return (configuration, definition) }
    /// The group's tiling in `available` bytes (`forced`: in those tiles), as `stylize` refuses it.
    func fit(_ group: (content: ImageSizing, style: ImageSizing, jobs: [StylizationJob]), forced: Tiling?) throws(ReportError) -> Tiling? {
        do {
            return try StylizationMemory.tiling(jobs: group.jobs, contentSizing: group.content, styleSizing: group.style, forced: forced,
                                                available: available, measuring: configuration.metrics)
        } catch { throw .memory(error) }
    }
    var chosen = configuration.tiling?.tile
    if chosen == nil {
        for group in groups {
            if let side = try fit(group, forced: nil)?.tile { chosen = min(chosen ?? side, side) }
        }
    }
    guard let chosen else { return (configuration, definition) }
    // Every stylization in the one tile. A group none of whose contents is tiled gives back the
    // forced tiling as it came (keeping the features), so that only the tiled groups decide.
    let forced = try tiling(side: chosen, keepsFeatures: true)
    var keeps = true
    for group in groups where try fit(group, forced: forced)?.keepsFeatures == false { keeps = false }
    configuration.tiling = try tiling(side: chosen, keepsFeatures: keeps)
    definition.tile = chosen
    return (configuration, definition)
}

/// A ``Tiling`` of a side already checked (`--tile`'s, a record's validated by its reader, or one
/// ``StylizationMemory`` chose).
private func tiling(side: Int, keepsFeatures: Bool = false) throws(ReportError) -> Tiling {
    do { return try Tiling(tile: side, keepsFeatures: keepsFeatures) } catch {
        throw .invalidValue(flag: "--tile", value: "\(side)", expected: "a multiple of 8 of at least \(Tiling.minimumTile) pixels")
    }
}

/// The distinct stylizations of a sweep's grid (content, styles and mask), grouped by their content and
/// style sizings, in a fixed order: what ``StylizationMemory`` estimates.
func memoryGroups(_ definition: SweepDefinition) -> [(content: ImageSizing, style: ImageSizing, jobs: [StylizationJob])] {
    var seen = Set<[String]>()
    var groups: [String: (content: ImageSizing, style: ImageSizing, jobs: [StylizationJob])] = [:]
    for cell in SweepManifest(definition: definition).cells {
        let sizing = cell.sizing(in: definition)
        let key = "\(sizing.content.size) \(sizing.style.size)"
        let masks = cell.mask.map { [$0] } ?? []
        guard seen.insert([key, cell.content] + cell.styles + masks).inserted else { continue }
        groups[key, default: (sizing.content, sizing.style, [])].jobs.append(StylizationJob(content: cell.content, styles: cell.styles, output: cell.output,
                                                                                            masks: masks))
    }
    return groups.keys.sorted().map { groups[$0]! }
}

/// The tile the report folder records for this sweep (`definition`, compared but for its tile), and
/// the file that records it: a shard's plan (`shards/plan.json`, for a `shard`), else the folder's
/// `manifest.json` (not with `overwrite`); nil when neither records this sweep (nothing yet, another
/// sweep, an unreadable file: the folder's own checks report those).
private func recordedTile(_ definition: SweepDefinition, folder: String, shard: SweepShard?, overwrite: Bool) -> (tile: Int?, record: String)? {
    func same(_ other: SweepDefinition) -> Bool {
        var other = other
        other.tile = definition.tile
        return other == definition
    }
    let plan = folder + "/" + SweepShard.shardsFolderName + "/" + SweepShardPlan.fileName
    if shard != nil, FileManager.default.fileExists(atPath: plan), let read = try? SweepShardPlan.read(path: plan), same(read.manifest.definition) {
        return (read.manifest.definition.tile, plan)
    }
    let manifest = folder + "/" + SweepManifest.fileName
    if !overwrite, FileManager.default.fileExists(atPath: manifest), let read = try? SweepManifest.read(folder: folder), same(read.definition) {
        return (read.definition.tile, manifest)
    }
    return nil
}
