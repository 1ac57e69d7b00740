import Foundation
import NN
import XCTest

final class ScheduleTests: XCTestCase {
    func testCosineAnnealingWithWarmup() {
        let schedule = CosineAnnealing(initial: 0.1, minimum: 0.001, totalSteps: 12, warmupSteps: 2, warmupStart: 0.01)
        XCTAssertEqual(schedule.learningRate(at: 0), 0.01, accuracy: 1e-15)
        XCTAssertEqual(schedule.learningRate(at: 1), 0.055, accuracy: 1e-15)
        XCTAssertEqual(schedule.learningRate(at: 2), 0.1, accuracy: 1e-15)
        XCTAssertEqual(schedule.learningRate(at: 7), 0.001 + 0.099 / 2, accuracy: 1e-15)  // halfway: cos(π/2) = 0
        XCTAssertEqual(schedule.learningRate(at: 12), 0.001, accuracy: 1e-15)
        XCTAssertEqual(schedule.learningRate(at: 20), 0.001, accuracy: 1e-15)
    }

    func testStepDecay() {
        let schedule = StepDecay(initial: 1, stepSize: 3, gamma: 0.5)
        XCTAssertEqual((0..<7).map { schedule.learningRate(at: $0) }, [1, 1, 1, 0.5, 0.5, 0.5, 0.25])
    }

    func testExponentialDecayIncludingOneOverEPerPeriod() {
        let schedule = ExponentialDecay(initial: 2, gamma: 0.9)
        XCTAssertEqual(schedule.learningRate(at: 2), 2 * 0.81, accuracy: 1e-15)
        let eFolding = ExponentialDecay(initial: 2, eFoldingPeriod: 5)
        XCTAssertEqual(eFolding.learningRate(at: 5), 2 / M_E, accuracy: 1e-14)
        XCTAssertEqual(eFolding.learningRate(at: 10), 2 / (M_E * M_E), accuracy: 1e-14)
    }
}
