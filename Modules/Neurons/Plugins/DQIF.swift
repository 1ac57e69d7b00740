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
    public enum Parameter: Int, NeuronVariable {
        case a, u1, u2, threshold
    }

    // Plain numbers, not `InitialValue`s, because none of them trains (the paper's analysis,
    // `DQIFWindow`, and the CIFAR experiment compute with them); one that should learn must become
    // a `InitialValue` first, so that the maps cannot read its configured value.
    public var a = 0.25
    public var u1 = 0.0
    public var u2 = 0.5
    public var threshold = 1.0
    /// Reset by subtracting θ instead of to u1.
    public var softReset = false

    public init() {}

    public func initialValue(of parameter: Parameter) -> Double {
        switch parameter {
        case .a: a
        case .u1: u1
        case .u2: u2
        case .threshold: threshold
        }
    }

    public var learnableParameters: Set<Parameter> { [] }

    /// Not `softReset`: after a soft reset from far above θ the potential stays above u2 and runs
    /// away quadratically, so the suite's extreme inputs (|X| ~ 10⁴) overflow by design; its
    /// gradients are checked in `NeuronLayerTests.testPluginVariantsHaveExactGradients`.
    public static var conformanceConfigurations: [[String: Any]] { [] }

    public func restingState<S: TensorScalar>(_ p: Values<Parameter, S>) -> Rest<Self, S> {
        Rest(value: p[.u1], dParameters: Values(.u1, 1))
    }

    @inline(__always)
    public func charge<S: TensorScalar>(previous u: Values<Membrane, S>, input x: S, _ p: Values<Parameter, S>)
        -> Charge<Self, S>
    {
        let (a, u1, u2, u) = (p[.a], p[.u1], p[.u2], u[.membrane])
        let below = u - u1
        let above = u - u2
        return Charge(
            value: u + a * below * above + x,
            dPrevious: 1 + a * (below + above),
            dParameters: Values(SIMD4(below * above, -a * above, -a * below, 0)))
    }

    @inline(__always)
    public func fire<S: TensorScalar, Shape: SurrogateShape>(
        potential h: Values<Membrane, S>, _ p: Values<Parameter, S>, _ surrogate: SurrogateStep<S, Shape>
    ) -> Fire<Self, S> {
        let c = surrogate.crossing(h[.membrane] - p[.threshold])
        return Fire(
            value: c.value, dPotential: c.dDistance, dParameters: Values(.threshold, -c.dDistance),
            dSharpness: c.dSharpness)
    }

    @inline(__always)
    public func reset<S: TensorScalar>(potential h: Values<Membrane, S>, spike s: S, _ p: Values<Parameter, S>)
        -> Reset<Self, S>
    {
        let (h, theta, u1) = (h[.membrane], p[.threshold], p[.u1])
        // Both computed and the setting chooses, so that the engine's loops vectorise either way.
        let soft = Reset<Self, S>(
            value: h - theta * s, dPotential: 1, dSpike: -theta, dParameters: Values(.threshold, -s))
        let hard = Reset<Self, S>(
            value: h * (1 - s) + u1 * s, dPotential: 1 - s, dSpike: u1 - h, dParameters: Values(.u1, s))
        return softReset ? soft : hard
    }
}
