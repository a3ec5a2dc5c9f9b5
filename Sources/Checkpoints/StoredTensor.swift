// A named tensor as a checkpoint stores it: a shape and its float32 values in row-major order.

/// One tensor of a `state_dict`, converted to `Float` and laid out contiguously in row-major
/// (C) order, whatever its stride or dtype was in the file.
public struct StoredTensor: Sendable, Equatable {
    /// The tensor's shape, outermost dimension first (PyTorch's `tensor.shape`).
    public var shape: [Int]
    /// `shape.reduce(1, *)` values in row-major order.
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.values = values
    }
}
