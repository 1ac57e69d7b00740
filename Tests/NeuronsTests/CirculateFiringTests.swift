import Neurons
import TensorRuntime
import TestSupport
import XCTest

/// Tests of `cf` beyond the conformance suite: bipolar spikes and the soft reset whose remainder
/// circulates into the next step.
final class CirculateFiringTests: XCTestCase {
    func testIsRegistered() {
        XCTAssertTrue(NeuronRegistry.names.contains(CirculateFiring.name))
    }

    /// The defining equations by hand (β = 0.5, θ = 1): H[t] = β U[t−1] + X[t], S = +1 at H ≥ θ,
    /// −1 at H ≤ −θ, else 0, and U = H − θ S keeps the remainder.
    func testBipolarStepsByHand() throws {
        let out = try runNeuron("cf", input: [1.5, -2.6, 0.2])
        let h1 = 0.5 * (1.5 - 1) - 2.6
        XCTAssertEqual(out.spikes.doubles, [1, -1, 0])
        assertClose(out.potentials!.doubles, [1.5, h1, 0.5 * (h1 + 1) + 0.2], tolerance: 1e-12)
        assertClose(out.finalState!.doubles, [0.5 * (h1 + 1) + 0.2], tolerance: 1e-12)
    }

    /// `positive-only` never sends −1; `multi-spike` sends trunc(H/θ) spikes, at most m, each
    /// subtracting θ.
    func testVariantsByHand() throws {
        let positive = try runNeuron("cf", ["variant": "positive-only"], input: [-2])
        XCTAssertEqual(positive.spikes.doubles, [0])
        assertClose(positive.finalState!.doubles, [-2], tolerance: 0)
        let multi = try runNeuron("cf", ["variant": "multi-spike", "maxSpikes": 3], input: [2.7, 4.65])
        XCTAssertEqual(
            multi.spikes.doubles, [2, 3], "trunc(2.7) = 2, then trunc(0.5 · 0.7 + 4.65 = 5) clamped to m = 3")
        assertClose(multi.finalState!.doubles, [0.5 * 0.7 + 4.65 - 3], tolerance: 1e-12)
        let negative = try runNeuron("cf", ["variant": "multi-spike", "maxSpikes": 3], input: [-2.5])
        XCTAssertEqual(negative.spikes.doubles, [-2])
        assertClose(negative.finalState!.doubles, [-0.5], tolerance: 1e-12)
    }
}
