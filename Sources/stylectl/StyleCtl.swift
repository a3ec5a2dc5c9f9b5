// The `stylectl` command: configuration and subcommands only; the work is done by the libraries.

import ArgumentParser
import Foundation
import StyleTransfer
import TensorCore

@main
struct StyleCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylectl",
        abstract: "Arbitrary style transfer with Adaptive Instance Normalization (Huang & Belongie 2017) on the CPU.",
        version: "0.1.0",
        subcommands: [Stylize.self, Sweep.self, Report.self, Figure.self, Train.self, CompareNorms.self, Mask.self, CheckModels.self, Export.self,
                      Video.self]
    )

    /// ArgumentParser's `main()`, except that an error's message is printed with its control
    /// characters escaped (``escapingControlCharacters(_:keepingNewlines:)``): a value echoed back
    /// ("The value '...' is invalid for '--mask-mode <mode>'") or a file name cannot drive the
    /// terminal. Help and version go to standard output unchanged; exit codes are ArgumentParser's
    /// (64 for a usage mistake, 1 for a failure). A refused value of the engine's environment
    /// variables (``EngineEnvironmentError``) ends a command before it reads or loads anything.
    static func main() async {
        do {
            var command = try parseAsRoot()
            try EngineEnvironment.checkProcess()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
            } else {
                FileHandle.standardError.write(Data((escapingControlCharacters(message, keepingNewlines: true) + "\n").utf8))
            }
            Foundation.exit(code.rawValue)
        }
    }
}

/// `--mask-mode auto|binary|labels|soft`, in any case.
extension SpatialMask.Mode: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}
