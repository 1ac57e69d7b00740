import NN
import TensorRuntime
import TestSupport
import XCTest

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
