import NN
import TensorRuntime
import TestSupport
import XCTest

/// The first two steps of every optimizer against reference values, plus groups and clipping.
///
/// The references come from PyTorch 2.13's torch.optim (SGD, Adam, AdamW) and from the
/// AdaBelief algorithm written out by hand, all in float64, for p₀ = [1, −2, 0.5] and the
/// gradients g₁ = [0.5, −1, 2], g₂ = [0.1, 0.2, −3].
final class OptimizerTests: XCTestCase {
    private let gradients: [[Double]] = [[0.5, -1, 2], [0.1, 0.2, -3]]

    /// Runs two steps of the optimizer made by `make` and returns the parameter after each.
    private func twoSteps(_ make: ([Parameter]) -> any Optimizer) -> [[Double]] {
        let parameter = Parameter(Tensor(shape: [3], values: [1, -2, 0.5], dtype: .float64))
        let optimizer = make([parameter])
        return gradients.map { g in
            parameter.grad = Tensor(shape: [3], values: g, dtype: .float64)
            optimizer.step()
            return parameter.value.doubles
        }
    }

    private func assertSteps(
        _ actual: [[Double]], _ expected: [[Double]], file: StaticString = #filePath, line: UInt = #line
    ) {
        for (a, e) in zip(actual, expected) { assertClose(a, e, tolerance: 1e-12, file: file, line: line) }
    }

    func testSGD() {
        assertSteps(twoSteps { SGD($0, learningRate: 0.1) }, [[0.95, -1.9, 0.3], [0.94, -1.92, 0.6]])
    }

    func testSGDWithMomentumDampeningAndWeightDecay() {
        assertSteps(
            twoSteps { SGD($0, learningRate: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01) },
            [[0.949, -1.898, 0.2995], [0.8932459, -1.8224918, 0.38878045]])
    }

    func testSGDWithNesterovMomentum() {
        assertSteps(
            twoSteps { SGD($0, learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01) },
            [[0.9031, -1.8062, 0.11905], [0.84107411, -1.75814822, 0.526418805]])
    }

    func testAdamWithL2WeightDecay() {
        assertSteps(
            twoSteps { Adam($0, learningRate: 0.01, weightDecay: 0.1) },
            [
                [0.9900000001666667, -1.9900000000833333, 0.49000000004878047],
                [0.981296786265348, -1.9833056241906861, 0.4922908694888446],
            ])
    }

    func testAdamW() {
        assertSteps(
            twoSteps { AdamW($0, learningRate: 0.01, weightDecay: 0.1) },
            [
                [0.9890000002, -1.9880000001, 0.48950000005],
                [0.9799805906382653, -1.9809017393989494, 0.4914875182015769],
            ])
    }

    func testAdaBelief() {
        assertSteps(
            twoSteps { AdaBelief($0, learningRate: 0.01, epsilon: 1e-8, weightDecay: 0.1) },
            [
                [0.9878891634740521, -1.9868889575988147, 0.4883889060973538],
                [0.9778473651788342, -1.979355946122277, 0.4905301624441588],
            ])
    }

    func testStepKeepsTheLeafSoGradientsKeepFlowing() {
        let parameter = Parameter(Tensor(shape: [2], values: [1, 2], dtype: .float64))
        let optimizer = SGD([parameter], learningRate: 0.5)
        for _ in 0..<2 {
            optimizer.zeroGrad()
            (parameter.value * parameter.value).sum().backward()  // gradient 2p
            optimizer.step()
        }
        assertClose(parameter.value.doubles, [0, 0], tolerance: 1e-15)  // p − 0.5·2p = 0 after one step
        XCTAssertTrue(parameter.value.requiresGrad)
        XCTAssertEqual(optimizer.state.stepCount, 2)
    }

    func testGroupsScaleTheLearningRateAndOverrideWeightDecay() {
        let a = Parameter(Tensor(shape: [1], values: [1], dtype: .float64))
        let b = Parameter(Tensor(shape: [1], values: [1], dtype: .float64))
        let unused = Parameter(Tensor(shape: [1], values: [1], dtype: .float64))
        let optimizer = SGD(
            groups: [ParameterGroup([a]), ParameterGroup([b, unused], learningRateScale: 10, weightDecay: 0)],
            learningRate: 0.01, weightDecay: 1)
        a.grad = Tensor(shape: [1], values: [1], dtype: .float64)
        b.grad = Tensor(shape: [1], values: [1], dtype: .float64)
        optimizer.step()
        XCTAssertEqual(a.value.item, 1 - 0.01 * (1 + 1), accuracy: 1e-15)
        XCTAssertEqual(b.value.item, 1 - 0.1 * 1, accuracy: 1e-15)
        XCTAssertEqual(unused.value.item, 1, "a parameter without a gradient is left alone")
    }

    func testGradientNormClipping() {
        let a = Parameter(Tensor(shape: [2], values: [0, 0], dtype: .float64))
        let b = Parameter(Tensor(shape: [1], values: [0], dtype: .float64))
        let optimizer = SGD([a, b], learningRate: 1)
        a.grad = Tensor(shape: [2], values: [3, 0], dtype: .float64)
        b.grad = Tensor(shape: [1], values: [4], dtype: .float64)
        XCTAssertEqual(optimizer.clipGradientNorm(maxNorm: 10), 5, accuracy: 1e-12)
        XCTAssertEqual(b.grad!.item, 4, "below the limit nothing changes")
        XCTAssertEqual(optimizer.clipGradientNorm(maxNorm: 1), 5, accuracy: 1e-12)
        assertClose(a.grad!.doubles + b.grad!.doubles, [0.6, 0, 0.8], tolerance: 1e-6)
    }
}
