import Foundation
import Neurons
import TensorRuntime
import TestSupport
import XCTest

/// Tests of `dqif` beyond the conformance suite: its quadratic charge, the hard reset to the rest
/// point, and the analytic moments of its surrogate window (`DQIFWindow`) against Monte-Carlo
/// simulation of the recurrence with Gaussian input.
final class DQIFTests: XCTestCase {
    func testIsRegistered() {
        XCTAssertTrue(NeuronRegistry.names.contains(DQIF.name))
    }

    /// The defining equations by hand (a = 0.25, u1 = 0, u2 = 0.5, θ = 1; U[−1] = u1):
    /// H[t] = U + a (U − u1)(U − u2) + X[t], a spike at H ≥ θ, then U = u1.
    func testStepsByHand() throws {
        let out = try runNeuron("dqif", input: [0.6, 0.5, 0.2])
        let h1 = 0.6 + 0.25 * (0.6 - 0) * (0.6 - 0.5) + 0.5
        XCTAssertEqual(out.spikes.doubles, [0, 1, 0])
        assertClose(out.potentials!.doubles, [0.6, h1, 0 + 0.2], tolerance: 1e-12)
        // Without input, a potential between u1 and u2 falls back towards u1; one above u2 runs away.
        let below = try runNeuron("dqif", input: [0], initialState: [0.4])
        assertClose(below.potentials!.doubles, [0.4 + 0.25 * 0.4 * (0.4 - 0.5)], tolerance: 1e-12)
        let above = try runNeuron("dqif", input: [0], initialState: [0.6])
        assertClose(above.potentials!.doubles, [0.6 + 0.25 * 0.6 * (0.6 - 0.5)], tolerance: 1e-12)
    }

    /// Mean and std of H[t] over `samples` simulated neurons with X ~ N(0, σ²).
    private func simulate(_ neuron: DQIF, inputStd: Double, steps: Int, samples: Int, seed: UInt64)
        -> (mean: [Double], std: [Double])
    {
        var rng = SeededRNG(seed: seed)
        var u = [Double](repeating: neuron.u1, count: samples)
        var mean: [Double] = []
        var std: [Double] = []
        for _ in 0..<steps {
            var sum = 0.0
            var squares = 0.0
            for i in 0..<samples {
                let h = u[i] + neuron.a * (u[i] - neuron.u1) * (u[i] - neuron.u2) + inputStd * rng.nextNormal()
                sum += h
                squares += h * h
                let spike = h >= neuron.threshold
                u[i] = spike ? (neuron.softReset ? h - neuron.threshold : neuron.u1) : h
            }
            let m = sum / Double(samples)
            mean.append(m)
            std.append((squares / Double(samples) - m * m).squareRoot())
        }
        return (mean, std)
    }

    func testMomentsMatchMonteCarlo() {
        // (neuron, σ, steps compared). With a soft reset a potential far above θ stays above u2
        // after the reset and runs away, a heavy tail no Gaussian closure describes: only the
        // exact first two steps are compared there.
        var configurations: [(DQIF, Double, Int)] = []
        var standard = DQIF()
        configurations.append((standard, 1.0, 6))
        configurations.append((standard, 0.5, 6))
        standard.softReset = true
        configurations.append((standard, 1.0, 2))
        var steep = DQIF()
        steep.a = 0.5
        steep.u2 = 1
        configurations.append((steep, 0.7, 6))
        let samples = 200_000
        for (neuron, sigma, steps) in configurations {
            let analytic = DQIFWindow.moments(of: neuron, inputStd: sigma, steps: steps)
            let simulated = simulate(neuron, inputStd: sigma, steps: steps, samples: samples, seed: 1)
            let label = "a=\(neuron.a) u2=\(neuron.u2) soft=\(neuron.softReset) σ=\(sigma)"
            for t in 0..<steps {
                // H[0] and H[1] are exact: agreement within Monte-Carlo error (4 standard errors).
                // From t = 2 the Gaussian closure is an approximation: within 5 %.
                let standardError = simulated.std[t] / Double(samples).squareRoot()
                let meanTolerance = t < 2 ? 4 * standardError : 0.05 * simulated.std[t]
                let stdTolerance = t < 2 ? 4 * standardError : 0.05 * simulated.std[t]
                XCTAssertEqual(
                    analytic.mean[t], simulated.mean[t], accuracy: meanTolerance, "\(label): mean of H[\(t)]")
                XCTAssertEqual(analytic.std[t], simulated.std[t], accuracy: stdTolerance, "\(label): std of H[\(t)]")
            }
        }
    }

    func testWindowFollowsTheStandardDeviation() {
        let neuron = DQIF()
        let moments = DQIFWindow.moments(of: neuron, inputStd: 1, steps: 4)
        XCTAssertEqual(moments.mean[0], 0, accuracy: 1e-12)
        XCTAssertEqual(moments.std[0], 1, accuracy: 1e-12, "H[0] = u1 + X")
        let alphas = DQIFWindow.sharpness(for: neuron, inputStd: 1, steps: 4)
        for t in 0..<4 { XCTAssertEqual(alphas[t], 1 / (2 * moments.std[t]), accuracy: 1e-12) }
        let stationary = DQIFWindow.stationaryMoments(of: neuron, inputStd: 1)
        XCTAssertNotNil(stationary)
        XCTAssertEqual(
            stationary!.std, DQIFWindow.moments(of: neuron, inputStd: 1, steps: 200).std.last!, accuracy: 1e-8)
    }
}
