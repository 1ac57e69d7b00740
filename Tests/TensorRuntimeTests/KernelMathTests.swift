import Foundation
import TensorRuntime
import TestSupport
import XCTest

/// The vectorisable Float32 transcendental functions against libm in Double.
final class KernelMathTests: XCTestCase {
    private let samples: [Float] =
        (0...20_000).map { -60 + 120 * Float($0) / 20_000 } + [-87, -1e-3, 0, 1e-6, 1e-3, 88]

    func testExpIsWithinTwoUlps() {
        for x in samples {
            let expected = Foundation.exp(Double(x))
            let got = Double(Float.kernelExp(x))
            XCTAssertLessThanOrEqual(Swift.abs(got - expected) / expected, 2.5e-7, "exp(\(x))")
        }
        XCTAssertEqual(Float.kernelExp(-200), Float.kernelExp(-87.3), "saturates below")
        XCTAssertTrue(Float.kernelExp(200).isFinite)
    }

    func testTanhAndSigmoid() {
        for x in samples {
            XCTAssertEqual(Double(Float.kernelTanh(x)), Foundation.tanh(Double(x)), accuracy: 2e-7, "tanh(\(x))")
            XCTAssertEqual(
                Double(Float.kernelSigmoid(x)), 1 / (1 + Foundation.exp(-Double(x))), accuracy: 2e-7,
                "sigmoid(\(x))")
        }
        XCTAssertEqual(Float.kernelTanh(-1e-5), -1e-5, "odd and exact near zero")
        XCTAssertEqual(Float.kernelSigmoid(-1000), 0, accuracy: 1e-30)
        XCTAssertEqual(Float.kernelSigmoid(1000), 1)
    }
}
