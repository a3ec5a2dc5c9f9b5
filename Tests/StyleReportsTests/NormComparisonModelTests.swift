// compare-norms with the torch and seed models (Scripts/goldens_variants.py's seeded weights): each
// runs in its own sizing, normalisation and statistics, CIN with the model's AdaIN statistics gives
// the model's AdaIN images bit for bit, and a CIN file is bound to the model it was learned with.

import Foundation
import ImageCodec
@testable import StyleReports
import StyleTransfer
import Testing
import TensorCore
import TestSupport

@Suite struct NormComparisonModelTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("norms-models-\(UUID().uuidString)")
    let styles = [sharedImage("style/mondrian.jpg"), sharedImage("style/sketch.png")]

    static func files(_ model: ModelVariant) throws -> ModelFiles {
        let golden = { (name: String) in try TestPaths.golden("variants/\(name)").path }
        return switch model {
        case .torch: ModelFiles(vgg: try golden("torch_vgg_normalised.t7"), decoder: try golden("torch_decoder.t7"), variant: .torch)
        default: ModelFiles(vgg: try golden("seed_vgg19.pth"), decoder: try golden("seed_decoder.pth"), variant: .seed)
        }
    }

    func configuration(_ model: ModelVariant, _ name: String, loadCIN: String? = nil, saveCIN: String? = nil) throws -> NormComparisonConfiguration {
        NormComparisonConfiguration(
            contents: [sharedImage("content/cornell.jpg")], styles: styles, contentSize: 32, styleSize: 32, models: try Self.files(model),
            folder: temp.appendingPathComponent(name).path, toolVersion: "test", learning: CINLearningOptions(iterations: 2, learningRate: 0.05),
            loadCIN: loadCIN, saveCIN: saveCIN, interpolationSteps: 2)
    }

    /// The model's report: recorded as the model's, its images sized as the model sizes them (the
    /// seed's square and back, the torch model's shorter side), CIN learned in the model's statistics
    /// (finite losses), and its saved parameters bound to the model.
    @Test(arguments: [ModelVariant.torch, .seed])
    func eachModelRunsInItsOwnConventions(model: ModelVariant) throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let stylizer = try Stylizer(models: try Self.files(model))
        let saved = temp.appendingPathComponent("cin.json").path
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let config = try configuration(model, "learned", saveCIN: saved)
        let manifest = try runNormComparison(config, stylizer: stylizer)
        #expect(manifest.definition.model == model)
        #expect(manifest.cells.count == 6 && manifest.interpolation.count == 4)
        let content = try readImage(path: sharedImage("content/cornell.jpg"))
        for cell in manifest.cells {
            let image = try readImage(path: config.folder + "/" + cell.output)
            // The seed runs at 32 x 32 and resizes its output back to the content's size (infer.py);
            // the torch model's shorter side is 32, the longer truncated (image.scale).
            let expected = model == .seed ? (content.width, content.height)
                : (content.width >= content.height ? (32 * content.width / content.height, 32) : (32, 32 * content.height / content.width))
            #expect((image.width, image.height) == expected, "\(cell.output) is \(image.width)x\(image.height)")
            #expect(cell.contentLoss.isFinite && cell.styleLoss?.isFinite == true)
        }
        let history = try #require(manifest.cin.lossHistory)
        #expect(history.allSatisfy { $0.allSatisfy(\.isFinite) })
        let page = try String(contentsOfFile: config.folder + "/index.html", encoding: .utf8)
        #expect(page.contains("<tr><th>model</th><td>\(model.conventions.title) (--model \(model.rawValue))"))
        let file = try CINParameterFile.read(path: saved)
        #expect(file.model == model && file.parameters.statistics == model.conventions.statistics)

        // The file, given to a run of pytorch-AdaIN's model, is refused naming both models; nothing is written.
        var other = try configuration(model, "other", loadCIN: saved)
        other.models = ModelFiles(vgg: "vgg.pth", decoder: "decoder.pth", variant: .pytorchAdaIN)
        #expect(throws: ReportError.cinFile(.otherModel(path: saved, inFile: model, given: .pytorchAdaIN))) { try checkNormComparison(other) }
        #expect(!FileManager.default.fileExists(atPath: other.folder))
        #expect(CINFileError.otherModel(path: saved, inFile: model, given: .pytorchAdaIN).description.contains("--model \(model.rawValue)"))
    }

    /// CIN whose rows are AdaIN's statistics of the styles in the model's convention gives the
    /// model's AdaIN images bit for bit; in pytorch-AdaIN's convention (the mutation) its t differs.
    @Test(arguments: [ModelVariant.torch, .seed])
    func cinWithTheModelsAdaINStatisticsGivesItsAdaINImages(model: ModelVariant) throws {
        defer { try? FileManager.default.removeItem(at: temp) }
        let stylizer = try Stylizer(models: try Self.files(model))
        let sizing = model.conventions.sizing(size: 32, crop: false)
        let features = try styles.map { stylizer.encode(try sizing.load(path: $0)) }
        let statistics = model.normalizationStatistics.adain
        let path = temp.appendingPathComponent("adain.json").path
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let names = styles.map { URL(fileURLWithPath: $0).lastPathComponent }
        try CINParameterFile(parameters: ConditionalInstanceNorm(adainStatisticsOf: features, statistics: statistics), styles: names,
                             learning: nil, model: model).write(path: path)
        let config = try configuration(model, "adain", loadCIN: path)
        let manifest = try runNormComparison(config, stylizer: stylizer)
        let cin = manifest.cells.filter { $0.method == .conditional }, adain = manifest.cells.filter { $0.method == .adaptive }
        #expect(cin.count == 2 && adain.count == 2)
        for (a, b) in zip(cin, adain) {
            #expect(try Data(contentsOf: URL(fileURLWithPath: config.folder + "/" + a.output)) == Data(contentsOf: URL(fileURLWithPath: config.folder + "/" + b.output)))
            #expect(a.styleLoss == b.styleLoss && a.contentLoss == b.contentLoss)
        }
        let f = stylizer.encode(try model.conventions.sizing(size: 32, crop: false).load(path: sharedImage("content/cornell.jpg")))
        let adaIN = adaptiveInstanceNormalization(content: f, style: features[0], statistics: statistics)
        #expect(ConditionalInstanceNorm(adainStatisticsOf: features, statistics: statistics).apply(f, style: 0).values == adaIN.values)
        #expect(ConditionalInstanceNorm(adainStatisticsOf: features).apply(f, style: 0).values != adaIN.values)
    }
}
