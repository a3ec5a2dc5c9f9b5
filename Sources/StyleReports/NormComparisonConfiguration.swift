// The parameters of `stylectl compare-norms`, checked, and the definition they give once inputs are read.

import Foundation
import ImageCodec
import StyleTransfer

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
    /// Use a `loadCIN` file learned for styles of other names, its rows in order (`--allow-other-styles`);
    /// recorded in the definition (``NormComparisonDefinition/cinLearnedFor``) and shown on the page.
    public var allowOtherStyles: Bool
    /// Steps of the CIN-vs-AdaIN interpolation between the first two styles (2 or more).
    public var interpolationSteps: Int

    public init(
        contents: [String], styles: [String], contentSize: Int = 256, styleSize: Int = 256, models: ModelFiles,
        folder: String, overwrite: Bool = false, toolVersion: String, learning: CINLearningOptions = CINLearningOptions(),
        loadCIN: String? = nil, saveCIN: String? = nil, allowOtherStyles: Bool = false, interpolationSteps: Int = 5
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
        self.allowOtherStyles = allowOtherStyles
        self.interpolationSteps = interpolationSteps
    }

    /// Checks the values without reading any file, lists and steps within ``SweepLimits``.
    public func validate() throws(ReportError) {
        if contents.isEmpty { throw .noImages(flag: "--content") }
        if styles.isEmpty { throw .noImages(flag: "--style") }
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
        for (role, size) in [(InputRole.content, contentSize), (.style, styleSize)] {
            do { try ImageSizing.check(size: size, of: role) } catch {
                throw .invalidValue(flag: role.sizeFlag!, value: "\(size)", expected: "0 to \(ImageSizing.maximumSize)")
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
    func definition() throws(ReportError) -> (NormComparisonDefinition, CINParameterFile?) {
        try validate()
        func input(_ path: String, flag: String) throws(ReportError) -> InputFile {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
                throw .missingInput(flag: flag, path: path)
            }
            do { return try InputFile(path: path) } catch { throw .failed(error.description) }
        }
        func inputs(_ paths: [String], flag: String) throws(ReportError) -> [InputFile] {
            var files: [InputFile] = []
            for path in paths { files.append(try input(path, flag: flag)) }
            return files
        }
        var file: CINParameterFile?
        if let path = loadCIN {
            do { file = try CINParameterFile.read(path: path) } catch { throw .cinFile(error) }
            if file!.styles.count != styles.count { throw .cinFile(.styleCount(path: path, inFile: file!.styles.count, given: styles.count)) }
            let (learnedWith, running) = (file!.model ?? .pytorchAdaIN, models.variant ?? .pytorchAdaIN)
            if learnedWith != running { throw .cinFile(.otherModel(path: path, inFile: learnedWith, given: running)) }
        }
        // A CIN file's rows belong to the styles it was learned for (by file name).
        let given = styles.map { URL(fileURLWithPath: $0).lastPathComponent }
        var learnedFor: [String]?
        if let file, let path = loadCIN, file.styles != given {
            guard allowOtherStyles else { throw .cinFile(.otherStyles(path: path, learned: file.styles, given: given)) }
            learnedFor = file.styles
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
            cinFile: try loadCIN.map { path throws(ReportError) in try input(path, flag: "--cin") },
            cinLearnedFor: learnedFor,
            interpolationWeights: styles.count < 2 ? [] : (0 ..< steps).map { Float($0) / Float(steps - 1) },
            model: models.variant ?? .pytorchAdaIN)
        return (definition, file)
    }
}
