import Foundation
import TensorRuntime
import XCTest

@testable import EventSim

/// The method's pseudodynamics (phase pseudo-rate, reset −1/ε) on networks small enough to
/// derive every number by hand: one input spike at t = 0 into one hidden QIF neuron, whose
/// spikes drive two output neurons. τ = 1, T = 2.
final class PseudodynamicsTests: XCTestCase {
    static let duration = 2.0
    static let input = SpikeTrain(times: [0], channels: [0])

    /// Weights [w_in], [w_out0, w_out1], with gradients recorded.
    static func weights(_ w: [Double]) -> [Tensor] {
        [
            Tensor(shape: [1, 1], scalars: [w[0]]).requiringGrad(),
            Tensor(shape: [1, 2], scalars: [w[1], w[2]]).requiringGrad(),
        ]
    }

    static func network(_ rate: PseudoRate, _ reset: QIFReset) -> EventNetwork<ExactQIF> {
        EventNetwork(
            neuron: ExactQIF(tau: 1, reset: reset),
            config: EventNetworkConfig(layerSizes: [1, 1, 2], duration: duration, pseudoRate: rate))
    }

    /// Output slot times, the loss (label 0) and its gradient by the exact reverse pass.
    static func run(_ net: EventNetwork<ExactQIF>, _ w: [Double]) throws
        -> (out: EventNetworkOutput, loss: Double, gradient: [Double])
    {
        let leaves = weights(w)
        let out = try net(weights: leaves, inputs: [input])
        let loss = EventLosses.firstSpikeCrossEntropy(
            spikeTimes: out.spikeTimes, labels: [0], gamma: 1e-2, duration: duration)
        loss.backward()
        return (out, loss.item, leaves.flatMap { $0.grad!.doubles })
    }

    // MARK: Hand-derived closed forms (the notes' formulas, written out here, not the code's)

    /// V after Δ without input, I > 0: √I e^{−Δ} tan(arctan(V/√I) + √I (1 − e^{−Δ})).
    static func flowV(_ v: Double, _ i: Double, _ delta: Double) -> Double {
        let b = i.squareRoot()
        let x = Foundation.exp(-delta)
        return b * x * Foundation.tan(Foundation.atan(v / b) + b * (1 - x))
    }

    static func softplus(_ x: Double) -> Double { 10 * Foundation.log(1 + Foundation.exp(x / 10)) }

    /// φ_p / τ and Θ_p / τ of a neuron with V_end and pseudo input x (I_p = softplus(x)).
    static func clock(_ v: Double, _ x: Double) -> (phase: Double, period: Double) {
        let b = softplus(x).squareRoot()
        return ((Foundation.atan((v - 0.5) / b) + Double.pi / 2) / b, Double.pi / b)
    }

    struct HandValues {
        var hiddenSpike: Double
        var pseudospikes: [Double]
        var loss: Double
    }

    /// The 2-neuron case by hand with reset −1/ε and the phase rate: the hidden neuron starts at
    /// rest with I = w_in, spikes once at t₁ = −ln(1 − π/(2√w_in)) (no second spike: checked),
    /// restarts at V = −10⁶ with I₁ = w_in e^{−2t₁}; the outputs, hit by w_out at t₁, stay silent
    /// and fire their pseudospikes at T + Θ − φ with I_p = softplus(I_end + w_out r), r = φ_h/Θ_h.
    static func byHand(_ w: [Double]) -> HandValues {
        let t1 = -Foundation.log(1 - Double.pi / (2 * w[0].squareRoot()))
        let i1 = w[0] * Foundation.exp(-2 * t1)
        // Second spike needs √I + arctan(V/√I) > π/2 from V = −10⁶.
        precondition(i1.squareRoot() + Foundation.atan(-1e6 / i1.squareRoot()) < Double.pi / 2)
        let rest = duration - t1
        let hidden = (v: flowV(-1e6, i1, rest), i: i1 * Foundation.exp(-2 * rest))
        let h = clock(hidden.v, hidden.i)
        let rate = h.phase / h.period
        let times = [w[1], w[2]].map { wo -> Double in
            let end = (v: flowV(0, wo, rest), i: wo * Foundation.exp(-2 * rest))
            let c = clock(end.v, end.i + wo * rate)
            return duration + c.period - c.phase
        }
        let ce = Foundation.log(times.map { Foundation.exp(-$0) }.reduce(0, +)) + times[0]
        let regulariser = 1e-2 * (Foundation.exp(times[0] / duration) - 1)
        return HandValues(hiddenSpike: t1, pseudospikes: times, loss: ce + regulariser)
    }

    /// d(loss)/dw by the five-point stencil on the hand-derived loss (error ~h⁴).
    static func handGradient(_ w: [Double]) -> [Double] {
        let h = 1e-3
        return w.indices.map { k in
            func at(_ s: Double) -> Double {
                var p = w
                p[k] += s * h
                return byHand(p).loss
            }
            return (-at(2) + 8 * at(1) - 8 * at(-1) + at(-2)) / (12 * h)
        }
    }

    // MARK: Tests

    func testMethodsPseudodynamicsReproduceHandDerivedTwoNeuronCase() throws {
        let w = [6.0, 1.0, 0.6]
        let hand = Self.byHand(w)
        let (out, loss, gradient) = try Self.run(Self.network(.phase, .epsilon), w)
        XCTAssertEqual(out.spikes[0].count, 1, "\(out.spikes)")
        XCTAssertEqual(out.spikes[0][0].layer, 1)
        XCTAssertEqual(out.spikes[0][0].time, hand.hiddenSpike, accuracy: 1e-9)
        XCTAssertEqual(out.spikeCounts.doubles, [0, 0])
        for (got, expected) in zip(out.spikeTimes.doubles, hand.pseudospikes) {
            XCTAssertEqual(got, expected, accuracy: 1e-9)
        }
        XCTAssertEqual(loss, hand.loss, accuracy: 1e-9)
        for (got, expected) in zip(gradient, Self.handGradient(w)) { XCTAssertEqual(got, expected, accuracy: 1e-9) }
        // The hidden state at T is in the output; the reset matters at this tolerance.
        XCTAssertEqual(
            out.statesAtEnd[0][0][0].v,
            Self.flowV(-1e6, w[0] * Foundation.exp(-2 * hand.hiddenSpike), Self.duration - hand.hiddenSpike),
            accuracy: 1e-9)
        let exactReset = try Self.run(Self.network(.phase, .infinity), w)
        XCTAssertGreaterThan(Swift.abs(exactReset.out.statesAtEnd[0][0][0].v - out.statesAtEnd[0][0][0].v), 1e-8)
    }

    /// Pushes the hidden spike through T along w_in (it reaches T at w* = (π/(2(1 − e^{−2})))²):
    /// with the phase rate the pseudospike times and the loss have no jump there (bisection
    /// keeps less than 1e-3 of the change), and the exact gradient matches central differences
    /// on both sides; with r = 1/Θ_p the loss jumps.
    func testHiddenSpikeLeavingThroughTrialEndKeepsLossContinuous() throws {
        let wStar = Foundation.pow(Double.pi / (2 * (1 - Foundation.exp(-Self.duration))), 2)
        let (lo, hi) = (wStar - 0.05, wStar + 0.05)
        for reset in QIFReset.allCases {
            let net = Self.network(.phase, reset)
            func values(_ w0: Double) throws -> [Double] {
                let r = try Self.run(net, [w0, 1.0, 0.6])
                return r.out.spikeTimes.doubles + [r.loss]
            }
            XCTAssertEqual(try Self.run(net, [lo, 1, 0.6]).out.spikes[0].count, 0)
            XCTAssertEqual(try Self.run(net, [hi, 1, 0.6]).out.spikes[0].count, 1)
            for k in 0..<3 {
                XCTAssertFalse(try Self.jumps(from: lo, to: hi) { try values($0)[k] }, "quantity \(k), reset \(reset)")
            }
            for w0 in [wStar - 0.02, wStar + 0.02] {
                let exact = try Self.run(net, [w0, 1, 0.6]).gradient
                let h = 1e-6
                for k in 0..<3 {
                    var plus = [w0, 1, 0.6]
                    var minus = plus
                    plus[k] += h
                    minus[k] -= h
                    let numeric = (try Self.run(net, plus).loss - Self.run(net, minus).loss) / (2 * h)
                    XCTAssertEqual(
                        exact[k], numeric, accuracy: 1e-6 * Swift.max(1, Swift.abs(numeric)),
                        "w[\(k)] at \(w0)")
                }
            }
        }
        let old = Self.network(.inversePeriod, .epsilon)
        XCTAssertTrue(try Self.jumps(from: lo, to: hi) { try Self.run(old, [$0, 1, 0.6]).loss })
    }

    func testResetAndCapOfEachQIFReset() {
        let capped = ExactQIF(tau: 1)
        let exact = ExactQIF(tau: 1, reset: .infinity)
        XCTAssertEqual(capped.resetPotential, -1e6)
        XCTAssertEqual(exact.resetPotential, -.infinity)
        // Just before the spike the exact V exceeds 10⁶; the method's flow stops there.
        let start = NeuronState(v: 2, i: 1)
        let interval = Interval(0.999_999_9 * exact.timeToSpike(start), tau: 1)
        XCTAssertGreaterThan(exact.flow(start, over: interval).v, 1e6)
        XCTAssertEqual(capped.flow(start, over: interval).v, 1e6)
        let f = capped.flowWithJacobian(start, over: interval)
        XCTAssertEqual([f.state.v, f.dVdV, f.dVdI, capped.velocity(f.state).v], [1e6, 0, 0, 0])
        XCTAssertEqual(f.dIdI, exact.flowWithJacobian(start, over: interval).dIdI)
        // Below the cap both resets flow alike.
        let early = Interval(0.5 * exact.timeToSpike(start), tau: 1)
        XCTAssertEqual(capped.flow(start, over: early).v, exact.flow(start, over: early).v)
    }

    func testPseudoRateDerivativesMatchFiniteDifferences() {
        let qif = ExactQIF(tau: 0.7)
        let h = 1e-6
        for rate in PseudoRate.allCases {
            for (v, drive) in [(0.3, 7.0), (-4.0, 2.0), (25.0, 12.0)] {
                let r = { (v: Double, d: Double) in rate.rate(qif.pseudospikeClock(potential: v, drive: d)!) }
                let d = rate.derivatives(qif.pseudospikeClock(potential: v, drive: drive)!)
                XCTAssertEqual(d.potential, (r(v + h, drive) - r(v - h, drive)) / (2 * h), accuracy: 1e-8, "\(rate)")
                XCTAssertEqual(d.drive, (r(v, drive + h) - r(v, drive - h)) / (2 * h), accuracy: 1e-8, "\(rate)")
            }
        }
        // The phase rate is the phase fraction: 0 right after a reset to −∞, → 1 as V_end → +∞.
        XCTAssertEqual(PseudoRate.phase.rate(qif.pseudospikeClock(potential: -.infinity, drive: 3)!), 0)
        XCTAssertEqual(PseudoRate.phase.rate(qif.pseudospikeClock(potential: 1e12, drive: 3)!), 1, accuracy: 1e-11)
    }

    /// The lines' bisection test (40 halvings, a jump keeps 1e-3 of the change).
    static func jumps(from a: Double, to b: Double, _ f: (Double) throws -> Double) throws -> Bool {
        var (a, b) = ((x: a, y: try f(a)), (x: b, y: try f(b)))
        let total = Swift.abs(b.y - a.y)
        guard total > 0 else { return false }
        for _ in 0..<40 {
            let m = (x: (a.x + b.x) / 2, y: try f((a.x + b.x) / 2))
            if Swift.abs(m.y - a.y) >= Swift.abs(b.y - m.y) { b = m } else { a = m }
        }
        return Swift.abs(b.y - a.y) > 1e-3 * total
    }
}
