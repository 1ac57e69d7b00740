import TensorRuntime

/// Discretized quadratic integrate-and-fire (paper 2, Jahns et al. 2025), in the form this
/// project defines where the paper is not public (see papers/jahns2025-dqif/README.md):
///
///     H[t] = U[t−1] + a (U[t−1] − u1)(U[t−1] − u2) + X[t]
///     S[t] = Θ(H[t] − θ)
///     U[t] = H[t] (1 − S[t]) + u1 S[t]       (hard reset to the rest point)
///
/// One multiplication and one addition more than LIF. With no input, u1 is the stable rest
/// point when 0 < a (u2 − u1) < 2 and u2 the unstable critical voltage; a constant input I
/// makes the neuron fire repetitively when I > a (u2 − u1)² / 4. The surrogate window that the
/// paper derives analytically is `DQIFWindow`.
public struct DQIF: DiscreteNeuron {
    public static let name = "dqif"
    public static let parameterNames = ["a", "u1", "u2", "threshold"]

    public var a = 0.25
    public var u1 = 0.0
    public var u2 = 0.5
    public var threshold = 1.0
    /// Reset by subtracting θ instead of to u1.
    public var softReset = false

    public init() {}

    public var initialParameters: [Double] { [a, u1, u2, threshold] }
    public var learnableParameters: Set<String> { [] }

    public func restingPotential<S: TensorScalar>(_ p: SIMD4<S>) -> Rest<S> { Rest(value: p[1], dParameters: unit(1)) }

    @inline(__always)
    public func charge<S: TensorScalar>(previous u: S, input x: S, _ p: SIMD4<S>) -> Charge<S> {
        let (a, u1, u2) = (p[0], p[1], p[2])
        let below = u - u1, above = u - u2
        return Charge(
            value: u + a * below * above + x,
            dPrevious: 1 + a * (below + above),
            dParameters: SIMD4(below * above, -a * above, -a * below, 0))
    }

    @inline(__always)
    public func fire<S: TensorScalar, Shape: SurrogateShape>(
        potential h: S, _ p: SIMD4<S>, _ surrogate: SurrogateStep<S, Shape>
    ) -> Fire<S> {
        let c = surrogate.crossing(h - p[3])
        return Fire(value: c.value, dPotential: c.dDistance, dParameters: unit(3, -c.dDistance), dSharpness: c.dSharpness)
    }

    @inline(__always)
    public func reset<S: TensorScalar>(potential h: S, spike s: S, _ p: SIMD4<S>) -> Reset<S> {
        if softReset {
            return Reset(value: h - p[3] * s, dPotential: 1, dSpike: -p[3], dParameters: unit(3, -s))
        }
        return Reset(value: h * (1 - s) + p[1] * s, dPotential: 1 - s, dSpike: p[1] - h, dParameters: unit(1, s))
    }
}
