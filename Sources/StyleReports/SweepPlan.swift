// What a sweep computes: its parameters, the kind of grid, and parsing of the list flags.

import Foundation
import StyleTransfer

/// An input file as the manifest records it.
public struct InputFile: Codable, Equatable, Sendable {
    /// The standardised absolute path.
    public var path: String
    public var sha256: String

    public init(path: String) throws(ReportError) {
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
        self.path = standardized
        do { sha256 = try SHA256Digest.file(standardized) } catch { throw .unreadableFile(path: path) }
    }

    public var stem: String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
}

/// The kinds of grid a sweep can lay out (see ``SweepManifest/init(definition:)`` for the rows and columns).
public enum SweepGrid: String, Codable, Equatable, Sendable {
    /// `--style a,b,...`: a row per content and style, one style per cell.
    case styles
    /// `--interpolate a,b --steps N`: a row per content; across, the weight `u` of b goes from 0 to
    /// 1 in N steps, weights (1 - u, u) (Huang & Belongie 2017, Sec. 7, style interpolation).
    case interpolation
    /// `--corners a,b,c,d --steps N`: N rows per content (v from 0 to 1) and N columns (u from 0 to
    /// 1), weights `(1-u)(1-v), u(1-v), (1-u)v, uv`: a top left, b top right, c bottom left, d bottom
    /// right, as the AdaIN paper's Fig. 8.
    case bilinear
    /// `--style a,b[,...] --mask m1,m2,...`: a row per content, a column per mask file; each cell
    /// applies all the styles, each to its region of that mask (``SpatialMask``, mode `auto`).
    case masks
}

/// Everything that determines a sweep's images: a report folder holding a manifest with an equal
/// definition is the same sweep, and its finished cells are reused.
public struct SweepDefinition: Codable, Equatable, Sendable {
    public var toolVersion: String
    public var grid: SweepGrid
    public var contents: [InputFile]
    /// The styles (`styles`, `masks`), the two ends (`interpolation`) or the four corners (`bilinear`).
    public var styles: [InputFile]
    /// The mask files of a `masks` grid, one per column; empty otherwise.
    public var masks: [InputFile]
    /// Masks of another aspect ratio than the content are stretched (`--stretch-mask`).
    public var stretchMask: Bool
    /// The number of weights across (and, bilinear, down) an `interpolation` or `bilinear` grid.
    public var steps: Int?
    public var alphas: [Float]
    /// `ColorPreservation` raw values: none, coral, luminance.
    public var preserveColors: [String]
    public var contentSize: Int
    public var styleSize: Int
    public var vgg: InputFile
    public var decoder: InputFile
    /// `--crop`: both images' centre square after sizing. Nil is false, and is what a sweep without
    /// `--crop` records, so that its manifest is the one written before the flag existed (and an
    /// old report resumes).
    public var crop: Bool?
    /// `--mask-mode` of a `masks` grid (a ``SpatialMask/Mode`` raw value other than `auto`); nil is
    /// `auto`, recorded as nil for the same reason as ``crop``.
    public var maskMode: String?
    /// `--style-weights` of a `styles` grid: every cell mixes all the styles with these weights
    /// (a row per content); nil: a row per content and style.
    public var styleWeights: [Float]?
    /// `--content-size a,b,...` and `--style-size a,b,...` of more than one size: a column per
    /// size (the style size sets the stroke size, the AdaIN way to control it), ``contentSize`` and
    /// ``styleSize`` being the first. Nil for one size, recorded as nil so that the manifest of a
    /// sweep of one size is the one written before sizes were swept (and an old report resumes).
    public var contentSizes: [Int]? = nil
    public var styleSizes: [Int]? = nil
    /// The model run (``StyleTransfer/ModelVariant``, `--model`); always recorded, pytorch-adain
    /// for a manifest written before it was (``RecordedModel``), so that such a report resumes.
    @RecordedModel public var model: ModelVariant = .pytorchAdaIN
    /// The side of the tiles the sweep's cells are stylized in (``StyleTransfer/Tiling``): contents
    /// whose sized image has a longer side run tiled, their losses measured over the tiles. Chosen
    /// once, when the sweep is planned (``SweepConfiguration/tiling``, from `--tile` or the memory),
    /// and run by every shard, so that the shards together give the sweep run whole on any machine.
    /// Nil: untiled, recorded as nil for the same reason as ``crop`` (a manifest written before
    /// sweeps tiled is an untiled sweep's).
    public var tile: Int? = nil

    /// ``crop`` with its default.
    public var cropsImages: Bool { crop ?? false }

    /// The content sizes swept, or the one size.
    public var contentSizeList: [Int] { contentSizes ?? [contentSize] }

    /// The style sizes swept, or the one size.
    public var styleSizeList: [Int] { styleSizes ?? [styleSize] }

    /// ``maskMode`` with its default; an unknown mode is refused by the manifest's reader.
    public var spatialMaskMode: SpatialMask.Mode { maskMode.flatMap(SpatialMask.Mode.init(rawValue:)) ?? .auto }

    /// How the content images are sized (in the model's shape, ``StyleTransfer/ModelConventions/sizingShape``).
    public var contentSizing: ImageSizing { model.conventions.sizing(size: contentSize, crop: cropsImages) }

    /// How the style images are sized.
    public var styleSizing: ImageSizing { model.conventions.sizing(size: styleSize, crop: cropsImages) }
}

/// A sweep's parameters, with paths not yet read (from ``SweepRequest`` or a caller of the library).
public struct SweepConfiguration: Sendable {
    public var grid: SweepGrid
    public var contents: [String]
    public var styles: [String]
    public var masks: [String]
    public var stretchMask: Bool
    /// Used by `interpolation` and `bilinear` grids.
    public var steps: Int
    public var alphas: [Float]
    public var preserveColors: [ColorPreservation]
    public var contentSize: Int
    public var styleSize: Int
    public var models: ModelFiles
    /// The report folder, `<reports-dir>/<name>`.
    public var folder: String
    public var overwrite: Bool
    public var toolVersion: String
    /// Contact sheets hold at most this many rows each.
    public var rowsPerSheet: Int
    /// Measure each cell's content and style losses (an encoder pass of each output). Not part of
    /// the definition: it does not change the images.
    public var metrics: Bool
    /// Take the centre square of both images after sizing (`--crop`, as `stylize`).
    public var crop: Bool
    /// How a `masks` grid's masks are read (`--mask-mode`, as `stylize`).
    public var maskMode: SpatialMask.Mode
    /// `--style-weights`: in a `styles` grid, every cell mixes all the styles with these weights
    /// (normalised to sum 1), as `stylize --style a,b --style-weights 1,3` does; nil: a row per style.
    public var styleWeights: [Float]?
    /// `--cell-size`: the side in pixels of the contact sheets' cells, in ``SheetLayout/cellSizes``;
    /// recorded in the manifest (``SweepManifest/sheetCellSize``), not part of the definition.
    public var cellSize: Int
    /// `--content-size a,b,...`, `--style-size a,b,...`: sizes swept (a column each); nil: the
    /// one ``contentSize`` / ``styleSize``.
    public var contentSizes: [Int]?
    public var styleSizes: [Int]?
    /// `--tile`: the tiles the cells are stylized in (a content whose sized image has a longer side
    /// is tiled), recorded in the definition (``SweepDefinition/tile``). Nil: each cell whole,
    /// unless the cells do not fit the memory: then ``checkSweep(_:shard:)`` (which the runs call
    /// first) chooses the largest tiles that fit, or takes the tiles the folder's plan or manifest
    /// records. Only ``StyleTransfer/Tiling/tile`` is part of the sweep; whether pass 1's features
    /// are kept in memory is the machine's (it does not change the images).
    public var tiling: Tiling?
    /// `--max-memory`: the bytes the stylizations may use and where that figure comes from, as
    /// ``StyleTransfer/StylizationMemory/available(maxMemory:environment:meminfo:)`` gives them;
    /// nil: that function's default ($STYLECTL_MAX_MEMORY, else 3/4 of MemAvailable).
    public var memory: (bytes: Int, source: String)?

    /// The content sizes of the sweep, or the one size.
    var contentSizeList: [Int] { contentSizes ?? [contentSize] }

    /// The style sizes of the sweep, or the one size.
    var styleSizeList: [Int] { styleSizes ?? [styleSize] }

    public init(
        grid: SweepGrid = .styles, contents: [String], styles: [String], masks: [String] = [], stretchMask: Bool = false,
        steps: Int = 5, alphas: [Float], preserveColors: [ColorPreservation] = [.none],
        contentSize: Int = 512, styleSize: Int = 512, models: ModelFiles, folder: String,
        overwrite: Bool = false, toolVersion: String, rowsPerSheet: Int = 6, metrics: Bool = true,
        crop: Bool = false, maskMode: SpatialMask.Mode = .auto, styleWeights: [Float]? = nil,
        cellSize: Int = SheetLayout.defaultCell, contentSizes: [Int]? = nil, styleSizes: [Int]? = nil,
        tiling: Tiling? = nil, memory: (bytes: Int, source: String)? = nil
    ) {
        self.tiling = tiling
        self.memory = memory
        self.cellSize = cellSize
        self.contentSizes = contentSizes
        self.styleSizes = styleSizes
        self.metrics = metrics
        self.crop = crop
        self.maskMode = maskMode
        self.styleWeights = styleWeights
        self.grid = grid
        self.contents = contents
        self.styles = styles
        self.masks = masks
        self.stretchMask = stretchMask
        self.steps = steps
        self.alphas = alphas
        self.preserveColors = preserveColors
        self.contentSize = contentSize
        self.styleSize = styleSize
        self.models = models
        self.folder = folder
        self.overwrite = overwrite
        self.toolVersion = toolVersion
        self.rowsPerSheet = rowsPerSheet
    }

    /// The flag that gives the styles of this grid.
    var styleFlag: String {
        switch grid {
        case .styles, .masks: "--style"
        case .interpolation: "--interpolate"
        case .bilinear: "--corners"
        }
    }

    /// The number of rows and columns of the grid, from the lists' lengths alone.
    var gridSize: (rows: Int, columns: Int) {
        let across = preserveColors.count * alphas.count * contentSizeList.count * styleSizeList.count
        return switch grid {
        case .styles: (contents.count * (styleWeights == nil ? styles.count : 1), across)
        case .interpolation: (contents.count, across * steps)
        case .bilinear: (contents.count * steps, across * steps)
        case .masks: (contents.count, across * masks.count)
        }
    }

    /// Checks the lists (none empty: the grid would be empty; none longer than ``SweepLimits``),
    /// the number of styles for the grid, alphas in [0, 1], steps and sizes, the number of cells,
    /// and that each mask fits the styles: before any file is read.
    public func validate() throws(ReportError) {
        if contents.isEmpty { throw .emptyList(flag: "--content") }
        if styles.isEmpty { throw .emptyList(flag: styleFlag) }
        if alphas.isEmpty { throw .emptyList(flag: "--alpha") }
        if preserveColors.isEmpty { throw .emptyList(flag: "--preserve-color") }
        for (flag, count, limit) in [("--content", contents.count, SweepLimits.files), (styleFlag, styles.count, SweepLimits.files),
                                     ("--mask", masks.count, SweepLimits.files), ("--alpha", alphas.count, SweepLimits.alphas),
                                     ("--preserve-color", preserveColors.count, SweepLimits.preserveColors),
                                     ("--content-size", contentSizeList.count, SweepLimits.sizes), ("--style-size", styleSizeList.count, SweepLimits.sizes)] where count > limit {
            throw .invalidValue(flag: flag, value: counted(count, "value"), expected: "at most \(counted(limit, "value"))")
        }
        if grid == .interpolation || grid == .bilinear, !(2 ... SweepLimits.steps).contains(steps) {
            throw .invalidValue(flag: "--steps", value: "\(steps)", expected: "2 to \(SweepLimits.steps)")
        }
        if rowsPerSheet < 1 || rowsPerSheet > SweepLimits.rowsPerSheet {
            throw .invalidValue(flag: "rowsPerSheet", value: "\(rowsPerSheet)", expected: "1 to \(SweepLimits.rowsPerSheet)")
        }
        if !SheetLayout.cellSizes.contains(cellSize) {
            throw .invalidValue(flag: "--cell-size", value: "\(cellSize)",
                                expected: "\(SheetLayout.cellSizes.lowerBound) to \(SheetLayout.cellSizes.upperBound) pixels")
        }
        let size = gridSize
        if size.rows * size.columns > SweepLimits.cells {
            throw .invalidValue(flag: "--content, \(styleFlag), --alpha, --preserve-color" + (contentSizeList.count > 1 ? ", --content-size" : "") + (styleSizeList.count > 1 ? ", --style-size" : "") + (grid == .masks ? ", --mask" : grid == .styles ? "" : ", --steps"),
                                value: "\(counted(size.rows, "row")) x \(counted(size.columns, "column")) = \(counted(size.rows * size.columns, "cell"))",
                                expected: "at most \(counted(SweepLimits.cells, "cell")) per sweep (split it into several sweeps)")
        }
        for alpha in alphas where !(0 ... 1).contains(alpha) {
            throw .invalidValue(flag: "--alpha", value: "\(alpha)", expected: "numbers in [0, 1]")
        }
        if contentSizes?.isEmpty == true { throw .emptyList(flag: "--content-size") }
        if styleSizes?.isEmpty == true { throw .emptyList(flag: "--style-size") }
        for (role, size) in contentSizeList.map({ (InputRole.content, $0) }) + styleSizeList.map({ (InputRole.style, $0) }) {
            do { try ImageSizing.check(size: size, of: role) } catch {
                throw .invalidValue(flag: role.sizeFlag!, value: "\(size)", expected: "0 to \(ImageSizing.maximumSize)")
            }
        }
        let joined = styles.joined(separator: ",")
        if maskMode != .auto && grid != .masks {
            throw .invalidValue(flag: "--mask-mode", value: maskMode.rawValue, expected: "--mask-mode only with --mask: there is no mask to read")
        }
        if let styleWeights {
            guard grid == .styles || grid == .masks else {
                throw .invalidValue(flag: "--style-weights", value: styleWeights.map(formatAlpha).joined(separator: ","),
                                    expected: "--style-weights only with --style: --interpolate and --corners sweep the weights")
            }
            do { try StyleControls(styles: styles, weights: styleWeights, mask: grid == .masks ? SpatialMask(paths: masks) : nil).validate() } catch {
                throw .failed(error.description)
            }
        }
        switch grid {
        case .styles:
            if !masks.isEmpty { throw .invalidValue(flag: "--mask", value: masks.joined(separator: ","), expected: "a grid of kind masks") }
        case .interpolation:
            if styles.count != 2 { throw .invalidValue(flag: "--interpolate", value: joined, expected: "two style images") }
        case .bilinear:
            if styles.count != 4 { throw .invalidValue(flag: "--corners", value: joined, expected: "four style images (top left, top right, bottom left, bottom right)") }
        case .masks:
            if masks.isEmpty { throw .emptyList(flag: "--mask") }
            if styles.count < 2 { throw .invalidValue(flag: "--style", value: joined, expected: StyleControls.maskStyleRequirement) }
            for mask in masks {
                do {
                    try StyleControls(styles: styles, mask: SpatialMask(paths: [mask], mode: maskMode, stretch: stretchMask)).validate()
                } catch {
                    throw .invalidValue(flag: "--mask", value: mask, expected: "a mask for \(counted(styles.count, "style")) (\(error.description))")
                }
            }
        }
    }

    /// Reads and hashes every input: the definition recorded in the manifest.
    public func definition() throws(ReportError) -> SweepDefinition {
        try validate()
        func inputs(_ paths: [String], flag: String, kind: String = "image") throws(ReportError) -> [InputFile] {
            var files: [InputFile] = []
            for path in paths {
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
                    throw .invalidValue(flag: flag, value: path, expected: "an existing \(kind) file")
                }
                files.append(try InputFile(path: path))
            }
            return files
        }
        return SweepDefinition(
            toolVersion: toolVersion, grid: grid,
            contents: try inputs(contents, flag: "--content"),
            styles: try inputs(styles, flag: styleFlag),
            masks: try inputs(masks, flag: "--mask"),
            stretchMask: stretchMask,
            steps: grid == .interpolation || grid == .bilinear ? steps : nil,
            alphas: alphas,
            preserveColors: preserveColors.map(\.rawValue),
            contentSize: contentSizeList[0], styleSize: styleSizeList[0],
            vgg: try inputs([models.vgg], flag: "--vgg", kind: "weight")[0],
            decoder: try inputs([models.decoder], flag: "--decoder", kind: "weight")[0],
            crop: crop ? true : nil, maskMode: maskMode == .auto ? nil : maskMode.rawValue, styleWeights: styleWeights,
            contentSizes: contentSizeList.count > 1 ? contentSizeList : nil, styleSizes: styleSizeList.count > 1 ? styleSizeList : nil,
            model: models.variant ?? .pytorchAdaIN, tile: tiling?.tile)
    }
}

// MARK: - Parsing list flags

/// Splits a comma-separated flag value by the one rule of every command, ``commaList(_:flag:)``
/// (items trimmed, an empty item refused naming its position). No item at all is
/// ``ReportError/emptyList(flag:)``: the sweep's grid would be empty.
public func parseList(_ text: String, flag: String) throws(ReportError) -> [String] {
    do { return try commaList(text, flag: flag) } catch {
        if case .noValue = error { throw .emptyList(flag: flag) }
        throw .list(error)
    }
}

/// Each item of a list flag's values, given one by one, made a value by `parse` (nil: refused as
/// `error` says); no item at all is ``ReportError/emptyList(flag:)``.
func parseItems<Value>(_ items: [String], flag: String, _ parse: (String) -> Value?, error: (String) -> ReportError) throws(ReportError) -> [Value] {
    if items.isEmpty { throw .emptyList(flag: flag) }
    var values: [Value] = []
    for item in items {
        guard let value = parse(item) else { throw error(item) }
        values.append(value)
    }
    return values
}

/// `--alpha 0,0.25,1`: numbers in [0, 1].
public func parseAlphas(_ text: String) throws(ReportError) -> [Float] {
    try parseAlphas(try parseList(text, flag: "--alpha"))
}

/// Alphas given one by one: numbers in [0, 1].
public func parseAlphas(_ items: [String]) throws(ReportError) -> [Float] {
    try parseItems(items, flag: "--alpha", { Float($0).flatMap { (0 ... 1).contains($0) ? $0 : nil } }) {
        .invalidValue(flag: "--alpha", value: $0, expected: "numbers in [0, 1]")
    }
}

/// `--preserve-color none,coral,luminance`.
public func parsePreserveColors(_ text: String) throws(ReportError) -> [ColorPreservation] {
    try parsePreserveColors(try parseList(text, flag: "--preserve-color"))
}

/// Colour-preservation modes given one by one.
public func parsePreserveColors(_ items: [String]) throws(ReportError) -> [ColorPreservation] {
    try parseItems(items, flag: "--preserve-color", { ColorPreservation(rawValue: $0.lowercased()) }) {
        .invalidValue(flag: "--preserve-color", value: $0, expected: "none, coral or luminance")
    }
}

/// `--mask-mode auto|binary|labels|soft`, in `stylize`'s words when unknown.
public func parseMaskMode(_ text: String) throws(ReportError) -> SpatialMask.Mode {
    do { return try SpatialMask.Mode(parsing: text) } catch { throw .failed(error.description) }
}

/// `--style-weights 1,3`: numbers, in `stylize`'s words when one is not; checked against the
/// styles by ``SweepConfiguration/validate()``.
public func parseStyleWeights(_ text: String) throws(ReportError) -> [Float] {
    try parseStyleWeights(try parseList(text, flag: "--style-weights"))
}

/// Style weights given one by one.
public func parseStyleWeights(_ items: [String]) throws(ReportError) -> [Float] {
    try parseItems(items, flag: "--style-weights", { Float($0) }) { .failed(StyleControlError.weightNotANumber($0).description) }
}
