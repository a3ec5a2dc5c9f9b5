// `stylectl compare-norms`: IN vs CIN (learned per style) vs AdaIN at the relu4_1 bottleneck, as a report.

import ArgumentParser
import Foundation
import StyleReports
import StyleTransfer

struct CompareNorms: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare-norms",
        abstract: "Compare instance normalisation, conditional instance normalisation and AdaIN with one decoder, as a report.",
        discussion: """
            IN normalises the content features (scale 1, shift 0); CIN (Dumoulin et al. 2017) learns a scale and \
            shift per style and channel (2 x 512 x S parameters) with Adam on the content + style loss over the \
            content images, the decoder fixed, starting from IN; AdaIN takes them from each style image's \
            statistics. Writes Reports/NAME/: one PNG per cell, norms-cNN-1.png contact sheets (rows IN, CIN, \
            AdaIN; columns the styles), interpolation-cNN-1.png (CIN vs AdaIN from the first style to the second), \
            index.html with each cell's style and content loss, CIN's learning time, parameter count and learning \
            curve (cin-learning.png), cin-parameters.json and manifest.json. Every model runs (--model): each \
            with its own image sizing, input normalisation and AdaIN statistics for IN, CIN and AdaIN (CIN \
            learned with its trainer's style-loss statistics, averaged over the planes for every model); \
            the cells' losses are one fixed metric for every model. The same command run again resumes: \
            it takes the learned parameters and the finished cells. A folder holding anything else is refused \
            unless --overwrite.
            """
    )

    @Option(help: "Content images, comma-separated (CIN learns from all of them).")
    var content: String
    @Option(help: "Style images, comma-separated: the columns, and the styles CIN learns.")
    var style: String
    @Option(help: "The report's name: its folder in --reports-dir.")
    var report: String
    @Option(help: "The folder of reports.")
    var reportsDir: String = "Reports"
    @Flag(help: "Replace a report folder that holds something else.")
    var overwrite = false
    @Option(help: "Resize the content images to this many pixels as the model sizes them (pytorch-adain, torch: the shorter side; seed: both sides); 0 keeps their size. Default: the model's (512; the seed's 256).")
    var contentSize: Int?
    @Option(help: "Resize the style images to this many pixels as the model sizes them; 0 keeps their size. Default: the model's.")
    var styleSize: Int?
    @Option(help: "Adam steps per style for learning CIN.")
    var iterations: Int = CINLearningOptions().iterations
    @Option(help: "Adam's learning rate for CIN's scale and shift.")
    var lr: Float = CINLearningOptions().learningRate
    @Option(help: "The style loss's weight (the content loss's is 1).")
    var styleWeight: Float = CINLearningOptions().styleWeight
    @Option(help: "Seed of the order in which CIN visits the content images.")
    var seed: UInt64 = CINLearningOptions().seed
    @Option(help: ArgumentHelp("Use CIN parameters from this file (saved by --save-cin) instead of learning them.", valueName: "file"))
    var cin: String?
    @Option(help: ArgumentHelp("Save the learned CIN parameters to this file.", valueName: "file"))
    var saveCin: String?
    @Flag(help: "Use a --cin file learned for styles of other names, its rows in the order given (recorded in the report).")
    var allowOtherStyles = false
    @Option(help: "Steps of the interpolation from the first style to the second.")
    var interpolateSteps: Int = 5
    @OptionGroup var models: ModelOptions

    func validate() throws {
        guard !report.isEmpty, !report.contains("/"), report != ".", report != ".." else {
            throw ValidationError("'--report' must be a plain folder name, got '\(report)'.")
        }
    }

    func makeConfiguration() throws -> NormComparisonConfiguration {
        do {
            var configuration = NormComparisonConfiguration(
                contents: try parseList(content, flag: "--content"), styles: try parseList(style, flag: "--style"),
                contentSize: contentSize ?? ModelVariant.pytorchAdaIN.conventions.defaultImageSize,
                styleSize: styleSize ?? ModelVariant.pytorchAdaIN.conventions.defaultImageSize, models: ModelFiles(vgg: "", decoder: ""),
                folder: URL(fileURLWithPath: reportsDir).appendingPathComponent(report).path, overwrite: overwrite,
                toolVersion: StyleCtl.configuration.version,
                learning: CINLearningOptions(iterations: iterations, learningRate: lr, styleWeight: styleWeight, seed: seed),
                loadCIN: cin, saveCIN: saveCin, allowOtherStyles: allowOtherStyles, interpolationSteps: interpolateSteps)
            try configuration.validate()
            configuration.models = try ModelFiles.locate(vgg: models.vgg, decoder: models.decoder, variant: models.model).resolvingVariant()
            let model = (configuration.models.variant ?? .pytorchAdaIN).conventions
            configuration.contentSize = contentSize ?? model.defaultImageSize
            configuration.styleSize = styleSize ?? model.defaultImageSize
            return configuration
        } catch let error as ReportError {
            throw CommandFailure(error.description)
        } catch let error as StyleTransferError {
            throw CommandFailure(error.description)
        }
    }

    func run() throws {
        let configuration = try makeConfiguration()
        // The inputs, a CIN file and the report folder are checked before the network is loaded.
        let plan: NormComparisonPlan
        do { plan = try checkNormComparison(configuration) } catch { throw CommandFailure(error.description) }
        let stylizer = try models.loadStylizer(configuration.models)
        let interrupts = InterruptCleanup()
        defer { interrupts.uninstall() }
        do {
            _ = try runNormComparison(plan, stylizer: stylizer) { printError($0) }
        } catch {
            throw CommandFailure(error.description)
        }
        printError("compare-norms: report in \(configuration.folder)/ (index.html, manifest.json)")
    }
}
