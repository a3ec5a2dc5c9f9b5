// Reports/NAME/manifest.json: the sweep's definition, its grid and each cell's result.

import Foundation
import StyleTransfer

/// The record of a sweep, rewritten as cells finish (``runSweep(_:stylizer:progress:notice:)``) so that
/// an interrupted sweep can resume. Read back, it is checked (``validate(record:)``) before use.
public struct SweepManifest: JSONRecord, Equatable, Sendable {
    /// One row of the grid (indices into the definition).
    public struct Row: Codable, Equatable, Sendable {
        public var content: Int
        /// The style's index in a `styles` grid; nil in the others (every cell has all the styles).
        public var style: Int?
        /// In a `bilinear` grid, the vertical position in [0, 1] (0: corners a and b, 1: c and d).
        public var v: Float?
        /// For people: the content's name and what else the row fixes, e.g. "cornell x mondrian".
        public var label: String
    }

    /// One column of the grid: the swept parameters.
    public struct Column: Codable, Equatable, Sendable {
        public var alpha: Float
        public var preserveColor: String
        /// In an `interpolation` or `bilinear` grid, the horizontal position in [0, 1] (weight of the second style).
        public var u: Float?
        /// In a `masks` grid, the mask's index in the definition.
        public var mask: Int?
        /// The content and style sizes of the column when the sweep sweeps them
        /// (``SweepDefinition/contentSizes``, ``SweepDefinition/styleSizes``); nil otherwise.
        public var contentSize: Int?
        public var styleSize: Int?
        /// For people: the swept values of the column, e.g. "alpha 0.5", "coral, u 0.25", "mask halves.png" (u as in the sheet's legend and
        /// the file names; a mask by its file name, so that a mask named `mask.png` does not read "mask mask").
        public var label: String
    }

    /// One stylization, with every parameter needed to redo it (see ``controls(stretchMask:maskMode:)``)
    /// besides the definition's sizes and weights.
    public struct Cell: Codable, Equatable, Sendable {
        public var row: Int
        public var column: Int
        /// The content image's path.
        public var content: String
        /// The style images' paths (one in a `styles` grid).
        public var styles: [String]
        /// Interpolation weights, one per style: summing to 1 up to rounding (`interpolation`, `bilinear`),
        /// or as given by `--style-weights` (`styles`, so that the cell is normalised once, as
        /// `stylize` normalises them); normalised before use (``StyleControls/normalizedWeights()``); nil otherwise.
        public var weights: [Float]?
        /// The mask file's path (`masks` grid), read in mode `auto`; nil otherwise.
        public var mask: String?
        public var alpha: Float
        public var preserveColor: String
        /// The cell's content and style sizes when the sweep sweeps them; nil: the definition's.
        public var contentSize: Int?
        public var styleSize: Int?
        /// The image's file name in the report folder.
        public var output: String
        /// Set once the image is written: seconds for the cell's stylization and writing its image,
        /// including the encodings it was the first to need; not the metrics.
        public var seconds: Double?
        /// Of ``seconds``: reading and encoding the images this cell was the first to need (0 when
        /// the sweep had them already), and the decoder. Nil in manifests of older versions.
        public var encodeSeconds: Double?
        public var decodeSeconds: Double?
        /// Eq. 8; nil in a `masks` grid (each region has its own style; see ``SweepManifest/metricsNote``)
        /// and without metrics (`--no-metrics`).
        public var styleLoss: Double?
        /// Eq. 7; nil without metrics.
        public var contentLoss: Double?
        /// The colour distance of the image from the content (``chromaDistance(_:_:)``, CIELAB
        /// units); nil without metrics and in manifests of older versions.
        public var colorDistance: Double?
        /// Gatys et al.'s Gram-matrix style loss (``StyleTransfer/StylizationLosses/gramStyle``); nil
        /// when the style loss is, and in manifests of older versions.
        public var gramStyleLoss: Double?
        /// A masked cell's ``MaskFidelity``: its mean own-style loss over regions and its leakage;
        /// nil without a mask, without metrics and in manifests of older versions.
        public var maskStyleLoss: Double?
        public var maskLeakage: Double?

        public var isDone: Bool { seconds != nil }

        /// How this cell's content and style images are sized: its own sizes, or the definition's, in the model's shape.
        public func sizing(in d: SweepDefinition) -> (content: ImageSizing, style: ImageSizing) {
            (d.model.conventions.sizing(size: contentSize ?? d.contentSize, crop: d.cropsImages),
             d.model.conventions.sizing(size: styleSize ?? d.styleSize, crop: d.cropsImages))
        }

        /// The controls that stylize this cell, its mask read as the definition says; the content
        /// and style sizes are the definition's.
        public func controls(stretchMask: Bool, maskMode: SpatialMask.Mode) -> StyleControls {
            StyleControls(styles: styles, weights: weights, mask: mask.map { SpatialMask(paths: [$0], mode: maskMode, stretch: stretchMask) },
                          preserveColor: ColorPreservation(rawValue: preserveColor) ?? .none, alpha: alpha)
        }
    }

    public var definition: SweepDefinition
    public var rows: [Row]
    public var columns: [Column]
    /// Row-major: cell `r * columns.count + c` is row r, column c.
    public var cells: [Cell]
    /// The side in pixels of a contact sheet's cells (`--cell-size`); nil in manifests written
    /// before the flag, whose sheets had ``SheetLayout/defaultCell``. Not part of the definition:
    /// it does not change the images, and a resumed sweep redraws its sheets at the new size.
    public var sheetCellSize: Int?
    /// The shards a sweep run with `--shard K/N` was assembled from (``assembleSweep(folder:)``):
    /// host and seconds of each; nil for a sweep run whole. Not part of the definition.
    public var shards: [Shard]?
    /// How the metrics are computed, for readers of the file.
    public var metricsNote = "pytorch-AdaIN net.py losses (MSE), Huang & Belongie 2017 Eq. 7 and 8 measured with the encoder f: content = MSE(relu4_1(g(t)), t), t the decoder input after the alpha blend; style = sum over relu1_1..relu4_1 of MSE of channel means and of stds (unbiased variance, +1e-5) of f(g(t)) and of the style image as encoded (after colour preservation). Several weighted styles (interpolation, bilinear): the style targets are the weighted sums of the styles' means and of their stds with the cell's weights. Masks: no style loss (each region has its own style). g(t) is the decoder output before cropping and quantisation. Colour distance: the 2-Wasserstein distance between Gaussian fits of the CIELAB chroma (a*, b*) of the written image and of the content image (CIELAB units, like Delta E): how far colour preservation is from the content's colours."

    public static let fileName = "manifest.json"

    /// ``sheetCellSize`` with its default.
    public var cellSize: Int { sheetCellSize ?? SheetLayout.defaultCell }

    /// The grid of a definition (no cell done). Columns are colour-preservation-major, then alpha,
    /// then the grid's own axis (u, or the mask); rows are content-major:
    ///
    /// - `styles`: a row per content and style; columns preserve-color x alpha; with
    ///   ``SweepDefinition/styleWeights``, a row per content, every cell all the styles mixed;
    /// - `interpolation`: a row per content; columns preserve-color x alpha x u (weights 1 - u, u);
    /// - `bilinear`: `steps` rows per content (v = 0 ... 1); columns preserve-color x alpha x u,
    ///   weights (1-u)(1-v), u(1-v), (1-u)v, uv for the corners a, b, c, d;
    /// - `masks`: a row per content; columns preserve-color x alpha x mask.
    ///
    /// Swept content and style sizes (``SweepDefinition/contentSizes``, ``SweepDefinition/styleSizes``)
    /// come between colour preservation and alpha: preserve-color x content-size x style-size x alpha x ...
    public init(definition d: SweepDefinition) {
        definition = d
        let positions: [Float] = d.steps.map { n in (0 ..< n).map { Float($0) / Float(n - 1) } } ?? []
        let contentNames = d.contents.map { safeName($0.stem) }
        switch d.grid {
        case .styles where d.styleWeights != nil:
            let mix = zip(d.styles, d.styleWeights!).map { "\($0.stem) \(formatAlpha($1))" }.joined(separator: " + ")
            rows = d.contents.indices.map { Row(content: $0, label: "\(d.contents[$0].stem) x \(mix)") }
        case .styles:
            rows = d.contents.indices.flatMap { c in
                d.styles.indices.map { Row(content: c, style: $0, label: "\(d.contents[c].stem) x \(d.styles[$0].stem)") }
            }
        case .interpolation, .masks:
            rows = d.contents.indices.map { Row(content: $0, label: d.contents[$0].stem) }
        case .bilinear:
            rows = d.contents.indices.flatMap { c in
                positions.map { Row(content: c, v: $0, label: "\(d.contents[c].stem), v \(formatAlpha($0))") }
            }
        }
        let axis: [(u: Float?, mask: Int?)] = switch d.grid {
        case .styles: [(nil, nil)]
        case .interpolation, .bilinear: positions.map { ($0, nil) }
        case .masks: d.masks.indices.map { (nil, $0) }
        }
        let contentSizes: [Int?] = d.contentSizes ?? [nil]
        let styleSizes: [Int?] = d.styleSizes ?? [nil]
        columns = d.preserveColors.flatMap { mode in
            contentSizes.flatMap { contentSize in
                styleSizes.flatMap { styleSize in
                    d.alphas.flatMap { alpha in
                        axis.map { u, mask in
                            var parts: [String] = []
                            if d.preserveColors.count > 1 { parts.append(mode) }
                            if let contentSize { parts.append("content-size \(contentSize)") }
                            if let styleSize { parts.append("style-size \(styleSize)") }
                            if d.alphas.count > 1 || d.grid == .styles { parts.append("alpha \(formatAlpha(alpha))") }
                            if let u { parts.append("u \(formatAlpha(u))") }
                            if let mask { parts.append("mask \(URL(fileURLWithPath: d.masks[mask].path).lastPathComponent)") }
                            return Column(alpha: alpha, preserveColor: mode, u: u, mask: mask, contentSize: contentSize, styleSize: styleSize,
                                          label: parts.joined(separator: ", "))
                        }
                    }
                }
            }
        }
        var cells: [Cell] = []
        for (r, row) in rows.enumerated() {
            let styles = row.style.map { [d.styles[$0]] } ?? d.styles
            for (c, column) in columns.enumerated() {
                var weights = d.grid == .styles ? d.styleWeights : nil
                if let u = column.u {
                    if let v = row.v {
                        weights = [(1 - u) * (1 - v), u * (1 - v), (1 - u) * v, u * v]
                    } else {
                        weights = [1 - u, u]
                    }
                }
                var name = String(format: "r%02d-c%02d_", r + 1, c + 1) + contentNames[row.content]
                    + "_" + styles.map { safeName($0.stem) }.joined(separator: "-")
                    + "_a\(formatAlpha(column.alpha))_\(column.preserveColor)"
                if let weights = d.styleWeights, d.grid == .styles { name += "_w" + weights.map(formatAlpha).joined(separator: "-") }
                if let u = column.u { name += "_u\(formatAlpha(u))" }
                if let v = row.v { name += "_v\(formatAlpha(v))" }
                if let mask = column.mask { name += "_m\(safeName(d.masks[mask].stem))" }
                if let size = column.contentSize { name += "_cs\(size)" }
                if let size = column.styleSize { name += "_ss\(size)" }
                cells.append(Cell(row: r, column: c, content: d.contents[row.content].path, styles: styles.map(\.path),
                                  weights: weights, mask: column.mask.map { d.masks[$0].path }, alpha: column.alpha,
                                  preserveColor: column.preserveColor, contentSize: column.contentSize, styleSize: column.styleSize,
                                  output: name + ".png"))
            }
        }
        self.cells = cells
    }
}

/// An alpha or weight as written in labels and file names: `0.25`, `1`, `0.333`.
public func formatAlpha(_ alpha: Float) -> String {
    if alpha == alpha.rounded() { return String(Int(alpha)) }
    let text = "\(alpha)"
    return text.count <= 6 ? text : String(format: "%.3f", alpha)
}

/// A file-name-safe version of a stem.
func safeName(_ text: String) -> String {
    String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
}

extension SweepManifest {
    /// Refuses a manifest a report cannot trust (a file anyone can edit): lists beyond
    /// ``SweepLimits``, a grid whose cells do not fill rows x columns exactly in row-major order,
    /// row and column indices outside the definition's lists, cell outputs that are not plain file
    /// names (``ReportFileName``), negative or non-finite seconds.
    public func validate(record: String) throws(ReportError) {
        func bad(_ reason: String) -> ReportError { .invalidRecord(file: record, reason: reason) }
        let d = definition
        for (key, count, limit) in [("definition.contents", d.contents.count, SweepLimits.files), ("definition.styles", d.styles.count, SweepLimits.files),
                                    ("definition.masks", d.masks.count, SweepLimits.files), ("definition.alphas", d.alphas.count, SweepLimits.alphas),
                                    ("definition.preserveColors", d.preserveColors.count, SweepLimits.preserveColors)] where count > limit {
            throw bad("\(key) has \(counted(count, "item")), more than \(limit)")
        }
        if d.contents.isEmpty || d.styles.isEmpty { throw bad("the definition has no contents or no styles") }
        if let steps = d.steps, !(2 ... SweepLimits.steps).contains(steps) { throw bad("definition.steps is \(steps), not 2 to \(SweepLimits.steps)") }
        if (d.contentSizeList + d.styleSizeList).contains(where: { $0 < 0 }) { throw bad("a negative content or style size") }
        for (key, list) in [("definition.contentSizes", d.contentSizes), ("definition.styleSizes", d.styleSizes)] {
            if let list, !(2 ... SweepLimits.sizes).contains(list.count) || list[0] != (key.hasSuffix("contentSizes") ? d.contentSize : d.styleSize) {
                throw bad("\(key) has \(counted(list.count, "size")) (2 to \(SweepLimits.sizes) are swept) or does not start with the definition's size")
            }
        }
        if let size = sheetCellSize, !SheetLayout.cellSizes.contains(size) {
            throw bad("sheetCellSize is \(size), not \(SheetLayout.cellSizes.lowerBound) to \(SheetLayout.cellSizes.upperBound)")
        }
        if let tile = d.tile {
            do { _ = try Tiling(tile: tile) } catch { throw bad("definition.tile: \(error.description)") }
        }
        if let mode = d.maskMode, SpatialMask.Mode(rawValue: mode) == nil { throw bad("definition.maskMode '\(mode.prefix(80))' is not a mask mode") }
        if let weights = d.styleWeights {
            do { _ = try StyleControls(styles: d.styles.map(\.path), weights: weights).normalizedWeights() } catch {
                throw bad("definition.styleWeights: \(error.description)")
            }
        }
        guard (1 ... SweepLimits.cells).contains(rows.count), (1 ... SweepLimits.cells).contains(columns.count),
              rows.count * columns.count <= SweepLimits.cells else {
            throw bad("a grid of \(counted(rows.count, "row")) x \(counted(columns.count, "column")); a sweep has 1 to \(SweepLimits.cells) cells")
        }
        guard cells.count == rows.count * columns.count else {
            throw bad("\(counted(cells.count, "cell")) for a grid of \(counted(rows.count, "row")) x \(counted(columns.count, "column")) (\(rows.count * columns.count))")
        }
        for (r, row) in rows.enumerated() {
            if !d.contents.indices.contains(row.content) || !(row.style.map(d.styles.indices.contains) ?? true) {
                throw bad("rows[\(r)] names a content or style the definition does not have")
            }
        }
        for (c, column) in columns.enumerated() where !(column.mask.map(d.masks.indices.contains) ?? true) {
            throw bad("columns[\(c)] names a mask the definition does not have")
        }
        for (i, cell) in cells.enumerated() {
            if cell.row != i / columns.count || cell.column != i % columns.count {
                throw bad("cells[\(i)] is row \(cell.row), column \(cell.column); row-major order needs row \(i / columns.count), column \(i % columns.count) (each cell once)")
            }
            _ = try ReportFileName.check(cell.output, field: "cells[\(i)].output", record: record)
            if let seconds = cell.seconds, !(seconds >= 0 && seconds.isFinite) { throw bad("cells[\(i)].seconds is \(seconds)") }
            if [cell.contentSize, cell.styleSize].contains(where: { ($0 ?? 0) < 0 }) { throw bad("cells[\(i)] has a negative content or style size") }
        }
    }
}
