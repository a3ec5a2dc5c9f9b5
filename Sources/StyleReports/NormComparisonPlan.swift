// A compare-norms run checked before the network is loaded: inputs, CIN file, memory, report folder.

import Foundation
import ImageCodec
import StyleTransfer

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
public func checkNormComparison(_ configuration: NormComparisonConfiguration) throws(ReportError) -> NormComparisonPlan {
    let (definition, file) = try configuration.definition()
    // Each content with each style against the memory available, as `stylize` checks it: a lower
    // bound, since learning CIN keeps the training network's activations besides.
    let jobs = definition.contents.flatMap { content in
        definition.styles.map { StylizationJob(content: content.path, styles: [$0.path], output: "") }
    }
    do {
        let model = definition.model.conventions
        try StylizationMemory.check(jobs: jobs, contentSizing: model.sizing(size: definition.contentSize, crop: false),
                                    styleSizing: model.sizing(size: definition.styleSize, crop: false))
    } catch {
        throw .failed(error.description)
    }
    try ReportFolder(configuration.folder).check(NormComparisonManifest.self, definition: definition, overwrite: configuration.overwrite)
    return NormComparisonPlan(configuration: configuration, definition: definition, cinFile: file)
}

/// Checks and runs a comparison: ``checkNormComparison(_:)`` then ``runNormComparison(_:stylizer:progress:)``.
public func runNormComparison(
    _ configuration: NormComparisonConfiguration, stylizer: Stylizer, progress: (String) -> Void = { _ in }
) throws(ReportError) -> NormComparisonManifest {
    try runNormComparison(try checkNormComparison(configuration), stylizer: stylizer, progress: progress)
}
