// Options that choose the weight files, shared by every command that runs the network.

import ArgumentParser
import StyleTransfer

struct ModelOptions: ParsableArguments {
    @Option(help: "The VGG encoder weights (vgg_normalised.pth, .pth zip or .safetensors). Default: $STYLECTL_MODELS, then Models/.")
    var vgg: String?

    @Option(help: "The decoder weights (decoder.pth, .pth zip or .safetensors). Default: $STYLECTL_MODELS, then Models/.")
    var decoder: String?

    /// Finds the files and loads the network, or fails with a message that says what to do.
    func loadStylizer() throws -> Stylizer {
        do {
            return try Stylizer(models: try ModelFiles.locate(vgg: vgg, decoder: decoder))
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

/// A failure already explained to the user: printed as `Error: <message>`, exit code 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
