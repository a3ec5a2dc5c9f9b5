// Video: what a frame's stylization takes from the frames before it.

import Synchronization
import TensorCore

/// Per-channel means and standard deviations of features, one entry per (image, channel).
public struct ChannelMeanStd: Sendable, Equatable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count, "\(mean.count) means and \(std.count) stds")
        self.mean = mean
        self.std = std
    }
}

/// An exponential moving average over a video's frames, `m_k = beta * m_(k-1) + (1 - beta) * x_k`
/// started at the first frame's own value, of one of two quantities:
///
/// - ``Quantity/statistics``: the content's relu4_1 channel mean and std, which AdaIN then
///   normalises the frame with instead of its own (`(x - mean) / std`). AdaIN's per-frame
///   normalisation moves every output pixel when the frame's statistics change because its
///   content changes (an object entering, noise); the average keeps that normalisation steady.
///   It lets a change of the whole frame's brightness through, which AdaIN's own statistics
///   cancel: measured on a clip with a brightness ramp, it raises the flicker (see the README).
/// - ``Quantity/features``: the decoder's input `t` itself (after AdaIN and the alpha blend), so
///   that each frame's image is decoded from features that change smoothly; the cost is a trail
///   behind fast motion, whose length the momentum sets.
///
/// `momentum` (beta) in [0, 1): 0 is each frame's own value; 0.8 weighs about the last five
/// frames (the average's time constant is 1 / (1 - beta) frames). Frames must come in order; safe
/// from several threads. A frame of another size restarts the average.
public final class TemporalSmoothing: Sendable {
    public enum Quantity: String, Sendable, CaseIterable, Codable {
        case statistics
        case features
    }

    public let quantity: Quantity
    public let momentum: Float
    private let statisticsAverage = Mutex<ChannelMeanStd?>(nil)
    private let featureAverage = Mutex<Tensor?>(nil)

    public init(_ quantity: Quantity, momentum: Float) {
        precondition(momentum >= 0 && momentum < 1, "the smoothing's momentum is in [0, 1), got \(momentum)")
        self.quantity = quantity
        self.momentum = momentum
    }

    /// The statistics AdaIN normalises this frame with: `own` when smoothing features, else the
    /// average including `own`.
    public func statistics(_ own: ChannelMeanStd) -> ChannelMeanStd {
        guard quantity == .statistics else { return own }
        return statisticsAverage.withLock { average in
            guard var smoothed = average, smoothed.mean.count == own.mean.count else {
                average = own
                return own
            }
            for c in smoothed.mean.indices {
                smoothed.mean[c] = momentum * smoothed.mean[c] + (1 - momentum) * own.mean[c]
                smoothed.std[c] = momentum * smoothed.std[c] + (1 - momentum) * own.std[c]
            }
            average = smoothed
            return smoothed
        }
    }

    /// The decoder's input for this frame: `t` when smoothing statistics, else the average including `t`.
    public func features(_ t: Tensor) -> Tensor {
        guard quantity == .features else { return t }
        return featureAverage.withLock { average in
            guard var smoothed = average, smoothed.shape == t.shape else {
                average = t
                return t
            }
            smoothed.values.withUnsafeMutableBufferPointer { values in
                t.values.withUnsafeBufferPointer { own in
                    for i in values.indices { values[i] = momentum * values[i] + (1 - momentum) * own[i] }
                }
            }
            average = smoothed
            return smoothed
        }
    }

    /// The average so far, to carry it over a restart of the frame loop (`stylectl video --resume`):
    /// for ``Quantity/statistics`` the means then the stds (shape `[2, C, 1, 1]`), for
    /// ``Quantity/features`` the tensor `t`; nil before the first frame.
    public var average: Tensor? {
        switch quantity {
        case .statistics:
            statisticsAverage.withLock { average in
                average.map { Tensor(shape: [2, $0.mean.count, 1, 1], values: $0.mean + $0.std) }
            }
        case .features:
            featureAverage.withLock { $0 }
        }
    }

    /// Continues from an ``average`` taken before: the next frame is averaged with it.
    public func restore(_ average: Tensor) {
        switch quantity {
        case .statistics:
            precondition(average.shape[0] == 2 && average.shape[2 ... 3] == [1, 1], "statistics are restored from a [2, C, 1, 1] tensor, got \(average.shape)")
            let channels = average.shape[1]
            statisticsAverage.withLock {
                $0 = ChannelMeanStd(mean: Array(average.values[..<channels]), std: Array(average.values[channels...]))
            }
        case .features:
            featureAverage.withLock { $0 = average }
        }
    }
}
