import Foundation
import TensorRuntime
import XCTest

// Helpers shared by the numeric test targets.

/// Random Float64 test tensors, uniform in [low, high), optionally kept at least
/// `awayFromZero` from zero (for ops with a kink there).
public func randomTensor(_ shape: [Int], seed: UInt64, low: Double = -1, high: Double = 1, awayFromZero: Double = 0)
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

/// Σ w_i t_i with fixed, uneven weights (see `GradientCheck.weightedSum`).
public func weightedSum(_ t: Tensor) -> Tensor { GradientCheck.weightedSum(t) }

/// Asserts that autodiff agrees with central finite differences for the scalar `f`.
public func assertGradients(
    _ inputs: [Tensor], tolerance: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line,
    _ f: @escaping ([Tensor]) -> Tensor
) {
    let report = GradientCheck.check(inputs, f)
    XCTAssertLessThan(report.maxError, tolerance, "\(report)", file: file, line: line)
}

/// Asserts elementwise agreement within `tolerance`, relative for values above 1.
public func assertClose(
    _ a: [Double], _ b: [Double], tolerance: Double, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, "element counts differ", file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where Swift.abs(x - y) > tolerance * Swift.max(1, Swift.abs(y)) {
        XCTFail("element \(i): \(x) vs expected \(y)", file: file, line: line)
        return
    }
}

/// A fresh directory under the system temp folder, removed when the test ends.
public func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}
