// `stylectl compare-norms`: instance normalisation, conditional instance normalisation (learned
// per style) and AdaIN at the relu4_1 bottleneck of one decoder, as a report.

import Foundation
import ImageCodec
import StyleTransfer
import TensorCore

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
/// Each model runs in its own conventions (the stylizer's ``Stylizer/variant``): its image sizing,
/// input normalisation, and statistics for IN, CIN and AdaIN (``ModelVariant/normalizationStatistics``;
/// CIN's style loss in its trainer's statistics). The cells' losses are ``StylizationLosses``,
/// one fixed convention for every model, so that reports of different models compare.
///
/// The folder is created if missing. If it holds anything but this same comparison, nothing is
/// changed and the run fails, unless `overwrite`: then only what a comparison writes there
/// (manifest, index, sheets and the old manifest's images) is removed first.
///
/// The same comparison run again resumes: the manifest is written once CIN's parameters are ready
/// and after every cell, learned parameters are kept in the folder (``cinParametersName``), and a
/// rerun takes them and the cells whose images are there instead of learning and decoding again.
/// Learning and decoding are deterministic, so a resumed report equals an uninterrupted one.
public func runNormComparison(
    _ plan: NormComparisonPlan, stylizer: Stylizer, progress: (String) -> Void = { _ in }
) throws(ReportError) -> NormComparisonManifest {
    let (configuration, definition, loaded) = (plan.configuration, plan.definition, plan.cinFile)
    let folder = configuration.folder
    let report = ReportFolder(folder)
    _ = try report.inspect(NormComparisonManifest.self, definition: definition, overwrite: configuration.overwrite)
    let lock = try report.lock()
    defer { lock.release() }
    // What an earlier run of the same comparison finished is kept.
    let old = try report.prepare(NormComparisonManifest.self, definition: definition, overwrite: configuration.overwrite)
    var finished: [String: NormComparisonManifest.Cell] = [:]
    for cell in (old?.cells ?? []) + (old?.interpolation ?? []) where FileManager.default.fileExists(atPath: report.file(cell.output)) {
        finished[cell.output] = cell
    }

    // Every encoding and decoding goes through the one pipeline; IN and CIN build t themselves.
    let model = stylizer.variant.conventions
    let statistics = stylizer.variant.normalizationStatistics
    let pipeline = StylizationPipeline(
        stylizer: stylizer, contentSizing: model.sizing(size: definition.contentSize, crop: false),
        styleSizing: model.sizing(size: definition.styleSize, crop: false), contentCache: EncodingCache())
    var contents: [Encoding] = [], styles: [Encoding] = []
    do {
        for file in definition.contents { contents.append(try pipeline.contentEncoding(file.path)) }
        for file in definition.styles { styles.append(try pipeline.styleEncoding(file.path)) }
    } catch {
        throw .failed(error.description)
    }
    let channels = contents[0].features.channels

    // CIN's parameters: loaded, learned by an earlier run of this comparison, or learned from IN.
    let cin: ConditionalInstanceNorm
    var summary = NormComparisonManifest.CINSummary(channels: channels, styles: styles.count, parameterCount: 2 * channels * styles.count)
    let styleNames = definition.styles.map { URL(fileURLWithPath: $0.path).lastPathComponent }
    let learnedPath = report.file(cinParametersName)
    if let loaded, let path = configuration.loadCIN {
        guard loaded.channels == channels else { throw .cinFile(.channels(path: path, inFile: loaded.channels, expected: channels)) }
        cin = loaded.parameters
        progress("CIN: \(cin.parameterCount) parameters loaded from \(path)")
        if let learnedFor = definition.cinLearnedFor {
            progress("warning: \(path) was learned for the styles \(learnedFor.joined(separator: ", ")); its rows are used in that order (--allow-other-styles, recorded in the report)")
        }
    } else if let old, old.cin.lossHistory != nil, let learned = try? CINParameterFile.read(path: learnedPath),
              learned.channels == channels, learned.styles == styleNames, learned.learning == definition.learning,
              learned.model ?? .pytorchAdaIN == stylizer.variant {
        cin = learned.parameters
        summary = old.cin
        progress("CIN: \(cin.parameterCount) parameters learned by an earlier run of this comparison (\(learnedPath))")
    } else {
        progress("CIN: learning \(summary.parameterCount) parameters (\(styles.count) styles x 2 x \(channels)), \(definition.learning!.iterations) Adam steps per style")
        // The learning runs on the training kernels, from the images sized as the pipeline sizes them.
        func images(_ files: [InputFile], _ sizing: ImageSizing) throws(ReportError) -> [Tensor] {
            var tensors: [Tensor] = []
            for file in files {
                let image: RGBImage
                do { image = try sizing.load(path: file.path) } catch { throw .failed(error.description) }
                tensors.append(model.encoderInput(image))
            }
            return tensors
        }
        var timeLeft = TimeLeft()
        var lastStep = Date()
        let result = learnConditionalInstanceNorm(
            encoder: TrainingNetwork(stylizer.encoder), decoder: TrainingNetwork(stylizer.decoder),
            contents: try images(definition.contents, pipeline.contentSizing), styles: try images(definition.styles, pipeline.styleSizing),
            options: definition.learning!, statistics: statistics
        ) { step in
            // A line at the first and last step of each style and every tenth of its steps, with
            // the time left for all styles' steps.
            let now = Date()
            timeLeft.record(seconds: now.timeIntervalSince(lastStep))
            lastStep = now
            let every = max(1, step.iterations / 10)
            if step.iteration == 1 || step.iteration == step.iterations || step.iteration % every == 0 {
                progress(step.description + timeLeft.phrase(forRemaining: step.styles * step.iterations - timeLeft.done))
            }
        }
        cin = result.parameters
        summary.learningSeconds = result.seconds
        summary.lossHistory = result.lossHistory
        progress(String(format: "CIN: learned in %.1f s", result.seconds))
        do { try CINParameterFile(parameters: cin, styles: styleNames, learning: definition.learning, model: stylizer.variant).write(path: learnedPath) } catch {
            throw .cinFile(error)
        }
    }
    if definition.learning != nil, let path = configuration.saveCIN {
        do { try CINParameterFile(parameters: cin, styles: styleNames, learning: definition.learning, model: stylizer.variant).write(path: path) } catch {
            throw .cinFile(error)
        }
        summary.savedTo = URL(fileURLWithPath: path).standardizedFileURL.path
        progress("CIN: parameters saved to \(path)")
    }
    let instance = ConditionalInstanceNorm.instanceNormalization(channels: channels, statistics: statistics.adain)

    /// Decodes t, writes the cropped image and measures the losses (against `style`'s statistics, if any).
    func render(_ t: Tensor, content: Int, style: Int?, name: String) throws(ReportError) -> (styleLoss: Double?, contentLoss: Double) {
        let stylization: StylizationPipeline.Stylization
        let losses: StylizationLosses
        do {
            stylization = try pipeline.decode(t, content: contents[content], styleTarget: style.map { styles[$0].statistics! })
            losses = try pipeline.losses(of: stylization)
        } catch {
            throw .failed(error.description)
        }
        do { try writeImage(stylization.image, path: folder + "/" + name) } catch { throw .failed(error.description) }
        return (losses.style, losses.content)
    }

    // The manifest is written now and after every cell, so that a rerun resumes.
    var manifest = NormComparisonManifest(definition: definition, cin: summary, cells: [], interpolation: [], sheets: [])
    try manifest.write(folder: folder)
    let total = contents.count * (3 * styles.count + 2 * definition.interpolationWeights.count)
    var timeLeft = TimeLeft()
    /// Records cell `name`, kept from an earlier run or made by `make` (timed, with the time left).
    func record(_ name: String, interpolated: Bool, make: () throws(ReportError) -> NormComparisonManifest.Cell) throws(ReportError) {
        let position = manifest.cells.count + manifest.interpolation.count + 1
        let cell: NormComparisonManifest.Cell
        if let kept = finished[name] {
            cell = kept
            progress("[\(position)/\(total)] \(name): already done")
        } else {
            let start = Date()
            cell = try make()
            timeLeft.record(seconds: Date().timeIntervalSince(start))
            let losses = (cell.styleLoss.map { "style loss " + String(format: "%.4g", $0) + ", " } ?? "") + "content loss " + String(format: "%.4g", cell.contentLoss)
            progress("[\(position)/\(total)] \(name): \(losses)" + timeLeft.phrase(forRemaining: total - position))
        }
        if interpolated { manifest.interpolation.append(cell) } else { manifest.cells.append(cell) }
        try manifest.write(folder: folder)
    }
    for c in contents.indices {
        let f = contents[c].features
        let contentName = String(format: "c%02d-", c + 1) + safeName(definition.contents[c].stem)
        for method in NormalizationMethod.allCases {
            for s in styles.indices {
                let name = "\(contentName)_\(method.rawValue.lowercased())_" + String(format: "s%02d-", s + 1) + safeName(definition.styles[s].stem) + ".png"
                try record(name, interpolated: false) { () throws(ReportError) in
                    let t = switch method {
                    case .instance: instance.apply(f, style: 0)
                    case .conditional: cin.apply(f, style: s)
                    case .adaptive: adaptiveInstanceNormalization(content: f, style: styles[s].features, statistics: statistics.adain)
                    }
                    let (styleLoss, contentLoss) = try render(t, content: c, style: s, name: name)
                    return .init(content: c, method: method, style: s, output: name, styleLoss: styleLoss, contentLoss: contentLoss)
                }
            }
        }
        for method in [NormalizationMethod.conditional, .adaptive] {
            for weight in definition.interpolationWeights {
                let name = "\(contentName)_interp-\(method.rawValue.lowercased())_w\(formatAlpha(weight)).png"
                try record(name, interpolated: true) { () throws(ReportError) in
                    let t = switch method {
                    case .conditional: cin.interpolated(weights: [1 - weight, weight] + [Float](repeating: 0, count: cin.styleCount - 2)).apply(f, style: 0)
                    default: interpolatedAdaptiveInstanceNormalization(content: f, styles: [styles[0].features, styles[1].features], weights: [1 - weight, weight],
                                                                       statistics: statistics.adain)
                    }
                    let (_, contentLoss) = try render(t, content: c, style: nil, name: name)
                    return .init(content: c, method: method, weight: weight, output: name, contentLoss: contentLoss)
                }
            }
        }
    }
    manifest.sheets = try writeComparisonSheets(manifest, folder: folder)
    try writeCINLearningCurvePicture(manifest, folder: folder)
    try writeComparisonIndex(manifest, folder: folder)
    try manifest.write(folder: folder)
    return manifest
}
