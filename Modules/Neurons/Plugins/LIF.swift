import TensorRuntime

/// Leaky integrate-and-fire, the baseline of all three papers, with the update conventions of the
/// major SNN libraries as options, so that each one's LIF is reproduced when configured to it.
///
/// The default (this toolkit's LIF; β the decay, θ the threshold, u_r `resetPotential`):
///
///     H[t] = β U[t−1] + X[t]
///     S[t] = Θ(H[t] − θ)                     Θ(0) = 1
///     U[t] = H[t] (1 − S[t]) + u_r S[t]      (`reset: hard`)   or   H[t] − θ S[t]   (`reset: soft`)
///     U[−1] = u_r
///
/// With `learnDecay` β is trained through a sigmoid (PLIF, Fang et al. 2021). The options, each
/// combinable with the others:
///
/// - `decayInput` (SpikingJelly's `decay_input`, 1/τ = 1 − β, u_l `leakPotential`):
///   H[t] = U[t−1] + (X[t] − (U[t−1] − u_l)) (1 − β). Without it but with u_l ≠ 0:
///   H[t] = U[t−1] − (U[t−1] − u_l)(1 − β) + X[t].
/// - `strictThreshold`: S[t] = Θ(H[t] − θ) with Θ(0) = 0 (snnTorch, Norse: spike when H > θ).
/// - `detachReset`: no gradient through S in the reset (∂U/∂S = 0), as SpikingJelly's
///   `detach_reset` and Norse's `z.detach()`.
/// - `delayedReset` (snnTorch's `reset_delay`): the reset comes from the previous step's
///   potential, R[t] = Θ(U[t−1] − θ) (same strictness as S, no gradient through R), and the
///   potential is carried unreset (U[t] = H[t]):
///   soft: H[t] = charge(U[t−1]) − R[t] θ;   hard: H[t] = charge((1 − R[t]) U[t−1] + R[t] u_r),
///   where charge is the β-update above. snnTorch's `Leaky` subtract reset is the first,
///   U[t] = β U[t−1] + X[t] − R[t] θ, its zero reset the second, U[t] = β (1 − R[t]) U[t−1] + X[t].
///
/// `convention` presets (fields set explicitly override them):
///
/// - `spikingjelly` — `LIFNode(tau=2, decay_input=True, v_threshold=1, v_reset=0)`: β = 0.5,
///   `decayInput`, hard reset to u_r = u_l = 0, Θ(0) = 1, H = U + (X − U)/τ. Its soft reset
///   (`v_reset=None`) is `reset: soft`; a v_reset ≠ 0 is `resetPotential` and `leakPotential` both.
/// - `snntorch` — `Leaky(beta, threshold=1, reset_mechanism="subtract")` (reset_delay on):
///   `delayedReset`, `reset: soft`, `strictThreshold`; `reset: hard` is `reset_mechanism="zero"`.
///   snnTorch has no default β; set `decay`.
/// - `norse` — `LIFBoxCell` (LIF without synaptic current; dt = 1 ms, τ_mem = 10 ms, v_leak =
///   v_reset = 0): β = 1 − dt/τ_mem = 0.9, `decayInput`, hard reset, `strictThreshold`,
///   `detachReset`: H = U + (dt/τ_mem)(u_l − U + X), U = (1 − S) H + S u_r. Norse's `LIFCell`,
///   which has a synaptic current, is `cuba-lif`.
public struct LIF: DiscreteNeuron {
    public static let name = "lif"

    public enum Parameter: Int, NeuronVariable {
        case decay, threshold
        public static var count: Int { 2 }
    }

    public enum ResetMode: String, ConfigurationChoice {
        /// To `resetPotential`.
        case hard
        /// By subtracting the threshold.
        case soft
    }

    /// β; the common direct-training values are 0.2–0.5.
    public var decay: InitialValue = 0.5
    /// θ.
    public var threshold: InitialValue = 1.0
    public var reset = ResetMode.hard
    /// u_r, the potential after a hard reset and before the first step.
    public var resetPotential = 0.0
    /// u_l, the potential the leak decays toward.
    public var leakPotential = 0.0
    /// Scale the input by 1 − β (SpikingJelly's `decay_input`).
    public var decayInput = false
    /// Spike when H > θ rather than H ≥ θ.
    public var strictThreshold = false
    /// No gradient through the spike in the reset.
    public var detachReset = false
    /// Reset from the previous step's potential (snnTorch's `reset_delay`).
    public var delayedReset = false
    /// Train β (PLIF).
    public var learnDecay = false
    public var learnThreshold = false

    public init() {}

    public static var conventions: [String: [String: Any]] {
        [
            "spikingjelly": [
                "decay": 0.5, "decayInput": true, "reset": "hard", "resetPotential": 0.0,
                "leakPotential": 0.0, "strictThreshold": false, "detachReset": false,
                "delayedReset": false,
            ],
            "snntorch": [
                "decayInput": false, "reset": "soft", "resetPotential": 0.0, "leakPotential": 0.0,
                "strictThreshold": true, "detachReset": false, "delayedReset": true,
            ],
            "norse": [
                "decay": 0.9, "decayInput": true, "reset": "hard", "resetPotential": 0.0, "leakPotential": 0.0,
                "strictThreshold": true, "detachReset": true, "delayedReset": false,
            ],
        ]
    }

    public static var conformanceConfigurations: [[String: Any]] {
        [
            ["reset": "soft", "learnDecay": true, "learnThreshold": true],
            ["resetPotential": -0.2, "leakPotential": 0.1, "detachReset": true],
            ["convention": "spikingjelly"], ["convention": "snntorch"], ["convention": "snntorch", "reset": "hard"],
            ["convention": "norse", "learnThreshold": true],
        ]
    }

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

    public func restingState<S: TensorScalar>(_ p: Values<Parameter, S>) -> Rest<Self, S> {
        Rest(value: S(resetPotential))
    }

    @inline(__always)
    public func charge<S: TensorScalar>(previous u: Values<Membrane, S>, input x: S, _ p: Values<Parameter, S>)
        -> Charge<Self, S>
    {
        // Every variant is computed first and the settings then choose between the results,
        // so that the engine's loops vectorise in any configuration (see `DiscreteNeuron`).
        let (beta, u, theta, ur, leak) = (p[.decay], u[.membrane], p[.threshold], S(resetPotential), S(leakPotential))
        let plain = (value: beta * u + x, dPrevious: beta, dDecay: u)
        // With `delayedReset`: whether U[t−1] crossed, and the potential the leak acts on (reset
        // to u_r if it crossed, under a hard reset) with its derivative in U[t−1].
        let distance = u - theta
        let crossed: S = distance > 0 || (!strictThreshold && distance == 0) ? 1 : 0
        let resetFirst = delayedReset && reset == .hard
        let (resetU, notCrossed) = ((1 - crossed) * u + crossed * ur, 1 - crossed)
        let (v, dv) = resetFirst ? (resetU, notCrossed) : (u, 1)
        let (drive, aboveLeak, gain) = (x - (v - leak), v - leak, 1 - beta)
        let decayed = (value: v + drive * gain, dInput: gain, dDecay: -drive)
        let leaked = (value: v - aboveLeak * gain + x, dInput: S(1), dDecay: aboveLeak)
        let general = decayInput ? decayed : leaked
        let subtractAfter = delayedReset && reset == .soft
        let (subtracted, dThreshold) = (general.value - crossed * theta, -crossed)
        let generalValue = subtractAfter ? subtracted : general.value
        let generalDPrevious = beta * dv
        let isPlain = !(delayedReset || decayInput || leakPotential != 0)
        return Charge(
            value: isPlain ? plain.value : generalValue, dPrevious: isPlain ? plain.dPrevious : generalDPrevious,
            dInput: isPlain ? 1 : general.dInput,
            dParameters: Values(SIMD4(isPlain ? plain.dDecay : general.dDecay, subtractAfter ? dThreshold : 0, 0, 0)))
    }

    @inline(__always)
    public func fire<S: TensorScalar, Shape: SurrogateShape>(
        potential h: Values<Membrane, S>, _ p: Values<Parameter, S>, _ surrogate: SurrogateStep<S, Shape>
    ) -> Fire<Self, S> {
        let distance = h[.membrane] - p[.threshold]
        let c = surrogate.crossing(distance)
        let value = strictThreshold && !Shape.isSmooth && distance == 0 ? 0 : c.value
        return Fire(
            value: value, dPotential: c.dDistance, dParameters: Values(.threshold, -c.dDistance),
            dSharpness: c.dSharpness)
    }

    @inline(__always)
    public func reset<S: TensorScalar>(potential h: Values<Membrane, S>, spike s: S, _ p: Values<Parameter, S>)
        -> Reset<Self, S>
    {
        let (h, theta, ur) = (h[.membrane], p[.threshold], S(resetPotential))
        let hard = (value: h * (1 - s) + ur * s, dPotential: 1 - s, dSpike: ur - h, dThreshold: S(0))
        let soft = (value: h - theta * s, dPotential: S(1), dSpike: -theta, dThreshold: -s)
        let chosen = reset == .soft ? soft : hard
        return Reset(
            value: delayedReset ? h : chosen.value, dPotential: delayedReset ? 1 : chosen.dPotential,
            dSpike: delayedReset || detachReset ? 0 : chosen.dSpike,
            dParameters: Values(.threshold, delayedReset ? 0 : chosen.dThreshold))
    }
}
