// `stylectl compare-norms`: instance normalisation, conditional instance normalisation (learned
// per style) and AdaIN at the relu4_1 bottleneck of one decoder, as a report.

import Foundation
import ImageCodec
import StyleTransfer
import TensorCore

/// A comparison's parameters as given on the command line (or by a caller of the library).
public struct NormComparisonConfiguration: Sendable {
    public var contents: [String]
    public var styles: [String]
    public var contentSize: Int
    public var styleSize: Int
    public var models: ModelFiles
    /// The report folder, `<reports-dir>/<name>`.
    public var folder: String
    public var overwrite: Bool
    public var toolVersion: String
    /// How CIN is learned (ignored when `loadCIN` is given).
    public var learning: CINLearningOptions
    /// A CIN parameter file to use instead of learning (`--cin`).
    public var loadCIN: String?
    /// Where to save the learned CIN parameters (`--save-cin`).
    public var saveCIN: String?
    /// Steps of the CIN-vs-AdaIN interpolation between the first two styles (2 or more).
    public var interpolationSteps: Int

    public init(
        contents: [String], styles: [String], contentSize: Int = 256, styleSize: Int = 256, models: ModelFiles,
        folder: String, overwrite: Bool = false, toolVersion: String, learning: CINLearningOptions = CINLearningOptions(),
        loadCIN: String? = nil, saveCIN: String? = nil, interpolationSteps: Int = 5
    ) {
        self.contents = contents
        self.styles = styles
        self.contentSize = contentSize
        self.styleSize = styleSize
        self.models = models
        self.folder = folder
        self.overwrite = overwrite
        self.toolVersion = toolVersion
        self.learning = learning
        self.loadCIN = loadCIN
        self.saveCIN = saveCIN
        self.interpolationSteps = interpolationSteps
    }

    /// Checks the values without reading any file, lists and steps within ``SweepLimits``.
    public func validate() throws(NormComparisonError) {
        if contents.isEmpty { throw .emptyList(flag: "--content") }
        if styles.isEmpty { throw .emptyList(flag: "--style") }
        for (flag, count) in [("--content", contents.count), ("--style", styles.count)] where count > SweepLimits.files {
            throw .invalidValue(flag: flag, value: counted(count, "value"), expected: "at most \(counted(SweepLimits.files, "value"))")
        }
        if !(2 ... SweepLimits.steps).contains(interpolationSteps) {
            throw .invalidValue(flag: "--interpolate-steps", value: "\(interpolationSteps)", expected: "2 to \(SweepLimits.steps)")
        }
        let cells = contents.count * (3 * styles.count + 2 * interpolationSteps)
        if cells > SweepLimits.cells {
            throw .invalidValue(flag: "--content, --style", value: counted(cells, "image"), expected: "at most \(SweepLimits.cells) images per report")
        }
        for (flag, size) in [("--content-size", contentSize), ("--style-size", styleSize)] {
            do { try ImageSizing.check(size: size, option: flag) } catch {
                throw .invalidValue(flag: flag, value: "\(size)", expected: "0 to \(ImageSizing.maximumSize)")
            }
        }
        if loadCIN != nil && saveCIN != nil { throw .invalidValue(flag: "--save-cin", value: saveCIN!, expected: "no --save-cin with --cin (nothing is learned)") }
        if loadCIN == nil {
            if learning.iterations < 1 { throw .invalidValue(flag: "--iterations", value: "\(learning.iterations)", expected: "1 or more") }
            if !(learning.learningRate > 0 && learning.learningRate.isFinite) { throw .invalidValue(flag: "--lr", value: "\(learning.learningRate)", expected: "a positive number") }
            if !(learning.styleWeight >= 0 && learning.styleWeight.isFinite) { throw .invalidValue(flag: "--style-weight", value: "\(learning.styleWeight)", expected: "0 or more") }
        }
    }

    /// Reads and hashes every input, and checks a CIN file against the styles: the definition
    /// recorded in the manifest, and the loaded parameters.
    func definition() throws(NormComparisonError) -> (NormComparisonDefinition, CINParameterFile?) {
        try validate()
        func input(_ path: String, flag: String) throws(NormComparisonError) -> InputFile {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
                throw .missingInput(flag: flag, path: path)
            }
            do { return try InputFile(path: path) } catch { throw .failed(error.description) }
        }
        func inputs(_ paths: [String], flag: String) throws(NormComparisonError) -> [InputFile] {
            var files: [InputFile] = []
            for path in paths { files.append(try input(path, flag: flag)) }
            return files
        }
        var file: CINParameterFile?
        if let path = loadCIN {
            do { file = try CINParameterFile.read(path: path) } catch { throw .cinFile(error) }
            if file!.styles.count != styles.count { throw .cinFile(.styleCount(path: path, inFile: file!.styles.count, given: styles.count)) }
        }
        let steps = interpolationSteps
        let definition = NormComparisonDefinition(
            toolVersion: toolVersion,
            contents: try inputs(contents, flag: "--content"),
            styles: try inputs(styles, flag: "--style"),
            contentSize: contentSize, styleSize: styleSize,
            vgg: try input(models.vgg, flag: "--vgg"),
            decoder: try input(models.decoder, flag: "--decoder"),
            learning: loadCIN == nil ? learning : nil,
            cinFile: try loadCIN.map { path throws(NormComparisonError) in try input(path, flag: "--cin") },
            interpolationWeights: styles.count < 2 ? [] : (0 ..< steps).map { Float($0) / Float(steps - 1) })
        return (definition, file)
    }
}

/// A comparison whose inputs (read and hashed once), CIN file and report folder are checked.
public struct NormComparisonPlan: Sendable {
    public let configuration: NormComparisonConfiguration
    public let definition: NormComparisonDefinition
    let cinFile: CINParameterFile?
}

/// Checks the inputs, a CIN file, the memory a stylization of each pair needs (``StylizationMemory``)
/// and the report folder (not being written by another run: its lock is tried and released)
/// without changing anything; lets a caller fail before loading the network, then run the plan.
@discardableResult
public func checkNormComparison(_ configuration: NormComparisonConfiguration) throws(NormComparisonError) -> NormComparisonPlan {
    let (definition, file) = try configuration.definition()
    // Each content with each style against the memory available, as `stylize` checks it: a lower
    // bound, since learning CIN keeps the training network's activations besides.
    let jobs = definition.contents.flatMap { content in
        definition.styles.map { StylizationJob(content: content.path, styles: [$0.path], output: "") }
    }
    do {
        try StylizationMemory.check(jobs: jobs, contentSizing: ImageSizing(size: definition.contentSize),
                                    styleSizing: ImageSizing(size: definition.styleSize))
    } catch {
        throw .failed(error.description)
    }
    _ = try inspectComparisonFolder(configuration.folder, definition: definition, overwrite: configuration.overwrite)
    if FileManager.default.fileExists(atPath: configuration.folder) {
        do { try ReportFolder(configuration.folder).lock().release() } catch { throw .failed(error.description) }
    }
    return NormComparisonPlan(configuration: configuration, definition: definition, cinFile: file)
}

/// Checks and runs a comparison: ``checkNormComparison(_:)`` then ``runNormComparison(_:stylizer:progress:)``.
public func runNormComparison(
    _ configuration: NormComparisonConfiguration, stylizer: Stylizer, progress: (String) -> Void = { _ in }
) throws(NormComparisonError) -> NormComparisonManifest {
    try runNormComparison(try checkNormComparison(configuration), stylizer: stylizer, progress: progress)
}

/// Runs a checked comparison into its report folder and returns the manifest.
///
/// For each content image c and style s: IN (`g(IN(f(c)))`), CIN (`g(CIN(f(c), s))`, gamma and beta
/// learned here or loaded) and AdaIN (`g(AdaIN(f(c), f(s)))`), the same decoder g for all; with two
/// or more styles, the interpolation from the first style to the second with CIN (gamma, beta
/// mixed) beside AdaIN (outputs mixed, ``interpolatedAdaptiveInstanceNormalization(content:styles:weights:)``).
/// Each cell's style and content loss is ``StylizationLosses``. Writes one PNG per cell, the
/// contact sheets, `index.html` and `manifest.json`. CIN is learned on the training kernels
/// (``TrainingNetwork``) from the same sized images, then applied, like IN and AdaIN, on the
/// inference encoder's and decoder's features.
///
/// The folder is created if missing. If it holds anything but this same comparison, nothing is
/// changed and the run fails, unless `overwrite`: then only what a comparison writes there
/// (manifest, index, sheets and the old manifest's images) is removed first.
public func runNormComparison(
    _ plan: NormComparisonPlan, stylizer: Stylizer, progress: (String) -> Void = { _ in }
) throws(NormComparisonError) -> NormComparisonManifest {
    let (configuration, definition, loaded) = (plan.configuration, plan.definition, plan.cinFile)
    let folder = configuration.folder
    _ = try inspectComparisonFolder(folder, definition: definition, overwrite: configuration.overwrite)
    let lock: ReportFolderLock
    do { lock = try ReportFolder(folder).lock() } catch { throw .failed(error.description) }
    defer { lock.release() }
    try prepareComparisonFolder(folder, definition: definition, overwrite: configuration.overwrite)

    func load(_ path: String, size: Int) throws(NormComparisonError) -> RGBImage {
        do { return try ImageSizing(size: size).load(path: path) } catch { throw .failed(error.description) }
    }
    var contentImages: [RGBImage] = [], styleImages: [RGBImage] = []
    for file in definition.contents { contentImages.append(try load(file.path, size: definition.contentSize)) }
    for file in definition.styles { styleImages.append(try load(file.path, size: definition.styleSize)) }
    func tensor(_ image: RGBImage) -> Tensor { Tensor(shape: [1, 3, image.height, image.width], values: image.pixels) }
    let contentFeatures = contentImages.map(stylizer.encode)
    let styleFeatures = styleImages.map { stylizer.encoder.encodeWithIntermediates(tensor($0)) }
    let channels = contentFeatures[0].channels

    // CIN's parameters: loaded, or learned from IN.
    let cin: ConditionalInstanceNorm
    var summary = NormComparisonManifest.CINSummary(channels: channels, styles: styleImages.count, parameterCount: 2 * channels * styleImages.count)
    if let loaded, let path = configuration.loadCIN {
        guard loaded.channels == channels else { throw .cinFile(.channels(path: path, inFile: loaded.channels, expected: channels)) }
        cin = loaded.parameters
        progress("CIN: \(cin.parameterCount) parameters loaded from \(path)")
        let given = definition.styles.map { URL(fileURLWithPath: $0.path).lastPathComponent }
        if loaded.styles != given {
            progress("warning: \(path) was learned for the styles \(loaded.styles.joined(separator: ", ")), given \(given.joined(separator: ", ")); its rows are used in that order")
        }
    } else {
        progress("CIN: learning \(summary.parameterCount) parameters (\(styleImages.count) styles x 2 x \(channels)), \(definition.learning!.iterations) Adam steps per style")
        let result = learnConditionalInstanceNorm(
            encoder: TrainingNetwork(stylizer.encoder), decoder: TrainingNetwork(stylizer.decoder),
            contents: contentImages.map(tensor), styles: styleImages.map(tensor), options: definition.learning!
        ) { step in progress(step.description) }
        cin = result.parameters
        summary.learningSeconds = result.seconds
        summary.firstLoss = result.lossHistory.map { $0.first ?? .nan }
        summary.lastLoss = result.lossHistory.map { $0.last ?? .nan }
        progress(String(format: "CIN: learned in %.1f s", result.seconds))
        if let path = configuration.saveCIN {
            let file = CINParameterFile(parameters: cin, styles: definition.styles.map { URL(fileURLWithPath: $0.path).lastPathComponent },
                                        learning: definition.learning)
            do { try file.write(path: path) } catch { throw .cinFile(error) }
            summary.savedTo = URL(fileURLWithPath: path).standardizedFileURL.path
            progress("CIN: parameters saved to \(path)")
        }
    }
    let instance = ConditionalInstanceNorm.instanceNormalization(channels: channels)

    /// Decodes t, writes the cropped image and measures the losses (against `style`, if any).
    func render(_ t: Tensor, content: Int, style: [Tensor]?, name: String) throws(NormComparisonError) -> (styleLoss: Double?, contentLoss: Double) {
        let decoded = stylizer.decoder.decode(t)
        let image = Stylizer.image(from: decoded, width: contentImages[content].width, height: contentImages[content].height)
        do { try writeImage(image, path: folder + "/" + name) } catch { throw .failed(error.description) }
        let output = stylizer.encoder.encodeWithIntermediates(decoded)
        let losses = StylizationLosses(output: output, target: t, style: style.map { StyleStatistics(features: $0) })
        return (losses.style, losses.content)
    }

    var cells: [NormComparisonManifest.Cell] = [], interpolation: [NormComparisonManifest.Cell] = []
    let total = contentImages.count * (3 * styleImages.count + 2 * definition.interpolationWeights.count)
    for c in contentImages.indices {
        let f = contentFeatures[c]
        let contentName = String(format: "c%02d-", c + 1) + safeName(definition.contents[c].stem)
        for method in NormalizationMethod.allCases {
            for s in styleImages.indices {
                let t = switch method {
                case .instance: instance.apply(f, style: 0)
                case .conditional: cin.apply(f, style: s)
                case .adaptive: adaptiveInstanceNormalization(content: f, style: styleFeatures[s][styleFeatures[s].count - 1])
                }
                let name = "\(contentName)_\(method.rawValue.lowercased())_" + String(format: "s%02d-", s + 1) + safeName(definition.styles[s].stem) + ".png"
                let (styleLoss, contentLoss) = try render(t, content: c, style: styleFeatures[s], name: name)
                cells.append(.init(content: c, method: method, style: s, output: name, styleLoss: styleLoss, contentLoss: contentLoss))
                progress("[\(cells.count + interpolation.count)/\(total)] \(name): style loss \(String(format: "%.4g", styleLoss!)), content loss \(String(format: "%.4g", contentLoss))")
            }
        }
        for method in [NormalizationMethod.conditional, .adaptive] {
            for weight in definition.interpolationWeights {
                let t = switch method {
                case .conditional: cin.interpolated(weights: [1 - weight, weight] + [Float](repeating: 0, count: cin.styleCount - 2)).apply(f, style: 0)
                default: interpolatedAdaptiveInstanceNormalization(content: f, styles: [styleFeatures[0].last!, styleFeatures[1].last!], weights: [1 - weight, weight])
                }
                let name = "\(contentName)_interp-\(method.rawValue.lowercased())_w\(formatAlpha(weight)).png"
                let (_, contentLoss) = try render(t, content: c, style: nil, name: name)
                interpolation.append(.init(content: c, method: method, weight: weight, output: name, contentLoss: contentLoss))
                progress("[\(cells.count + interpolation.count)/\(total)] \(name): content loss \(String(format: "%.4g", contentLoss))")
            }
        }
    }
    var manifest = NormComparisonManifest(definition: definition, cin: summary, cells: cells, interpolation: interpolation, sheets: [])
    manifest.sheets = try writeComparisonSheets(manifest, folder: folder)
    try writeComparisonIndex(manifest, folder: folder)
    do { try manifest.write(folder: folder) } catch { throw .failed(error.description) }
    return manifest
}

/// Fails, changing nothing, when the folder holds anything but the same comparison (or is empty),
/// unless `overwrite`; returns the old manifest when there is one to replace.
func inspectComparisonFolder(_ folder: String, definition: NormComparisonDefinition, overwrite: Bool) throws(NormComparisonError) -> NormComparisonManifest? {
    let files = FileManager.default
    var isFolder: ObjCBool = false
    guard files.fileExists(atPath: folder, isDirectory: &isFolder) else { return nil }
    guard isFolder.boolValue else { throw .reportExists(folder: folder, reason: "it is a file") }
    // An unusable record is not trusted: with --overwrite, none of its names is removed.
    let old = try? NormComparisonManifest.read(folder: folder)
    if let old, old.definition == definition { return old }
    if old == nil && ReportFolder(folder).entries().isEmpty { return nil }
    let reason = old != nil ? "it holds a comparison with other inputs or settings"
        : files.fileExists(atPath: folder + "/" + NormComparisonManifest.fileName) ? "it holds another report's manifest.json" : "it holds files but no manifest.json"
    guard overwrite else { throw .reportExists(folder: folder, reason: reason) }
    return old
}

/// Checks the locked folder and removes what an earlier comparison wrote there (regular files
/// only, names checked by the record's reader).
func prepareComparisonFolder(_ folder: String, definition: NormComparisonDefinition, overwrite: Bool) throws(NormComparisonError) {
    let old = try inspectComparisonFolder(folder, definition: definition, overwrite: overwrite)
    let report = ReportFolder(folder)
    if let old {
        let names = [NormComparisonManifest.fileName, "index.html"] + old.sheets + (old.cells + old.interpolation).map(\.output)
        for name in names { report.removeFile(name) }
    }
    if overwrite && old == nil {
        for name in [NormComparisonManifest.fileName, "index.html"] { report.removeFile(name) }
    }
}
