// The AdaIN paper's content and style losses (Eq. 7 and 8) for a stylized result, as pytorch-AdaIN's net.py.

import StyleTransfer
import TensorCore

/// The losses of one stylization, as pytorch-AdaIN's `Net.forward` (net.py) computes them with
/// `nn.MSELoss` (mean over elements), from Huang & Belongie 2017, Eq. 7 and 8:
///
/// - content loss `MSE(f(g(t)), t)` at relu4_1, with `t` the AdaIN target after the alpha blend,
/// - style loss `sum_i MSE(mean(f_i(g(t))), mean(f_i(s))) + MSE(std(f_i(g(t))), std(f_i(s)))` over
///   relu1_1, relu2_1, relu3_1 and relu4_1, with ``calcMeanStd(_:eps:)``'s statistics (unbiased
///   variance plus 1e-5 under the square root).
///
/// `g(t)` is the decoder's output as it is, before the crop to the content's size, clamping and
/// quantisation to 8 bits (as in training), and `s` is the style image as it was encoded (after
/// any colour-preservation transform).
///
/// Computed here with plain loops in Double; the training code has its own losses
/// (Sources/StyleTransfer/Training/), and the two may be merged later.
public struct StylizationLosses: Sendable, Equatable, Codable {
    public var content: Double
    public var style: Double

    public init(content: Double, style: Double) {
        self.content = content
        self.style = style
    }

    /// - Parameters:
    ///   - output: `f_i(g(t))`, the four intermediates of the decoder's output.
    ///   - target: `t`, the decoder's input.
    ///   - style: `f_i(s)`, the four intermediates of the style image.
    public init(output: [Tensor], target: Tensor, style: [Tensor]) {
        precondition(output.count == style.count && !output.isEmpty, "need the same layers of output and style")
        content = meanSquaredError(output[output.count - 1].values, target.values)
        var styleLoss = 0.0
        for (o, s) in zip(output, style) {
            let (om, os) = calcMeanStd(o)
            let (sm, ss) = calcMeanStd(s)
            styleLoss += meanSquaredError(om, sm) + meanSquaredError(os, ss)
        }
        self.style = styleLoss
    }
}

/// `nn.MSELoss()`: the mean of the squared differences.
func meanSquaredError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count && !a.isEmpty, "MSE needs equally long, non-empty arrays, got \(a.count) and \(b.count)")
    var sum = 0.0
    for i in a.indices {
        let d = Double(a[i]) - Double(b[i])
        sum += d * d
    }
    return sum / Double(a.count)
}
