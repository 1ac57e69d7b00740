import Foundation
import TensorRuntime
import XCTest

@testable import EventSim

/// The simulator's fast paths against their plain references, bit for bit: a plugin's packed
/// `flow`, `flowWithJacobian` and `spikeDecayBound` against its scalar ones, whole networks against the same plugin
/// updated lane by lane, and the block maxima's soonest spike against a scan of every key.
final class PackedUpdateTests: XCTestCase {
    func testPackedFlowsAndBoundMatchTheScalarOnesBitForBit() {
        for plugin in EventNeuronRegistry.plugins { checkPacked(plugin) }
    }

    func checkPacked<N: EventDrivenNeuron>(_: N.Type) {
        let potentials = [
            -Double.infinity, -1e6, -3, -0.8, 0, 0.3, 0.6, 0.95, 1, 2.5, 6, 1e6, 1e160, .infinity, .nan,
        ]
        let currents = [-300, -2, -1e-3, 0, 1e-3, 0.4, 1, 2.5, 6, 14, 300, 1e170, .nan]
        let deltas = [0, 1e-4, 5e-4, 0.01, 0.3, 2]
        for neuron in [N(tau: 1)] + N.conformanceConfigurations {
            let states = potentials.flatMap { v in currents.map { NeuronState(v: v, i: $0) } }
            // Groups of one interval (the packed flow's common case) and, shuffled, of mixed ones.
            var cases = deltas.flatMap { delta in states.map { ($0, Interval(delta, tau: neuron.tau)) } }
            var rng = SeededRNG(seed: 5)
            cases += cases.shuffled(using: &rng)
            for start in stride(from: 0, to: cases.count - 3, by: 4) {
                let lanes = cases[start..<start + 4]
                var states4 = NeuronStates4(v: .zero, i: .zero)
                var intervals = Intervals4(Interval(0, tau: neuron.tau))
                for (lane, (state, interval)) in lanes.enumerated() {
                    states4[lane] = state
                    intervals[lane] = interval
                }
                let flowed = neuron.flow(states4, over: intervals)
                let jacobians = neuron.flowWithJacobian(states4, over: intervals)
                let (bound, exact) = neuron.spikeDecayBound(states4)
                for (lane, (state, interval)) in lanes.enumerated() {
                    let label = "\(N.name) τ=\(neuron.tau) lane \(lane) of \(Array(lanes.map(\.0)))"
                    let scalar = neuron.flow(state, over: interval)
                    same(flowed[lane].v, scalar.v, "flow V \(label) over \(interval.delta)")
                    same(flowed[lane].i, scalar.i, "flow I \(label) over \(interval.delta)")
                    let jacobian = neuron.flowWithJacobian(state, over: interval)
                    let packed = jacobians[lane]
                    for (x, y, name) in [
                        (packed.state.v, jacobian.state.v, "V"), (packed.state.i, jacobian.state.i, "I"),
                        (packed.dVdV, jacobian.dVdV, "dV/dV"), (packed.dVdI, jacobian.dVdI, "dV/dI"),
                        (packed.dIdI, jacobian.dIdI, "dI/dI"),
                    ] {
                        same(x, y, "flowWithJacobian \(name) \(label) over \(interval.delta)")
                    }
                    let scalarBound = neuron.spikeDecayBound(state)
                    same(bound[lane], scalarBound.bound, "spikeDecayBound \(label)")
                    XCTAssertEqual(exact[lane], scalarBound.exact, "spikeDecayBound's exactness \(label)")
                }
            }
        }
    }

    func testNetworksMatchTheLaneByLaneUpdateBitForBit() throws {
        // 13 and 6 neurons: packed steps and a scalar tail.
        try checkNetwork(ExactQIF(tau: 1), means: [3, 4], sizes: [10, 13, 6], seed: 40)
        try checkNetwork(ExactQIF(tau: 1.7, reset: .infinity), means: [3, 4], sizes: [10, 12, 4], seed: 41)
        try checkNetwork(ExactLIF(tau: 1), means: [2.5, 3], sizes: [10, 13, 6], seed: 42)
    }

    func checkNetwork<N: EventDrivenNeuron>(_ neuron: N, means: [Double], sizes: [Int], seed: UInt64) throws {
        let config = EventNetworkConfig(layerSizes: sizes, duration: 2, outputSlots: 2, readoutTau: 0.7)
        let packed = EventNetwork(neuron: neuron, config: config)
        let reference = EventNetwork(neuron: LaneByLane(neuron), config: config)
        let inputs = Fixture.trains(samples: 3, channels: sizes[0], spikesPerChannel: 5, duration: 2, seed: seed)
        let weights = Fixture.weights(packed.weightShapes, means: means, spread: 1.5, seed: seed + 1)
        func run<M: EventDrivenNeuron>(_ net: EventNetwork<M>) throws -> [[Double]] {
            let w = weights.map { Tensor(shape: $0.shape, values: $0.doubles, dtype: $0.dtype).requiringGrad() }
            let out = try net(weights: w, inputs: inputs)
            Fixture.probe(out).backward()
            XCTAssertGreaterThan(out.statistics.spikesPerLayer[0], 10, "\(N.name): \(out.statistics)")
            return [out.spikeTimes, out.leakyLogits, out.finalPotential, out.finalCurrent].map(\.doubles)
                + w.map { $0.grad!.doubles }
        }
        let fast = try run(packed)
        let slow = try run(reference)
        for (part, (a, b)) in zip(fast, slow).enumerated() {
            XCTAssertEqual(a.count, b.count)
            for (x, y) in zip(a, b) { same(x, y, "\(N.name) τ=\(neuron.tau) output/gradient \(part)") }
        }
    }

    func testBlockMaximaFindTheFirstLargestKey() {
        var rng = SeededRNG(seed: 9)
        for count in [1, 15, 16, 17, 37, 128] {
            let layer = LayerState(count: count)
            layer.reset(restKey: 0)
            for round in 0..<200 {
                // Few distinct values, so ties and all-zero layers occur.
                let values = [0, 0, 0.25, 0.5, 0.5, 0.75, .nan]
                if round % 2 == 0 {
                    for k in 0..<count { layer.key[k] = values.randomElement(using: &rng)! }
                    for b in 0..<layer.blockCount { layer.updateBlock(b) }
                } else {
                    let k = Int.random(in: 0..<count, using: &rng)
                    layer.key[k] = values.randomElement(using: &rng)!
                    layer.updateBlock(k / LayerState.blockSize)
                }
                var expected = (key: 0.0, index: 0)
                for k in 0..<count where layer.key[k] > expected.key { expected = (layer.key[k], k) }
                let best = layer.best()
                XCTAssertEqual(best.key, expected.key, "\(count) neurons, round \(round)")
                XCTAssertEqual(best.index, expected.index, "\(count) neurons, round \(round)")
            }
        }
    }

    private func same(_ a: Double, _ b: Double, _ message: String) {
        XCTAssertTrue(a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN), "\(message): \(a) vs \(b)")
    }
}

/// `N` without its packed functions, so that the simulator updates every neuron through the
/// scalar ones (the protocol's lane-by-lane defaults).
struct LaneByLane<N: EventDrivenNeuron>: EventDrivenNeuron {
    static var name: String { N.name }
    static var settings: [EventNeuronSetting] { N.settings }
    var base: N

    init(_ base: N) { self.base = base }
    init(tau: Double) { base = N(tau: tau) }

    var tau: Double { base.tau }
    var resetPotential: Double { base.resetPotential }
    var spikeThreshold: Double { base.spikeThreshold }
    func dynamics(_ s: NeuronState) -> NeuronState { base.dynamics(s) }
    func flow(_ s: NeuronState, over interval: Interval) -> NeuronState { base.flow(s, over: interval) }
    func flowWithJacobian(_ s: NeuronState, over interval: Interval) -> Flow {
        base.flowWithJacobian(s, over: interval)
    }
    func spikeDecay(_ s: NeuronState) -> Double { base.spikeDecay(s) }
    func spikeDecayBound(_ s: NeuronState) -> (bound: Double, exact: Bool) { base.spikeDecayBound(s) }
    func timeToSpikeGradient(_ s: NeuronState) -> NeuronState { base.timeToSpikeGradient(s) }
    func velocity(_ s: NeuronState) -> NeuronState { base.velocity(s) }
    func pseudospikeClock(potential: Double, drive: Double) -> PseudospikeClock? {
        base.pseudospikeClock(potential: potential, drive: drive)
    }
}
