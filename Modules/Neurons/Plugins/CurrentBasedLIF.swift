import TensorRuntime

/// Current-based leaky integrate-and-fire (CUBA LIF): input spikes charge an exponentially
/// decaying synaptic current I, which in turn charges the membrane V; the most common neuron in
/// the SHD literature and NIR's `CubaLIF`:
///
///     τ_syn dI/dt = −I + X          τ_mem dV/dt = (v_leak − V) + I,   spike and V ← v_reset at V > θ
///
/// discretised as Norse's `LIFCell` does (`lif_feed_forward_step`, forward Euler with step dt;
/// β_mem = 1 − dt/τ_mem, β_syn = 1 − dt/τ_syn; the membrane sees the current of the previous
/// step, the input enters the current undelayed):
///
///     H_V[t] = V[t−1] + (1 − β_mem)(v_leak − V[t−1] + I[t−1])     H_I[t] = β_syn I[t−1] + X[t]
///     S[t] = Θ(H_V[t] − θ)                      Θ(0) = 0 unless `strictThreshold` is off
///     V[t] = (1 − S[t]) H_V[t] + S[t] v_reset   I[t] = H_I[t]
///     V[−1] = v_leak, I[−1] = 0
///
/// Norse detaches S in the reset (no gradient through it) unless `detachReset` is off. The
/// defaults are Norse's: dt = 1 ms, τ_mem = 10 ms, τ_syn = 5 ms (β_mem = 0.9, β_syn = 0.8),
/// θ = 1, v_leak = v_reset = 0. The input X is Norse's `input_tensor`, in NIR the weighted spikes
/// w_in·S times dt/τ_syn.
public struct CurrentBasedLIF: DiscreteNeuron {
    public static let name = "cuba-lif"

    public enum Parameter: Int, NeuronVariable {
        case membraneDecay, synapticDecay, threshold
        public static var count: Int { 3 }
    }

    public enum StateVariable: Int, NeuronVariable {
        case membrane, current
        public static var count: Int { 2 }
    }

    /// β_mem = 1 − dt/τ_mem.
    public var membraneDecay: InitialValue = 0.9
    /// β_syn = 1 − dt/τ_syn.
    public var synapticDecay: InitialValue = 0.8
    /// θ.
    public var threshold: InitialValue = 1.0
    /// v_leak, the potential the membrane relaxes to, and its value before the first step.
    public var leakPotential = 0.0
    /// v_reset.
    public var resetPotential = 0.0
    /// Spike when H > θ (Norse) rather than H ≥ θ.
    public var strictThreshold = true
    /// No gradient through the spike in the reset (Norse).
    public var detachReset = true
    public var learnDecays = false
    public var learnThreshold = false

    public init() {}

    public static var conformanceConfigurations: [[String: Any]] {
        [
            [
                "strictThreshold": false, "detachReset": false, "leakPotential": 0.1, "resetPotential": -0.1,
                "learnDecays": true, "learnThreshold": true,
            ]
        ]
    }

    public func initialValue(of parameter: Parameter) -> Double {
        switch parameter {
        case .membraneDecay: membraneDecay.initial
        case .synapticDecay: synapticDecay.initial
        case .threshold: threshold.initial
        }
    }

    public var learnableParameters: Set<Parameter> {
        Set((learnDecays ? [.membraneDecay, .synapticDecay] : []) + (learnThreshold ? [.threshold] : []))
    }

    public static func domain(of parameter: Parameter) -> ParameterDomain {
        parameter == .threshold ? .positive : .unitInterval
    }

    public func restingState<S: TensorScalar>(_ p: Values<Parameter, S>) -> Rest<Self, S> {
        var rest = Values<StateVariable, S>()
        rest[.membrane] = S(leakPotential)
        return Rest(value: rest)
    }

    @inline(__always)
    public func charge<S: TensorScalar>(previous u: Values<StateVariable, S>, input x: S, _ p: Values<Parameter, S>)
        -> Charge<Self, S>
    {
        let (v, i, betaMem, betaSyn) = (u[.membrane], u[.current], p[.membraneDecay], p[.synapticDecay])
        let drive = S(leakPotential) - v + i
        var c = Charge<Self, S>(value: Values())
        c.value[.membrane] = v + (1 - betaMem) * drive
        c.value[.current] = betaSyn * i + x
        c.dPrevious[.membrane, .membrane] = betaMem
        c.dPrevious[.membrane, .current] = 1 - betaMem
        c.dPrevious[.current, .current] = betaSyn
        c.dInput[.current] = 1
        c.dParameters[.membrane, .membraneDecay] = -drive
        c.dParameters[.current, .synapticDecay] = i
        return c
    }

    @inline(__always)
    public func fire<S: TensorScalar, Shape: SurrogateShape>(
        potential h: Values<StateVariable, S>, _ p: Values<Parameter, S>, _ surrogate: SurrogateStep<S, Shape>
    ) -> Fire<Self, S> {
        let distance = h[.membrane] - p[.threshold]
        let c = surrogate.crossing(distance)
        var fire = Fire<Self, S>(
            value: strictThreshold && !Shape.isSmooth && distance == 0 ? 0 : c.value,
            dPotential: Values(), dParameters: Values(.threshold, -c.dDistance),
            dSharpness: c.dSharpness)
        fire.dPotential[.membrane] = c.dDistance
        return fire
    }

    @inline(__always)
    public func reset<S: TensorScalar>(potential h: Values<StateVariable, S>, spike s: S, _ p: Values<Parameter, S>)
        -> Reset<Self, S>
    {
        let (v, reset) = (h[.membrane], S(resetPotential))
        var r = Reset<Self, S>(value: h)
        r.value[.membrane] = (1 - s) * v + s * reset
        r.dPotential[.membrane, .membrane] = 1 - s
        r.dPotential[.current, .current] = 1
        r.dSpike[.membrane] = detachReset ? 0 : reset - v
        return r
    }
}
