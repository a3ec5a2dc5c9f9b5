// A sweep as asked for by `stylectl sweep`'s flags or a spec file, before its files are read.

import Foundation
import StyleTransfer

/// The parameters of `stylectl sweep`, with the command's defaults, as given by flags or by a spec
/// file (``init(specFile:)``); ``configuration(models:toolVersion:)`` makes them a sweep.
///
/// Exactly one of ``styles`` (with ``masks`` optionally), ``interpolate`` and ``corners`` is set:
/// it chooses the ``SweepGrid``.
public struct SweepRequest: Sendable, Equatable {
    public var contents: [String] = []
    /// `--style`.
    public var styles: [String]?
    /// `--interpolate a,b`.
    public var interpolate: [String]?
    /// `--corners a,b,c,d`.
    public var corners: [String]?
    /// `--mask m1,m2,...` (with `--style`).
    public var masks: [String]?
    public var stretchMask = false
    /// `--steps N` of an `--interpolate` or `--corners` grid; nil is 5. Refused with `--style`,
    /// whose grid has no weights to step through (``grid()``).
    public var steps: Int?
    public var alphas: [Float] = [1]
    public var preserveColors: [ColorPreservation] = [.none]
    /// `--content-size`, `--style-size`: nil for the model's default (``StyleTransfer/ModelConventions/defaultImageSize``).
    public var contentSize: Int?
    public var styleSize: Int?
    /// `--crop`: the centre square of both images after sizing.
    public var crop = false
    /// `--mask-mode` (with `--mask`).
    public var maskMode = SpatialMask.Mode.auto
    /// `--style-weights` (with `--style`): every cell mixes the styles with these weights.
    public var styleWeights: [Float]?
    /// `--content-size a,b,...` / `--style-size a,b,...` of more than one size: the sizes swept
    /// (``contentSize`` / ``styleSize`` ignored); nil for one size.
    public var contentSizes: [Int]?
    public var styleSizes: [Int]?
    /// `--cell-size`: the contact sheets' cell side in pixels.
    public var cellSize = SheetLayout.defaultCell
    /// `--report`: the report's folder name in ``reportsDirectory``.
    public var report: String?
    public var reportsDirectory = "Reports"
    public var overwrite = false
    /// `--no-metrics`: no content and style losses.
    public var noMetrics = false
    /// `--vgg`, `--decoder`: nil to look them up as every command does (``ModelFiles/locate(vgg:decoder:environment:executablePath:)``).
    public var vgg: String?
    public var decoder: String?
    /// `--model`: nil to recognise it from the VGG file (``StyleTransfer/ModelFiles/resolvingVariant()``).
    public var model: ModelVariant?
    /// `--tile`: the side of the tiles (``SweepConfiguration/tiling``); nil: chosen from the memory.
    public var tile: Int?

    public init() {}

    /// Sets ``contentSize`` (one size) or ``contentSizes`` (several) from a list of sizes.
    public mutating func setContentSizes(_ sizes: [Int]) {
        contentSize = sizes.first ?? contentSize
        contentSizes = sizes.count == 1 ? nil : sizes
    }

    /// Sets ``styleSize`` (one size) or ``styleSizes`` (several) from a list of sizes.
    public mutating func setStyleSizes(_ sizes: [Int]) {
        styleSize = sizes.first ?? styleSize
        styleSizes = sizes.count == 1 ? nil : sizes
    }

    /// The grid and its styles, or an error naming the flags when not exactly one kind is given,
    /// when `--mask` comes without `--style`, or `--steps` without `--interpolate` or `--corners`.
    public func grid() throws(ReportError) -> (grid: SweepGrid, styles: [String]) {
        let given = [("--style", styles), ("--interpolate", interpolate), ("--corners", corners)].filter { $0.1 != nil }
        guard given.count == 1, let styleList = given[0].1 else {
            throw .invalidValue(flag: "--style", value: given.map(\.0).joined(separator: " and "),
                                expected: "exactly one of --style, --interpolate (two styles) and --corners (four styles)")
        }
        if masks != nil && styles == nil {
            throw .invalidValue(flag: "--mask", value: masks!.joined(separator: ","), expected: "--mask with --style (two or more styles)")
        }
        if let steps, given[0].0 == "--style" {
            throw .invalidValue(flag: "--steps", value: "\(steps)", expected: "--steps only with --interpolate or --corners: a --style grid has no weights to step through")
        }
        switch given[0].0 {
        case "--interpolate": return (.interpolation, styleList)
        case "--corners": return (.bilinear, styleList)
        default: return (masks == nil ? .styles : .masks, styleList)
        }
    }

    /// The report folder, `<reports-dir>/<report>`; the name must be a plain folder name.
    public func folder() throws(ReportError) -> String {
        guard let report, !report.isEmpty, !report.contains("/"), report != ".", report != ".." else {
            throw .invalidValue(flag: "--report", value: report ?? "", expected: "a plain folder name")
        }
        return URL(fileURLWithPath: reportsDirectory).appendingPathComponent(report).path
    }

    /// The sweep, checked (``SweepConfiguration/validate()``), with the weight files given. A
    /// folder among the contents or styles stands for its images, sorted by name, as `stylize`
    /// reads a folder (``imagesOfFolders(_:role:flag:)``).
    public func configuration(models: ModelFiles, toolVersion: String) throws(ReportError) -> SweepConfiguration {
        let (grid, styleList) = try grid()
        let styleFlag = [("--interpolate", interpolate), ("--corners", corners)].first { $0.1 != nil }?.0 ?? "--style"
        let defaultSize = (models.variant ?? .pytorchAdaIN).conventions.defaultImageSize
        var tiling: Tiling?
        if let tile {
            do { tiling = try Tiling(tile: tile) } catch {
                throw .invalidValue(flag: "--tile", value: "\(tile)", expected: "a multiple of 8 of at least \(Tiling.minimumTile) pixels")
            }
        }
        let configuration = SweepConfiguration(
            grid: grid, contents: try imagesOfFolders(contents, role: .content, flag: "--content"), styles: try imagesOfFolders(styleList, role: .style, flag: styleFlag),
            masks: masks ?? [], stretchMask: stretchMask, steps: steps ?? 5,
            alphas: alphas, preserveColors: preserveColors, contentSize: contentSize ?? defaultSize, styleSize: styleSize ?? defaultSize,
            models: models, folder: try folder(), overwrite: overwrite, toolVersion: toolVersion, metrics: !noMetrics,
            crop: crop, maskMode: maskMode, styleWeights: styleWeights, cellSize: cellSize, contentSizes: contentSizes, styleSizes: styleSizes,
            tiling: tiling)
        try configuration.validate()
        return configuration
    }
}

/// `paths` with each folder replaced by its .jpg, .jpeg and .png files, sorted by name, as
/// `stylize` reads a folder given as `--content` or `--style` (``ImageFiles/at(_:role:)``): an empty
/// folder is refused in its words; other paths are kept as they are (a missing file is refused
/// later, naming the flag). `flag` names the list: `role`'s flag, or `--interpolate` / `--corners`
/// for styles.
func imagesOfFolders(_ paths: [String], role: InputRole, flag: String) throws(ReportError) -> [String] {
    var images: [String] = []
    for path in paths {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            images.append(path)
            continue
        }
        do { images += try ImageFiles.at(path, role: role).paths } catch {
            guard flag != role.flag else { throw .failed(error.description) }
            throw .failed("\(flag): folder '\(path)' holds no .jpg, .jpeg or .png files")
        }
    }
    return images
}
