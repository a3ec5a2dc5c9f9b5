// `stylectl mask`: draws a spatial-control mask of any size and writes it as PNG.

import ArgumentParser
import Foundation
import ImageCodec
import StyleTransfer

struct Mask: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a mask for `stylize --mask`: halves, an ellipse, bands or a soft radial fall-off.",
        discussion: """
            halves and ellipse are binary masks for two styles (white is the first style); bands is a \
            label map of --regions grey levels, black (the top band) the first style; radial is a soft \
            mask for --mask-mode soft. Masks are written as PNG only: JPEG's lossy compression adds grey \
            levels that change a binary mask or a label map. Width and height are 1...16384, at most \
            178956970 pixels in all (the largest image stylectl reads).
            """
    )

    enum Shape: String, ExpressibleByArgument, CaseIterable {
        case halves, ellipse, bands, radial
    }

    @Option(help: "The shape of the mask.")
    var shape: Shape

    @Option(parsing: .unconditional, help: "Width in pixels (1...16384).")
    var width: Int = 512

    @Option(parsing: .unconditional, help: "Height in pixels (1...16384).")
    var height: Int = 512

    @Option(help: "Number of bands (styles) for --shape bands, at least 2. Default: 3.")
    var regions: Int?

    @Option(help: "The output image (.png).")
    var output: String

    func validate() throws {
        do { try MaskShape.checkSize(width: width, height: height) } catch { throw ValidationError(error.description) }
        let ext = (output as NSString).pathExtension.lowercased()
        guard ext == "png" else {
            throw ValidationError(escapingControlCharacters(
                "'--output' must be a .png file, got '\(output)': JPEG's lossy compression adds grey levels to a mask."))
        }
        if let regions {
            guard shape == .bands else {
                throw ValidationError("'--regions' applies to --shape bands only; \(shape.rawValue) has 2 regions.")
            }
            guard regions >= 2 else { throw ValidationError("'--regions' must be at least 2, got \(regions).") }
            guard regions <= height else { throw ValidationError("'--regions' must be at most --height (\(height)), got \(regions).") }
        }
    }

    func run() throws {
        let mask: MaskShape = switch shape {
        case .halves: .halves
        case .ellipse: .ellipse
        case .bands: .bands(regions ?? 3)
        case .radial: .radial
        }
        do {
            try writeImage(mask.image(width: width, height: height), path: output)
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
