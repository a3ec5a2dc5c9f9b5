// Which algorithm runs the forward convolutions: oneDNN's direct convolution or the Winograd
// convolution written here, and the rule that picks one per layer.

import Foundation
import Synchronization

/// How a forward pass computes its 3x3 convolutions.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
    /// Per layer, by ``prefersWinograd(inChannels:outChannels:)``: Winograd F(4x4, 3x3) for the
    /// 3x3 layers where it measured faster, oneDNN's direct convolution for the others; and a 3x3
    /// layer after a nearest 2x upsampling computed with it from the smaller input
    /// (``UpsampledConvolutionForward``) where ``prefersUpsampledConvolution(inChannels:outChannels:)`` says.
    case automatic
    /// oneDNN's direct convolution for every layer (today's path; the reference for tests and benchmarks).
    case direct
    /// Winograd for every layer that can take it (a 3x3 kernel on a channel-blocked input, not a
    /// narrow last layer), even where it is slower, upsamplings included: for tests.
    case winograd

    /// `STYLECTL_CONVOLUTION` (`automatic`, `direct` or `winograd`), else ``automatic``; also
    /// ``automatic`` when the variable's value is refused (``EngineEnvironment/checkProcess()``
    /// reports it: commands refuse to start).
    public static var environment: ConvolutionAlgorithm {
        (try? EngineEnvironment.process.get())?.convolution ?? .automatic
    }

    /// The algorithm of forward passes that do not name one: ``environment`` until set (stylebench
    /// alternates it to compare both in one run). Plans are cached per algorithm, so changing it
    /// does not invalidate them.
    public static var process: ConvolutionAlgorithm {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
    private static let current = Mutex(environment)

    /// The automatic rule: Winograd for a 3x3 convolution with at least 16 input and output
    /// channels. The first convolution (3 channels, plain NCHW input) and the narrow last one
    /// (64 -> 3, ``NarrowConvolutionForward``) stay direct.
    static func prefersWinograd(inChannels: Int, outChannels: Int) -> Bool {
        inChannels >= 16 && outChannels >= 16
    }

    /// Whether a 3x3 convolution after a nearest 2x upsampling that ``UpsampledConvolutionForward``
    /// can take runs with it: for ``automatic``, by ``prefersUpsampledConvolution(inChannels:outChannels:)``;
    /// never for ``direct``, nor for ``winograd``, which tests the Winograd path on every layer.
    func fusesUpsampling(_ parameters: ConvolutionWeights) -> Bool {
        self == .automatic && Self.prefersUpsampledConvolution(inChannels: parameters.inChannels, outChannels: parameters.outChannels)
    }

    /// The automatic rule after an upsampling: the fused convolution (16 products per input pixel
    /// and channel pair, no transforms) for 16 to 64 input channels; Winograd (9 products, and
    /// transforms whose share of the work grows as the channels shrink) above. Per layer, in CPU
    /// milliseconds summed over the cores (stylebench, medians of 5 interleaved runs, a 2-core
    /// Zen 3, AVX2, two runs), Winograd against fused: pytorch-AdaIN's decoder.25 (64 -> 64 at
    /// 512x512) 213 and 184 against 170 and 162; decoder.18 (128 -> 128 at 256x256) 170 and 130
    /// against 151 and 145, no clear winner; decoder.5 (256 -> 256 at 128x128) 113 against 144.
    static func prefersUpsampledConvolution(inChannels: Int, outChannels: Int) -> Bool {
        prefersWinograd(inChannels: inChannels, outChannels: outChannels) && inChannels <= 64
    }

    /// Whether a convolution that Winograd can take (``WinogradConvolutionForward/suits(_:input:)``) runs by Winograd.
    func usesWinograd(_ parameters: ConvolutionWeights) -> Bool {
        switch self {
        case .direct: false
        case .winograd: true
        case .automatic: Self.prefersWinograd(inChannels: parameters.inChannels, outChannels: parameters.outChannels)
        }
    }
}
