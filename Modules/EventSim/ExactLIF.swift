import Foundation

/// Continuous-time leaky integrate-and-fire neuron with an exponential synapse (`lif-exact`).
///
///     τ dV/dt = −V + I,   (τ/2) dI/dt = −I,   spike when V reaches 1, then V ← 0 (I kept).
///
/// Over an input-free interval Δ, with x = e^{−Δ/τ}:
///
///     V(Δ) = x (V + I (1 − x)),   I(Δ) = I x².
///
/// V(Δ) = 1 is the quadratic I x² − (V + I) x + 1 = 0 in x. While V < 1 both roots lie on the
/// same side of x = 1, so the first crossing is the larger root x₊ = (V + I + √D)/(2I),
/// D = (V + I)² − 4I, if x₊ ≤ 1; no real root (or I ≤ 0) means no spike:
///
///     Δt = −τ ln x₊.
///
/// By the implicit-function theorem ∂Δt/∂p = −(∂V(Δ)/∂p)/V̇ with V̇ = (I x² − 1)/τ at the
/// threshold; at a tangential touch (D = 0) V̇ = 0 and the derivative diverges: the spike
/// appears or vanishes with a jump of the loss. That is the model's defining weakness.
/// No pseudodynamics (the 2026 treatment for LIF is unknown): silent neurons get no gradient.
public struct ExactLIF: EventDrivenNeuron {
    public static let name = "lif-exact"
    public static let settings = [EventNeuronSetting.tau]
    public static var conformanceConfigurations: [ExactLIF] { [ExactLIF(tau: 0.6)] }

    public var tau: Double
    public var resetPotential: Double { 0 }
    public var spikeThreshold: Double { 1 }

    public init(tau: Double = 1) {
        precondition(tau > 0, "ExactLIF: tau must be positive, got \(tau)")
        self.tau = tau
    }

    @inline(__always)
    public func flow(_ s: NeuronState, over interval: Interval) -> NeuronState {
        let x = interval.decay
        return NeuronState(v: x * (s.v + s.i * interval.growth), i: s.i * x * x)
    }

    @inline(__always)
    public func flowWithJacobian(_ s: NeuronState, over interval: Interval) -> Flow {
        let x = interval.decay
        return Flow(state: flow(s, over: interval), dVdV: x, dVdI: x * interval.growth, dIdI: x * x)
    }

    @inline(__always)
    public func flow(_ s: NeuronStates4, over interval: Intervals4) -> NeuronStates4 {
        let x = interval.decay
        return NeuronStates4(v: x * (s.v + s.i * interval.growth), i: s.i * x * x)
    }

    @inline(__always)
    public func flowWithJacobian(_ s: NeuronStates4, over interval: Intervals4) -> Flows4 {
        let x = interval.decay
        return Flows4(state: flow(s, over: interval), dVdV: x, dVdI: x * interval.growth, dIdI: x * x)
    }

    /// The exact `spikeDecay` of four (LIF's bound is exact), every lane through the same
    /// operations as `crossingDecay`.
    @inline(__always)
    public func spikeDecayBound(_ s: NeuronStates4) -> (bound: SIMD4<Double>, exact: SIMDMask<SIMD4<Int64>>) {
        let b = s.v + s.i
        let d = b * b - 4 * s.i
        let real = (s.i .> 0) .& (d .>= 0) .& (b .> 0)
        // No lane with a real root: neither a root nor a division to take.
        guard any(real) else { return (SIMD4(repeating: 0), SIMDMask(repeating: true)) }
        let x = (b + d.laneSquareRoot) / (2 * s.i)
        return (SIMD4(repeating: 0).replacing(with: x, where: real .& (x .<= 1)), SIMDMask(repeating: true))
    }

    /// The larger root x₊ of I x² − (V + I) x + 1 if it is a future crossing, else nil.
    @inline(__always)
    private func crossingDecay(_ s: NeuronState) -> Double? {
        guard s.i > 0 else { return nil }
        let b = s.v + s.i
        let d = b * b - 4 * s.i
        guard d >= 0, b > 0 else { return nil }
        let x = (b + d.squareRoot()) / (2 * s.i)
        return x <= 1 ? x : nil
    }

    @inline(__always)
    public func spikeDecay(_ s: NeuronState) -> Double { crossingDecay(s) ?? 0 }

    public func timeToSpikeGradient(_ s: NeuronState) -> NeuronState {
        guard let x = crossingDecay(s) else { return NeuronState(v: 0, i: 0) }
        // ∂V(Δ)/∂V = x, ∂V(Δ)/∂I = x(1 − x), V̇ = (I x² − 1)/τ.
        let scale = tau / (1 - s.i * x * x)
        return NeuronState(v: x * scale, i: x * (1 - x) * scale)
    }

    @inline(__always)
    public func dynamics(_ s: NeuronState) -> NeuronState {
        NeuronState(v: (s.i - s.v) / tau, i: -2 * s.i / tau)
    }
}
