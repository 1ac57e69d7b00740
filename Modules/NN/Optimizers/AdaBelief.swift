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
        self.init(
            groups: [ParameterGroup(parameters)], learningRate: learningRate, beta1: beta1, beta2: beta2,
            epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
    }

    public func step() {
        adamFamilyStep(
            secondMoment: "exp_avg_var", beta1: beta1, beta2: beta2, epsilon: epsilon,
            decoupled: decoupledWeightDecay, belief: true)
    }
}
