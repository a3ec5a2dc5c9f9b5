// Adam (Kingma & Ba 2015) exactly as torch.optim.Adam (PyTorch 1.13, amsgrad off), or as Lua
// Torch's optim.adam, updates one parameter tensor, on flat [Float] parameters.

/// Adam's hyper-parameters; ``step(_:gradient:state:)`` updates one parameter tensor.
public struct Adam: Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    /// L2 penalty added to the gradient (`grad + weightDecay * param`), as torch's `weight_decay`.
    public var weightDecay: Float
    public var update: Update

    /// Where eps and the bias corrections enter the step.
    public enum Update: Sendable, Equatable {
        /// torch.optim.Adam: `param -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
        case pytorch
        /// torch/optim's `optim.adam` (Lua, 2016): eps added to the uncorrected sqrt(v), both
        /// corrections in the step size: `param -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)`.
        case torchOptim
    }

    /// torch.optim.Adam's defaults (pytorch-AdaIN's train.py uses lr 1e-4).
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0,
                update: Update = .pytorch) {
        self.learningRate = learningRate
        self.update = update
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }

    /// The moments of one parameter tensor and its step count.
    public struct State: Sendable {
        public internal(set) var step = 0
        public internal(set) var expAvg: [Float]
        public internal(set) var expAvgSq: [Float]

        public init(count: Int) {
            expAvg = [Float](repeating: 0, count: count)
            expAvgSq = [Float](repeating: 0, count: count)
        }
    }

    /// One step, in torch's order of operations:
    /// m = m * b1 + (1 - b1) g; v = v * b2 + (1 - b2) g^2; then ``update``'s rule
    /// (the bias corrections and step size in Double, as Python and Lua compute them).
    public func step(_ parameters: inout [Float], gradient: [Float], state: inout State) {
        precondition(parameters.count == gradient.count && state.expAvg.count == parameters.count, "Adam: sizes differ")
        state.step += 1
        let t = Double(state.step)
        let correction1 = 1 - Double(beta1).pow(t)
        let correction2Sqrt = Float((1 - Double(beta2).pow(t)).squareRoot())
        let stepSize = update == .pytorch ? Float(Double(learningRate) / correction1)
            : Float(Double(learningRate) * (1 - Double(beta2).pow(t)).squareRoot() / correction1)
        let (b1, b2) = (beta1, beta2)
        let (a1, a2) = (Float(1 - Double(beta1)), Float(1 - Double(beta2)))
        for i in parameters.indices {
            var g = gradient[i]
            if weightDecay != 0 { g += weightDecay * parameters[i] }
            let m = state.expAvg[i] * b1 + a1 * g
            let v = state.expAvgSq[i] * b2 + a2 * g * g
            state.expAvg[i] = m
            state.expAvgSq[i] = v
            let denom = update == .pytorch ? v.squareRoot() / correction2Sqrt + eps : v.squareRoot() + eps
            parameters[i] += -stepSize * (m / denom)
        }
    }
}

private extension Double {
    func pow(_ exponent: Double) -> Double {
        // Integer steps: repeated multiplication is exact enough and avoids Foundation.
        var result = 1.0
        for _ in 0 ..< Int(exponent) { result *= self }
        return result
    }
}
