// Naive reference implementations of the TensorCore kernels: plain loops over NCHW tensors with
// Double sums, written for clarity only. The fast kernels are tested against these.

import TensorCore

enum Reference {
    /// nn.ReflectionPad2d(p). x is (N, C, H, W) with p < H, p < W; out is (N, C, H + 2p, W + 2p).
    static func reflectionPad(_ x: Tensor, _ p: Int) -> Tensor {
        let (h, w) = (x.height, x.width)
        func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i) }
        var out = Tensor(zeros: [x.batch, x.channels, h + 2 * p, w + 2 * p])
        for n in 0 ..< x.batch {
            for c in 0 ..< x.channels {
                for y in 0 ..< h + 2 * p {
                    for xx in 0 ..< w + 2 * p {
                        out[n, c, y, xx] = x[n, c, reflect(y - p, h), reflect(xx - p, w)]
                    }
                }
            }
        }
        return out
    }

    /// Zero padding of p on every side (nn.Conv2d(padding=p)'s). out is (N, C, H + 2p, W + 2p).
    static func zeroPad(_ x: Tensor, _ p: Int) -> Tensor {
        var out = Tensor(zeros: [x.batch, x.channels, x.height + 2 * p, x.width + 2 * p])
        for n in 0 ..< x.batch {
            for c in 0 ..< x.channels {
                for y in 0 ..< x.height {
                    for xx in 0 ..< x.width { out[n, c, y + p, xx + p] = x[n, c, y, xx] }
                }
            }
        }
        return out
    }

    /// nn.MaxPool2d(2, 2) (floor mode). x is (N, C, H, W); out is (N, C, floor(H/2), floor(W/2)).
    static func maxPool2x2Floor(_ x: Tensor) -> Tensor {
        var out = Tensor(zeros: [x.batch, x.channels, x.height / 2, x.width / 2])
        for n in 0 ..< x.batch {
            for c in 0 ..< x.channels {
                for y in 0 ..< x.height / 2 {
                    for xx in 0 ..< x.width / 2 {
                        out[n, c, y, xx] = max(max(x[n, c, 2 * y, 2 * xx], x[n, c, 2 * y, 2 * xx + 1]),
                                               max(x[n, c, 2 * y + 1, 2 * xx], x[n, c, 2 * y + 1, 2 * xx + 1]))
                    }
                }
            }
        }
        return out
    }

    /// nn.Conv2d with stride 1 and no padding. x is (N, IC, H, W); weight is (OC, IC, KH, KW);
    /// out is (N, OC, H - KH + 1, W - KW + 1).
    static func convolution(_ x: Tensor, _ p: ConvolutionWeights) -> Tensor {
        let (kh, kw) = (p.kernelHeight, p.kernelWidth)
        let (ho, wo) = (x.height - kh + 1, x.width - kw + 1)
        var out = Tensor(zeros: [x.batch, p.outChannels, ho, wo])
        for n in 0 ..< x.batch {
            for o in 0 ..< p.outChannels {
                for y in 0 ..< ho {
                    for xx in 0 ..< wo {
                        var sum = Double(p.bias[o])
                        for i in 0 ..< p.inChannels {
                            for ky in 0 ..< kh {
                                for kx in 0 ..< kw {
                                    sum += Double(p.weight[((o * p.inChannels + i) * kh + ky) * kw + kx]) * Double(x[n, i, y + ky, xx + kx])
                                }
                            }
                        }
                        out[n, o, y, xx] = Float(sum)
                    }
                }
            }
        }
        return out
    }

    static func relu(_ x: Tensor) -> Tensor {
        Tensor(shape: x.shape, values: x.values.map { max($0, 0) })
    }

    /// nn.MaxPool2d(2, 2, ceil_mode=True). x is (N, C, H, W); out is (N, C, ceil(H/2), ceil(W/2)).
    static func maxPool2x2Ceil(_ x: Tensor) -> Tensor {
        let (ho, wo) = ((x.height + 1) / 2, (x.width + 1) / 2)
        var out = Tensor(zeros: [x.batch, x.channels, ho, wo])
        for n in 0 ..< x.batch {
            for c in 0 ..< x.channels {
                for y in 0 ..< ho {
                    for xx in 0 ..< wo {
                        var m = -Float.infinity
                        for dy in 0 ..< 2 where 2 * y + dy < x.height {
                            for dx in 0 ..< 2 where 2 * xx + dx < x.width { m = max(m, x[n, c, 2 * y + dy, 2 * xx + dx]) }
                        }
                        out[n, c, y, xx] = m
                    }
                }
            }
        }
        return out
    }

    /// nn.Upsample(scale_factor=2, mode='nearest'). x is (N, C, H, W); out is (N, C, 2H, 2W).
    static func upsampleNearest2x(_ x: Tensor) -> Tensor {
        var out = Tensor(zeros: [x.batch, x.channels, 2 * x.height, 2 * x.width])
        for n in 0 ..< x.batch {
            for c in 0 ..< x.channels {
                for y in 0 ..< 2 * x.height {
                    for xx in 0 ..< 2 * x.width { out[n, c, y, xx] = x[n, c, y / 2, xx / 2] }
                }
            }
        }
        return out
    }

    /// A Sequential network's layers applied one by one; returns every layer's output.
    static func forward(_ x: Tensor, _ layers: [Layer]) -> [Tensor] {
        var outputs: [Tensor] = []
        var t = x
        for layer in layers {
            switch layer.operation {
            case .convolution(let weights, let padding, let relu):
                t = convolution(padding > 0 ? reflectionPad(t, padding) : t, weights)
                if relu { t = Reference.relu(t) }
            case .zeroPaddedConvolution(let weights, let padding, let relu):
                t = convolution(zeroPad(t, padding), weights)
                if relu { t = Reference.relu(t) }
            case .maxPool2x2Ceil:
                t = maxPool2x2Ceil(t)
            case .maxPool2x2Floor:
                t = maxPool2x2Floor(t)
            case .upsampleNearest2x:
                t = upsampleNearest2x(t)
            }
            outputs.append(t)
        }
        return outputs
    }

    /// Mean and unbiased standard deviation (+ eps under the root) of every (n, c) plane.
    static func meanStd(_ x: Tensor, eps: Double = 1e-5) -> (mean: [Double], std: [Double]) {
        let count = x.height * x.width
        var means: [Double] = [], stds: [Double] = []
        for plane in 0 ..< x.batch * x.channels {
            let v = x.values[plane * count ..< (plane + 1) * count].map(Double.init)
            let m = v.reduce(0, +) / Double(count)
            let variance = v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(count - 1)
            means.append(m)
            stds.append((variance + eps).squareRoot())
        }
        return (means, stds)
    }
}

/// Seeded test data.
extension SeededRandom {
    mutating func tensor(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, values: (0 ..< shape.reduce(1, *)).map { _ in uniform() })
    }

    /// Weights scaled by 1 / sqrt(fan-in) so that activations stay of order one.
    mutating func convolution(_ oc: Int, _ ic: Int, _ k: Int) -> ConvolutionWeights {
        let scale = (3 / Float(ic * k * k)).squareRoot()
        return ConvolutionWeights(
            outChannels: oc, inChannels: ic, kernelHeight: k, kernelWidth: k,
            weight: (0 ..< oc * ic * k * k).map { _ in uniform() * scale }, bias: (0 ..< oc).map { _ in 0.1 * uniform() })
    }
}
