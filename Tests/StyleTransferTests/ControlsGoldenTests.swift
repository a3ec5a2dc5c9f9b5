// Style interpolation, spatial masks and colour preservation against PyTorch (Scripts/goldens_controls.py).

import Foundation
import ImageCodec
import StyleTransfer
import Testing
import TensorCore
import TestSupport

/// The goldens of .goldens/controls/ and the seeded stylizer of .goldens/network/.
enum ControlsGoldens {
    struct Index: Decodable {
        let content: String
        let content_size: Int
        let style_size: Int
        let interp_styles: [String]
        let interp_weights: [Float]
        let interp_alpha: Float
        let mask_content: String
        let mask_content_size: Int
        let mask: String
        let mask_styles: [String]
        let mask_alpha: Float
        let label_styles: [String]
        let color_style: String
        let arrays: [String: Shape]

        struct Shape: Decodable { let shape: [Int] }
    }

    static func index() throws -> Index {
        try JSONDecoder().decode(Index.self, from: Data(contentsOf: try TestPaths.golden("controls/index.json")))
    }

    static func tensor(_ name: String) throws -> Tensor {
        let shape = try #require(try index().arrays[name]?.shape, "controls/index.json has no array \(name)")
        return Tensor(shape: shape, values: try readFloats(try TestPaths.golden("controls/\(name).f32")))
    }

    static func shared(_ relativePath: String) -> String { TestPaths.sharedImages.appendingPathComponent(relativePath).path }

    static func stylizer() throws -> Stylizer {
        let networks = try NetworkGoldens.networks.get()
        return Stylizer(encoder: networks.encoder, decoder: networks.decoder)
    }

    static func encode(_ relativePath: String, size: Int) throws -> Tensor {
        try stylizer().encode(try ImageSizing(size: size).load(path: shared(relativePath)))
    }

    /// The top-left `width` x `height` of a (1, 3, H, W) tensor as an image's pixels.
    static func cropped(_ tensor: Tensor, width: Int, height: Int) -> [Float] {
        (0 ..< 3).flatMap { c in (0 ..< height).flatMap { y in (0 ..< width).map { x in tensor[0, c, y, x] } } }
    }
}

@Suite struct ControlsGoldenTests {
    /// Unequal weights (1, 3) and alpha 0.6, as pytorch-AdaIN's style_transfer with interpolation_weights.
    @Test func interpolationMatchesPyTorch() throws {
        let index = try ControlsGoldens.index()
        let stylizer = try ControlsGoldens.stylizer()
        let content = try ControlsGoldens.encode(index.content, size: index.content_size)
        let styles = try index.interp_styles.map { try ControlsGoldens.encode($0, size: index.style_size) }
        let weights = try normalizedInterpolationWeights(index.interp_weights, styleCount: styles.count)
        #expect(weights == [0.25, 0.75])
        let target = blend(interpolatedAdaptiveInstanceNormalization(content: content, styles: styles, weights: weights),
                           content, alpha: index.interp_alpha)
        expectMatchesGolden(target, try ControlsGoldens.tensor("interp_target"), rtol: 1e-5, "interpolated target")
        let decoded = try ControlsGoldens.tensor("interp_decoded")
        expectMatchesGolden(stylizer.decoder.decode(target), decoded, rtol: 1e-4, "interpolation decoded")

        // The same through the file-level API, cropped to the content's size.
        let controls = StyleControls(styles: index.interp_styles.map(ControlsGoldens.shared),
                                     weights: index.interp_weights, alpha: index.interp_alpha)
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: ImageSizing(size: index.content_size),
                                          styleSizing: ImageSizing(size: index.style_size))
        let image = try pipeline.stylize(content: ControlsGoldens.shared(index.content), controls: controls)
        let expected = ControlsGoldens.cropped(decoded, width: image.width, height: image.height)
        #expect(maxAbsDifference(image.pixels, expected).value <= 1e-4)
    }

    /// mask.png with two styles, as AdaIN-style's test.lua (ported to torch with index_select).
    @Test func binaryMaskMatchesTorchSelection() throws {
        let index = try ControlsGoldens.index()
        let stylizer = try ControlsGoldens.stylizer()
        let content = try ControlsGoldens.encode(index.mask_content, size: index.mask_content_size)
        let styles = try index.mask_styles.map { try ControlsGoldens.encode($0, size: index.style_size) }
        let contentImage = try ImageSizing(size: index.mask_content_size).load(path: ControlsGoldens.shared(index.mask_content))
        let regions = try SpatialMask(paths: [ControlsGoldens.shared(index.mask)]).regionWeights(
            styleCount: 2, contentWidth: contentImage.width, contentHeight: contentImage.height,
            featureWidth: content.width, featureHeight: content.height)
        let target = blend(try regionAdaptiveInstanceNormalization(content: content, styles: styles, regions: regions),
                           content, alpha: index.mask_alpha)
        expectMatchesGolden(target, try ControlsGoldens.tensor("mask_target"), rtol: 1e-5, "masked target")
        let decoded = try ControlsGoldens.tensor("mask_decoded")
        expectMatchesGolden(stylizer.decoder.decode(target), decoded, rtol: 1e-4, "masked decoded")

        let controls = StyleControls(styles: index.mask_styles.map(ControlsGoldens.shared),
                                     mask: SpatialMask(paths: [ControlsGoldens.shared(index.mask)]), alpha: index.mask_alpha)
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: ImageSizing(size: index.mask_content_size),
                                          styleSizing: ImageSizing(size: index.style_size))
        let image = try pipeline.stylize(content: ControlsGoldens.shared(index.mask_content), controls: controls)
        #expect(maxAbsDifference(image.pixels, ControlsGoldens.cropped(decoded, width: image.width, height: image.height)).value <= 1e-4)
    }

    /// The mask fidelity of the binary-mask output (PyTorch's g(t)): each region's style loss against
    /// each style within 1e-4 relative of the PyTorch reference; and through the pipeline's measured
    /// losses, the same numbers for the same stylization (its own g(t), within the decoder tolerance).
    @Test func maskFidelityMatchesPyTorch() throws {
        let index = try ControlsGoldens.index()
        let stylizer = try ControlsGoldens.stylizer()
        let reference = try readFloats(try TestPaths.golden("controls/mask_fidelity_losses.f32")).map(Double.init)  // [r][s], 2 x 2
        let contentImage = try ImageSizing(size: index.mask_content_size).load(path: ControlsGoldens.shared(index.mask_content))
        let mask = SpatialMask(paths: [ControlsGoldens.shared(index.mask)])
        let output = stylizer.encoder.encodeWithIntermediates(try ControlsGoldens.tensor("mask_decoded"))
        let regions = try output.map { features in
            try mask.regionWeights(styleCount: 2, contentWidth: contentImage.width, contentHeight: contentImage.height,
                                   featureWidth: features.width, featureHeight: features.height)
        }
        var styles: [StyleStatistics] = []
        for path in index.mask_styles {
            let image = try ImageSizing(size: index.style_size).load(path: ControlsGoldens.shared(path))
            styles.append(StyleStatistics(features: stylizer.encoder.encodeWithIntermediates(stylizer.variant.conventions.encoderInput(image))))
        }
        let fidelity = try MaskFidelity(output: output, regions: regions, styles: styles)
        let flat = fidelity.losses.flatMap { $0 }
        for (ours, theirs) in zip(flat, reference) {
            #expect(abs(ours - theirs) <= 1e-4 * abs(theirs), "\(flat) against \(reference)")
        }
        let own = (reference[0] + reference[3]) / 2
        let leakage = (reference[0] / (reference[0] + reference[1]) + reference[3] / (reference[3] + reference[2])) / 2
        #expect(abs(fidelity.ownStyleLoss - own) <= 1e-4 * own && abs(fidelity.leakage - leakage) <= 1e-4 * leakage)

        let controls = StyleControls(styles: index.mask_styles.map(ControlsGoldens.shared), mask: mask, alpha: index.mask_alpha)
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: ImageSizing(size: index.mask_content_size),
                                          styleSizing: ImageSizing(size: index.style_size))
        let measured = try pipeline.losses(of: try pipeline.stylize(content: ControlsGoldens.shared(index.mask_content), controls: controls, measuring: true))
        let pipelineFidelity = try #require(measured.maskFidelity)
        #expect(abs(pipelineFidelity.ownStyleLoss - own) <= 1e-3 * own, "\(pipelineFidelity) against \(reference)")
    }

    /// A soft ramp (weighted region statistics) and a three-level label map, against an
    /// independent torch implementation of the same conventions.
    @Test(arguments: [SpatialMask.Mode.soft, .labels])
    func softAndLabelMasksMatchTorch(mode: SpatialMask.Mode) throws {
        let (mask, golden) = mode == .soft ? ("soft_mask.png", "soft_target") : ("label_mask.png", "labels_target")
        let index = try ControlsGoldens.index()
        let content = try ControlsGoldens.encode(index.mask_content, size: index.mask_content_size)
        let styleNames = mode == .soft ? index.mask_styles : index.label_styles
        let styles = try styleNames.map { try ControlsGoldens.encode($0, size: index.style_size) }
        let regions = try SpatialMask(paths: [try TestPaths.golden("controls/\(mask)").path], mode: mode).regionWeights(
            styleCount: styles.count, contentWidth: 96, contentHeight: 128, featureWidth: content.width, featureHeight: content.height)
        if mode == .soft { #expect(Set(regions.values).count > 2, "the ramp should give fractional weights") }
        let target = try regionAdaptiveInstanceNormalization(content: content, styles: styles, regions: regions)
        expectMatchesGolden(target, try ControlsGoldens.tensor(golden), rtol: 1e-5, "\(mode) target")
    }

    /// pytorch-AdaIN's coral (torch.svd square roots) on the style image, then the pipeline.
    ///
    /// coral computes in Double and rounds once to Float. Against the same formula in float64 torch
    /// (rounded once to float32) the two may differ by one rounding: 1 ulp, at most 2^-23 x |value|.
    /// Against pytorch-AdaIN's float32 coral the reference carries its own rounding: its channel
    /// sums and `torch.mm` reduce over the N pixels of the style image, and recursive summation in
    /// float32 is accurate to gamma_N = N u (u = 2^-24) relative (Higham, "Accuracy and Stability of
    /// Numerical Algorithms", 2nd ed., section 4.2), whichever BLAS kernel the machine picks.
    @Test func coralMatchesPyTorch() throws {
        let index = try ControlsGoldens.index()
        let content = try ImageSizing(size: index.content_size).load(path: ControlsGoldens.shared(index.content))
        let style = try ImageSizing(size: index.style_size).load(path: ControlsGoldens.shared(index.color_style))
        let recoloured = Tensor(shape: [1, 3, style.height, style.width], values: coral(source: style, target: content).pixels)
        let unitRoundoff = Float(0x1p-24)
        let exact = try ControlsGoldens.tensor("coral_style_f64")
        let exactScale = exact.values.reduce(0) { max($0, abs($1)) }
        let exactError = maxAbsDifference(recoloured.values, exact.values)
        #expect(exactError.value <= 2 * unitRoundoff * exactScale,
                "coral against float64 torch: \(exactError) > 1 ulp of \(exactScale)")
        let float32 = try ControlsGoldens.tensor("coral_style")
        let reductionLength = Float(style.width * style.height)
        let float32Scale = float32.values.reduce(0) { max($0, abs($1)) }
        let float32Error = maxAbsDifference(recoloured.values, float32.values)
        #expect(float32Error.value <= reductionLength * unitRoundoff * float32Scale,
                "coral against float32 torch: \(float32Error) > N u x \(float32Scale) with N = \(reductionLength)")

        let controls = StyleControls(styles: [ControlsGoldens.shared(index.color_style)], preserveColor: .coral)
        let pipeline = StylizationPipeline(stylizer: try ControlsGoldens.stylizer(), contentSizing: ImageSizing(size: index.content_size),
                                          styleSizing: ImageSizing(size: index.style_size))
        let image = try pipeline.stylize(content: ControlsGoldens.shared(index.content), controls: controls)
        let decoded = try ControlsGoldens.tensor("coral_decoded")
        #expect(maxAbsDifference(image.pixels, ControlsGoldens.cropped(decoded, width: image.width, height: image.height)).value <= 1e-4)
    }

    /// Gatys et al.'s luminance-only transfer, against an independent torch implementation.
    @Test func luminanceTransferMatchesTorch() throws {
        let index = try ControlsGoldens.index()
        let controls = StyleControls(styles: [ControlsGoldens.shared(index.color_style)], preserveColor: .luminance)
        let pipeline = StylizationPipeline(stylizer: try ControlsGoldens.stylizer(), contentSizing: ImageSizing(size: index.content_size),
                                          styleSizing: ImageSizing(size: index.style_size))
        let image = try pipeline.stylize(content: ControlsGoldens.shared(index.content), controls: controls)
        expectMatchesGolden(Tensor(shape: [1, 3, image.height, image.width], values: image.pixels),
                            try ControlsGoldens.tensor("luminance_output"), rtol: 1e-4, "luminance-only output")
    }
}
