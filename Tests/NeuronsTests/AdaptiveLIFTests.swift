import Foundation
import Neurons
import TensorRuntime
import TestSupport
import XCTest

/// Tests of `alif` beyond the conformance suite (which checks its gradients, shapes, determinism
/// and extreme inputs): the adaptive threshold that defines it.
final class AdaptiveLIFTests: XCTestCase {
    func testIsRegistered() {
        XCTAssertTrue(NeuronRegistry.names.contains(AdaptiveLIF.name))
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
        let first = try runNeuron("alif", configuration, input: [2])
        XCTAssertEqual(first.spikes.doubles, [1])
        assertClose(first.finalState!.doubles, [1, 0.05], tolerance: 1e-12)
        // The raised threshold 1 + 1.8·0.05 = 1.09 holds a potential of 1.05 below it…
        XCTAssertEqual(
            try runNeuron("alif", configuration, input: [0.15], initialState: [1, 0.05]).spikes.doubles, [0])
        // …that a fresh neuron's threshold of 1 lets through.
        XCTAssertEqual(try runNeuron("alif", configuration, input: [0.15], initialState: [1, 0]).spikes.doubles, [1])

        let drive = [Double](repeating: 0.3, count: 80)
        let adaptive = try runNeuron("alif", configuration, input: drive).spikes.doubles
        let plain = try runNeuron("alif", configuration.merging(["adaptation": 0.0]) { $1 }, input: drive)
            .spikes.doubles
        XCTAssertEqual(Set(intervals(plain)), [4], "without adaptation: regular firing")
        XCTAssertLessThan(adaptive.reduce(0, +), plain.reduce(0, +))
        let isi = intervals(adaptive)
        XCTAssertLessThan(isi.first!, isi.suffix(4).max()!, "intervals lengthen: \(isi)")
    }
}
