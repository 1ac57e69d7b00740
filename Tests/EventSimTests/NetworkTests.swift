import Foundation
import TensorRuntime
import XCTest

@testable import EventSim

/// Random inputs and weights for small networks.
enum Fixture {
    static func trains(samples: Int, channels: Int, spikesPerChannel: Int, duration: Double, seed: UInt64)
        -> [SpikeTrain]
    {
        var rng = SeededRNG(seed: seed)
        return (0..<samples).map { _ in
            var events: [(Double, Int32)] = []
            for c in 0..<channels {
                for _ in 0..<spikesPerChannel {
                    events.append((Double.random(in: 0..<duration, using: &rng), Int32(c)))
                }
            }
            events.sort { $0.0 < $1.0 }
            return SpikeTrain(times: events.map(\.0), channels: events.map(\.1))
        }
    }

    static func weights(_ shapes: [[Int]], means: [Double], spread: Double, seed: UInt64) -> [Tensor] {
        var rng = SeededRNG(seed: seed)
        return zip(shapes, means).map { shape, mean in
            Tensor(
                shape: shape,
                scalars: (0..<shape[0] * shape[1]).map { _ in mean + spread * Double.random(in: -1...1, using: &rng) })
        }
    }

    /// A loss touching every output: weighted sums of spike times, leaky logits and final states.
    static func probe(_ out: EventNetworkOutput) -> Tensor {
        GradientCheck.weightedSum(out.spikeTimes) + GradientCheck.weightedSum(out.leakyLogits)
            + 0.1 * GradientCheck.weightedSum(out.finalCurrent) + 0.01 * GradientCheck.weightedSum(out.finalPotential)
    }
}

final class NetworkGradientTests: XCTestCase {
    func checkGradients<N: EventDrivenNeuron>(_ neuron: N, pseudospikes: Bool, means: [Double], seed: UInt64) {
        let config = EventNetworkConfig(
            layerSizes: [6, 5, 3], duration: 2, outputSlots: 2, pseudospikes: pseudospikes,
            readoutTau: 0.7)
        let net = EventNetwork(neuron: neuron, config: config)
        let inputs = Fixture.trains(samples: 3, channels: 6, spikesPerChannel: 4, duration: 2, seed: seed)
        let weights = Fixture.weights(net.weightShapes, means: means, spread: 1.5, seed: seed + 1)
        let out = try! net(weights: weights, inputs: inputs)
        // The check is only meaningful if both layers actually spike.
        XCTAssertGreaterThan(out.statistics.spikesPerLayer[0], 5, "\(out.statistics)")
        XCTAssertGreaterThan(out.statistics.spikesPerLayer[1], 2, "\(out.statistics)")
        let report = GradientCheck.check(weights, epsilon: 1e-6) { w in
            Fixture.probe(try! net(weights: w, inputs: inputs))
        }
        XCTAssertLessThan(report.maxError, 1e-5, "\(report)")
    }

    func testLIFGradientsMatchFiniteDifferences() {
        checkGradients(ExactLIF(tau: 1), pseudospikes: false, means: [2.5, 3], seed: 10)
    }

    func testQIFGradientsMatchFiniteDifferences() {
        checkGradients(ExactQIF(tau: 1), pseudospikes: false, means: [3, 4], seed: 20)
    }

    func testQIFGradientsWithPseudospikesMatchFiniteDifferences() {
        checkGradients(ExactQIF(tau: 1), pseudospikes: true, means: [2.5, 1], seed: 30)
    }

    func testEventBudgetIsAnError() {
        let net = EventNetwork(
            neuron: ExactQIF(), config: EventNetworkConfig(layerSizes: [2, 2], duration: 1, eventBudget: 5))
        let inputs =
            Fixture.trains(samples: 2, channels: 2, spikesPerChannel: 1, duration: 1, seed: 1)
            + Fixture.trains(samples: 1, channels: 2, spikesPerChannel: 5, duration: 1, seed: 2)
        XCTAssertThrowsError(
            try net(weights: Fixture.weights(net.weightShapes, means: [0], spread: 1, seed: 3), inputs: inputs)
        ) {
            XCTAssertEqual(($0 as? EventBudgetExceeded)?.samples, [2])
        }
    }
}

/// The paper's defining contrast: LIF spikes vanish mid-trial at tangential threshold touches,
/// QIF spikes only leave through the trial end, where pseudospikes continue them.
final class ContinuityTests: XCTestCase {
    /// One neuron driven by one input spike at t = 0 of weight `w`.
    func firstTime<N: EventDrivenNeuron>(_ neuron: N, weight w: Double, duration: Double, pseudospikes: Bool)
        -> (time: Double, count: Double)
    {
        let net = EventNetwork(
            neuron: neuron,
            config: EventNetworkConfig(
                layerSizes: [1, 1], duration: duration,
                pseudospikes: pseudospikes))
        let out = try! net(
            weights: [Tensor(shape: [1, 1], scalars: [w])], inputs: [SpikeTrain(times: [0], channels: [0])])
        return (out.spikeTimes.item, out.spikeCounts.item)
    }

    func testLIFSpikeVanishesMidTrialAtTangentialTouch() {
        // V(t) = I(e^{−t} − e^{−2t}) touches 1 tangentially at I = 4, t = ln 2.
        let above = firstTime(ExactLIF(), weight: 4 + 1e-9, duration: 2, pseudospikes: false)
        let below = firstTime(ExactLIF(), weight: 4 - 1e-9, duration: 2, pseudospikes: false)
        XCTAssertEqual(above.count, 1)
        XCTAssertEqual(above.time, Foundation.log(2), accuracy: 1e-3)
        XCTAssertEqual(below.count, 0)
        XCTAssertEqual(below.time, 2)  // no spike: the trial end, a jump of T − ln 2 for a 2e-9 change
        let loss = { (t: Double) in
            EventLosses.firstSpikeCrossEntropy(
                spikeTimes: Tensor(shape: [1, 2, 1], scalars: [t, 1.0]), labels: [0], duration: 2
            ).item
        }
        XCTAssertGreaterThan(Swift.abs(loss(above.time) - loss(below.time)), 0.5)
    }

    func testQIFSpikeLeavesContinuouslyThroughTrialEnd() {
        // From rest with I = w the spike is at −ln(1 − π/(2√w)); it reaches T = 2 at w ≈ 3.2998.
        var previous: (time: Double, count: Double)?
        var crossings = 0
        for k in 0...400 {
            let w = 3.1 + 0.4 * Double(k) / 400
            let now = firstTime(ExactQIF(), weight: w, duration: 2, pseudospikes: true)
            if let previous {
                XCTAssertLessThan(Swift.abs(now.time - previous.time), 0.02, "jump at w = \(w)")
                if now.count != previous.count {
                    crossings += 1
                    XCTAssertEqual(now.time, 2, accuracy: 0.02, "a spike appeared away from the trial end at w = \(w)")
                }
            }
            previous = now
        }
        XCTAssertEqual(crossings, 1)
    }

    func testQIFNetworkOutputsAreContinuousInAWeight() {
        let config = EventNetworkConfig(layerSizes: [6, 5, 3], duration: 2, outputSlots: 2)
        let net = EventNetwork(neuron: ExactQIF(), config: config)
        let inputs = Fixture.trains(samples: 1, channels: 6, spikesPerChannel: 4, duration: 2, seed: 5)
        var weights = Fixture.weights(net.weightShapes, means: [3, 4], spread: 1.5, seed: 6)
        let base = weights[0].doubles
        var previous: [Double]?
        var counts = Set<[Int]>()
        for k in 0...600 {
            var values = base
            values[7] += -6 + 12 * Double(k) / 600
            weights[0] = Tensor(shape: weights[0].shape, scalars: values)
            let out = try! net(weights: weights, inputs: inputs)
            counts.insert(out.statistics.spikesPerLayer)
            let times = out.spikeTimes.doubles
            if let previous {
                let jump = zip(times, previous).map { Swift.abs($0 - $1) }.max()!
                XCTAssertLessThan(jump, 0.05, "output times jump at step \(k)")
            }
            previous = times
        }
        XCTAssertGreaterThan(counts.count, 1, "the sweep should make a spike appear or vanish")
    }

    func testSilentQIFOutputGetsGradientThroughPseudospike() {
        let config = EventNetworkConfig(layerSizes: [3, 4, 2], duration: 1)
        let inputs = Fixture.trains(samples: 2, channels: 3, spikesPerChannel: 3, duration: 1, seed: 8)
        var weights = Fixture.weights([[3, 4], [4, 2]], means: [3, 1], spread: 1, seed: 9)
        weights[1] = Tensor(shape: [4, 2], scalars: [3, -5, 3, -5, 3, -5, 3, -5])
        for (neuron, expectGradient) in [(ExactQIF() as any EventDrivenNeuron, true), (ExactLIF(), false)] {
            func run<N: EventDrivenNeuron>(_ n: N) -> (Double, Int) {
                let w = weights.map { $0.requiringGrad() }
                let out = try! EventNetwork(neuron: n, config: config)(weights: w, inputs: inputs)
                let loss = EventLosses.firstSpikeCrossEntropy(spikeTimes: out.spikeTimes, labels: [1, 1], duration: 1)
                loss.backward()
                let g = w[1].grad!.doubles
                XCTAssertGreaterThanOrEqual(out.statistics.silentFraction[1], 0.5, "output 1 is silent on both samples")
                return (
                    (0..<4).map { Swift.abs(g[$0 * 2 + 1]) }.max()!,
                    Int(out.spikeCounts.doubles[1] + out.spikeCounts.doubles[3])
                )
            }
            let (gradient, silentCount) = run(neuron)
            XCTAssertEqual(silentCount, 0, "output 1 should be silent for \(neuron.name)")
            XCTAssertEqual(gradient > 1e-6, expectGradient, "\(neuron.name): gradient \(gradient)")
        }
    }
}
