import CKernels
import Foundation

/// A continuous-time spiking neuron with a current-based exponential synapse, stated as closed
/// forms so that an event-driven simulator can jump from event to event exactly.
///
/// Between events the state (V, I) follows the plugin's ODE with τ_s dI/dt = −I, τ_s = τ/2. The
/// simulator only ever asks:
///
///     flow(state, interval)        state after an input-free interval (and its Jacobian)
///     spikeDecay(state)            e^{−Δt/τ} of the delay until the next spike (0: never), and
///                                  the gradient of Δt
///     velocity(state)              d(V, I)/dt, for the derivative of a flow by its end points
///     resetPotential               V right after a spike (I is kept)
///
/// and, for speed, `flow`, `flowWithJacobian` and `spikeDecayBound` of four neurons at once, each
/// lane bit-identical to the scalar function (defaults: lane by lane; `PackedUpdateTests` checks).
///
/// The synapse is shared by every plugin and therefore not part of the protocol: a presynaptic
/// spike adds its weight to I (∂I⁺/∂I⁻ = ∂I⁺/∂w = 1) and leaves V alone. Sibling of the
/// discrete-time `DiscreteNeuron` in the Neurons module: pure scalar maps and their derivatives,
/// everything else (event queue, recording, reverse pass) lives in the simulator.
public protocol EventDrivenNeuron: Sendable {
    /// The registry key (`lif-exact`, `qif-exact`).
    static var name: String { get }

    /// Every setting of the plugin with its default and domain, for the catalogue (`snn neurons`).
    static var settings: [EventNeuronSetting] { get }

    /// Non-default configurations the conformance suite also checks (default: none).
    static var conformanceConfigurations: [Self] { get }

    /// The default configuration with membrane time constant `tau`.
    init(tau: Double)

    /// Membrane time constant τ; the synaptic one is τ/2.
    var tau: Double { get }

    /// V after a spike (0 for LIF, −∞ for QIF).
    var resetPotential: Double { get }

    /// The V whose crossing is a spike (1 for LIF, +∞ for QIF's blow-up).
    var spikeThreshold: Double { get }

    /// The model's ODE, (dV/dt, dI/dt) at `state`, written from its equations and independently of
    /// the closed forms: the conformance suite integrates it to check them.
    func dynamics(_ state: NeuronState) -> NeuronState

    /// The state after `interval` without input.
    func flow(_ state: NeuronState, over interval: Interval) -> NeuronState

    /// `flow` together with its Jacobian with respect to the start state.
    func flowWithJacobian(_ state: NeuronState, over interval: Interval) -> Flow

    /// e^{−Δt/τ} for the time Δt until the next spike without further input, or 0 if the neuron
    /// never spikes. The simulator keys its queue by e^{−t_spike/τ}, which saves a logarithm per
    /// neuron update (`timeToSpike` is Δt itself).
    func spikeDecay(_ state: NeuronState) -> Double

    /// An upper bound on `spikeDecay` (a lower bound on the delay) that is cheaper to compute,
    /// and whether it is exact. The simulator evaluates `spikeDecay` only for neurons whose bound
    /// makes them a candidate for the next event. Default: the exact value.
    func spikeDecayBound(_ state: NeuronState) -> (bound: Double, exact: Bool)

    /// `flow` of four neurons at once, each lane bit-identical to `flow`: the simulator updates a
    /// layer four neurons per step, so a plugin whose flow vectorises runs its divisions and roots
    /// packed. Default: `flow` lane by lane.
    func flow(_ states: NeuronStates4, over intervals: Intervals4) -> NeuronStates4

    /// `spikeDecayBound` of four neurons, each lane bit-identical to it. Default: lane by lane.
    func spikeDecayBound(_ states: NeuronStates4) -> (bound: SIMD4<Double>, exact: SIMDMask<SIMD4<Int64>>)

    /// `flowWithJacobian` of four neurons, each lane bit-identical to it: the reverse pass
    /// recomputes the flows four at a time. Default: lane by lane.
    func flowWithJacobian(_ states: NeuronStates4, over intervals: Intervals4) -> Flows4

    /// ∂(timeToSpike)/∂(V, I) for a state that does spike (implicit-function theorem).
    func timeToSpikeGradient(_ state: NeuronState) -> NeuronState

    /// dV/dt and dI/dt at `state` as the flows move (finite for every state a flow can end in).
    /// Default: `dynamics`; a flow that caps V (QIF's ε reset) has velocity 0 at the cap.
    func velocity(_ state: NeuronState) -> NeuronState

    /// The pseudodynamics that give silent neurons a spike time after the trial, or nil if the
    /// model has none.
    func pseudospikeClock(potential: Double, drive: Double) -> PseudospikeClock?
}

/// The two state variables of a neuron, also used for their adjoints and gradients.
public struct NeuronState: Equatable, Sendable {
    /// Membrane potential.
    public var v: Double
    /// Synaptic current.
    public var i: Double

    @inline(__always)
    public init(v: Double, i: Double) { (self.v, self.i) = (v, i) }
}

/// An input-free interval of length Δ with the decay factors every closed form is written in:
/// x = e^{−Δ/τ} and s = 1 − x (computed without cancellation for small Δ).
///
/// The simulator builds one per distinct Δ, so the exponential is shared by all neurons of a
/// layer that were last updated at the same time.
public struct Interval: Sendable {
    public var delta: Double
    public var decay: Double
    public var growth: Double

    @inline(__always)
    public init(_ delta: Double, tau: Double) {
        self.delta = delta
        let e = Foundation.expm1(-delta / tau)
        decay = 1 + e
        growth = -e
    }

    @inline(__always)
    init(delta: Double, decay: Double, growth: Double) {
        (self.delta, self.decay, self.growth) = (delta, decay, growth)
    }
}

/// The states of four neurons, one per lane (see `EventDrivenNeuron.flow(_:over:)` for four).
public struct NeuronStates4: Sendable {
    public var v: SIMD4<Double>
    public var i: SIMD4<Double>

    @inline(__always)
    public init(v: SIMD4<Double>, i: SIMD4<Double>) { (self.v, self.i) = (v, i) }

    @inline(__always)
    public subscript(lane: Int) -> NeuronState {
        get { NeuronState(v: v[lane], i: i[lane]) }
        set { (v[lane], i[lane]) = (newValue.v, newValue.i) }
    }
}

extension SIMD4 where Scalar == Double {
    /// The square root of every lane as `Double.squareRoot()` takes it, except that a negative
    /// lane gives 0: for packed code that computes a root in every lane and discards those
    /// whose argument is negative. One packed instruction (`kernels_sqrt4`): Swift's own roots
    /// call libm per lane (the generic SIMD one always, `Double.squareRoot()` for a negative
    /// argument).
    @inline(__always)
    var laneSquareRoot: SIMD4<Double> { kernels_sqrt4(replacing(with: 0, where: self .< 0)) }
}

/// Four intervals, one per lane, each exactly as `Interval` computes it.
public struct Intervals4: Sendable {
    public var delta: SIMD4<Double>
    public var decay: SIMD4<Double>
    public var growth: SIMD4<Double>

    @inline(__always)
    public init(_ interval: Interval) {
        delta = SIMD4(repeating: interval.delta)
        decay = SIMD4(repeating: interval.decay)
        growth = SIMD4(repeating: interval.growth)
    }

    /// Built whole: setting lanes one by one through the subscript goes through memory.
    @inline(__always)
    public init(_ a: Interval, _ b: Interval, _ c: Interval, _ d: Interval) {
        delta = SIMD4(a.delta, b.delta, c.delta, d.delta)
        decay = SIMD4(a.decay, b.decay, c.decay, d.decay)
        growth = SIMD4(a.growth, b.growth, c.growth, d.growth)
    }

    @inline(__always)
    public subscript(lane: Int) -> Interval {
        get { Interval(delta: delta[lane], decay: decay[lane], growth: growth[lane]) }
        set { (delta[lane], decay[lane], growth[lane]) = (newValue.delta, newValue.decay, newValue.growth) }
    }
}

/// A flow's end state with ∂V/∂V₀, ∂V/∂I₀ and ∂I/∂I₀ (I never depends on V).
public struct Flow: Sendable {
    public var state: NeuronState
    public var dVdV: Double
    public var dVdI: Double
    public var dIdI: Double

    @inline(__always)
    public init(state: NeuronState, dVdV: Double, dVdI: Double, dIdI: Double) {
        (self.state, self.dVdV, self.dVdI, self.dIdI) = (state, dVdV, dVdI, dIdI)
    }
}

/// Four flows, one per lane (see `EventDrivenNeuron.flowWithJacobian(_:over:)` for four).
public struct Flows4: Sendable {
    public var state: NeuronStates4
    public var dVdV: SIMD4<Double>
    public var dVdI: SIMD4<Double>
    public var dIdI: SIMD4<Double>

    @inline(__always)
    public init(state: NeuronStates4, dVdV: SIMD4<Double>, dVdI: SIMD4<Double>, dIdI: SIMD4<Double>) {
        (self.state, self.dVdV, self.dVdI, self.dIdI) = (state, dVdV, dVdI, dIdI)
    }

    @inline(__always)
    public subscript(lane: Int) -> Flow {
        get { Flow(state: state[lane], dVdV: dVdV[lane], dVdI: dVdI[lane], dIdI: dIdI[lane]) }
        set {
            state[lane] = newValue.state
            (dVdV[lane], dVdI[lane], dIdI[lane]) = (newValue.dVdV, newValue.dVdI, newValue.dIdI)
        }
    }
}

/// Pseudospikes of a neuron driven by a constant current after the trial: the k-th falls at
/// T + k·period − phase. Carries the derivatives of period and phase.
public struct PseudospikeClock: Sendable {
    public var period: Double
    public var phase: Double
    public var dPeriodDDrive: Double
    public var dPhaseDPotential: Double
    public var dPhaseDDrive: Double

    public init(period: Double, phase: Double, dPeriodDDrive: Double, dPhaseDPotential: Double, dPhaseDDrive: Double) {
        (self.period, self.phase) = (period, phase)
        (self.dPeriodDDrive, self.dPhaseDPotential, self.dPhaseDDrive) = (dPeriodDDrive, dPhaseDPotential, dPhaseDDrive)
    }
}

extension EventDrivenNeuron {
    public var name: String { Self.name }

    /// The time until the next spike without further input, or +∞ if the neuron never spikes.
    public func timeToSpike(_ state: NeuronState) -> Double {
        let decay = spikeDecay(state)
        return decay > 0 ? -tau * Foundation.log(decay) : .infinity
    }
    public func pseudospikeClock(potential: Double, drive: Double) -> PseudospikeClock? { nil }
    public func spikeDecayBound(_ state: NeuronState) -> (bound: Double, exact: Bool) { (spikeDecay(state), true) }
    public func velocity(_ state: NeuronState) -> NeuronState { dynamics(state) }

    @inline(__always)
    public func flow(_ states: NeuronStates4, over intervals: Intervals4) -> NeuronStates4 {
        flowLaneByLane(states, over: intervals)
    }

    @inline(__always)
    public func spikeDecayBound(_ states: NeuronStates4) -> (bound: SIMD4<Double>, exact: SIMDMask<SIMD4<Int64>>) {
        spikeDecayBoundLaneByLane(states)
    }

    @inline(__always)
    public func flowWithJacobian(_ states: NeuronStates4, over intervals: Intervals4) -> Flows4 {
        flowWithJacobianLaneByLane(states, over: intervals)
    }

    /// `flowWithJacobian` for four, lane by lane (see `flowLaneByLane`).
    @inline(__always)
    func flowWithJacobianLaneByLane(_ states: NeuronStates4, over intervals: Intervals4) -> Flows4 {
        let zero = SIMD4<Double>()
        var flows = Flows4(state: states, dVdV: zero, dVdI: zero, dIdI: zero)
        for lane in 0..<4 { flows[lane] = flowWithJacobian(states[lane], over: intervals[lane]) }
        return flows
    }

    /// `flow` for four, lane by lane: the default, and a packed flow's way out for unusual lanes.
    @inline(__always)
    func flowLaneByLane(_ states: NeuronStates4, over intervals: Intervals4) -> NeuronStates4 {
        var end = states
        for lane in 0..<4 { end[lane] = flow(states[lane], over: intervals[lane]) }
        return end
    }

    /// `spikeDecayBound` for four, lane by lane (see `flowLaneByLane`).
    @inline(__always)
    func spikeDecayBoundLaneByLane(_ states: NeuronStates4) -> (bound: SIMD4<Double>, exact: SIMDMask<SIMD4<Int64>>) {
        var bound = SIMD4<Double>()
        var exact = SIMDMask<SIMD4<Int64>>()
        for lane in 0..<4 { (bound[lane], exact[lane]) = spikeDecayBound(states[lane]) }
        return (bound, exact)
    }
    public static var conformanceConfigurations: [Self] { [] }
}

/// One setting of an event-driven plugin as the catalogue shows it.
public struct EventNeuronSetting: Sendable, Equatable {
    public var name: String
    /// The default, as a config would write it (`1`, `"epsilon"`).
    public var value: String
    /// A `ParameterDomain` raw value for numbers (`positive`, `real`), else the allowed values.
    public var domain: String
    /// Where an experiment config sets it (`model.tau`).
    public var configKey: String

    public init(name: String, value: String, domain: String, configKey: String) {
        (self.name, self.value, self.domain, self.configKey) = (name, value, domain, configKey)
    }

    /// τ, which every plugin has and the SHD experiment sets as `model.tau`.
    public static let tau = EventNeuronSetting(name: "tau", value: "1.0", domain: "positive", configKey: "model.tau")
}

/// Event-driven plugins by name, for configs and command lines.
public enum EventNeuronRegistry {
    /// Every event-driven plugin, one line each. `make new-neuron KIND=event NAME=…` appends here;
    /// `NeuronCatalogue` lists these beside the discrete-time plugins.
    public static let plugins: [any EventDrivenNeuron.Type] = [
        ExactLIF.self,
        ExactQIF.self,
    ]

    /// Every registered plugin's name, sorted.
    public static let names: [String] = plugins.map { $0.name }.sorted()

    /// The plugin registered under `name`.
    public static func plugin(named name: String) throws(UnknownEventNeuron) -> any EventDrivenNeuron.Type {
        guard let plugin = plugins.first(where: { $0.name == name }) else { throw UnknownEventNeuron(name: name) }
        return plugin
    }

    /// The plugin registered under `name` with its default configuration and the given τ.
    public static func neuron(named name: String, tau: Double = 1) throws(UnknownEventNeuron) -> any EventDrivenNeuron {
        try plugin(named: name).init(tau: tau)
    }
}

/// An unknown plugin name; the message lists the known ones.
public struct UnknownEventNeuron: Error, CustomStringConvertible {
    public var name: String
    public var description: String {
        "unknown event-driven neuron '\(name)'; known: \(EventNeuronRegistry.names.joined(separator: ", "))"
    }
}
