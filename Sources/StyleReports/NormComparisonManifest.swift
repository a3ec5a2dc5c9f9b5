// Reports/NAME/manifest.json of `stylectl compare-norms`: what was compared and each cell's result.

import Foundation
import StyleTransfer

/// The three normalisations at the relu4_1 bottleneck, in the order of the contact sheet's rows.
public enum NormalizationMethod: String, Codable, CaseIterable, Sendable {
    /// Instance normalisation: gamma 1, beta 0.
    case instance = "IN"
    /// Conditional instance normalisation: gamma, beta learned per style.
    case conditional = "CIN"
    /// AdaIN: gamma, beta from the style image's statistics.
    case adaptive = "AdaIN"
}

/// Everything that determines the comparison's images: a folder holding a manifest with an equal
/// definition is the same report, and may be written again.
public struct NormComparisonDefinition: Codable, Equatable, Sendable {
    public var kind = "compare-norms"
    public var toolVersion: String
    public var contents: [InputFile]
    public var styles: [InputFile]
    public var contentSize: Int
    public var styleSize: Int
    public var vgg: InputFile
    public var decoder: InputFile
    /// How CIN's parameters were learned; nil when they were loaded (`cinFile`).
    public var learning: CINLearningOptions?
    /// The loaded CIN parameter file (`--cin`).
    public var cinFile: InputFile?
    /// The styles `cinFile` was learned for, when they are not the given ones and
    /// `--allow-other-styles` used its rows in order anyway; nil otherwise (and in older manifests).
    public var cinLearnedFor: [String]?
    /// Weights of the second style in the CIN-vs-AdaIN interpolation strip (none with one style).
    public var interpolationWeights: [Float]
    /// The model run, each in its own statistics and image handling; read as pytorch-adain
    /// from a manifest written before it was recorded (``RecordedModel``).
    @RecordedModel public var model: ModelVariant = .pytorchAdaIN
}

/// The record of a comparison.
public struct NormComparisonManifest: JSONRecord, Equatable, Sendable {
    /// One image: a method with one style, or (in the interpolation strip) a mix of styles 1 and 2.
    public struct Cell: Codable, Equatable, Sendable {
        public var content: Int
        public var method: NormalizationMethod
        /// The style's index; nil in the interpolation strip.
        public var style: Int?
        /// The second style's weight in the interpolation strip (the first's is 1 - weight).
        public var weight: Float?
        /// The image's file name in the report folder.
        public var output: String
        /// Against the cell's style; nil in the interpolation strip (no single style).
        public var styleLoss: Double?
        public var contentLoss: Double
    }

    /// CIN's parameters: their count and, when learned here, the cost and the loss before and after.
    public struct CINSummary: Codable, Equatable, Sendable {
        public var channels: Int
        public var styles: Int
        /// 2 x C x S.
        public var parameterCount: Int
        public var learningSeconds: Double?
        /// Per style, the total loss before each Adam step, in step order (``StyleTransfer/CINLearningResult/lossHistory``).
        public var lossHistory: [[Float]]?
        /// Where the learned parameters were saved (`--save-cin`).
        public var savedTo: String?
    }

    public var definition: NormComparisonDefinition
    public var cin: CINSummary
    public var cells: [Cell]
    public var interpolation: [Cell]
    /// Contact sheet file names: one per content image, then the interpolation strips.
    public var sheets: [String]
    public var metricsNote = "pytorch-AdaIN net.py losses (MSE): content = MSE(relu4_1(g(t)), t) with t the normalised features (IN, CIN or AdaIN output), style = sum over relu1_1..relu4_1 of MSE of channel means and stds (unbiased, +1e-5) against the column's style image; g(t) is the decoder output before cropping and quantisation."

    public static let fileName = "manifest.json"

    /// Refuses a record whose images or sheets are not plain file names (``ReportFileName``), or
    /// whose cells name contents or styles the definition does not have.
    public func validate(record: String) throws(ReportError) {
        let d = definition
        if d.contents.count > SweepLimits.files || d.styles.count > SweepLimits.files || cells.count + interpolation.count > SweepLimits.cells {
            throw .invalidRecord(file: record, reason: "more than \(SweepLimits.files) inputs or \(SweepLimits.cells) cells")
        }
        for (i, sheet) in sheets.enumerated() { _ = try ReportFileName.check(sheet, field: "sheets[\(i)]", record: record) }
        for (list, key) in [(cells, "cells"), (interpolation, "interpolation")] {
            for (i, cell) in list.enumerated() {
                _ = try ReportFileName.check(cell.output, field: "\(key)[\(i)].output", record: record)
                if !d.contents.indices.contains(cell.content) || !(cell.style.map(d.styles.indices.contains) ?? true) {
                    throw .invalidRecord(file: record, reason: "\(key)[\(i)] names a content or style the definition does not have")
                }
            }
        }
    }
}

/// The file in a compare-norms report folder holding the CIN parameters learned there
/// (``StyleTransfer/CINParameterFile``), for a rerun of the same comparison to resume from.
public let cinParametersName = "cin-parameters.json"
