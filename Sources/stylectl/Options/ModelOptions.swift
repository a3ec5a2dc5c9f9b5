// Options that choose the weight files, shared by every command that runs the network.

import ArgumentParser
import StyleTransfer

struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The model the weights belong to: pytorch-adain (naoto0804/pytorch-AdaIN's .pth), torch (AdaIN-style's .t7) or seed (aadhithya/AdaIN-pytorch: torchvision's VGG-19 .pth and its decoder).",
        discussion: "Default: recognised from the VGG file's format and keys; pytorch-adain when none is found."))
    var model: ModelVariant?

    @Option(help: "The VGG encoder weights (vgg_normalised.pth, .pth zip or .safetensors; vgg_normalised.t7; vgg19-dcbb9e9d.pth). Default: $STYLECTL_MODELS, then Models/.")
    var vgg: String?

    @Option(help: "The decoder weights (decoder.pth, .pth zip or .safetensors; decoder.t7; the seed's decoder .pth). Default: $STYLECTL_MODELS, then Models/.")
    var decoder: String?

    /// Finds the weight files and the model they are run as (`--model`, else recognised from the
    /// VGG file: only its few identifying tensors are read), or fails with a message that says what to do.
    func locate() throws -> ModelFiles {
        do { return try ModelFiles.locate(vgg: vgg, decoder: decoder, variant: model).resolvingVariant() } catch {
            throw CommandFailure(error.description)
        }
    }

    /// Finds the files and loads the network, or fails with a message that says what to do.
    func loadStylizer() throws -> Stylizer {
        try loadStylizer(try locate())
    }

    /// Loads the network from files found by ``locate()``.
    func loadStylizer(_ files: ModelFiles) throws -> Stylizer {
        do { return try Stylizer(models: files) } catch { throw CommandFailure(error.description) }
    }
}

extension ModelVariant: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension ModelFiles {
    /// The weight files as inputs an output must not replace, with their roles.
    var inputs: [(role: InputRole, path: String)] { [(.vgg, vgg), (.decoder, decoder)] }
}

/// A failure already explained to the user: printed as `Error: <message>`, exit code 1. Control
/// characters (of file names in the message) are escaped (``escapingControlCharacters(_:keepingNewlines:)``).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = escapingControlCharacters(description, keepingNewlines: true) }
}
