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
    public static let parameterNames = ["decay", "threshold"]

    public enum Variant: String, Codable, Sendable {
        case bipolar
        case positiveOnly = "positive-only"
        case multiSpike = "multi-spike"
    }

    public var decay = 0.5
    public var threshold = 1.0
    public var variant = Variant.bipolar
    /// m, the largest spike count per step of `multiSpike`.
    public var maxSpikes = 4
    public var learnDecay = false
    public var learnThreshold = false

    public init() {}

    public var initialParameters: [Double] { [decay, threshold] }

    public var learnableParameters: Set<String> {
        Set((learnDecay ? ["decay"] : []) + (learnThreshold ? ["threshold"] : []))
    }

    public static func domain(of parameter: String) -> ParameterDomain {
        parameter == "decay" ? .unitInterval : .positive
    }

    public func restingPotential<S: TensorScalar>(_ p: SIMD4<S>) -> Rest<S> { Rest(value: 0) }

    @inline(__always)
    public func charge<S: TensorScalar>(previous u: S, input x: S, _ p: SIMD4<S>) -> Charge<S> {
        Charge(value: p[0] * u + x, dPrevious: p[0], dParameters: unit(0, u))
    }

    /// Sums threshold crossings at ±kθ, k = 1…levels: the positive side counts up, the negative
    /// side down. For steps this is exactly clamp(trunc(H/θ), −levels, levels).
    @inline(__always)
    public func fire<S: TensorScalar, Shape: SurrogateShape>(
        potential h: S, _ p: SIMD4<S>, _ surrogate: SurrogateStep<S, Shape>
    ) -> Fire<S> {
        let theta = p[1]
        let levels = variant == .multiSpike ? maxSpikes : 1
        var fire = Fire<S>(value: 0, dPotential: 0)
        for k in 1...levels {
            let level = S(k)
            let up = surrogate.crossing(h - level * theta)
            fire.value += up.value
            fire.dPotential += up.dDistance
            fire.dParameters[1] -= level * up.dDistance
            fire.dSharpness += up.dSharpness
            if variant != .positiveOnly {
                let down = surrogate.crossing(-h - level * theta)
                fire.value -= down.value
                fire.dPotential += down.dDistance
                fire.dParameters[1] += level * down.dDistance
                fire.dSharpness -= down.dSharpness
            }
        }
        return fire
    }

    @inline(__always)
    public func reset<S: TensorScalar>(potential h: S, spike s: S, _ p: SIMD4<S>) -> Reset<S> {
        Reset(value: h - p[1] * s, dPotential: 1, dSpike: -p[1], dParameters: unit(1, -s))
    }
}
