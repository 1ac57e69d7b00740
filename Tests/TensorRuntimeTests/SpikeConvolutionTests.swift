import CKernels
import TensorRuntime
import TestSupport
import XCTest

/// The spike-driven convolution: its C kernels at every instruction-set level this CPU runs
/// against a plain Double convolution, the Float32 layer path against the dense path, and the
/// Float64 path's gradients against finite differences.
final class SpikeConvolutionTests: XCTestCase {
    private var levels: [KernelLevel] {
        (0...kernels_best_level().rawValue).map { KernelLevel(rawValue: $0) }
    }

    /// Spikes (0 or 1, some 2 so values count) at about `density` of the places.
    private func spikes(_ count: Int, density: Double, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in
            let u = rng.nextUnit()
            return u < density * 0.9 ? 1 : u < density ? 2 : 0
        }
    }

    private func floats(_ count: Int, seed: UInt64) -> [Float] {
        randomTensor([count], seed: seed).doubles.map { Float($0) }
    }

    /// 3 × 3 at stride 1 (the register-tiled kernel: borders, one- and two-sided padding, output
    /// counts below, at and past a tile), strided, 1 × 1 and dilated windows (the general kernel).
    private let cases: [(c: Int, o: Int, h: Int, w: Int, g: ConvGeometry)] = [
        (
            3, 16, 9, 11,
            ConvGeometry(
                kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1,
                dilationH: 1, dilationW: 1)
        ),
        (
            2, 37, 7, 6,
            ConvGeometry(
                kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 2, padW: 0,
                dilationH: 1, dilationW: 1)
        ),
        (
            4, 5, 8, 8,
            ConvGeometry(
                kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 0, padW: 1,
                dilationH: 1, dilationW: 1)
        ),
        (
            3, 33, 9, 10,
            ConvGeometry(
                kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1,
                dilationH: 1, dilationW: 1)
        ),
        (
            5, 18, 8, 9,
            ConvGeometry(
                kernelH: 1, kernelW: 1, strideH: 2, strideW: 2, padH: 0, padW: 0,
                dilationH: 1, dilationW: 1)
        ),
        (
            2, 7, 9, 12,
            ConvGeometry(
                kernelH: 2, kernelW: 3, strideH: 1, strideW: 2, padH: 1, padW: 2,
                dilationH: 2, dilationW: 2)
        ),
    ]

    func testKernelsAtEveryLevelMatchDenseReference() {
        for (k, testCase) in cases.enumerated() {
            let (c, o, h, w, g) = testCase
            let ho = (h + 2 * g.padH - g.dilationH * (g.kernelH - 1) - 1) / g.strideH + 1
            let wo = (w + 2 * g.padW - g.dilationW * (g.kernelW - 1) - 1) / g.strideW + 1
            let taps = g.kernelH * g.kernelW
            let patch = c * taps
            let x = spikes(c * h * w, density: 0.3, seed: UInt64(600 + k))
            let weight = floats(o * patch, seed: UInt64(610 + k))
            let dy = floats(o * ho * wo, seed: UInt64(620 + k))
            // y[o, p] = Σ x[c, tap of p] w[o, c, tap]; dw[o, c, tap] = Σ_p dy[o, p] x[c, tap of p].
            var y = [Double](repeating: 0, count: o * ho * wo)
            var dw = [Double](repeating: 0, count: o * patch)
            for oc in 0..<o {
                for yy in 0..<ho {
                    for xx in 0..<wo {
                        for ch in 0..<c {
                            for i in 0..<g.kernelH {
                                for j in 0..<g.kernelW {
                                    let iy = yy * g.strideH - g.padH + i * g.dilationH
                                    let ix = xx * g.strideW - g.padW + j * g.dilationW
                                    guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
                                    let input = Double(x[(ch * h + iy) * w + ix])
                                    let tap = (ch * g.kernelH + i) * g.kernelW + j
                                    y[(oc * ho + yy) * wo + xx] += input * Double(weight[oc * patch + tap])
                                    dw[oc * patch + tap] += input * Double(dy[(oc * ho + yy) * wo + xx])
                                }
                            }
                        }
                    }
                }
            }
            // Planes compressed as the layer does it (the sparse rows' own kernels are tested with
            // the sparse linear layer).
            var start = [Int](repeating: 0, count: c + 1)
            var pixel = [Int32]()
            var value = [Float]()
            for ch in 0..<c {
                for q in 0..<(h * w) where x[ch * h * w + q] != 0 {
                    pixel.append(Int32(q))
                    value.append(x[ch * h * w + q])
                }
                start[ch + 1] = pixel.count
            }
            var weightT = [Float](repeating: 0, count: o * patch)
            for oc in 0..<o { for t in 0..<patch { weightT[t * o + oc] = weight[oc * patch + t] } }
            for level in levels {
                var out = [Float](repeating: .nan, count: o * ho * wo)
                var scratch = [Float](repeating: .nan, count: o * ho * wo)
                var byPixel = [Int32](repeating: 0, count: h * w + 1 + 2 * c * h * w)
                var coordinates = [Int32](repeating: 0, count: 2 * h * w)
                spike_conv_forward_f32(level, g, c, h, w, start, pixel, value, weightT, o, &scratch, &byPixel, &out)
                XCTAssertFalse(out.contains { $0.isNaN }, "output left unwritten, case \(k), level \(level.rawValue)")
                assertClose(out.map(Double.init), y, tolerance: 1e-5)
                var dwT = [Float](repeating: 0.5, count: o * patch)
                spike_conv_weight_gradient_f32(
                    level, g, c, h, w, start, pixel, value, dy, o, &scratch, &coordinates,
                    &dwT)
                var expected = [Double](repeating: 0, count: o * patch)
                for oc in 0..<o { for t in 0..<patch { expected[t * o + oc] = 0.5 + dw[oc * patch + t] } }
                assertClose(dwT.map(Double.init), expected, tolerance: 1e-5)
            }
        }
    }

    /// The layer's Float32 spike path (density limit 1) against its dense path (limit 0): output
    /// and all three gradients, with stride and padding, through the tape, over enough samples
    /// that both cores take some.
    func testSpikePathMatchesDensePath() {
        for (stride, padding) in [((1, 1), (1, 1)), ((2, 2), (1, 1))] {
            let x = Tensor(
                shape: [6, 5, 10, 9], values: spikes(6 * 5 * 10 * 9, density: 0.15, seed: 700).map(Double.init),
                dtype: .float32)
            let w = randomTensor([20, 5, 3, 3], seed: 701).converted(to: .float32)
            let b = randomTensor([20], seed: 702).converted(to: .float32)
            func run(_ density: Double) -> [[Double]] {
                let (xv, wv, bv) = (x.requiringGrad(), w.requiringGrad(), b.requiringGrad())
                let y = Tensor.conv2d(xv, weight: wv, bias: bv, stride: stride, padding: padding, spikeDensity: density)
                weightedSum(y).backward()
                return [y.doubles, xv.grad!.doubles, wv.grad!.doubles, bv.grad!.doubles]
            }
            let (spike, dense) = (run(1), run(0))
            for (a, b) in zip(spike, dense) { assertClose(a, b, tolerance: 1e-4) }
        }
    }

    /// The Float64 spike path's weight and input gradients against central finite differences.
    func testSpikePathGradientsMatchFiniteDifferences() {
        let x = Tensor(
            shape: [2, 3, 6, 5], values: spikes(2 * 3 * 6 * 5, density: 0.2, seed: 710).map(Double.init),
            dtype: .float64)
        let w = randomTensor([4, 3, 3, 3], seed: 711)
        for stride in [(1, 1), (2, 1)] {
            assertGradients([x, w]) {
                weightedSum(Tensor.conv2d($0[0], weight: $0[1], stride: stride, padding: (1, 1), spikeDensity: 1))
            }
        }
    }
}
