import TensorRuntime

/// Circulate-firing neuron (paper 3, Zhou et al. 2026), as this project defines it from the
/// abstract (see papers/zhou2026-circulate-firing/README.md): bipolar spikes and a soft reset, so
/// the potential left over after a spike "circulates" into the next step instead of being
/// discarded, and negative potentials carry information too.
///
///     H[t] = β U[t−1] + X[t]
///     S[t] = +1 if H ≥ θ,  −1 if H ≤ −θ,  else 0            (`bipolar`, the default)
///     U[t] = H[t] − θ S[t]
///
/// Variants: `positiveOnly` (S ∈ {0, 1}) and `multiSpike` (S = clamp(trunc(H/θ), −m, m), an
/// integer count of up to `maxSpikes` per step, each one subtracting θ).
public struct CirculateFiring: DiscreteNeuron {
    public static let name = "cf"
    public enum Parameter: Int, NeuronVariable {
        case decay, threshold
    }

    public enum Variant: String, ConfigurationChoice {
        case bipolar
        case positiveOnly = "positive-only"
        case multiSpike = "multi-spike"
    }

    public var decay: InitialValue = 0.5
    public var threshold: InitialValue = 1.0
    public var variant = Variant.bipolar
    /// m, the largest spike count per step of `multiSpike`.
    public var maxSpikes = 4
    public var learnDecay = false
    public var learnThreshold = false

    public init() {}

    public func initialValue(of parameter: Parameter) -> Double {
        switch parameter {
        case .decay: decay.initial
        case .threshold: threshold.initial
        }
    }

    public var learnableParameters: Set<Parameter> {
        Set((learnDecay ? [.decay] : []) + (learnThreshold ? [.threshold] : []))
    }

    public static func domain(of parameter: Parameter) -> ParameterDomain {
        parameter == .decay ? .unitInterval : .positive
    }

    public static var conformanceConfigurations: [[String: Any]] {
        [["variant": "positive-only"], ["variant": "multi-spike", "maxSpikes": 3]]
    }

    public func restingState<S: TensorScalar>(_ p: Values<Parameter, S>) -> Rest<Self, S> { Rest(value: 0) }

    @inline(__always)
    public func charge<S: TensorScalar>(previous u: Values<Membrane, S>, input x: S, _ p: Values<Parameter, S>)
        -> Charge<Self, S>
    {
        Charge(value: p[.decay] * u[.membrane] + x, dPrevious: p[.decay], dParameters: Values(.decay, u[.membrane]))
    }

    /// Sums threshold crossings at ±kθ, k = 1…levels: the positive side counts up, the negative
    /// side down. For steps this is exactly clamp(trunc(H/θ), −levels, levels).
    @inline(__always)
    public func fire<S: TensorScalar, Shape: SurrogateShape>(
        potential h: Values<Membrane, S>, _ p: Values<Parameter, S>, _ surrogate: SurrogateStep<S, Shape>
    ) -> Fire<Self, S> {
        let (h, theta) = (h[.membrane], p[.threshold])
        let levels = variant == .multiSpike ? maxSpikes : 1
        var fire = Fire<Self, S>(value: 0, dPotential: 0)
        for k in 1...levels {
            let level = S(k)
            let up = surrogate.crossing(h - level * theta)
            fire.value += up.value
            fire.dPotential[.membrane] += up.dDistance
            fire.dParameters[.threshold] -= level * up.dDistance
            fire.dSharpness += up.dSharpness
            if variant != .positiveOnly {
                let down = surrogate.crossing(-h - level * theta)
                fire.value -= down.value
                fire.dPotential[.membrane] += down.dDistance
                fire.dParameters[.threshold] += level * down.dDistance
                fire.dSharpness -= down.dSharpness
            }
        }
        return fire
    }

    @inline(__always)
    public func reset<S: TensorScalar>(potential h: Values<Membrane, S>, spike s: S, _ p: Values<Parameter, S>)
        -> Reset<Self, S>
    {
        Reset(
            value: h[.membrane] - p[.threshold] * s, dPotential: 1, dSpike: -p[.threshold],
            dParameters: Values(.threshold, -s))
    }
}
