import CKernels
import TensorRuntime
import TestSupport
import XCTest

/// The C kernels behind Float32 convolution and batch norm at every instruction-set level this
/// CPU runs (the tensor tests only reach the widest), against plain loops in Double.
final class KernelLevelTests: XCTestCase {
    private var levels: [KernelLevel] {
        (0...kernels_best_level().rawValue).map { KernelLevel(rawValue: $0) }
    }

    private func floats(_ count: Int, seed: UInt64) -> [Float] {
        randomTensor([count], seed: seed).doubles.map { Float($0) }
    }

    /// Unit and wider strides (2 has its own AVX-512 path), dilation, one- and two-sided padding,
    /// lines longer than one vector.
    private let geometries: [(c: Int, h: Int, w: Int, g: ConvGeometry)] = [
        (
            2, 5, 37,
            ConvGeometry(kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1)
        ),
        (
            3, 6, 35,
            ConvGeometry(kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, dilationH: 1, dilationW: 1)
        ),
        (
            2, 4, 41,
            ConvGeometry(kernelH: 1, kernelW: 1, strideH: 2, strideW: 2, padH: 0, padW: 0, dilationH: 1, dilationW: 1)
        ),
        (
            2, 7, 20,
            ConvGeometry(kernelH: 2, kernelW: 3, strideH: 1, strideW: 3, padH: 0, padW: 2, dilationH: 2, dilationW: 2)
        ),
    ]

    /// (input index or nil for padding) of every column entry, in column order.
    private func sources(_ c: Int, _ h: Int, _ w: Int, _ g: ConvGeometry) -> [Int?] {
        let ho = (h + 2 * g.padH - g.dilationH * (g.kernelH - 1) - 1) / g.strideH + 1
        let wo = (w + 2 * g.padW - g.dilationW * (g.kernelW - 1) - 1) / g.strideW + 1
        var result = [Int?]()
        for ch in 0..<c {
            for i in 0..<g.kernelH {
                for j in 0..<g.kernelW {
                    for y in 0..<ho {
                        for x in 0..<wo {
                            let iy = y * g.strideH - g.padH + i * g.dilationH
                            let ix = x * g.strideW - g.padW + j * g.dilationW
                            result.append(iy >= 0 && iy < h && ix >= 0 && ix < w ? (ch * h + iy) * w + ix : nil)
                        }
                    }
                }
            }
        }
        return result
    }

    func testColumnKernelsAtEveryLevel() {
        for (k, geometry) in geometries.enumerated() {
            let (c, h, w, g) = geometry
            let map = sources(c, h, w, g)
            let x = floats(c * h * w, seed: UInt64(500 + k))
            let cols = floats(map.count, seed: UInt64(510 + k))
            let expectedColumns = map.map { $0.map { x[$0] } ?? 0 }
            var expectedImage = [Double](repeating: 0.5, count: x.count)
            for (e, source) in map.enumerated() { if let source { expectedImage[source] += Double(cols[e]) } }
            for level in levels {
                var columns = [Float](repeating: .nan, count: map.count)
                conv_im2col_f32(level, x, c, h, w, g, &columns)
                XCTAssertEqual(columns, expectedColumns, "im2col, geometry \(k), level \(level.rawValue)")
                var image = [Float](repeating: 0.5, count: x.count)
                conv_col2im_f32(level, cols, c, h, w, g, &image)
                assertClose(image.map(Double.init), expectedImage, tolerance: 1e-5)
            }
        }
    }

    func testBatchNormKernelsAtEveryLevel() {
        let (outer, channels, inner) = (3, 4, 37)
        let count = outer * channels * inner
        let x = floats(count, seed: 520).map { $0 + 3 }
        let g = floats(count, seed: 521)
        let weight = floats(channels, seed: 522)
        func rows(_ c: Int) -> [Int] {
            (0..<outer).flatMap { o in (0..<inner).map { (o * channels + c) * inner + $0 } }
        }
        var mean = [Double]()
        var variance = [Double]()
        for c in 0..<channels {
            let values = rows(c).map { Double(x[$0]) }
            mean.append(values.reduce(0, +) / Double(values.count))
            variance.append(values.map { ($0 - mean[c]) * ($0 - mean[c]) }.reduce(0, +) / Double(values.count))
        }
        let invStd = variance.map { 1 / ($0 + 1e-5).squareRoot() }
        var dBias = [Double]()
        var dWeight = [Double]()
        var dx = [Double](repeating: 0, count: count)
        for c in 0..<channels {
            let indices = rows(c)
            let n = Double(indices.count)
            let db = indices.map { Double(g[$0]) }.reduce(0, +)
            let dw = indices.map { Double(g[$0]) * (Double(x[$0]) - mean[c]) * invStd[c] }.reduce(0, +)
            for i in indices {
                let normalised = (Double(x[i]) - mean[c]) * invStd[c]
                dx[i] = Double(weight[c]) * invStd[c] * (Double(g[i]) - db / n - normalised * dw / n)
            }
            dBias.append(db)
            dWeight.append(dw)
        }
        for level in levels {
            var m = [Float](repeating: 0, count: channels)
            var v = m
            norm_channel_moments_f32(level, x, outer, channels, inner, 0, channels, &m, &v)
            assertClose(m.map(Double.init), mean, tolerance: 1e-5)
            assertClose(v.map(Double.init), variance, tolerance: 1e-4)
            let r = invStd.map { Float($0) }
            let mf = mean.map { Float($0) }
            var gx = [Float](repeating: .nan, count: count)
            var gw = m
            var gb = m
            norm_batchnorm_backward_f32(level, g, x, outer, channels, inner, 0, channels, mf, r, weight, &gx, &gw, &gb)
            assertClose(gx.map(Double.init), dx, tolerance: 1e-4)
            assertClose(gw.map(Double.init), dWeight, tolerance: 1e-4)
            assertClose(gb.map(Double.init), dBias, tolerance: 1e-4)
        }
    }
}
