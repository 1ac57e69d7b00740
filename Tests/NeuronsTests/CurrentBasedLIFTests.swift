import Foundation
import Neurons
import TensorRuntime
import TestSupport
import XCTest

/// Tests of `cuba-lif` beyond the conformance suite: the synaptic current that defines it.
final class CurrentBasedLIFTests: XCTestCase {
    func testIsRegistered() {
        XCTAssertTrue(NeuronRegistry.names.contains(CurrentBasedLIF.name))
    }

    /// The synaptic current is the input low-passed with β_syn, and the membrane the current
    /// low-passed again with β_mem: after a unit impulse (no spike: θ is out of reach)
    /// I[t] = β_syn^t and V[t] = (β_mem^t − β_syn^t) / (β_mem − β_syn) · (1 − β_mem), which
    /// rises for several steps after the impulse before it decays.
    func testSynapticCurrentLowPassesTheInput() throws {
        let steps = 20
        let impulse = [1] + [Double](repeating: 0, count: steps - 1)
        let out = try runNeuron("cuba-lif", ["threshold": 100.0], input: impulse)
        let (mem, syn) = (0.9, 0.8)
        let expected = (0..<steps).map { t in (pow(mem, Double(t)) - pow(syn, Double(t))) / (mem - syn) * (1 - mem) }
        assertClose(out.potentials!.doubles, expected, tolerance: 1e-12)
        XCTAssertEqual(out.finalState!.doubles[1], pow(syn, Double(steps - 1)), accuracy: 1e-12)
        let peak = out.potentials!.doubles.indices.max { out.potentials!.doubles[$0] < out.potentials!.doubles[$1] }!
        XCTAssertGreaterThan(peak, 3, "the membrane peaks well after the impulse")
        // A fast alternating input is attenuated far more than a constant one of the same size.
        let alternating = try runNeuron("cuba-lif", ["threshold": 100.0], input: (0..<60).map { $0 % 2 == 0 ? 1 : -1 })
        let constant = try runNeuron("cuba-lif", ["threshold": 100.0], input: [Double](repeating: 1, count: 60))
        XCTAssertLessThan(
            alternating.potentials!.doubles.suffix(20).map(abs).max()!,
            0.1 * constant.potentials!.doubles.suffix(20).map(abs).min()!)
    }
}
