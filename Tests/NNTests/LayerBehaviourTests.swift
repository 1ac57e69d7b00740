import NN
import TensorRuntime
import TestSupport
import XCTest

/// What layers compute (beyond their gradients): time folding, tdBN's formula and running
/// statistics, modes, naming, initialisation.
final class LayerBehaviourTests: XCTestCase {
    func testLinearAndConvOnTimeStepsMatchPerStepCalls() {
        var rng = SeededRNG(seed: 1)
        let linear = Linear(inFeatures: 3, outFeatures: 2, dtype: .float64, rng: &rng)
        let sequence = randomTensor([4, 2, 3], seed: 2)
        let folded = linear(sequence)
        XCTAssertEqual(folded.shape, [4, 2, 2])
        for t in 0..<4 {
            assertClose(
                folded.select(axis: 0, index: t).doubles, linear(sequence.select(axis: 0, index: t)).doubles,
                tolerance: 1e-14)
        }
        let conv = Conv2d(
            inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, dtype: .float64, rng: &rng)
        let images = randomTensor([3, 2, 2, 5, 5], seed: 3)
        let y = conv(images)
        XCTAssertEqual(y.shape, [3, 2, 3, 3, 3])
        for t in 0..<3 {
            assertClose(
                y.select(axis: 0, index: t).doubles, conv(images.select(axis: 0, index: t)).doubles,
                tolerance: 1e-14)
        }
    }

    func testTDBatchNormFormulaAndRunningStatistics() {
        let (alpha, threshold, epsilon) = (0.7, 0.5, 1e-5)
        let bn = TDBatchNorm(
            channels: 2, alpha: alpha, threshold: threshold, epsilon: epsilon, momentum: 0.1, dtype: .float64)
        bn.weight.value = Tensor(shape: [2], values: [1.5, 0.5], dtype: .float64).requiringGrad()
        bn.bias.value = Tensor(shape: [2], values: [0.1, -0.2], dtype: .float64).requiringGrad()
        let x = randomTensor([3, 2, 2, 2, 2], seed: 4, low: -2, high: 3)  // [T, B, C, H, W]
        let y = bn(x).doubles
        let values = x.doubles
        for c in 0..<2 {
            // Channel c's values over time, batch and space.
            let indices = values.indices.filter { ($0 / 4) % 2 == c }
            let channel = indices.map { values[$0] }
            let mean = channel.reduce(0, +) / Double(channel.count)
            let variance = channel.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(channel.count)
            let gamma = [1.5, 0.5][c]
            let beta = [0.1, -0.2][c]
            for i in indices {
                let expected = alpha * threshold * (values[i] - mean) / (variance + epsilon).squareRoot() * gamma + beta
                XCTAssertEqual(y[i], expected, accuracy: 1e-12)
            }
            let unbiased = variance * Double(channel.count) / Double(channel.count - 1)
            XCTAssertEqual(bn.runningMean.value.doubles[c], 0.1 * mean, accuracy: 1e-12)
            XCTAssertEqual(bn.runningVariance.value.doubles[c], 0.9 + 0.1 * unbiased, accuracy: 1e-12)
        }
        // Evaluation normalises with the running statistics and leaves them alone.
        bn.eval()
        let before = bn.runningMean.value.doubles
        let z = bn(x).doubles
        XCTAssertEqual(bn.runningMean.value.doubles, before)
        let (rm, rv) = (bn.runningMean.value.doubles[0], bn.runningVariance.value.doubles[0])
        XCTAssertEqual(
            z[0], alpha * threshold * (values[0] - rm) / (rv + epsilon).squareRoot() * 1.5 + 0.1, accuracy: 1e-12)
    }

    func testFloat32BatchNormMatchesFloat64() {
        let x64 = randomTensor([8, 4, 5, 5], seed: 5, low: 10, high: 12)  // a large mean must not cancel the variance
        let bn64 = BatchNorm2d(channels: 4, dtype: .float64)
        let bn32 = BatchNorm2d(channels: 4)
        assertClose(bn32(x64.converted(to: .float32)).doubles, bn64(x64).doubles, tolerance: 1e-4)
    }

    func testNamesModesAndBuffers() {
        var rng = SeededRNG(seed: 6)
        let net = Sequential(
            BasicBlock(inChannels: 1, outChannels: 2, stride: 2, rng: &rng),
            Dropout(probability: 0.5, rng: &rng),
            Flatten(),
            Linear(inFeatures: 8, outFeatures: 3, rng: &rng))
        let names = net.namedParameters().map(\.name)
        XCTAssertEqual(
            names,
            [
                "0.conv1.weight", "0.norm1.weight", "0.norm1.bias", "0.conv2.weight", "0.norm2.weight", "0.norm2.bias",
                "0.shortcut.0.weight", "0.shortcut.1.weight", "0.shortcut.1.bias", "3.weight", "3.bias",
            ])
        XCTAssertEqual(
            net.namedBuffers().map(\.name),
            [
                "0.norm1.running_mean", "0.norm1.running_var", "0.norm2.running_mean", "0.norm2.running_var",
                "0.shortcut.1.running_mean", "0.shortcut.1.running_var",
            ])
        XCTAssertTrue(net.parameters().allSatisfy { $0.value.requiresGrad })
        XCTAssertTrue(net.namedBuffers().allSatisfy { !$0.parameter.value.requiresGrad })
        net.eval()
        XCTAssertFalse(net.layers[1].isTraining)
        XCTAssertFalse((net.layers[0] as! BasicBlock).norm1.isTraining)
        let x = Tensor.ones([2, 8])
        XCTAssertEqual(net.layers[1](x).doubles, x.doubles, "dropout is the identity in evaluation mode")
        net.train()
        XCTAssertTrue((net.layers[0] as! BasicBlock).norm1.isTraining)
    }

    func testDropoutDropsTheRequestedFraction() {
        var rng = SeededRNG(seed: 7)
        let dropout = Dropout(probability: 0.3, rng: &rng)
        let y = dropout(Tensor.ones([10_000])).doubles
        let dropped = Double(y.filter { $0 == 0 }.count) / Double(y.count)
        XCTAssertEqual(dropped, 0.3, accuracy: 0.02)
        XCTAssertTrue(y.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.7) < 1e-6 })
    }

    func testWeightInitialisationStatistics() {
        var rng = SeededRNG(seed: 8)
        let fanIn = 200
        func std(_ t: Tensor) -> Double {
            let v = t.doubles
            let mean = v.reduce(0, +) / Double(v.count)
            return (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)).squareRoot()
        }
        let normal = WeightInit.kaimingNormal().tensor([100, fanIn], fanIn: fanIn, dtype: .float64, using: &rng)
        XCTAssertEqual(std(normal), (2.0 / Double(fanIn)).squareRoot(), accuracy: 0.002)
        let uniform = WeightInit.kaimingUniform().tensor([100, fanIn], fanIn: fanIn, dtype: .float64, using: &rng)
        XCTAssertEqual(std(uniform), (2.0 / Double(fanIn)).squareRoot(), accuracy: 0.002)
        let bounded = WeightInit.uniform(k: 2).tensor([100, fanIn], fanIn: fanIn, dtype: .float64, using: &rng)
        let bound = 2 / Double(fanIn).squareRoot()
        XCTAssertLessThanOrEqual(bounded.doubles.map(Swift.abs).max()!, bound)
        XCTAssertGreaterThan(bounded.doubles.map(Swift.abs).max()!, 0.99 * bound)
    }
}
