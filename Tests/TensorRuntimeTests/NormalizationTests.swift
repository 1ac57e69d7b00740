import TensorRuntime
import TestSupport
import XCTest

/// Batch normalisation in Float32 runs the C kernels (the widest vectors the CPU has); it must
/// match the Float64 loops, whose gradients NNTests checks against finite differences.
final class NormalizationTests: XCTestCase {
    func testFloat32BatchNormalisationMatchesFloat64InValuesAndGradients() {
        // Rows longer than a vector and with a remainder, rows shorter than one, one value per row.
        let cases: [(shape: [Int], axis: Int)] = [([3, 2, 4, 37], 2), ([5, 3, 40], 1), ([4, 2, 5], 1), ([6, 3], 1)]
        for (i, c) in cases.enumerated() {
            let channels = c.shape[c.axis]
            // A large mean checks that the variance is not lost to cancellation.
            let x = randomTensor(c.shape, seed: UInt64(400 + i), low: 2, high: 5)
            let weight = randomTensor([channels], seed: UInt64(410 + i), low: 0.5, high: 2)
            let bias = randomTensor([channels], seed: UInt64(420 + i))
            let seed = randomTensor(c.shape, seed: UInt64(430 + i))
            func run(_ dtype: DType) -> [[Double]] {
                let xv = x.converted(to: dtype).requiringGrad()
                let wv = weight.converted(to: dtype).requiringGrad()
                let bv = bias.converted(to: dtype).requiringGrad()
                let (y, mean, variance) = xv.batchNormalized(weight: wv, bias: bv, channelAxis: c.axis, epsilon: 1e-5)
                y.backward(seed: seed.converted(to: dtype))
                return [
                    y.doubles, mean.doubles, variance.doubles, xv.grad!.doubles, wv.grad!.doubles, bv.grad!.doubles,
                ]
            }
            let (single, double) = (run(.float32), run(.float64))
            for (k, name) in ["output", "mean", "variance", "input gradient", "weight gradient", "bias gradient"]
                .enumerated()
            {
                XCTAssertEqual(single[k].count, double[k].count, "case \(i) \(name)")
                assertClose(single[k], double[k], tolerance: 2e-4)
            }
        }
    }
}
