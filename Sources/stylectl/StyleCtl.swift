// The `stylectl` command: configuration and subcommands only; the work is done by the libraries.

import ArgumentParser

@main
struct StyleCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylectl",
        abstract: "Arbitrary style transfer with Adaptive Instance Normalization (Huang & Belongie 2017) on the CPU.",
        version: "0.1.0",
        subcommands: [Stylize.self, Sweep.self, Report.self, Train.self, CompareNorms.self, Mask.self, CheckModels.self]
    )
}
