// `stylectl check-models`: load the weight files and check them against the architecture.

import ArgumentParser
import StyleTransfer

struct CheckModels: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load the encoder and decoder weights and check every key and shape against the network."
    )

    @OptionGroup var models: ModelOptions

    func run() throws {
        let files = try models.locate()
        let stylizer = try models.loadStylizer(files)
        print("ok: \(files.vgg) (VGG encoder to relu4_1) and \(files.decoder) (decoder) fit the network of \(stylizer.variant.conventions.title)")
    }
}
