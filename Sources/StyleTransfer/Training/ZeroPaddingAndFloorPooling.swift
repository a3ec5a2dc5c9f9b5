// The two layers of the seed model's encoder (torchvision's VGG-19, ModelVariant.seed) that
// pytorch-AdaIN's lacks, forward and backward for training on plain NCHW tensors: zero padding
// (`nn.Conv2d(padding=1)`) and 2x2 max-pooling in floor mode (`nn.MaxPool2d(2, 2)`).

import TensorCore

enum SeedTrainingKernels {
    /// Zero padding by `padding` on every side: (N, C, H, W) to (N, C, H + 2p, W + 2p), the border 0.
    static func zeroPadForward(_ x: Tensor, padding p: Int) -> Tensor {
        if p == 0 { return x }
        let (n, c, h, w) = (x.batch, x.channels, x.height, x.width)
        let (ho, wo) = (h + 2 * p, w + 2 * p)
        var out = Tensor(zeros: [n, c, ho, wo])
        for plane in 0 ..< n * c {
            for y in 0 ..< h {
                let (src, dst) = ((plane * h + y) * w, (plane * ho + y + p) * wo + p)
                for xx in 0 ..< w { out.values[dst + xx] = x.values[src + xx] }
            }
        }
        return out
    }

    /// Backward of ``zeroPadForward(_:padding:)``: the inner H x W of `dOut` (the border's gradient
    /// goes nowhere), accumulated into `dInput` (N, C, H, W).
    static func zeroPadBackward(_ dOut: Tensor, padding p: Int, accumulatingInto dInput: inout Tensor) {
        let (n, c, h, w) = (dInput.batch, dInput.channels, dInput.height, dInput.width)
        let (ho, wo) = (h + 2 * p, w + 2 * p)
        precondition(dOut.shape == [n, c, ho, wo], "padded gradient \(dOut.shape) does not match input \(dInput.shape)")
        for plane in 0 ..< n * c {
            for y in 0 ..< h {
                let (src, dst) = ((plane * ho + y + p) * wo + p, (plane * h + y) * w)
                for xx in 0 ..< w { dInput.values[dst + xx] += dOut.values[src + xx] }
            }
        }
    }

    /// The top-left (N, C, 2 floor(H/2), 2 floor(W/2)) of `x`: what floor-mode pooling reads (a last
    /// odd row or column is dropped). `x` itself when both sides are even.
    static func evenCrop(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = (x.batch, x.channels, x.height, x.width)
        let (he, we) = (h / 2 * 2, w / 2 * 2)
        if he == h && we == w { return x }
        var out = Tensor(zeros: [n, c, he, we])
        for plane in 0 ..< n * c {
            for y in 0 ..< he {
                for xx in 0 ..< we { out.values[(plane * he + y) * we + xx] = x.values[(plane * h + y) * w + xx] }
            }
        }
        return out
    }

    /// `nn.MaxPool2d(2, 2)` (floor mode): (N, C, H, W) to (N, C, floor(H/2), floor(W/2)). Every
    /// window lies inside the even crop, where floor and ceil mode agree: the ceil-mode kernel on
    /// ``evenCrop(_:)``, its argmax indexing the crop's planes (ties and NaN as PyTorch's CPU kernel).
    static func maxPool2x2FloorForward(_ x: Tensor) -> (output: Tensor, argmax: [Int32]) {
        TrainingKernels.maxPool2x2CeilForward(evenCrop(x))
    }

    /// Backward of ``maxPool2x2FloorForward(_:)``: each output gradient to its window's argmax; a
    /// dropped last row or column gets none. dInput is (N, C, H, W), accumulated into.
    static func maxPool2x2FloorBackward(_ dOut: Tensor, argmax: [Int32], accumulatingInto dInput: inout Tensor) {
        let (n, c, h, w) = (dInput.batch, dInput.channels, dInput.height, dInput.width)
        let (he, we) = (h / 2 * 2, w / 2 * 2)
        var cropped = Tensor(zeros: [n, c, he, we])
        TrainingKernels.maxPool2x2CeilBackward(dOut, argmax: argmax, accumulatingInto: &cropped)
        for plane in 0 ..< n * c {
            for y in 0 ..< he {
                for xx in 0 ..< we { dInput.values[(plane * h + y) * w + xx] += cropped.values[(plane * he + y) * we + xx] }
            }
        }
    }
}
