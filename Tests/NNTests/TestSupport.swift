import NN
import TensorRuntime
import XCTest

/// Random Float64 test tensors, uniform in [low, high).
func randomTensor(_ shape: [Int], seed: UInt64, low: Double = -1, high: Double = 1) -> Tensor {
    var rng = SeededRNG(seed: seed)
    return .uniform(shape, low: low, high: high, dtype: .float64, using: &rng)
}

/// A fixed, non-symmetric weighting so that reducing an output to a scalar does not hide errors
/// (a plain sum would give every output the same upstream gradient, and batch norm's input
/// gradient would vanish).
func weightedSum(_ t: Tensor) -> Tensor {
    let values = (0..<t.count).map { (i: Int) -> Double in 0.3 + 0.7 * Double((i * 7919) % 13) / 13 }
    return (t * Tensor(shape: t.shape, values: values, dtype: t.dtype)).sum()
}

/// Checks a module's gradients with respect to its input and every trainable parameter against
/// central finite differences (the module must be Float64 and deterministic).
func assertModuleGradients(
    _ module: any Module, input: Tensor, tolerance: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line
) {
    let parameters = module.parameters()
    let report = GradientCheck.check([input] + parameters.map(\.value)) { tensors in
        for (parameter, value) in zip(parameters, tensors.dropFirst()) { parameter.value = value }
        return weightedSum(module(tensors[0]))
    }
    XCTAssertLessThan(report.maxError, tolerance, "\(report)", file: file, line: line)
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
