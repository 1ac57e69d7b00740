import Foundation
import NN
import TensorRuntime
import TestSupport
import XCTest

final class LossTests: XCTestCase {
    private let logits = Tensor(shape: [2, 3], values: [1, 2, 0.5, -1, 0, 3], dtype: .float64)

    func testCrossEntropyAgainstItsDefinition() {
        func reference(_ row: [Double], _ label: Int, smoothing: Double) -> Double {
            let lse = Foundation.log(row.map(Foundation.exp).reduce(0, +))
            let q = row.indices.map { ($0 == label ? 1 - smoothing : 0) + smoothing / Double(row.count) }
            return zip(q, row).map { $0 * (lse - $1) }.reduce(0, +)
        }
        let rows = [[1, 2, 0.5], [-1, 0, 3]]
        for smoothing in [0, 0.1] {
            let expected =
                (reference(rows[0], 1, smoothing: smoothing) + reference(rows[1], 0, smoothing: smoothing)) / 2
            XCTAssertEqual(
                crossEntropy(logits: logits, labels: [1, 0], labelSmoothing: smoothing).item, expected,
                accuracy: 1e-12)
        }
    }

    func testLossGradients() {
        let check = GradientCheck.check([logits]) { crossEntropy(logits: $0[0], labels: [2, 0], labelSmoothing: 0.1) }
        XCTAssertLessThan(check.maxError, 1e-7, "\(check)")
        let steps = randomTensor([3, 2, 4], seed: 1, low: -2, high: 2)
        let tet = GradientCheck.check([steps]) { tetLoss(logits: $0[0], labels: [1, 3], lambda: 0.2) }
        XCTAssertLessThan(tet.maxError, 1e-7, "\(tet)")
        let targets = randomTensor([2, 3], seed: 2)
        let mse = GradientCheck.check([logits]) { meanSquaredError($0[0], targets) }
        XCTAssertLessThan(mse.maxError, 1e-7, "\(mse)")
    }

    func testTETIsTheMeanOfPerStepCrossEntropiesPlusTheMSETerm() {
        let steps = randomTensor([3, 2, 4], seed: 3, low: -2, high: 2)
        let labels = [1, 3]
        let perStep = (0..<3).map { crossEntropy(logits: steps.select(axis: 0, index: $0), labels: labels).item }
        let tet = perStep.reduce(0, +) / 3
        XCTAssertEqual(tetLoss(logits: steps, labels: labels).item, tet, accuracy: 1e-12)
        let mse = steps.doubles.map { ($0 - 1) * ($0 - 1) }.reduce(0, +) / Double(steps.count)
        XCTAssertEqual(
            tetLoss(logits: steps, labels: labels, lambda: 0.05).item, 0.95 * tet + 0.05 * mse, accuracy: 1e-12)
    }

    func testMeanSquaredError() {
        let targets = Tensor(shape: [2, 3], values: [1, 2, 0.5, 0, 0, 0], dtype: .float64)
        XCTAssertEqual(meanSquaredError(logits, targets).item, (1 + 9) / 6.0, accuracy: 1e-15)
    }

    func testAccuracyAndTopK() {
        let scores = Tensor(shape: [3, 4], values: [0.1, 0.5, 0.2, 0.2, 3, 2, 1, 0, 0, 1, 2, 3], dtype: .float32)
        XCTAssertEqual(accuracy(logits: scores, labels: [1, 0, 0]), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(topKAccuracy(logits: scores, labels: [2, 1, 1], k: 2), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(topKAccuracy(logits: scores, labels: [2, 1, 1], k: 3), 1, accuracy: 1e-12)
    }
}
