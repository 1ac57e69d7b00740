import Foundation
import Neurons
import TensorRuntime
import XCTest

/// The PNB loss's relative form: its value against the formula, its scale invariance (the reason
/// it exists) and its gradient, scale included, against Float64 central finite differences.
final class BalancedPotentialLossTests: XCTestCase {
    private func uniform(_ shape: [Int], seed: UInt64, _ low: Double, _ high: Double) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor.uniform(shape, low: low, high: high, dtype: .float64, using: &rng)
    }

    func testRelativeFormIsEachLayersImbalanceOverItsScaleAveraged() {
        let first = Tensor(shape: [4], values: [2, -1, 0.5, -3], dtype: .float64)  // P = 2.5/4, N = 4/4
        let second = Tensor(shape: [2], values: [3, 1], dtype: .float64)  // all positive: ratio 1
        let floor = BalancedPotentialLoss.scaleFloor
        let expected = (pow((2.5 / 4 - 1) / (2.5 / 4 + 1 + floor), 2) + pow(2 / (2 + floor), 2)) / 2
        XCTAssertEqual(BalancedPotentialLoss.loss([first, second], form: .relative).item, expected, accuracy: 1e-12)
    }

    /// Scaling every potential by 100 (a threshold of 100 instead of 1) multiplies the raw form by
    /// 10⁴ and leaves the relative form as it is (up to the 10⁻⁶ floor on the scale).
    func testRelativeFormDoesNotDependOnThePotentialScale() {
        let h = uniform([5, 6], seed: 3, -1, 1.4)
        let raw = BalancedPotentialLoss.loss([h], form: .raw).item
        XCTAssertEqual(BalancedPotentialLoss.loss([h * 100], form: .raw).item, raw * 1e4, accuracy: raw * 1e-6)
        let relative = BalancedPotentialLoss.loss([h], form: .relative).item
        XCTAssertGreaterThan(relative, 1e-4)
        XCTAssertEqual(BalancedPotentialLoss.loss([h * 100], form: .relative).item, relative, accuracy: relative * 1e-5)
    }

    func testRelativeFormGradientMatchesFiniteDifferences() {
        // Off-centre potentials, so neither layer's imbalance (nor its gradient) is zero; no value
        // near 0, where relu has its kink.
        var first = uniform([3, 4], seed: 4, 0.05, 1.5)
        first = first * Tensor(shape: [3, 4], values: (0..<12).map { $0 % 3 == 0 ? -1 : 1 }, dtype: .float64)
        let shift = Tensor(shape: [2, 5], values: (0..<10).map { $0 < 3 ? 1.5 : 0 }, dtype: .float64)
        let second = uniform([2, 5], seed: 5, -1.2, -0.1) + shift
        let report = GradientCheck.check([first, second]) {
            BalancedPotentialLoss.loss([$0[0], $0[1]], form: .relative)
        }
        XCTAssertLessThan(report.maxError, 1e-7, "\(report)")
    }

    /// Two neurons with opposite imbalances: the layer's mean cancels (relative form 0), each
    /// neuron's does not. Potentials [T = 2, B = 1, 2]: neuron 0 sees 3, −1 (P = 1.5, N = 0.5),
    /// neuron 1 sees 1, −3 (P = 0.5, N = 1.5), so each has ((P − N)/(P + N))² = 1/4.
    func testPerNeuronFormDoesNotCancelAcrossNeurons() {
        let h = Tensor(shape: [2, 1, 2], values: [3, 1, -1, -3], dtype: .float64)
        XCTAssertEqual(BalancedPotentialLoss.loss([h], form: .relative).item, 0, accuracy: 1e-15)
        let floor = BalancedPotentialLoss.scaleFloor
        let second = Tensor(shape: [1, 2, 1], values: [2, 0], dtype: .float64)  // one neuron, all positive: 1
        let expected = (pow(1 / (2 + floor), 2) + pow(1 / (1 + floor), 2)) / 2
        XCTAssertEqual(BalancedPotentialLoss.loss([h, second], form: .perNeuron).item, expected, accuracy: 1e-12)
    }

    func testPerNeuronFormGradientMatchesFiniteDifferences() {
        // Each neuron off-centre by a different amount and no value near relu's kink at 0.
        let magnitude = uniform([3, 2, 4], seed: 6, 0.1, 1.4)
        let signs = Tensor(
            shape: [3, 2, 4], values: (0..<24).map { $0 % 4 == $0 / 8 ? -1 : ($0 % 5 == 0 ? -1 : 1) },
            dtype: .float64)
        let first = magnitude * signs
        let second = uniform([2, 3, 5], seed: 7, -1.2, -0.1) + uniform([2, 3, 5], seed: 8, 0, 0.05)
        let report = GradientCheck.check([first, second]) {
            BalancedPotentialLoss.loss([$0[0], $0[1]], form: .perNeuron)
        }
        XCTAssertLessThan(report.maxError, 1e-7, "\(report)")
    }
}
