import Foundation

/// Continuous-time quadratic integrate-and-fire neuron with an exponential synapse (`qif-exact`).
///
///     τ dV/dt = V (V − 1) + I,   (τ/2) dI/dt = −I.
///
/// Rest V = 0, separatrix V = 1 (for I = 0). A spike is the blow-up V → +∞ in finite time. The
/// reset is `QIFReset`: by default the method's code's V = −1/ε with V capped at 1/ε after every
/// flow (ε = 1e-6, spikegd), or exactly V = −∞ (IEEE −∞, no cap), which carries no cap error.
/// The closed forms below never evaluate V = ±∞ arithmetically.
///
/// With u = V e^{t/τ} and s = 1 − e^{−t/τ} the equation becomes du/ds = u² + I₀ (I₀ the current at
/// the start of the interval), solved for every sign of I₀ by one Möbius map:
///
///     u(s) = (u₀ C + I₀)/(C − u₀),   V(Δ) = x u(s),   I(Δ) = I₀ x²,   x = e^{−Δ/τ},
///     C(s) = √I₀ cot(√I₀ s)  (I₀ > 0),   1/s  (I₀ = 0),   √|I₀| coth(√|I₀| s)  (I₀ < 0).
///
/// This is the paper's tan/tanh flow (√I e^{−Δ/τ} tan(arctan(V/√I) + √I(1 − e^{−Δ/τ})) for
/// I > 0) written so that small |I| needs no case split: C is evaluated by its series in I s²
/// near zero. A spike is C(s*) = u₀ within s* < 1, Δt = −τ ln(1 − s*):
///
///     u₀ > 0:        s* = y·A(I y²), y = 1/u₀, A(z) = arctan(√z)/√z (arctanh for z < 0;
///                    none for I y² ≤ −1, i.e. V ≤ √|I|)
///     u₀ ≤ 0, I > 0: s* = (π/2 + arctan(−u₀/√I))/√I   (u₀ = −∞ after a reset: π/√I)
///     otherwise      no spike.
///
/// These are the paper's cases (I > 0; I = 0 and V > 1: Δt = τ ln(V/(V−1)); I < 0 and
/// V tanh√|I| > √|I|). Implicit differentiation of C(s*) = u₀ with C' = −(C² + I) gives
/// ∂s*/∂u₀ = −1/(u₀² + I) and ∂s*/∂I = (∂C/∂I)(s*)/(u₀² + I). Because the crossing is at +∞,
/// spikes never appear or vanish inside the trial; they can only leave through its end, where
/// the pseudospike (`pseudospikeClock`) continues the spike time continuously.
public struct ExactQIF: EventDrivenNeuron {
    public static let name = "qif-exact"
    /// ε of the method's code: reset to −1/ε, V capped at 1/ε.
    public static let epsilon = 1e-6

    public static let settings = [
        EventNeuronSetting.tau,
        EventNeuronSetting(
            name: "reset", value: "\"\(QIFReset.epsilon.rawValue)\"",
            domain: QIFReset.allCases.map(\.rawValue).joined(separator: " | "), configKey: "model.qifReset"),
    ]
    public static var conformanceConfigurations: [ExactQIF] { [ExactQIF(tau: 1.7, reset: .infinity)] }

    public var tau: Double
    public var reset: QIFReset
    public var resetPotential: Double { reset == .epsilon ? -1 / Self.epsilon : -.infinity }
    /// A spike is V's blow-up.
    public var spikeThreshold: Double { .infinity }
    /// The largest V a flow ends in (1/ε, or +∞ without a cap).
    public var potentialCap: Double { reset == .epsilon ? 1 / Self.epsilon : .infinity }

    public init(tau: Double) { self.init(tau: tau, reset: .epsilon) }

    public init(tau: Double = 1, reset: QIFReset = .epsilon) {
        precondition(tau > 0, "ExactQIF: tau must be positive, got \(tau)")
        self.tau = tau
        self.reset = reset
    }

    @inline(__always)
    public func flow(_ s: NeuronState, over interval: Interval) -> NeuronState {
        guard interval.delta > 0 else { return s }
        // The Möbius map written with 1/C = tan(√I s)/√I: one division.
        let t = QIFMath.tangent(s: interval.growth, current: s.i)
        let u = s.v == -.infinity ? -1 / t : (s.v + s.i * t) / (1 - s.v * t)
        let x = interval.decay
        return NeuronState(v: Swift.min(x * u, potentialCap), i: s.i * x * x)
    }

    /// Packed when every lane takes the series (|I s²| small) and no V is −∞, the bulk of a dense
    /// layer's updates; otherwise lane by lane.
    @inline(__always)
    public func flow(_ s: NeuronStates4, over interval: Intervals4) -> NeuronStates4 {
        let growth = interval.growth
        let z = s.i * growth * growth
        let limit = QIFMath.seriesLimit
        guard all((z .< limit) .& (z .> -limit) .& (s.v .> -.infinity)) else {
            return flowLaneByLane(s, over: interval)
        }
        let t = growth * QIFMath.tangentSeries(z)
        let u = (s.v + s.i * t) / (1 - s.v * t)
        let x = interval.decay
        let v = x * u
        let i = s.i * x * x
        // min(V, cap) as Swift.min takes it, and no change over an empty interval.
        let capped = v.replacing(with: potentialCap, where: potentialCap .< v)
        let moved = interval.delta .> 0
        return NeuronStates4(v: s.v.replacing(with: capped, where: moved), i: s.i.replacing(with: i, where: moved))
    }

    @inline(__always)
    public func flowWithJacobian(_ s: NeuronState, over interval: Interval) -> Flow {
        guard interval.delta > 0 else { return Flow(state: s, dVdV: 1, dVdI: 0, dIdI: 1) }
        let (c, dc) = QIFMath.cotangent(s: interval.growth, current: s.i)
        let x = interval.decay
        let end = NeuronState(v: 0, i: s.i * x * x)
        let flow: Flow
        if s.v == -.infinity {
            flow = Flow(state: NeuronState(v: -x * c, i: end.i), dVdV: 0, dVdI: -x * dc, dIdI: x * x)
        } else {
            let q = c - s.v
            let u = (s.v * c + s.i) / q
            let q2 = q * q
            flow = Flow(
                state: NeuronState(v: x * u, i: end.i),
                dVdV: x * (c * c + s.i) / q2,
                dVdI: x * (q - dc * (s.v * s.v + s.i)) / q2,
                dIdI: x * x)
        }
        // A capped V depends on nothing (the derivative of min(V, 1/ε), as in the method's code).
        guard flow.state.v >= potentialCap else { return flow }
        return Flow(state: NeuronState(v: potentialCap, i: end.i), dVdV: 0, dVdI: 0, dIdI: x * x)
    }

    /// Packed in the same cases as the packed `flow` (and a non-empty interval); each lane through
    /// the scalar operations.
    @inline(__always)
    public func flowWithJacobian(_ s: NeuronStates4, over interval: Intervals4) -> Flows4 {
        let growth = interval.growth
        let z = s.i * growth * growth
        let limit = QIFMath.seriesLimit
        guard all((z .< limit) .& (z .> -limit) .& (s.v .> -.infinity) .& (interval.delta .> 0)) else {
            return flowWithJacobianLaneByLane(s, over: interval)
        }
        // QIFMath.cotangent's series case.
        let (t, dt) = QIFMath.tangentSeriesWithDerivative(z)
        let c: SIMD4<Double> = 1 / (growth * t)
        let dc: SIMD4<Double> = -growth * dt / (t * t)
        let x = interval.decay
        let i: SIMD4<Double> = s.i * x * x
        let q: SIMD4<Double> = c - s.v
        let u: SIMD4<Double> = (s.v * c + s.i) / q
        let q2: SIMD4<Double> = q * q
        let v: SIMD4<Double> = x * u
        let dVdV: SIMD4<Double> = x * (c * c + s.i) / q2
        let dVdI: SIMD4<Double> = x * (q - dc * (s.v * s.v + s.i)) / q2
        let capped = v .>= potentialCap
        let zero = SIMD4<Double>()
        return Flows4(
            state: NeuronStates4(v: v.replacing(with: potentialCap, where: capped), i: i),
            dVdV: dVdV.replacing(with: zero, where: capped), dVdI: dVdI.replacing(with: zero, where: capped),
            dIdI: x * x)
    }

    /// s* of the next spike in the s = 1 − e^{−Δ/τ} clock, or +∞.
    @inline(__always)
    private func spikeClock(_ s: NeuronState) -> Double {
        if s.v > 0 {
            if s.v == .infinity { return 0 }
            let y = 1 / s.v
            let z = s.i * y * y
            return z > -1 ? y * QIFMath.inverseTangent(z) : .infinity
        }
        guard s.i > 0 else { return .infinity }
        let b = s.i.squareRoot()
        return (Double.pi / 2 + Foundation.atan(-s.v / b)) / b
    }

    @inline(__always)
    public func spikeDecay(_ s: NeuronState) -> Double {
        let clock = spikeClock(s)
        return clock < 1 ? 1 - clock : 0
    }

    /// Lower bounds on s* from Shafer's inequality arctan x > 3x/(1 + 2√(1 + x²)) (x > 0, within
    /// 4.5 %) and arctanh(x)/x ≥ 1: a square root instead of an arctangent per neuron update.
    @inline(__always)
    public func spikeDecayBound(_ s: NeuronState) -> (bound: Double, exact: Bool) {
        let clock: Double
        if s.v > 0 {
            if s.v == .infinity { return (1, true) }
            let y = 1 / s.v
            let z = s.i * y * y
            if z <= -1 { return (0, true) }
            // 3y/(1 + 2√(1 + z)) with one division.
            clock = z > 0 ? 3 / (s.v + 2 * (s.v * s.v + s.i).squareRoot()) : y
        } else {
            guard s.i > 0, s.v > -.infinity else { return (spikeDecay(s), true) }
            // (π/2 + 3x/(1 + 2√(1 + x²)))/√I with x = −V/√I, over one common denominator.
            let b = s.i.squareRoot()
            let d = b + 2 * (s.i + s.v * s.v).squareRoot()
            clock = (Double.pi / 2 * d - 3 * s.v) / (b * d)
        }
        if clock < 1 { return (1 - clock, false) }
        // NaN (from overflow at |V| ≳ 1e154) falls back to the exact value.
        return clock >= 1 ? (0, true) : (spikeDecay(s), true)
    }

    /// The bound of four, each lane through the scalar bound's operations (both cases computed
    /// only when some lane needs them); V = ±∞, NaN or an overflowing clock go lane by lane.
    @inline(__always)
    public func spikeDecayBound(_ s: NeuronStates4) -> (bound: SIMD4<Double>, exact: SIMDMask<SIMD4<Int64>>) {
        let positive = s.v .> 0
        // √(V² + I), which both cases take (the scalar code writes it as √(I + V²) in one).
        let root = (s.v * s.v + s.i).laneSquareRoot
        var clock = SIMD4<Double>()
        var beyond = SIMDMask<SIMD4<Int64>>()
        if any(positive) {
            let y = 1 / s.v
            let z = s.i * y * y
            beyond = (z .<= -1)
            clock = y.replacing(with: 3 / (s.v + 2 * root), where: z .> 0)
        }
        if any(.!positive) {
            let b = s.i.laneSquareRoot
            let d = b + 2 * root
            clock = ((Double.pi / 2 * d - 3 * s.v) / (b * d)).replacing(with: clock, where: positive)
        }
        let silent = (positive .& beyond) .| (.!positive .& .!(s.i .> 0))
        let soon = .!silent .& (clock .< 1)
        let odd = .!((s.v .> -.infinity) .& (s.v .< .infinity)) .| (.!silent .& .!soon .& .!(clock .>= 1))
        guard !any(odd) else { return spikeDecayBoundLaneByLane(s) }
        return (SIMD4(repeating: 0).replacing(with: 1 - clock, where: soon), .!soon)
    }

    public func timeToSpikeGradient(_ s: NeuronState) -> NeuronState {
        let clock = spikeClock(s)
        guard clock < 1 else { return NeuronState(v: 0, i: 0) }
        let dDelta = tau / (1 - clock)
        if s.v == -.infinity {
            return NeuronState(v: 0, i: dDelta * (-clock / (2 * s.i)))
        }
        let g = s.v * s.v + s.i
        let dc = QIFMath.cotangent(s: clock, current: s.i).dc
        return NeuronState(v: -dDelta / g, i: dDelta * dc / g)
    }

    public func dynamics(_ s: NeuronState) -> NeuronState {
        NeuronState(v: (s.v * (s.v - 1) + s.i) / tau, i: -2 * s.i / tau)
    }

    /// dV/dt is 0 at the cap: a capped flow's V does not move with its end points.
    @inline(__always)
    public func velocity(_ s: NeuronState) -> NeuronState {
        NeuronState(v: s.v >= potentialCap ? 0 : (s.v * (s.v - 1) + s.i) / tau, i: -2 * s.i / tau)
    }

    /// After the trial the neuron is driven by the constant suprathreshold current I_p: period
    /// Θ = τπ/√I_p and phase φ = τ[arctan((V_end − ½)/√I_p) + π/2]/√I_p (paper's formulas).
    /// φ → Θ as V_end → +∞, so a spike leaving the trial becomes the first pseudospike at T.
    public func pseudospikeClock(potential v: Double, drive: Double) -> PseudospikeClock? {
        precondition(drive > 0, "ExactQIF: pseudospike drive must be positive, got \(drive)")
        let b = drive.squareRoot()
        let period = tau * Double.pi / b
        let dPeriod = -period / (2 * drive)
        guard v > -.infinity else {
            return PseudospikeClock(
                period: period, phase: 0, dPeriodDDrive: dPeriod, dPhaseDPotential: 0, dPhaseDDrive: 0)
        }
        let w = v - 0.5
        let phase = tau * (Foundation.atan(w / b) + Double.pi / 2) / b
        let dV = tau / (drive + w * w)
        let dB = -tau * w / (b * (drive + w * w)) - phase / b
        return PseudospikeClock(
            period: period, phase: phase, dPeriodDDrive: dPeriod,
            dPhaseDPotential: dV, dPhaseDDrive: dB / (2 * b))
    }
}

/// What V a `qif-exact` neuron resets to after a spike.
public enum QIFReset: String, Sendable, CaseIterable {
    /// V = −1/ε and every flow's V capped at 1/ε, ε = 1e-6: the method's code (spikegd
    /// `QIFNeuron`), whose later spikes shift by about τε per reset against the exact model.
    case epsilon
    /// V = −∞ exactly, no cap: the model's exact reset (our choice before issue 17).
    case infinity
}

/// The special functions of the QIF closed forms, analytic in the current I through zero.
enum QIFMath {
    /// Below this |I s²| the series are used (error < 1e-16, no cancellation).
    static let seriesLimit = 0.05

    /// The Taylor coefficients of tan(√z)/√z after the leading 1.
    private static let c1 = 1.0 / 3
    private static let c2 = 2.0 / 15
    private static let c3 = 17.0 / 315
    private static let c4 = 62.0 / 2835
    private static let c5 = 1382.0 / 155_925
    private static let c6 = 21844.0 / 6_081_075
    private static let c7 = 929_569.0 / 638_512_875
    private static let c8 = 6_404_582.0 / 10_854_718_875

    /// `tangentSeries(z).value` of four, lane by lane the same Horner scheme.
    @inline(__always)
    static func tangentSeries(_ z: SIMD4<Double>) -> SIMD4<Double> {
        var p: SIMD4<Double> = c7 + z * c8
        p = c6 + z * p
        p = c5 + z * p
        p = c4 + z * p
        p = c3 + z * p
        p = c2 + z * p
        p = c1 + z * p
        return 1 + z * p
    }

    /// `tangentSeries(z)` of four, value and derivative, lane by lane the same Horner schemes.
    @inline(__always)
    static func tangentSeriesWithDerivative(_ z: SIMD4<Double>) -> (value: SIMD4<Double>, derivative: SIMD4<Double>) {
        let z8: SIMD4<Double> = z * 8
        var d: SIMD4<Double> = 7 * c7 + z8 * c8
        d = 6 * c6 + z * d
        d = 5 * c5 + z * d
        d = 4 * c4 + z * d
        d = 3 * c3 + z * d
        d = 2 * c2 + z * d
        d = c1 + z * d
        return (tangentSeries(z), d)
    }

    /// tan(√z)/√z by its Taylor series in z (tanh for z < 0 has the same one), for small |z|.
    @inline(__always)
    private static func tangentSeries(_ z: Double) -> (value: Double, derivative: Double) {
        let value = 1 + z * (c1 + z * (c2 + z * (c3 + z * (c4 + z * (c5 + z * (c6 + z * (c7 + z * c8)))))))
        let derivative =
            c1 + z * (2 * c2 + z * (3 * c3 + z * (4 * c4 + z * (5 * c5 + z * (6 * c6 + z * (7 * c7 + z * 8 * c8))))))
        return (value, derivative)
    }

    /// tan(√I s)/√I = 1/C(s), continued to I ≤ 0 (s, tanh(√|I| s)/√|I|).
    @inline(__always)
    static func tangent(s: Double, current i: Double) -> Double {
        let z = i * s * s
        if Swift.abs(z) < seriesLimit { return s * tangentSeries(z).value }
        if i > 0 {
            let b = i.squareRoot()
            return Foundation.tan(b * s) / b
        }
        let a = (-i).squareRoot()
        return Foundation.tanh(a * s) / a
    }

    /// C(s) = √I cot(√I s) and ∂C/∂I, continued to I ≤ 0 (1/s, √|I| coth(√|I| s)).
    @inline(__always)
    static func cotangent(s: Double, current i: Double) -> (c: Double, dc: Double) {
        let z = i * s * s
        if Swift.abs(z) < seriesLimit {
            let (t, dt) = tangentSeries(z)
            return (1 / (s * t), -s * dt / (t * t))
        }
        let c: Double
        if i > 0 {
            let b = i.squareRoot()
            c = b / Foundation.tan(b * s)
        } else {
            let a = (-i).squareRoot()
            c = a / Foundation.tanh(a * s)
        }
        return (c, (c - s * (i + c * c)) / (2 * i))
    }

    /// arctan(√z)/√z, continued to −1 < z ≤ 0 as arctanh(√−z)/√−z.
    @inline(__always)
    static func inverseTangent(_ z: Double) -> Double {
        if Swift.abs(z) < seriesLimit {
            var sum = 0.0
            for k in stride(from: 12, through: 0, by: -1) {
                sum = sum * -z + 1 / Double(2 * k + 1)
            }
            return sum
        }
        if z > 0 {
            let r = z.squareRoot()
            return Foundation.atan(r) / r
        }
        let r = (-z).squareRoot()
        return Foundation.atanh(r) / r
    }
}
