import TensorRuntime
import XCTest

/// Random Float64 test tensors, optionally kept away from zero (for ops with a kink there).
func randomTensor(_ shape: [Int], seed: UInt64, low: Double = -1, high: Double = 1, awayFromZero: Double = 0)
    -> Tensor
{
    var rng = SeededRNG(seed: seed)
    let values = (0..<Shape.count(shape)).map { _ -> Double in
        var v = low + (high - low) * rng.nextUnit()
        if awayFromZero > 0 && Swift.abs(v) < awayFromZero { v = v < 0 ? v - awayFromZero : v + awayFromZero }
        return v
    }
    return Tensor(shape: shape, values: values, dtype: .float64)
}

/// Asserts that autodiff agrees with central finite differences for the scalar `f`.
func assertGradients(
    _ inputs: [Tensor], tolerance: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line,
    _ f: @escaping ([Tensor]) -> Tensor
) {
    let report = GradientCheck.check(inputs, f)
    XCTAssertLessThan(report.maxError, tolerance, "\(report)", file: file, line: line)
}

/// A fixed, non-symmetric weighting so that reductions to a scalar do not hide errors (a plain
/// sum would give every output the same upstream gradient).
func weightedSum(_ t: Tensor) -> Tensor {
    let values = (0..<t.count).map { (i: Int) -> Double in 0.3 + 0.7 * Double((i * 7919) % 13) / 13 }
    let weights = Tensor(shape: t.shape, values: values, dtype: t.dtype)
    return (t * weights).sum()
}

func assertClose(
    _ a: [Double], _ b: [Double], tolerance: Double, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, "element counts differ", file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where Swift.abs(x - y) > tolerance * Swift.max(1, Swift.abs(y)) {
        XCTFail("element \(i): \(x) vs expected \(y)", file: file, line: line)
        return
    }
}
