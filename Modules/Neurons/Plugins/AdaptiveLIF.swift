import TensorRuntime

/// Adaptive leaky integrate-and-fire (ALIF) with threshold adaptation, the neuron of long
/// short-term memory spiking networks (Bellec et al. 2018, "Long short-term memory and
/// learning-to-learn in networks of spiking neurons", NeurIPS). Each spike raises the threshold,
/// which then relaxes back with its own, slower decay:
///
///     A_j(t) = b_j^0 + β b_j(t)                       adaptive threshold
///     b_j(t + δt) = ρ_j b_j(t) + (1 − ρ_j) z_j(t)     ρ = exp(−δt/τ_a)
///     V_j(t + δt) = α V_j(t) + (1 − α) R_m I_j(t) − A_j(t) z_j(t) δt
///
/// As this plugin states it (state: membrane V and adaptation b; parameters: decay α, threshold
/// b⁰, adaptationDecay ρ, adaptation β):
///
///     H_V[t] = α V[t−1] + X[t]              H_b[t] = b[t−1]
///     S[t] = Θ(H_V[t] − (b⁰ + β H_b[t]))
///     V[t] = H_V[t] − (b⁰ + β H_b[t]) S[t]  b[t] = ρ H_b[t] + (1 − ρ) S[t]
///     V[−1] = b[−1] = 0
///
/// Our choices (the paper's code, LSNN, differs in three details): the input factor (1 − α) R_m
/// is left to the weights, as in most reimplementations; the reset subtracts the threshold the
/// neuron fired at, in the same step, where LSNN subtracts the next step's threshold A(t + δt) z(t)
/// one step later; and the surrogate acts on H − A rather than LSNN's (H − A)/A. β = 1.8 and
/// ρ = exp(−1/700) (τ_a = 700 steps) are the paper's values for sequential MNIST; b⁰ = 1 and α = 0.95
/// (τ = 20 steps) ours.
public struct AdaptiveLIF: DiscreteNeuron {
    public static let name = "alif"

    public enum Parameter: Int, NeuronVariable {
        case decay, threshold, adaptationDecay, adaptation
        public static var count: Int { 4 }
    }

    public enum StateVariable: Int, NeuronVariable {
        case membrane, adaptation
        public static var count: Int { 2 }
    }

    /// α, the membrane decay.
    public var decay: InitialValue = 0.95
    /// b⁰, the threshold without adaptation.
    public var threshold: InitialValue = 1.0
    /// ρ, the decay of the adaptation.
    public var adaptationDecay: InitialValue = 0.998572
    /// β, how far one unit of adaptation raises the threshold.
    public var adaptation: InitialValue = 1.8
    public var learnDecay = false
    public var learnThreshold = false
    public var learnAdaptation = false

    public init() {}

    public static var conformanceConfigurations: [[String: Any]] {
        [["decay": 0.6, "adaptationDecay": 0.7, "adaptation": 0.5, "learnDecay": true, "learnAdaptation": true]]
    }

    public func initialValue(of parameter: Parameter) -> Double {
        switch parameter {
        case .decay: decay.initial
        case .threshold: threshold.initial
        case .adaptationDecay: adaptationDecay.initial
        case .adaptation: adaptation.initial
        }
    }

    /// `learnAdaptation` trains both ρ and β.
    public var learnableParameters: Set<Parameter> {
        Set(
            (learnDecay ? [.decay] : []) + (learnThreshold ? [.threshold] : [])
                + (learnAdaptation ? [.adaptationDecay, .adaptation] : []))
    }

    public static func domain(of parameter: Parameter) -> ParameterDomain {
        switch parameter {
        case .decay, .adaptationDecay: .unitInterval
        case .threshold, .adaptation: .positive
        }
    }

    public func restingState<S: TensorScalar>(_ p: Values<Parameter, S>) -> Rest<Self, S> { Rest(value: .zero) }

    @inline(__always)
    public func charge<S: TensorScalar>(previous u: Values<StateVariable, S>, input x: S, _ p: Values<Parameter, S>)
        -> Charge<Self, S>
    {
        var c = Charge<Self, S>(value: Values())
        c.value[.membrane] = p[.decay] * u[.membrane] + x
        c.value[.adaptation] = u[.adaptation]
        c.dPrevious[.membrane, .membrane] = p[.decay]
        c.dPrevious[.adaptation, .adaptation] = 1
        c.dInput[.membrane] = 1
        c.dParameters[.membrane, .decay] = u[.membrane]
        return c
    }

    @inline(__always)
    public func fire<S: TensorScalar, Shape: SurrogateShape>(
        potential h: Values<StateVariable, S>, _ p: Values<Parameter, S>, _ surrogate: SurrogateStep<S, Shape>
    ) -> Fire<Self, S> {
        let c = surrogate.crossing(h[.membrane] - (p[.threshold] + p[.adaptation] * h[.adaptation]))
        var fire = Fire<Self, S>(value: c.value, dPotential: Values(), dSharpness: c.dSharpness)
        fire.dPotential[.membrane] = c.dDistance
        fire.dPotential[.adaptation] = -p[.adaptation] * c.dDistance
        fire.dParameters[.threshold] = -c.dDistance
        fire.dParameters[.adaptation] = -h[.adaptation] * c.dDistance
        return fire
    }

    @inline(__always)
    public func reset<S: TensorScalar>(potential h: Values<StateVariable, S>, spike s: S, _ p: Values<Parameter, S>)
        -> Reset<Self, S>
    {
        let (beta, rho) = (p[.adaptation], p[.adaptationDecay])
        let threshold = p[.threshold] + beta * h[.adaptation]
        var r = Reset<Self, S>(value: Values())
        r.value[.membrane] = h[.membrane] - threshold * s
        r.value[.adaptation] = rho * h[.adaptation] + (1 - rho) * s
        r.dPotential[.membrane, .membrane] = 1
        r.dPotential[.membrane, .adaptation] = -beta * s
        r.dPotential[.adaptation, .adaptation] = rho
        r.dSpike[.membrane] = -threshold
        r.dSpike[.adaptation] = 1 - rho
        r.dParameters[.membrane, .threshold] = -s
        r.dParameters[.membrane, .adaptation] = -h[.adaptation] * s
        r.dParameters[.adaptation, .adaptationDecay] = h[.adaptation] - s
        return r
    }
}
