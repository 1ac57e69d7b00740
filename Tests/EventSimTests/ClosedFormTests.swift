import Foundation
import TensorRuntime
import XCTest

@testable import EventSim

/// Closed-form flows and spike times against fine-step RK4 integration of the ODEs, and their
/// derivatives against central finite differences, for every current regime.
final class ClosedFormTests: XCTestCase {
    let tau = 1.3

    // MARK: Reference integrators

    /// RK4 of (V, I) for LIF over `delta`.
    func integrateLIF(_ s: NeuronState, _ delta: Double, steps: Int = 20000) -> NeuronState {
        let h = delta / Double(steps)
        var y = (s.v, s.i)
        func f(_ y: (Double, Double)) -> (Double, Double) { ((y.1 - y.0) / tau, -2 * y.1 / tau) }
        for _ in 0..<steps {
            let k1 = f(y)
            let k2 = f((y.0 + h / 2 * k1.0, y.1 + h / 2 * k1.1))
            let k3 = f((y.0 + h / 2 * k2.0, y.1 + h / 2 * k2.1))
            let k4 = f((y.0 + h * k3.0, y.1 + h * k3.1))
            y = (y.0 + h / 6 * (k1.0 + 2 * k2.0 + 2 * k3.0 + k4.0), y.1 + h / 6 * (k1.1 + 2 * k2.1 + 2 * k3.1 + k4.1))
        }
        return NeuronState(v: y.0, i: y.1)
    }

    /// First time V reaches 1 (LIF) within `horizon`, by RK4 steps and linear interpolation.
    func lifCrossing(_ s: NeuronState, horizon: Double, h: Double = 1e-5) -> Double? {
        var state = s
        var t = 0.0
        while t < horizon {
            let next = integrateLIF(state, h, steps: 1)
            if next.v >= 1 { return t + h * (1 - state.v) / (next.v - state.v) }
            (state, t) = (next, t + h)
        }
        return nil
    }

    /// QIF in the phase ψ = arctan V, which is regular through the spike (ψ = π/2):
    /// τ dψ/dt = sin²ψ − sinψ cosψ + I cos²ψ. Returns the end state or the spike time.
    func integrateQIF(_ s: NeuronState, horizon: Double, h: Double = 1e-4) -> (state: NeuronState, spike: Double?) {
        func f(_ y: (Double, Double)) -> (Double, Double) {
            let (sn, cs) = (Foundation.sin(y.0), Foundation.cos(y.0))
            return ((sn * sn - sn * cs + y.1 * cs * cs) / tau, -2 * y.1 / tau)
        }
        var y = (Foundation.atan(s.v), s.i)
        var t = 0.0
        let steps = Int((horizon / h).rounded(.up))
        let h = horizon / Double(steps)
        for _ in 0..<steps {
            let k1 = f(y)
            let k2 = f((y.0 + h / 2 * k1.0, y.1 + h / 2 * k1.1))
            let k3 = f((y.0 + h / 2 * k2.0, y.1 + h / 2 * k2.1))
            let k4 = f((y.0 + h * k3.0, y.1 + h * k3.1))
            let next = (
                y.0 + h / 6 * (k1.0 + 2 * k2.0 + 2 * k3.0 + k4.0), y.1 + h / 6 * (k1.1 + 2 * k2.1 + 2 * k3.1 + k4.1)
            )
            if next.0 >= .pi / 2 { return (s, t + h * (.pi / 2 - y.0) / (next.0 - y.0)) }
            (y, t) = (next, t + h)
        }
        return (NeuronState(v: Foundation.tan(y.0), i: y.1), nil)
    }

    // MARK: LIF

    let lifCases: [NeuronState] = [
        NeuronState(v: 0, i: 5), NeuronState(v: 0.5, i: 2.5), NeuronState(v: 0.3, i: 1),  // I > 0, spike or not
        NeuronState(v: 0.7, i: 0), NeuronState(v: 0.4, i: -2), NeuronState(v: -0.5, i: 6), NeuronState(v: 0.5, i: 3),
    ]

    func testLIFFlowMatchesIntegration() {
        let lif = ExactLIF(tau: tau)
        for s in lifCases {
            let exact = lif.flow(s, over: Interval(0.6, tau: tau))
            let numeric = integrateLIF(s, 0.6)
            XCTAssertEqual(exact.v, numeric.v, accuracy: 1e-10, "\(s)")
            XCTAssertEqual(exact.i, numeric.i, accuracy: 1e-10, "\(s)")
        }
    }

    func testLIFSpikeTimeMatchesIntegration() {
        let lif = ExactLIF(tau: tau)
        var spiking = 0
        for s in lifCases {
            let exact = lif.timeToSpike(s)
            if let numeric = lifCrossing(s, horizon: 4) {
                spiking += 1
                XCTAssertEqual(exact, numeric, accuracy: 1e-7, "\(s)")
            } else {
                XCTAssertTrue(exact > 4, "\(s): closed form spikes at \(exact), integration never")
            }
        }
        XCTAssertEqual(spiking, 3)
    }

    // MARK: QIF

    /// (state, expected to spike): every sign of I, below and above the separatrix, I ≈ 0.
    let qifCases: [(NeuronState, Bool)] = [
        (NeuronState(v: 0, i: 3), true), (NeuronState(v: -.infinity, i: 12), true),
        (NeuronState(v: -2, i: 1.5), false), (NeuronState(v: 0.9, i: 0.5), true),
        (NeuronState(v: 1.5, i: 0), true), (NeuronState(v: 0.9, i: 0), false),
        (NeuronState(v: 1.5, i: 1e-9), true), (NeuronState(v: 1.5, i: -1e-9), true),
        (NeuronState(v: 3, i: -1), true), (NeuronState(v: 1.2, i: -1), false),
        (NeuronState(v: 0.5, i: -1), false), (NeuronState(v: -1, i: -0.5), false),
        (NeuronState(v: 40, i: 7), true), (NeuronState(v: 0.2, i: 0.02), false),
    ]

    func testQIFSpikeTimesMatchIntegrationInEveryRegime() {
        let qif = ExactQIF(tau: tau)
        for (s, spikes) in qifCases {
            let exact = qif.timeToSpike(s)
            let numeric = integrateQIF(s.v == -.infinity ? NeuronState(v: -1e300, i: s.i) : s, horizon: 12).spike
            XCTAssertEqual(numeric != nil, spikes, "reference integration disagrees with the test case \(s)")
            if let numeric {
                XCTAssertEqual(exact, numeric, accuracy: 1e-7, "\(s)")
            } else {
                XCTAssertTrue(exact > 12, "\(s): closed form spikes at \(exact), integration never")
            }
        }
    }

    func testQIFSpikeTimesMatchPaperFormulas() {
        let qif = ExactQIF(tau: tau)
        // I = 0, V > 1: Δt = τ ln(V/(V − 1)).
        XCTAssertEqual(qif.timeToSpike(NeuronState(v: 1.5, i: 0)), tau * Foundation.log(3), accuracy: 1e-14)
        // I > 0: Δt = −τ ln(1 − π/(2√I) + arctan(V/√I)/√I).
        let (v, i) = (0.3, 4.0)
        XCTAssertEqual(
            qif.timeToSpike(NeuronState(v: v, i: i)),
            -tau
                * Foundation.log(1 - .pi / (2 * i.squareRoot()) + Foundation.atan(v / i.squareRoot()) / i.squareRoot()),
            accuracy: 1e-13)
        // I < 0: Δt = −τ ln(1 − arctanh(√|I|/V)/√|I|).
        XCTAssertEqual(
            qif.timeToSpike(NeuronState(v: 3, i: -1)), -tau * Foundation.log(1 - Foundation.atanh(1.0 / 3)),
            accuracy: 1e-13)
        // A resting neuron needs an initial current above π²/4.
        XCTAssertTrue(qif.timeToSpike(NeuronState(v: 0, i: .pi * .pi / 4 * 0.999)).isInfinite)
        XCTAssertTrue(qif.timeToSpike(NeuronState(v: 0, i: .pi * .pi / 4 * 1.001)).isFinite)
    }

    func testQIFFlowMatchesIntegrationInEveryRegime() {
        let qif = ExactQIF(tau: tau)
        for (s, _) in qifCases {
            let horizon = Swift.min(0.8, 0.6 * qif.timeToSpike(s))
            let exact = qif.flow(s, over: Interval(horizon, tau: tau))
            let numeric = integrateQIF(s.v == -.infinity ? NeuronState(v: -1e300, i: s.i) : s, horizon: horizon).state
            XCTAssertEqual(exact.v, numeric.v, accuracy: 1e-8 * Swift.max(1, Swift.abs(numeric.v)), "\(s)")
            XCTAssertEqual(exact.i, numeric.i, accuracy: 1e-10, "\(s)")
        }
    }

    // MARK: Derivatives

    func checkDerivatives<N: EventDrivenNeuron>(
        _ neuron: N, _ cases: [NeuronState], file: StaticString = #filePath,
        line: UInt = #line
    ) {
        let h = 1e-6
        func close(_ a: Double, _ b: Double, _ what: String) {
            XCTAssertEqual(a, b, accuracy: 2e-6 * Swift.max(1, Swift.abs(b)), what, file: file, line: line)
        }
        for s in cases {
            let spike = neuron.timeToSpike(s)
            let delta = spike.isFinite ? 0.5 * spike : 0.7
            let interval = Interval(delta, tau: neuron.tau)
            let f = neuron.flowWithJacobian(s, over: interval)
            let flowV = { (v: Double, i: Double) in neuron.flow(NeuronState(v: v, i: i), over: interval) }
            if s.v.isFinite {
                close(f.dVdV, (flowV(s.v + h, s.i).v - flowV(s.v - h, s.i).v) / (2 * h), "∂V/∂V₀ at \(s)")
            }
            close(f.dVdI, (flowV(s.v, s.i + h).v - flowV(s.v, s.i - h).v) / (2 * h), "∂V/∂I₀ at \(s)")
            close(f.dIdI, (flowV(s.v, s.i + h).i - flowV(s.v, s.i - h).i) / (2 * h), "∂I/∂I₀ at \(s)")
            // d/dΔ of the flow is the velocity at its end.
            let later = neuron.flow(s, over: Interval(delta + h, tau: neuron.tau))
            let earlier = neuron.flow(s, over: Interval(delta - h, tau: neuron.tau))
            close(neuron.velocity(f.state).v, (later.v - earlier.v) / (2 * h), "dV/dt at \(s)")
            guard spike.isFinite else { continue }
            let g = neuron.timeToSpikeGradient(s)
            let t = { (v: Double, i: Double) in neuron.timeToSpike(NeuronState(v: v, i: i)) }
            if s.v.isFinite { close(g.v, (t(s.v + h, s.i) - t(s.v - h, s.i)) / (2 * h), "∂Δt/∂V at \(s)") }
            close(g.i, (t(s.v, s.i + h) - t(s.v, s.i - h)) / (2 * h), "∂Δt/∂I at \(s)")
        }
    }

    func testLIFDerivativesMatchFiniteDifferences() {
        checkDerivatives(ExactLIF(tau: tau), lifCases)
    }

    func testQIFDerivativesMatchFiniteDifferences() {
        checkDerivatives(
            ExactQIF(tau: tau), qifCases.map(\.0) + [NeuronState(v: 2, i: 0.01), NeuronState(v: -3, i: 20)])
    }

    /// The simulator's event order relies on the cheap bound never being below the exact key.
    func testQIFSpikeDecayBoundNeverUndercutsTheExactValue() {
        let qif = ExactQIF(tau: tau)
        var rng = SeededRNG(seed: 3)
        for k in 0..<20000 {
            let v = k % 97 == 0 ? -Double.infinity : Double.random(in: -30...30, using: &rng)
            let s = NeuronState(v: v, i: Double.random(in: -20...400, using: &rng))
            let exact = qif.spikeDecay(s)
            let (bound, isExact) = qif.spikeDecayBound(s)
            if isExact {
                XCTAssertEqual(bound, exact, "\(s)")
            } else {
                XCTAssertGreaterThanOrEqual(bound, exact, "\(s)")
            }
        }
    }

    func testQIFPseudospikeClockDerivatives() {
        let qif = ExactQIF(tau: tau)
        let h = 1e-6
        for (v, drive) in [(0.3, 7.0), (-4.0, 2.0), (25.0, 12.0)] {
            let c = qif.pseudospikeClock(potential: v, drive: drive)!
            let p = { (v: Double, d: Double) in qif.pseudospikeClock(potential: v, drive: d)! }
            XCTAssertEqual(c.dPeriodDDrive, (p(v, drive + h).period - p(v, drive - h).period) / (2 * h), accuracy: 1e-7)
            XCTAssertEqual(c.dPhaseDDrive, (p(v, drive + h).phase - p(v, drive - h).phase) / (2 * h), accuracy: 1e-7)
            XCTAssertEqual(
                c.dPhaseDPotential, (p(v + h, drive).phase - p(v - h, drive).phase) / (2 * h), accuracy: 1e-7)
        }
        // As V_end → +∞ the first pseudospike approaches the trial end.
        let c = qif.pseudospikeClock(potential: 1e9, drive: 5)!
        XCTAssertEqual(c.period - c.phase, 0, accuracy: 1e-8)
    }

    func testRegistryListsPluginsAndRejectsUnknownNames() throws {
        XCTAssertEqual(EventNeuronRegistry.names, ["lif-exact", "qif-exact"])
        XCTAssertEqual(try EventNeuronRegistry.neuron(named: "qif-exact", tau: 2).tau, 2)
        XCTAssertThrowsError(try EventNeuronRegistry.neuron(named: "theta")) { error in
            XCTAssertEqual("\(error)", "unknown event-driven neuron 'theta'; known: lif-exact, qif-exact")
        }
    }
}
