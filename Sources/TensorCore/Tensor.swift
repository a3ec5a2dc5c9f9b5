// The public tensor: a 4-D shape (N, C, H, W) and its Float values, contiguous in row-major order.

/// A batch of images or feature maps in PyTorch's NCHW convention.
///
/// `values` holds `N * C * H * W` floats in row-major (C) order: the element at `(n, c, y, x)` is
/// `values[((n * C + c) * H + y) * W + x]`, as in a contiguous `torch.Tensor`. Images enter as
/// `(1, 3, H, W)` RGB in [0, 1] (torchvision's `ToTensor`). Kernels may hold activations in other
/// layouts internally; a `Tensor` is always this plain layout.
public struct Tensor: Sendable, Equatable {
    /// `[N, C, H, W]`.
    public let shape: [Int]
    /// `shape.reduce(1, *)` values in row-major order.
    public var values: [Float]

    /// A tensor of the given shape and values; traps if the shape is not 4-D and non-negative or
    /// the number of values does not match it.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.count == 4 && shape.allSatisfy { $0 >= 0 }, "a Tensor's shape is [N, C, H, W], got \(shape)")
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.values = values
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var batch: Int { shape[0] }
    public var channels: Int { shape[1] }
    public var height: Int { shape[2] }
    public var width: Int { shape[3] }

    /// The element at `(n, c, y, x)`.
    public subscript(n: Int, c: Int, y: Int, x: Int) -> Float {
        get { values[((n * shape[1] + c) * shape[2] + y) * shape[3] + x] }
        set { values[((n * shape[1] + c) * shape[2] + y) * shape[3] + x] = newValue }
    }
}
