// Bad style-control input: each error names the flag at fault.

import Foundation
import ImageCodec
import StyleTransfer
import Testing
import TensorCore
import TestSupport

@Suite struct ControlsErrorTests {
    /// The message of the ``StyleControlError`` `body` throws, or nil when it succeeds.
    func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as StyleControlError {
            return error.description
        } catch {
            return "not a StyleControlError: \(error)"
        }
    }

    /// The message of validating typed controls built from list texts as `stylectl` splits them
    /// (``commaList(_:flag:)``; weights must be numbers here: `stylectl`'s parse of them is tested there).
    func controls(
        styles: String = "a.jpg,b.jpg", weights: String? = nil, masks: String? = nil, maskMode: String = "auto",
        preserveColor: String? = nil, alpha: Float = 1
    ) -> String? {
        message {
            let mask = try masks.map { SpatialMask(paths: try commaList($0, flag: "--mask"), mode: try SpatialMask.Mode(parsing: maskMode)) }
            try StyleControls(
                styles: try commaList(styles, flag: "--style"), weights: try weights.map { try commaList($0, flag: "--style-weights").map { Float($0)! } },
                mask: mask, preserveColor: try preserveColor.map { try ColorPreservation(parsing: $0) } ?? .none, alpha: alpha
            ).validate()
        }
    }

    @Test(arguments: ["1", "1,2,3"])
    func weightCountMustMatchTheStyles(weights: String) {
        let text = controls(weights: weights)
        #expect(text?.contains("--style-weights") == true && text?.contains("2 styles") == true, "\(text ?? "no error")")
    }

    @Test(arguments: ["1,-1", "0,0", "1,inf", "1,nan"])
    func weightsMustBeNonNegativeNumbersNotAllZero(weights: String) {
        let text = controls(weights: weights)
        #expect(text?.contains("--style-weights") == true, "\(text ?? "no error")")
    }

    @Test func validWeightsAreNormalised() throws {
        let controls = StyleControls(styles: ["a.jpg", "b.jpg", "c.jpg"], weights: [1, 3, 0])
        #expect(try controls.normalizedWeights() == [0.25, 0.75, 0])
        #expect(try StyleControls(styles: ["a.jpg", "b.jpg"]).normalizedWeights() == [0.5, 0.5])
    }

    @Test func weightsCannotBeCombinedWithAMask() {
        let text = controls(weights: "1,1", masks: "m.png")
        #expect(text?.contains("--style-weights") == true && text?.contains("--mask") == true, "\(text ?? "no error")")
    }

    /// styles, masks, mode.
    @Test(arguments: [["a.jpg,b.jpg", "m.png,n.png,o.png", "auto"], ["a.jpg,b.jpg,c.jpg", "m.png", "binary"],
                      ["a.jpg,b.jpg,c.jpg", "m.png", "soft"], ["a.jpg,b.jpg", "m.png,n.png", "labels"]])
    func maskCountMustFitTheStyles(input: [String]) {
        let text = controls(styles: input[0], masks: input[1], maskMode: input[2])
        #expect(text?.contains("--mask") == true, "\(text ?? "no error")")
    }

    @Test func maskWithMoreRegionsThanStyles() {
        let text = message {
            _ = try SpatialMask(paths: ["bands.png"], mode: .labels).regionWeights(
                images: [.floats(MaskShape.bands(4).image(width: 32, height: 32))], styleCount: 3, featureWidth: 4, featureHeight: 4)
        }
        #expect(text?.contains("--mask") == true && text?.contains("bands.png") == true
                && text?.contains("more regions than styles") == true, "\(text ?? "no error")")
    }

    /// A label map of 3 or 4 levels with 2 styles is not silently thresholded in auto mode: the
    /// message names the colours and the style count, and binary and soft modes still read it.
    @Test(arguments: [3, 4])
    func autoModeRefusesALabelMapForTwoStyles(levels: Int) throws {
        let bands = MaskShape.bands(levels).image(width: 32, height: 32)
        let text = message {
            _ = try SpatialMask(paths: ["bands.png"]).regionWeights(images: [.floats(bands)], styleCount: 2, featureWidth: 4, featureHeight: 4)
        }
        let colours = levels == 3 ? "3 colours (#000000, #808080, #FFFFFF)" : "4 colours (#000000, #555555, #AAAAAA, #FFFFFF)"
        #expect(text == "--mask: 'bands.png' has \(colours) but --style gives 2 styles; --mask-mode auto reads one mask for two styles only when it is black and white. For a label map give one style per colour; to threshold grey levels at 0.5 use --mask-mode binary, to use them as weights --mask-mode soft", "\(text ?? "no error")")
        for mode in [SpatialMask.Mode.binary, .soft] {
            let weights = try SpatialMask(paths: ["bands.png"], mode: mode).regionWeights(images: [.floats(bands)], styleCount: 2, featureWidth: 4, featureHeight: 4)
            #expect(weights.regions == 2)
        }
        let twoColours = try SpatialMask(paths: ["halves.png"]).regionWeights(
            images: [.floats(MaskShape.halves.image(width: 32, height: 32))], styleCount: 2, featureWidth: 4, featureHeight: 4)
        #expect(Array(twoColours.values.prefix(4)) == [1, 1, 0, 0])
    }

    /// `stylectl mask --width 3037000500 --height 3037000500` crashed: 3037000500^2 overflows Int.
    @Test(arguments: [(3_037_000_500, 3_037_000_500), (0, 10), (10, -1), (16385, 1), (16384, 16384), (Int.max, Int.max)])
    func maskSizesAreBoundedWithoutOverflow(size: (Int, Int)) {
        let text = message { try MaskShape.checkSize(width: size.0, height: size.1) }
        #expect(text == "a mask must be 1...16384 pixels wide and high and have at most 178956970 pixels, got --width \(size.0) --height \(size.1)", "\(text ?? "no error")")
    }

    @Test func maskSizesWithinTheBoundsPass() throws {
        try MaskShape.checkSize(width: 1, height: 16384)
        try MaskShape.checkSize(width: 16384, height: 10922)  // 178,946,048 pixels
    }

    @Test func aRegionTooSmallForTheFeatureMap() {
        // A 64 x 64 mask with a 4-pixel white corner: one position of the 8 x 8 feature map.
        var pixels = [Float](repeating: 0, count: 3 * 64 * 64)
        for c in 0 ..< 3 { for y in 0 ..< 8 { for x in 0 ..< 8 { pixels[(c * 64 + y) * 64 + x] = 1 } } }
        let text = message {
            let regions = try SpatialMask(paths: ["corner.png"]).regionWeights(
                images: [.floats(RGBImage(width: 64, height: 64, pixels: pixels))], styleCount: 2, featureWidth: 8, featureHeight: 8)
            let content = Tensor(zeros: [1, 1, 8, 8])
            _ = try regionAdaptiveInstanceNormalization(content: content, styles: [content, content], regions: regions)
        }
        #expect(text?.contains("--mask") == true && text?.contains("style 1") == true, "\(text ?? "no error")")
    }

    @Test(arguments: ["sepia", "", "yes"])
    func unknownColorPreservation(value: String) {
        let text = controls(preserveColor: value)
        #expect(text?.contains("--preserve-color") == true && text?.contains("coral") == true, "\(text ?? "no error")")
    }

    @Test func unknownMaskMode() {
        let text = controls(masks: "m.png", maskMode: "fuzzy")
        #expect(text?.contains("--mask-mode") == true, "\(text ?? "no error")")
    }

    @Test func missingFilesNameTheirFlag() throws {
        let networks = try NetworkGoldens.networks.get()
        let pipeline = StylizationPipeline(stylizer: Stylizer(encoder: networks.encoder, decoder: networks.decoder),
                                          contentSizing: ImageSizing(size: 64), styleSizing: ImageSizing(size: 64))
        let content = ControlsGoldens.shared("content/blonde_girl.jpg")
        let style = ControlsGoldens.shared("style/sketch.png")
        let missing = "/nonexistent/x.png"
        let cases: [(StyleControls, String)] = [
            (StyleControls(styles: [style, missing], weights: [1, 1]), "--style"),
            (StyleControls(styles: [style, style], mask: SpatialMask(paths: [missing])), "--mask"),
        ]
        for (controls, flag) in cases {
            let text = message { _ = try pipeline.stylize(content: content, controls: controls) }
            #expect(text?.contains(flag) == true && text?.contains(missing) == true, "\(text ?? "no error")")
        }
        let text = message { _ = try pipeline.stylize(content: missing, controls: StyleControls(styles: [style])) }
        #expect(text?.contains("--content") == true, "\(text ?? "no error")")
    }

    @Test func alphaOutOfRange() {
        let text = controls(alpha: 1.5)
        #expect(text?.contains("alpha") == true, "\(text ?? "no error")")
    }
}
