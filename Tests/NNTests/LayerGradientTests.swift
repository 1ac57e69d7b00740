import NN
import TensorRuntime
import TestSupport
import XCTest

/// Every layer's backward pass against finite differences in Float64, with respect to the input
/// and every trainable parameter.
final class LayerGradientTests: XCTestCase {
    func testLinearOnBatchesAndTimeSteps() {
        var rng = SeededRNG(seed: 1)
        let linear = Linear(inFeatures: 4, outFeatures: 3, dtype: .float64, rng: &rng)
        assertModuleGradients(linear, input: randomTensor([5, 4], seed: 2))
        assertModuleGradients(linear, input: randomTensor([2, 3, 4], seed: 3))
    }

    func testConv2dWithStridePaddingAndTimeSteps() {
        var rng = SeededRNG(seed: 4)
        let conv = Conv2d(
            inChannels: 2, outChannels: 3, kernelSize: (3, 2), stride: (2, 1), padding: (1, 1),
            dtype: .float64, rng: &rng)
        assertModuleGradients(conv, input: randomTensor([2, 2, 5, 4], seed: 5))
        assertModuleGradients(conv, input: randomTensor([2, 1, 2, 4, 3], seed: 6))
    }

    func testBatchNormInTrainingMode() {
        let bn1 = BatchNorm1d(channels: 3, dtype: .float64)
        randomizeAffine(bn1, seed: 7)
        assertModuleGradients(bn1, input: randomTensor([6, 3], seed: 8))
        assertModuleGradients(bn1, input: randomTensor([3, 3, 4], seed: 9))
        let bn2 = BatchNorm2d(channels: 2, dtype: .float64)
        randomizeAffine(bn2, seed: 10)
        assertModuleGradients(bn2, input: randomTensor([3, 2, 3, 3], seed: 11))
    }

    func testBatchNormInEvaluationMode() {
        let bn = BatchNorm2d(channels: 2, dtype: .float64)
        randomizeAffine(bn, seed: 12)
        bn.runningMean.value = Tensor(shape: [2], values: [0.3, -0.2], dtype: .float64)
        bn.runningVariance.value = Tensor(shape: [2], values: [0.5, 2], dtype: .float64)
        bn.eval()
        assertModuleGradients(bn, input: randomTensor([2, 2, 3, 3], seed: 13))
    }

    func testTDBatchNormInTrainingMode() {
        let spatial = TDBatchNorm(channels: 2, alpha: 0.7, threshold: 0.5, dtype: .float64)
        randomizeAffine(spatial, seed: 14)
        assertModuleGradients(spatial, input: randomTensor([2, 2, 2, 3, 3], seed: 15))
        let dense = TDBatchNorm(channels: 3, alpha: 1, threshold: 2, dtype: .float64)
        randomizeAffine(dense, seed: 16)
        assertModuleGradients(dense, input: randomTensor([3, 2, 3], seed: 17))
    }

    func testTDBatchNormInEvaluationMode() {
        let bn = TDBatchNorm(channels: 2, alpha: 0.7, threshold: 0.5, dtype: .float64)
        randomizeAffine(bn, seed: 18)
        bn.eval()
        assertModuleGradients(bn, input: randomTensor([2, 2, 2, 2, 2], seed: 19))
    }

    func testPooling() {
        // Distinct values keep the max-pool argmax away from ties under the finite-difference step.
        let x = Tensor(shape: [2, 1, 4, 5], values: (0..<40).map { Double(($0 * 17) % 40) / 10 }, dtype: .float64)
        assertModuleGradients(MaxPool2d(kernelSize: 2), input: x)
        assertModuleGradients(AvgPool2d(kernelSize: (2, 3), stride: (1, 2), padding: (1, 1)), input: x)
        assertModuleGradients(AdaptiveAvgPool2d(outputSize: 1), input: x)
        assertModuleGradients(AdaptiveAvgPool2d(outputSize: (2, 5)), input: x)
        assertModuleGradients(AdaptiveAvgPool2d(outputSize: (3, 2)), input: x)  // uneven windows
    }

    func testSequentialWithFlattenAndReLU() {
        var rng = SeededRNG(seed: 20)
        let net = Sequential(
            Conv2d(inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, dtype: .float64, rng: &rng),
            ReLU(),
            Flatten(),
            Linear(inFeatures: 2 * 3 * 3, outFeatures: 2, dtype: .float64, rng: &rng))
        assertModuleGradients(net, input: randomTensor([2, 1, 3, 3], seed: 21))
    }

    func testBasicBlockWithProjectionShortcut() {
        var rng = SeededRNG(seed: 22)
        let block = BasicBlock(inChannels: 2, outChannels: 3, stride: 2, dtype: .float64, rng: &rng)
        XCTAssertNotNil(block.shortcut)
        assertModuleGradients(block, input: randomTensor([2, 2, 4, 4], seed: 23), tolerance: 1e-5)
    }

    func testSpikingStyleBasicBlockOnTimeSteps() {
        var rng = SeededRNG(seed: 24)
        let block = BasicBlock(
            inChannels: 2, outChannels: 2, dtype: .float64, rng: &rng,
            makeNorm: { TDBatchNorm(channels: $0, alpha: 0.5.squareRoot(), dtype: .float64) },
            makeActivation: { ReLU() })
        XCTAssertNil(block.shortcut)
        assertModuleGradients(block, input: randomTensor([2, 2, 2, 3, 3], seed: 25), tolerance: 1e-5)
    }

    func testDropoutGradientIsItsMask() {
        var rng = SeededRNG(seed: 26)
        let dropout = Dropout(probability: 0.5, rng: &rng)
        let x = randomTensor([200], seed: 27).requiringGrad()
        let y = dropout(x)
        y.sum().backward()
        // Each kept element is scaled by 2 and its gradient is 2; dropped ones are 0 in both.
        for (i, (value, grad)) in zip(y.doubles, x.grad!.doubles).enumerated() {
            XCTAssertTrue(grad == 0 && value == 0 || grad == 2 && value == 2 * x.doubles[i], "element \(i)")
        }
    }

    /// Non-trivial γ and β, so their gradients and the input gradient all get tested.
    private func randomizeAffine(_ bn: any Module, seed: UInt64) {
        let named = Dictionary(uniqueKeysWithValues: bn.namedParameters().map { ($0.name, $0.parameter) })
        let channels = named["weight"]!.shape[0]
        named["weight"]!.value = randomTensor([channels], seed: seed, low: 0.5, high: 1.5)
        named["bias"]!.value = randomTensor([channels], seed: seed + 100)
    }
}
