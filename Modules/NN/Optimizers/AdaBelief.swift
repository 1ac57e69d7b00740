import Foundation
import TensorRuntime

/// AdaBelief (Zhuang et al. 2020): Adam with the second moment taken of the gradient's deviation
/// from its running mean, as in the authors' `adabelief-pytorch` 0.2 (without rectification):
///
/// m ← β₁m + (1 − β₁)g; s ← β₂s + (1 − β₂)(g − m)² + ε;
/// p ← p − lr·(m/(1 − β₁ᵗ)) / (√(s/(1 − β₂ᵗ)) + ε).
/// The weight decay is decoupled (p ← p·(1 − lr·λ)) by default, as in that release; with
/// `decoupledWeightDecay: false` it is added to the gradient.
public final class AdaBelief: Optimizer {
    public let groups: [ParameterGroup]
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    public let decoupledWeightDecay: Bool
    public let state = OptimizerState(slotNames: ["exp_avg", "exp_avg_var"])

    public init(
        groups: [ParameterGroup], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        epsilon: Double = 1e-16, weightDecay: Double = 0, decoupledWeightDecay: Bool = true
    ) {
        self.groups = groups
        self.learningRate = learningRate
        (self.beta1, self.beta2, self.epsilon) = (beta1, beta2, epsilon)
        (self.weightDecay, self.decoupledWeightDecay) = (weightDecay, decoupledWeightDecay)
    }

    public convenience init(
        _ parameters: [Parameter], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        epsilon: Double = 1e-16, weightDecay: Double = 0, decoupledWeightDecay: Bool = true
    ) {
        self.init(groups: [ParameterGroup(parameters)], learningRate: learningRate, beta1: beta1, beta2: beta2,
                  epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
    }

    public func step() {
        let t = Double(state.stepCount + 1)
        let correction1 = 1 - Foundation.pow(beta1, t), correction2 = 1 - Foundation.pow(beta2, t)
        forEachUpdate { parameter, grad, rate, decay in
            var value = parameter.value.detached()
            var m = state.take("exp_avg", for: parameter)
            var s = state.take("exp_avg_var", for: parameter)
            switch value.dtype {
            case .float32: update(Float.self, &value, grad, &m, &s, rate, decay, correction1, correction2)
            case .float64: update(Double.self, &value, grad, &m, &s, rate, decay, correction1, correction2)
            }
            parameter.value.assign(value)
            state.setTensor(m, "exp_avg", for: parameter)
            state.setTensor(s, "exp_avg_var", for: parameter)
        }
        state.stepCount += 1
    }

    private func update<S: TensorScalar>(
        _: S.Type, _ value: inout Tensor, _ grad: Tensor, _ m: inout Tensor, _ s: inout Tensor, _ rate: Double,
        _ decay: Double, _ correction1: Double, _ correction2: Double
    ) {
        let b1 = S(beta1), b2 = S(beta2), eps = S(epsilon)
        let stepSize = S(rate / correction1), root2 = S(correction2.squareRoot())
        let l2 = decoupledWeightDecay ? 0 : S(decay), shrink = decoupledWeightDecay ? S(1 - rate * decay) : 1
        grad.withUnsafeBuffer(as: S.self) { g in
            value.withUnsafeMutableBuffer(as: S.self) { p in
                m.withUnsafeMutableBuffer(as: S.self) { m in
                    s.withUnsafeMutableBuffer(as: S.self) { s in
                        for i in p.indices {
                            let d = g[i] + l2 * p[i]
                            m[i] = b1 * m[i] + (1 - b1) * d
                            let r = d - m[i]
                            s[i] = b2 * s[i] + (1 - b2) * r * r + eps
                            p[i] = p[i] * shrink - stepSize * m[i] / (s[i].squareRoot() / root2 + eps)
                        }
                    }
                }
            }
        }
    }
}
