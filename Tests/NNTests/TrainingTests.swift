import NN
import TensorRuntime
import TestSupport
import XCTest

/// End to end: a small conv net must learn a synthetic 10-class image task.
final class TrainingTests: XCTestCase {
    /// Each class is a random 8×8 prototype; samples are the prototype under heavy noise and a
    /// random one-pixel shift, so the task needs the convolution and is not trivially separable.
    private func dataset(count: Int, prototypes: Tensor, seed: UInt64) -> (Tensor, [Int]) {
        var rng = SeededRNG(seed: seed)
        let proto = prototypes.floats
        var values: [Float] = []
        var labels: [Int] = []
        for _ in 0..<count {
            let label = Int(rng.next() % 10)
            let (dy, dx) = (Int(rng.next() % 3) - 1, Int(rng.next() % 3) - 1)
            for y in 0..<8 {
                for x in 0..<8 {
                    let (sy, sx) = (min(max(y + dy, 0), 7), min(max(x + dx, 0), 7))
                    values.append(proto[label * 64 + sy * 8 + sx] + Float(rng.nextNormal()))
                }
            }
            labels.append(label)
        }
        return (Tensor(shape: [count, 1, 8, 8], scalars: values), labels)
    }

    func testSmallConvNetLearnsSyntheticClasses() {
        var rng = SeededRNG(seed: 1)
        let prototypes = Tensor.normal([10, 64], using: &rng)
        let (trainX, trainY) = dataset(count: 1000, prototypes: prototypes, seed: 2)
        let (testX, testY) = dataset(count: 300, prototypes: prototypes, seed: 3)
        let model = Sequential(
            Conv2d(
                inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1, bias: false, weightInit: .kaimingNormal(),
                rng: &rng),
            BatchNorm2d(channels: 8), ReLU(), MaxPool2d(kernelSize: 2),
            Flatten(),
            Linear(inFeatures: 8 * 4 * 4, outFeatures: 10, rng: &rng))
        let optimizer = Adam(model.parameters(), learningRate: 0.01)
        var order = SeededRNG(seed: 4)
        for _ in 0..<4 {
            let samples = order.shuffled(Array(trainY.indices))
            for start in stride(from: 0, to: samples.count, by: 50) {
                let batch = Array(samples[start..<(start + 50)])
                optimizer.zeroGrad()
                let inputs = trainX.indexSelect(axis: 0, indices: batch)
                crossEntropy(logits: model(inputs), labels: batch.map { trainY[$0] }).backward()
                optimizer.step()
            }
        }
        model.eval()
        let testAccuracy = Tape.withoutGradient { accuracy(logits: model(testX), labels: testY) }
        XCTAssertGreaterThan(testAccuracy, 0.6, "chance is 0.1")
    }
}
