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
/// The folder is created if missing. If it holds anything but this same comparison, nothing is
/// changed and the run fails, unless `overwrite`: then only what a comparison writes there
/// (manifest, index, sheets and the old manifest's images) is removed first.
public func runNormComparison(
    _ plan: NormComparisonPlan, stylizer: Stylizer, progress: (String) -> Void = { _ in }
) throws(ReportError) -> NormComparisonManifest {
    let (configuration, definition, loaded) = (plan.configuration, plan.definition, plan.cinFile)
    let folder = configuration.folder
    let report = ReportFolder(folder)
    _ = try report.inspect(NormComparisonManifest.self, definition: definition, overwrite: configuration.overwrite)
    let lock = try report.lock()
    defer { lock.release() }
    // Every image is made again: what an earlier run of the same comparison wrote goes too.
    if let old = try report.prepare(NormComparisonManifest.self, definition: definition, overwrite: configuration.overwrite) {
        report.removeReportFiles(of: old)
    }

    func load(_ path: String, size: Int) throws(ReportError) -> RGBImage {
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
    func render(_ t: Tensor, content: Int, style: [Tensor]?, name: String) throws(ReportError) -> (styleLoss: Double?, contentLoss: Double) {
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
    try manifest.write(folder: folder)
    return manifest
}
