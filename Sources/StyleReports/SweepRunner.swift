// Runs a sweep: each image encoded once, one decoder pass per cell, resumable, then sheets and index.

import Foundation
import ImageCodec
import StyleTransfer
import TensorCore

/// What ``runSweep(_:stylizer:progress:)`` reports after each cell.
public struct SweepProgress: Sendable {
    public var index: Int
    public var count: Int
    public var cell: SweepManifest.Cell
    /// The cell's image and result were already in the report folder.
    public var skipped: Bool

    public var description: String {
        let styles = cell.style.split(separator: ",").map { URL(fileURLWithPath: String($0)).lastPathComponent }.joined(separator: "+")
        let name = "\(URL(fileURLWithPath: cell.content).lastPathComponent) x \(styles), alpha \(formatAlpha(cell.alpha)), preserve-color \(cell.preserveColor)"
            + (cell.weight.map { ", weight \(formatAlpha($0))" } ?? "")
        let what = skipped ? "already done" : String(format: "%.2f s", cell.seconds ?? 0)
        return "[\(index + 1)/\(count)] \(name): \(what)"
    }
}

/// Runs the sweep `configuration` describes into its report folder and returns the manifest.
///
/// - The folder is created if missing. If it holds a `manifest.json` with an equal
///   ``SweepDefinition``, cells whose image exists and whose result is recorded are skipped.
///   If it holds a different manifest, or files but no manifest, the sweep fails without changing
///   anything, unless `overwrite`: then the old manifest's images, sheets and index are removed.
/// - Each content image (and each style image, per colour-preservation mode and, for coral and
///   luminance, per content) is encoded once; each cell costs one decoder pass plus one encoder pass
///   of the output for the metrics (``StylizationLosses``).
/// - The manifest is rewritten after every cell; the contact sheets and `index.html` at the end.
public func runSweep(
    _ configuration: SweepConfiguration, stylizer: Stylizer, progress: (SweepProgress) -> Void = { _ in }
) throws(SweepError) -> SweepManifest {
    let definition = try configuration.definition()
    let folder = configuration.folder
    var manifest = SweepManifest(definition: definition)
    if let previous = try prepareFolder(folder, definition: definition, overwrite: configuration.overwrite) {
        for i in manifest.cells.indices where previous.cells.indices.contains(i) {
            let old = previous.cells[i]
            if old.isDone && old.output == manifest.cells[i].output
                && FileManager.default.fileExists(atPath: folder + "/" + old.output) {
                manifest.cells[i] = old
            }
        }
    }
    try manifest.write(folder: folder)

    let encoder = SweepEncodings(stylizer: stylizer, definition: definition)
    for i in manifest.cells.indices {
        if manifest.cells[i].isDone {
            progress(SweepProgress(index: i, count: manifest.cells.count, cell: manifest.cells[i], skipped: true))
            continue
        }
        let cell = manifest.cells[i]
        let row = manifest.rows[cell.row]
        guard let mode = ColorPreservation(rawValue: cell.preserveColor) else {
            throw .invalidValue(flag: "--preserve-color", value: cell.preserveColor, expected: "none, coral or luminance")
        }
        let content = try encoder.content(row.content, mode: mode)
        let style = try encoder.style(row.style, content: row.content, mode: mode)
        let start = Date()
        let adain: Tensor
        if let weight = cell.weight {
            let second = try encoder.style(1, content: row.content, mode: mode)
            adain = interpolatedAdaptiveInstanceNormalization(
                content: content.features, styles: [style[style.count - 1], second[second.count - 1]], weights: [1 - weight, weight])
        } else {
            adain = adaptiveInstanceNormalization(content: content.features, style: style[style.count - 1])
        }
        let target = blend(adain, content.features, alpha: cell.alpha)
        let decoded = stylizer.decoder.decode(target)
        var image = crop(decoded, width: content.image.width, height: content.image.height)
        if mode == .luminance { image = recombineLuminance(image, chromaFrom: content.original) }
        do { try writeImage(image, path: folder + "/" + cell.output) } catch { throw .failed(error.description) }
        let seconds = Date().timeIntervalSince(start)
        let losses = StylizationLosses(output: stylizer.encoder.encodeWithIntermediates(decoded), target: target, style: style)
        manifest.cells[i].seconds = seconds
        manifest.cells[i].styleLoss = cell.weight == nil ? losses.style : nil
        manifest.cells[i].contentLoss = losses.content
        try manifest.write(folder: folder)
        progress(SweepProgress(index: i, count: manifest.cells.count, cell: manifest.cells[i], skipped: false))
    }
    let sheets = try writeContactSheets(manifest, folder: folder, rowsPerSheet: configuration.rowsPerSheet)
    try writeIndex(manifest, folder: folder, sheets: sheets)
    return manifest
}

/// Checks the inputs and the report folder without changing anything: fails as
/// ``runSweep(_:stylizer:progress:)`` would for empty lists, bad values, missing inputs or a folder
/// holding a different sweep (without `overwrite`). Lets a caller fail before loading the network.
public func checkSweep(_ configuration: SweepConfiguration) throws(SweepError) {
    _ = try inspectFolder(configuration.folder, definition: try configuration.definition(), overwrite: configuration.overwrite)
}

/// What is in a report folder.
enum FolderState {
    case missing
    /// Empty, or holding the same sweep's manifest (given).
    case reusable(SweepManifest?)
    /// Holding something else, to be replaced (`overwrite`); the old manifest if readable.
    case replace(SweepManifest?)
}

func inspectFolder(_ folder: String, definition: SweepDefinition, overwrite: Bool) throws(SweepError) -> FolderState {
    let files = FileManager.default
    var isFolder: ObjCBool = false
    guard files.fileExists(atPath: folder, isDirectory: &isFolder) else { return .missing }
    guard isFolder.boolValue else { throw .reportExists(folder: folder, reason: "it is a file") }
    let reason: String
    var old: SweepManifest?
    if files.fileExists(atPath: folder + "/" + SweepManifest.fileName) {
        old = try? SweepManifest.read(folder: folder)
        if let old, old.definition == definition { return .reusable(old) }
        reason = old.map { "its manifest.json differs in " + differences($0.definition, definition).joined(separator: ", ") }
            ?? "its manifest.json cannot be read"
    } else {
        if ((try? files.contentsOfDirectory(atPath: folder)) ?? []).isEmpty { return .reusable(nil) }
        reason = "it holds files but no manifest.json"
    }
    guard overwrite else { throw .reportExists(folder: folder, reason: reason) }
    return .replace(old)
}

/// Checks the report folder, creates or clears it, and returns the previous manifest of the same sweep, if any.
func prepareFolder(_ folder: String, definition: SweepDefinition, overwrite: Bool) throws(SweepError) -> SweepManifest? {
    let files = FileManager.default
    switch try inspectFolder(folder, definition: definition, overwrite: overwrite) {
    case .missing:
        do { try files.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw .failed("cannot create the report folder \(folder): \(error.localizedDescription)")
        }
        return nil
    case .reusable(let old):
        return old
    case .replace(let old):
        // Remove only what a sweep writes there.
        var names = [SweepManifest.fileName, "index.html"]
        names += ((try? files.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix("sheet-") && $0.hasSuffix(".png") }
        names += old?.cells.map(\.output) ?? []
        for name in names where !name.contains("/") { try? files.removeItem(atPath: folder + "/" + name) }
        return nil
    }
}

/// The names of the parameters in which two definitions differ.
func differences(_ a: SweepDefinition, _ b: SweepDefinition) -> [String] {
    var names: [String] = []
    if a.toolVersion != b.toolVersion { names.append("tool version") }
    if a.contents != b.contents { names.append("--content") }
    if a.styles != b.styles { names.append("--style") }
    if a.alphas != b.alphas { names.append("--alpha") }
    if a.preserveColors != b.preserveColors { names.append("--preserve-color") }
    if a.contentSize != b.contentSize { names.append("--content-size") }
    if a.styleSize != b.styleSize { names.append("--style-size") }
    if a.vgg != b.vgg { names.append("--vgg") }
    if a.decoder != b.decoder { names.append("--decoder") }
    if a.interpolationSteps != b.interpolationSteps { names.append("--interpolate/--steps") }
    return names.isEmpty ? ["its format"] : names
}

/// The top-left `width` x `height` of a (1, 3, H, W) tensor as an image (as ``Stylizer`` crops).
func crop(_ tensor: Tensor, width: Int, height: Int) -> RGBImage {
    let (h, w) = (tensor.height, tensor.width)
    let values = tensor.values
    var pixels = [Float](repeating: 0, count: 3 * width * height)
    for c in 0 ..< 3 {
        for y in 0 ..< height {
            let src = (c * h + y) * w
            let dst = (c * height + y) * width
            for x in 0 ..< width { pixels[dst + x] = values[src + x] }
        }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

/// The sweep's images and encodings, each loaded and encoded once.
final class SweepEncodings {
    struct Content {
        /// As loaded and sized.
        var original: RGBImage
        /// As encoded (the luminance image in luminance mode).
        var image: RGBImage
        var features: Tensor
    }

    let stylizer: Stylizer
    let definition: SweepDefinition
    private var contentImages: [Int: RGBImage] = [:]
    private var styleImages: [Int: RGBImage] = [:]
    private var contents: [String: Content] = [:]
    private var styles: [String: [Tensor]] = [:]

    init(stylizer: Stylizer, definition: SweepDefinition) {
        self.stylizer = stylizer
        self.definition = definition
    }

    func content(_ index: Int, mode: ColorPreservation) throws(SweepError) -> Content {
        let key = "\(index)-\(mode == .luminance)"
        if let found = contents[key] { return found }
        let original = try contentImage(index)
        let image = mode == .luminance ? luminanceImage(original) : original
        let content = Content(original: original, image: image, features: stylizer.encode(image))
        contents[key] = content
        return content
    }

    /// relu1_1 ... relu4_1 of a style image as encoded under `mode` for content `contentIndex`.
    func style(_ index: Int, content contentIndex: Int, mode: ColorPreservation) throws(SweepError) -> [Tensor] {
        let key = "\(index)-\(mode.rawValue)-\(mode == .none ? -1 : contentIndex)"
        if let found = styles[key] { return found }
        var image = try styleImage(index)
        switch mode {
        case .none: break
        case .coral: image = coral(source: image, target: try contentImage(contentIndex))
        case .luminance: image = matchLuminance(image, to: try contentImage(contentIndex))
        }
        let features = stylizer.encoder.encodeWithIntermediates(Tensor(shape: [1, 3, image.height, image.width], values: image.pixels))
        styles[key] = features
        return features
    }

    private func contentImage(_ index: Int) throws(SweepError) -> RGBImage {
        if let image = contentImages[index] { return image }
        let image = try load(definition.contents[index].path, size: definition.contentSize)
        contentImages[index] = image
        return image
    }

    private func styleImage(_ index: Int) throws(SweepError) -> RGBImage {
        if let image = styleImages[index] { return image }
        let image = try load(definition.styles[index].path, size: definition.styleSize)
        styleImages[index] = image
        return image
    }

    private func load(_ path: String, size: Int) throws(SweepError) -> RGBImage {
        do { return try ImageSizing(size: size).load(path: path) } catch { throw .failed(error.description) }
    }
}
