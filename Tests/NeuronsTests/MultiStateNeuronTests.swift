import Foundation
import Neurons
import TensorRuntime
import TestSupport
import XCTest

/// The behaviour that defines each plugin with more than one state variable (the conformance
/// suite checks their gradients, shapes and determinism).
final class MultiStateNeuronTests: XCTestCase {
    /// One neuron driven by `input` (one value per step), in Float64 with fixed α = 4.
    private func run(_ name: String, _ configuration: [String: Any] = [:], input: [Double],
                     initialState: [Double]? = nil) throws -> NeuronOutput {
        let engine = try NeuronRegistry.dynamics(named: name, configuration: configuration)
        let state = initialState.map { Tensor(shape: [$0.count, 1], values: $0, dtype: .float64) }
        return engine.run(Tensor(shape: [input.count, 1], values: input, dtype: .float64),
                          parameters: Tensor(shape: [engine.parameterNames.count], values: engine.initialParameters,
                                             dtype: .float64),
                          sharpness: Tensor.full([input.count], value: 4, dtype: .float64), initialState: state,
                          options: EngineOptions(), exposePotentials: true, returnFinalState: true)
    }

    private func intervals(_ spikes: [Double]) -> [Int] {
        let times = spikes.indices.filter { spikes[$0] != 0 }
        return zip(times, times.dropFirst()).map { $1 - $0 }
    }

    /// Each spike raises the threshold by β(1 − ρ) and the raise decays with ρ: under a constant
    /// drive the adaptive neuron fires less and its intervals lengthen, where the same neuron
    /// without adaptation (β = 0) fires at a constant rate.
    func testAdaptationRaisesTheThresholdAfterSpikes() throws {
        let configuration: [String: Any] = ["decay": 0.9, "adaptationDecay": 0.95, "adaptation": 1.8]
        // One spike from rest: the membrane loses θ = 1, the adaptation becomes 1 − ρ.
        let first = try run("alif", configuration, input: [2])
        XCTAssertEqual(first.spikes.doubles, [1])
        assertClose(first.finalState!.doubles, [1, 0.05], tolerance: 1e-12)
        // The raised threshold 1 + 1.8·0.05 = 1.09 holds a potential of 1.05 below it…
        XCTAssertEqual(try run("alif", configuration, input: [0.15], initialState: [1, 0.05]).spikes.doubles, [0])
        // …that a fresh neuron's threshold of 1 lets through.
        XCTAssertEqual(try run("alif", configuration, input: [0.15], initialState: [1, 0]).spikes.doubles, [1])

        let drive = [Double](repeating: 0.3, count: 80)
        let adaptive = try run("alif", configuration, input: drive).spikes.doubles
        let plain = try run("alif", configuration.merging(["adaptation": 0.0]) { $1 }, input: drive).spikes.doubles
        XCTAssertEqual(Set(intervals(plain)), [4], "without adaptation: regular firing")
        XCTAssertLessThan(adaptive.reduce(0, +), plain.reduce(0, +))
        let isi = intervals(adaptive)
        XCTAssertLessThan(isi.first!, isi.suffix(4).max()!, "intervals lengthen: \(isi)")
    }

    /// The synaptic current is the input low-passed with β_syn, and the membrane the current
    /// low-passed again with β_mem: after a unit impulse (no spike: θ is out of reach)
    /// I[t] = β_syn^t and V[t] = (β_mem^t − β_syn^t) / (β_mem − β_syn) · (1 − β_mem), which
    /// rises for several steps after the impulse before it decays.
    func testSynapticCurrentLowPassesTheInput() throws {
        let steps = 20
        let impulse = [1] + [Double](repeating: 0, count: steps - 1)
        let out = try run("cuba-lif", ["threshold": 100.0], input: impulse)
        let (mem, syn) = (0.9, 0.8)
        let expected = (0..<steps).map { t in (pow(mem, Double(t)) - pow(syn, Double(t))) / (mem - syn) * (1 - mem) }
        assertClose(out.potentials!.doubles, expected, tolerance: 1e-12)
        XCTAssertEqual(out.finalState!.doubles[1], pow(syn, Double(steps - 1)), accuracy: 1e-12)
        let peak = out.potentials!.doubles.indices.max { out.potentials!.doubles[$0] < out.potentials!.doubles[$1] }!
        XCTAssertGreaterThan(peak, 3, "the membrane peaks well after the impulse")
        // A fast alternating input is attenuated far more than a constant one of the same size.
        let alternating = try run("cuba-lif", ["threshold": 100.0], input: (0..<60).map { $0 % 2 == 0 ? 1 : -1 })
        let constant = try run("cuba-lif", ["threshold": 100.0], input: [Double](repeating: 1, count: 60))
        XCTAssertLessThan(alternating.potentials!.doubles.suffix(20).map(abs).max()!,
                          0.1 * constant.potentials!.doubles.suffix(20).map(abs).min()!)
    }

    /// Two sub-threshold pulses fire the resonator only when they arrive one period apart
    /// (10 steps by default), not at other intervals.
    func testResonatorFiresOnlyForPulsesAtItsPeriod() throws {
        func spikes(gap: Int?) throws -> Double {
            var input = [Double](repeating: 0, count: 30)
            input[0] = 0.8
            if let gap { input[gap] = 0.8 }
            return try run("rf", input: input).spikes.doubles.reduce(0, +)
        }
        XCTAssertEqual(try spikes(gap: nil), 0, "one pulse is sub-threshold")
        XCTAssertEqual(try spikes(gap: 10), 1, "a pulse pair one period apart fires")
        for gap in [3, 5, 7] { XCTAssertEqual(try spikes(gap: gap), 0, "pulses \(gap) steps apart") }
    }

    /// The state of a plugin with several variables comes out as [K, …] and goes back in the
    /// same way; its names come from the plugin.
    func testStateNamesAndShapes() throws {
        XCTAssertEqual(try NeuronRegistry.dynamics(named: "alif").stateNames, ["membrane", "adaptation"])
        XCTAssertEqual(try NeuronRegistry.dynamics(named: "cuba-lif").stateNames, ["membrane", "current"])
        XCTAssertEqual(try NeuronRegistry.dynamics(named: "lif").stateNames, ["membrane"])
        XCTAssertEqual(try NeuronRegistry.dynamics(named: "alif").parameterNames,
                       ["decay", "threshold", "adaptationDecay", "adaptation"])
        let out = try run("cuba-lif", input: [1, 2, 3])
        XCTAssertEqual(out.finalState!.shape, [2, 1])
    }
}
