import TensorRuntime
import TestSupport
import XCTest

/// Finite-difference checks (Float64) of every elementwise op, including broadcasting.
final class ElementwiseGradientTests: XCTestCase {
    let x = randomTensor([3, 4], seed: 1)

    func testUnaryFunctions() {
        let cases: [(String, (Tensor) -> Tensor)] = [
            ("exp", { $0.exp() }), ("tanh", { $0.tanh() }), ("sigmoid", { $0.sigmoid() }),
            ("softplus", { $0.softplus() }), ("squared", { $0.squared() }), ("negate", { -$0 }),
            ("affine", { $0.affine(scale: -1.5, shift: 0.25) }), ("pow3", { $0.pow(3) }),
            ("scalar ops", { (2 - $0 * 3 + 1) / 4 }),
        ]
        for (name, op) in cases {
            let report = GradientCheck.check([x]) { weightedSum(op($0[0])) }
            XCTAssertLessThan(report.maxError, 1e-6, "\(name): \(report)")
        }
    }

    func testFunctionsWithRestrictedDomain() {
        let positive = randomTensor([3, 4], seed: 2, low: 0.5, high: 2)
        assertGradients([positive]) { weightedSum($0[0].log()) }
        assertGradients([positive]) { weightedSum($0[0].sqrt()) }
        assertGradients([positive]) { weightedSum($0[0].pow(1.7)) }
        assertGradients([positive]) { weightedSum(3 / $0[0]) }
    }

    func testFunctionsWithKinksAwayFromTheKink() {
        let v = randomTensor([3, 4], seed: 3, awayFromZero: 0.05)
        assertGradients([v]) { weightedSum($0[0].relu()) }
        assertGradients([v]) { weightedSum($0[0].abs()) }
        assertGradients([v]) { weightedSum($0[0].clamped(-0.5, 0.5)) }
    }

    func testSignHasZeroGradient() {
        let v = randomTensor([5], seed: 4, awayFromZero: 0.1).requiringGrad()
        (v.sign() * v).sum().backward()
        assertClose(v.grad!.doubles, v.sign().doubles, tolerance: 1e-12)
    }

    func testBinaryOpsWithBroadcasting() {
        let shapes: [([Int], [Int])] = [
            ([3, 4], [3, 4]), ([3, 4], [4]), ([3, 1], [1, 4]), ([2, 3, 4], [3, 1]), ([3, 4], []),
        ]
        for (sa, sb) in shapes {
            let a = randomTensor(sa, seed: 5)
            let b = randomTensor(sb, seed: 6, low: 0.5, high: 1.5)
            assertGradients([a, b]) { weightedSum($0[0] + $0[1]) }
            assertGradients([a, b]) { weightedSum($0[0] - $0[1]) }
            assertGradients([a, b]) { weightedSum($0[0] * $0[1]) }
            assertGradients([a, b]) { weightedSum($0[0] / $0[1]) }
        }
    }

    func testTensorPower() {
        let a = randomTensor([2, 3], seed: 7, low: 0.5, high: 2)
        let b = randomTensor([3], seed: 8)
        assertGradients([a, b]) { weightedSum($0[0].pow($0[1])) }
    }

    func testMaximumMinimumAndWhere() {
        let a = randomTensor([3, 4], seed: 9)
        let b = a + randomTensor([3, 4], seed: 10, awayFromZero: 0.1)  // no ties
        assertGradients([a, b]) { weightedSum(Tensor.maximum($0[0], $0[1])) }
        assertGradients([a, b]) { weightedSum(Tensor.minimum($0[0], $0[1])) }
        let condition = a.greater(0)
        assertGradients([a, randomTensor([4], seed: 11)]) { weightedSum(Tensor.where(condition, $0[0], $0[1])) }
    }

    func testWhereKeepsInfinitiesOfTheUnchosenBranchOut() {
        let inf = Tensor(shape: [2], values: [.infinity, 1], dtype: .float64)
        let other = Tensor(shape: [2], values: [5, .infinity], dtype: .float64)
        let condition = Tensor(shape: [2], values: [0, 1], dtype: .float64)
        XCTAssertEqual(Tensor.where(condition, inf, other).doubles, [5, 1])
    }

    func testComparisons() {
        let a = Tensor(shape: [4], values: [1, 2, 3, 4], dtype: .float32)
        let b = Tensor(shape: [4], values: [2, 2, 2, 2], dtype: .float32)
        XCTAssertEqual(a.less(b).doubles, [1, 0, 0, 0])
        XCTAssertEqual(a.lessEqual(b).doubles, [1, 1, 0, 0])
        XCTAssertEqual(a.greater(b).doubles, [0, 0, 1, 1])
        XCTAssertEqual(a.greaterEqual(b).doubles, [0, 1, 1, 1])
        XCTAssertEqual(a.equal(b).doubles, [0, 1, 0, 0])
        XCTAssertEqual(a.greater(2.5).doubles, [0, 0, 1, 1])
    }

    func testNumericallyStableSigmoidAndSoftplus() {
        let big = Tensor(shape: [4], values: [-1000, -30, 30, 1000], dtype: .float32)
        XCTAssertEqual(
            big.sigmoid().doubles, [0, 1 / (1 + Foundation.exp(30)), 1 / (1 + Foundation.exp(-30)), 1],
            accuracy: 1e-6)
        let softplus = big.softplus().doubles
        XCTAssertEqual(softplus[0], 0, accuracy: 1e-6)
        XCTAssertEqual(softplus[3], 1000, accuracy: 1e-3)
        XCTAssertTrue(softplus.allSatisfy(\.isFinite))
    }

    func testBroadcastShapeErrorsNameTheShapes() {
        XCTAssertThrowsError(try Shape.broadcast([3, 4], [5], op: "+")) { error in
            XCTAssertEqual("\(error)", "+: shapes [3, 4] and [5] are not broadcastable (axis 1: 4 vs 5)")
        }
        XCTAssertEqual(try Shape.broadcast([2, 1, 4], [3, 1]), [2, 3, 4])
        XCTAssertThrowsError(try Shape.reshaped([2, 3], to: [4, -1]))
    }

    func testLargeTensorsTakeTheParallelPathAndAgreeWithASerialLoop() {
        let n = 1 << 18
        let a = randomTensor([n], seed: 12).converted(to: .float32)
        let b = randomTensor([n], seed: 13).converted(to: .float32)
        let fast = (a * b + a.exp()).floats
        let (av, bv) = (a.floats, b.floats)
        for i in stride(from: 0, to: n, by: 997) {
            XCTAssertEqual(fast[i], av[i] * bv[i] + Foundation.exp(av[i]), accuracy: 1e-5)
        }
    }
}

private func XCTAssertEqual(
    _ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath,
    line: UInt = #line
) {
    assertClose(a, b, tolerance: accuracy, file: file, line: line)
}
