import TensorRuntime

/// Leaky integrate-and-fire, the baseline of all three papers.
///
///     H[t] = β U[t−1] + X[t]
///     S[t] = Θ(H[t] − θ)
///     U[t] = H[t] (1 − S[t]) + u_r S[t]     (hard reset)   or   H[t] − θ S[t]   (soft reset)
///
/// With `learnDecay` the decay β is trained through a sigmoid (PLIF, Fang et al. 2021).
public struct LIF: DiscreteNeuron {
    public static let name = "lif"
    public static let parameterNames = ["decay", "threshold"]

    public enum ResetMode: String, Codable, Sendable {
        /// To `resetPotential`.
        case hard
        /// By subtracting the threshold.
        case soft
    }

    /// β; the common direct-training values are 0.2–0.5.
    public var decay = 0.5
    /// θ.
    public var threshold = 1.0
    public var reset = ResetMode.hard
    /// u_r, the potential after a hard reset.
    public var resetPotential = 0.0
    /// Train β (PLIF).
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

    public func restingPotential<S: TensorScalar>(_ p: SIMD4<S>) -> Rest<S> { Rest(value: S(resetPotential)) }

    @inline(__always)
    public func charge<S: TensorScalar>(previous u: S, input x: S, _ p: SIMD4<S>) -> Charge<S> {
        Charge(value: p[0] * u + x, dPrevious: p[0], dParameters: unit(0, u))
    }

    @inline(__always)
    public func fire<S: TensorScalar, Shape: SurrogateShape>(
        potential h: S, _ p: SIMD4<S>, _ surrogate: SurrogateStep<S, Shape>
    ) -> Fire<S> {
        let c = surrogate.crossing(h - p[1])
        return Fire(value: c.value, dPotential: c.dDistance, dParameters: unit(1, -c.dDistance), dSharpness: c.dSharpness)
    }

    @inline(__always)
    public func reset<S: TensorScalar>(potential h: S, spike s: S, _ p: SIMD4<S>) -> Reset<S> {
        switch reset {
        case .hard:
            let ur = S(resetPotential)
            return Reset(value: h * (1 - s) + ur * s, dPotential: 1 - s, dSpike: ur - h)
        case .soft:
            return Reset(value: h - p[1] * s, dPotential: 1, dSpike: -p[1], dParameters: unit(1, -s))
        }
    }
}
