import Foundation
import TensorRuntime

/// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), in PyTorch's formulation.
///
/// m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; p ← p − lr·(m/(1 − β₁ᵗ)) / (√(v/(1 − β₂ᵗ)) + ε).
/// Adam adds the weight decay to the gradient (g = ∇ + λp); AdamW decays the weights directly
/// (p ← p·(1 − lr·λ)) before the update, which is why it gets its own type and default.
public final class Adam: Optimizer {
    public let groups: [ParameterGroup]
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    /// Whether the decay is decoupled from the gradient (AdamW).
    let decoupled: Bool
    public let state = OptimizerState(slotNames: ["exp_avg", "exp_avg_sq"])

    public init(
        groups: [ParameterGroup], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        epsilon: Double = 1e-8, weightDecay: Double = 0
    ) {
        self.groups = groups
        self.learningRate = learningRate
        (self.beta1, self.beta2, self.epsilon, self.weightDecay) = (beta1, beta2, epsilon, weightDecay)
        decoupled = false
    }

    public convenience init(
        _ parameters: [Parameter], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        epsilon: Double = 1e-8, weightDecay: Double = 0
    ) {
        self.init(
            groups: [ParameterGroup(parameters)], learningRate: learningRate, beta1: beta1, beta2: beta2,
            epsilon: epsilon, weightDecay: weightDecay)
    }

    /// For AdamW.
    init(
        groups: [ParameterGroup], learningRate: Double, beta1: Double, beta2: Double, epsilon: Double,
        decoupledWeightDecay: Double
    ) {
        self.groups = groups
        self.learningRate = learningRate
        (self.beta1, self.beta2, self.epsilon, self.weightDecay) = (beta1, beta2, epsilon, decoupledWeightDecay)
        decoupled = true
    }

    public func step() {
        adamFamilyStep(
            secondMoment: "exp_avg_sq", beta1: beta1, beta2: beta2, epsilon: epsilon, decoupled: decoupled,
            belief: false)
    }
}

extension Optimizer {
    /// One step of the Adam family (Adam, AdamW, AdaBelief) over every parameter; the variants
    /// differ only in the decay's coupling and the second moment (`AdamStep`).
    func adamFamilyStep(
        secondMoment slot: String, beta1: Double, beta2: Double, epsilon: Double, decoupled: Bool,
        belief: Bool
    ) {
        let t = Double(state.stepCount + 1)
        let correction1 = 1 - Foundation.pow(beta1, t)
        let correction2 = 1 - Foundation.pow(beta2, t)
        forEachUpdate { parameter, grad, rate, decay in
            var value = parameter.value.detached()
            var m = state.take("exp_avg", for: parameter)
            var v = state.take(slot, for: parameter)
            let hyper = AdamStep(
                rate: rate, decay: decay, decoupled: decoupled, beta1: beta1, beta2: beta2,
                epsilon: epsilon, correction1: correction1, correction2: correction2, belief: belief)
            switch value.dtype {
            case .float32: hyper.apply(Float.self, &value, grad, &m, &v)
            case .float64: hyper.apply(Double.self, &value, grad, &m, &v)
            }
            parameter.value.assign(value)
            state.setTensor(m, "exp_avg", for: parameter)
            state.setTensor(v, slot, for: parameter)
        }
        state.stepCount += 1
    }
}

/// AdamW: Adam with decoupled weight decay (default 0.01, as in PyTorch).
public final class AdamW: Optimizer {
    private let adam: Adam

    public init(
        groups: [ParameterGroup], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        epsilon: Double = 1e-8, weightDecay: Double = 1e-2
    ) {
        adam = Adam(
            groups: groups, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
            decoupledWeightDecay: weightDecay)
    }

    public convenience init(
        _ parameters: [Parameter], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        epsilon: Double = 1e-8, weightDecay: Double = 1e-2
    ) {
        self.init(
            groups: [ParameterGroup(parameters)], learningRate: learningRate, beta1: beta1, beta2: beta2,
            epsilon: epsilon, weightDecay: weightDecay)
    }

    public var groups: [ParameterGroup] { adam.groups }
    public var learningRate: Double {
        get { adam.learningRate }
        set { adam.learningRate = newValue }
    }
    public var weightDecay: Double { adam.weightDecay }
    public var state: OptimizerState { adam.state }
    public func step() { adam.step() }
}

/// One Adam update's scalars, applied elementwise. With `belief` the second moment is that of
/// the gradient's deviation from its running mean plus ε (AdaBelief); everything else is shared.
struct AdamStep {
    let rate: Double, decay: Double, decoupled: Bool
    let beta1: Double, beta2: Double, epsilon: Double
    let correction1: Double, correction2: Double
    var belief = false

    func apply<S: TensorScalar>(_: S.Type, _ value: inout Tensor, _ grad: Tensor, _ m: inout Tensor, _ v: inout Tensor)
    {
        let b1 = S(beta1)
        let b2 = S(beta2)
        let eps = S(epsilon)
        let stepSize = S(rate / correction1)
        let root2 = S(correction2.squareRoot())
        let l2 = decoupled ? 0 : S(decay)
        let shrink = decoupled ? S(1 - rate * decay) : 1
        let belief = self.belief
        let floor: S = belief ? eps : 0
        grad.withUnsafeBuffer(as: S.self) { g in
            value.withUnsafeMutableBuffer(as: S.self) { p in
                m.withUnsafeMutableBuffer(as: S.self) { m in
                    v.withUnsafeMutableBuffer(as: S.self) { v in
                        // Elementwise, so splitting it over the cores changes no bits.
                        Parallel.forChunks(p.count, costPerItem: 16) { block in
                            for i in block {
                                let d = g[i] + l2 * p[i]
                                m[i] = b1 * m[i] + (1 - b1) * d
                                let r = belief ? d - m[i] : d
                                v[i] = b2 * v[i] + (1 - b2) * r * r + floor
                                p[i] = p[i] * shrink - stepSize * m[i] / (v[i].squareRoot() / root2 + eps)
                            }
                        }
                    }
                }
            }
        }
    }
}
