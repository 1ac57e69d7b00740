import Foundation
import Neurons
import TensorRuntime
import TestSupport
import XCTest

/// Tests of `rf` beyond the conformance suite: the damped rotation and the resonance that define it.
final class ResonateAndFireTests: XCTestCase {
    func testIsRegistered() {
        XCTAssertTrue(NeuronRegistry.names.contains(ResonateAndFire.name))
    }

    /// One pulse by hand: it drives x, and one step later the damped rotation has turned part of it
    /// into y, H_y[1] = λ sin φ X[0], H_x[1] = λ cos φ X[0] (λ = 0.95, φ = 2π/10).
    func testPulseRotatesIntoTheFiringComponent() throws {
        let out = try runNeuron("rf", input: [0.8, 0])
        let (lambda, phi) = (0.95, 2 * Double.pi / 10)
        XCTAssertEqual(out.spikes.doubles, [0, 0])
        assertClose(out.potentials!.doubles, [0, lambda * sin(phi) * 0.8], tolerance: 1e-12)
        assertClose(out.finalState!.doubles, [lambda * sin(phi) * 0.8, lambda * cos(phi) * 0.8], tolerance: 1e-12)
        // Above θ the neuron fires and both components reset to 0.
        let fired = try runNeuron("rf", input: [0], initialState: [1.2, 0.5])
        XCTAssertEqual(fired.spikes.doubles, [1])
        assertClose(fired.potentials!.doubles, [lambda * (sin(phi) * 0.5 + cos(phi) * 1.2)], tolerance: 1e-12)
        assertClose(fired.finalState!.doubles, [0, 0], tolerance: 0)
    }

    /// Two sub-threshold pulses fire the resonator only when they arrive one period apart
    /// (10 steps by default), not at other intervals.
    func testResonatorFiresOnlyForPulsesAtItsPeriod() throws {
        func spikes(gap: Int?) throws -> Double {
            var input = [Double](repeating: 0, count: 30)
            input[0] = 0.8
            if let gap { input[gap] = 0.8 }
            return try runNeuron("rf", input: input).spikes.doubles.reduce(0, +)
        }
        XCTAssertEqual(try spikes(gap: nil), 0, "one pulse is sub-threshold")
        XCTAssertEqual(try spikes(gap: 10), 1, "a pulse pair one period apart fires")
        for gap in [3, 5, 7] { XCTAssertEqual(try spikes(gap: gap), 0, "pulses \(gap) steps apart") }
    }
}
