import TensorRuntime

/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, in
/// PyTorch's formulation:
/// g ← ∇ + λ·p; b ← g on the first step, else μ·b + (1 − dampening)·g;
/// p ← p − lr·(g + μ·b) with Nesterov, else p − lr·b (p − lr·g without momentum).
public final class SGD: Optimizer {
    public let groups: [ParameterGroup]
    public var learningRate: Double
    public let momentum: Double
    public let dampening: Double
    public let nesterov: Bool
    public let weightDecay: Double
    public let state = OptimizerState(slotNames: ["momentum_buffer"])

    public init(
        groups: [ParameterGroup], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
        nesterov: Bool = false, weightDecay: Double = 0
    ) {
        precondition(
            !nesterov || (momentum > 0 && dampening == 0),
            "SGD: Nesterov momentum needs momentum > 0 and zero dampening, got momentum \(momentum), dampening \(dampening)"
        )
        self.groups = groups
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public convenience init(
        _ parameters: [Parameter], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
        nesterov: Bool = false, weightDecay: Double = 0
    ) {
        self.init(
            groups: [ParameterGroup(parameters)], learningRate: learningRate, momentum: momentum,
            dampening: dampening, nesterov: nesterov, weightDecay: weightDecay)
    }

    public func step() {
        forEachUpdate { parameter, grad, rate, decay in
            var value = parameter.value.detached()
            let first = state.tensor("momentum_buffer", for: parameter) == nil
            var buffer = momentum != 0 ? state.take("momentum_buffer", for: parameter) : nil
            switch value.dtype {
            case .float32: update(Float.self, &value, grad, &buffer, rate, decay, first)
            case .float64: update(Double.self, &value, grad, &buffer, rate, decay, first)
            }
            parameter.value.assign(value)
            if let buffer { state.setTensor(buffer, "momentum_buffer", for: parameter) }
        }
        state.stepCount += 1
    }

    /// `buffer` is nil without momentum.
    private func update<S: TensorScalar>(
        _: S.Type, _ value: inout Tensor, _ grad: Tensor, _ buffer: inout Tensor?, _ rate: Double, _ decay: Double,
        _ first: Bool
    ) {
        let lr = S(rate)
        let wd = S(decay)
        let mu = S(momentum)
        let keep = S(1 - dampening)
        let nesterov = nesterov
        grad.withUnsafeBuffer(as: S.self) { g in
            value.withUnsafeMutableBuffer(as: S.self) { p in
                guard var momentumBuffer = buffer.take() else {
                    Parallel.forChunks(p.count, costPerItem: 2) { block in
                        for i in block { p[i] -= lr * (g[i] + wd * p[i]) }
                    }
                    return
                }
                momentumBuffer.withUnsafeMutableBuffer(as: S.self) { b in
                    Parallel.forChunks(p.count, costPerItem: 4) { block in
                        for i in block {
                            let d = g[i] + wd * p[i]
                            b[i] = first ? d : mu * b[i] + keep * d
                            p[i] -= lr * (nesterov ? d + mu * b[i] : b[i])
                        }
                    }
                }
                buffer = momentumBuffer
            }
        }
    }
}
