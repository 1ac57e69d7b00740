import TensorRuntime

/// Resonate-and-fire neuron (Izhikevich 2001, "Resonate-and-fire neurons", Neural Networks 14):
/// a damped oscillator z = x + iy driven by its input, firing when y crosses a threshold,
///
///     ż = (b + iω) z + I,
///
/// so it responds to input at its eigenfrequency ω and ignores (or is silenced by) input out of
/// phase with it: a pulse pair one period apart fires it, half a period apart does not. With
/// the flow over one step taken exactly and the input added as an impulse (λ = e^{bΔ} the
/// damping per step, φ = ωΔ the rotation per step; the discretisation of Orchard et al. 2021):
///
///     H_x[t] = λ (cos φ x[t−1] − sin φ y[t−1]) + X[t]
///     H_y[t] = λ (sin φ x[t−1] + cos φ y[t−1])
///     S[t] = Θ(H_y[t] − θ)
///     (x, y)[t] = (1 − S[t]) (H_x, H_y)[t]       x[−1] = y[−1] = 0
///
/// Our choices: the reset is to z = 0 (Izhikevich resets to a fixed z₀ on the rest orbit) and
/// the defaults λ = 0.95, φ = 2π/10 (a period of ten steps), θ = 1.
public struct ResonateAndFire: DiscreteNeuron {
    public static let name = "rf"

    public enum Parameter: Int, NeuronVariable {
        case decay, frequency, threshold
        public static var count: Int { 3 }
    }

    public enum StateVariable: Int, NeuronVariable {
        /// y, the component that fires (listed first: the layer's potentials).
        case imaginary
        /// x, the component the input drives.
        case real
        public static var count: Int { 2 }
    }

    /// λ, the damping per step.
    public var decay: InitialValue = 0.95
    /// φ, the rotation per step in radians (2π over the period in steps).
    public var frequency = InitialValue(2 * Double.pi / 10)
    /// θ.
    public var threshold: InitialValue = 1.0
    public var learnDecay = false
    public var learnFrequency = false
    public var learnThreshold = false

    public init() {}

    public static var conformanceConfigurations: [[String: Any]] {
        [["frequency": 1.3, "learnDecay": true, "learnFrequency": true, "learnThreshold": true]]
    }

    public func initialValue(of parameter: Parameter) -> Double {
        switch parameter {
        case .decay: decay.initial
        case .frequency: frequency.initial
        case .threshold: threshold.initial
        }
    }

    public var learnableParameters: Set<Parameter> {
        Set((learnDecay ? [.decay] : []) + (learnFrequency ? [.frequency] : []) + (learnThreshold ? [.threshold] : []))
    }

    public static func domain(of parameter: Parameter) -> ParameterDomain {
        switch parameter {
        case .decay: .unitInterval
        case .frequency: .real
        case .threshold: .positive
        }
    }

    public func restingState<S: TensorScalar>(_ p: Values<Parameter, S>) -> Rest<Self, S> { Rest(value: .zero) }

    @inline(__always)
    public func charge<S: TensorScalar>(previous u: Values<StateVariable, S>, input x: S, _ p: Values<Parameter, S>)
        -> Charge<Self, S>
    {
        let (lambda, cosine, sine) = (p[.decay], S.cos(p[.frequency]), S.sin(p[.frequency]))
        let (re, im) = (u[.real], u[.imaginary])
        let rotatedRe = cosine * re - sine * im
        let rotatedIm = sine * re + cosine * im
        var c = Charge<Self, S>(value: Values())
        c.value[.real] = lambda * rotatedRe + x
        c.value[.imaginary] = lambda * rotatedIm
        c.dPrevious[.real, .real] = lambda * cosine
        c.dPrevious[.real, .imaginary] = -lambda * sine
        c.dPrevious[.imaginary, .real] = lambda * sine
        c.dPrevious[.imaginary, .imaginary] = lambda * cosine
        c.dInput[.real] = 1
        c.dParameters[.real, .decay] = rotatedRe
        c.dParameters[.imaginary, .decay] = rotatedIm
        c.dParameters[.real, .frequency] = -lambda * rotatedIm
        c.dParameters[.imaginary, .frequency] = lambda * rotatedRe
        return c
    }

    @inline(__always)
    public func fire<S: TensorScalar, Shape: SurrogateShape>(
        potential h: Values<StateVariable, S>, _ p: Values<Parameter, S>, _ surrogate: SurrogateStep<S, Shape>
    ) -> Fire<Self, S> {
        let c = surrogate.crossing(h[.imaginary] - p[.threshold])
        var fire = Fire<Self, S>(
            value: c.value, dPotential: Values(), dParameters: Values(.threshold, -c.dDistance),
            dSharpness: c.dSharpness)
        fire.dPotential[.imaginary] = c.dDistance
        return fire
    }

    @inline(__always)
    public func reset<S: TensorScalar>(potential h: Values<StateVariable, S>, spike s: S, _ p: Values<Parameter, S>)
        -> Reset<Self, S>
    {
        var r = Reset<Self, S>(value: Values(h.vector * (1 - s)))
        r.dPotential[.real, .real] = 1 - s
        r.dPotential[.imaginary, .imaginary] = 1 - s
        r.dSpike[.real] = -h[.real]
        r.dSpike[.imaginary] = -h[.imaginary]
        return r
    }
}
