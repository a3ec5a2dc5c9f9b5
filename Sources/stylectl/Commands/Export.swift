// `stylectl export --onnx FILE`: the loaded model (encoder, AdaIN with alpha, decoder) as an ONNX
// file for ONNX Runtime.

import ArgumentParser
import StyleTransfer

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the encoder, AdaIN with alpha and the decoder as an ONNX model (opset 11) for ONNX Runtime.",
        discussion: """
        Inputs content_img (1,3,H,W) and style_img (1,3,H',W'), RGB in [0,1], and alpha (shape [1]); \
        output output_img (1,3,H,W), clamped to [0,1]: times 255 and rounded, stylize's 8-bit image.
        """
    )

    @Option(help: "The ONNX file to write (.onnx); its folder must exist.")
    var onnx: String

    @Option(parsing: .unconditional, help: "Fixed height and width of the content and style images, a multiple of 8 (default 512).")
    var size: Int?

    @Flag(help: "Any height and width, the content's and the style's independent (instead of --size).")
    var dynamic = false

    @OptionGroup var models: ModelOptions

    /// The images' size the flags ask for.
    var exportSize: ONNXExportSize { dynamic ? .dynamic : .fixed(size ?? 512) }

    func validate() throws {
        if dynamic, let size { throw ValidationError("--size \(size) and --dynamic exclude each other: a graph has a fixed size or a dynamic one.") }
        do { try ONNXExport.check(size: exportSize) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        // The output path first, so that it is refused even when the weights are missing; then
        // again with the weight files found, which it must not replace.
        do { try ONNXExport.check(output: onnx, inputs: []) } catch { throw CommandFailure(error.description) }
        let files = try models.locate()
        do { try ONNXExport.check(output: onnx, inputs: files.inputs) } catch { throw CommandFailure(error.description) }
        let stylizer = try models.loadStylizer(files)
        do {
            try ONNXExport.write(stylizer, size: exportSize, producerVersion: StyleCtl.configuration.version, to: onnx)
        } catch {
            throw CommandFailure(error.description)
        }
        let sides = switch exportSize {
        case .fixed(let side): "\(side)x\(side)"
        case .dynamic: "dynamic height and width"
        }
        print("wrote \(escapingControlCharacters(onnx, keepingNewlines: false)): opset \(StylizationGraphBuilder.opsetVersion), \(sides), inputs content_img, style_img, alpha; output output_img")
    }
}
