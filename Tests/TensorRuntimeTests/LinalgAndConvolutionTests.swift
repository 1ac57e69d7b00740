import TensorRuntime
import TestSupport
import XCTest

/// Matmul, convolution and pooling against slow, obviously correct loops, plus gradients.
final class LinalgAndConvolutionTests: XCTestCase {
    private func naiveMatmul(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for p in 0..<k { c[i * n + j] += a[i * k + p] * b[p * n + j] } } }
        return c
    }

    func testMatmulMatchesNaiveLoopsInBothPrecisions() {
        for dtype in [DType.float32, .float64] {
            let a = randomTensor([7, 5], seed: 31).converted(to: dtype)
            let b = randomTensor([5, 9], seed: 32).converted(to: dtype)
            let expected = naiveMatmul(a.doubles, b.doubles, m: 7, k: 5, n: 9)
            let tolerance = dtype == .float32 ? 1e-5 : 1e-12
            assertClose(Tensor.matmul(a, b).doubles, expected, tolerance: tolerance)
            assertClose(Tensor.matmul(a.transposed(), b, transposeA: true).doubles, expected, tolerance: tolerance)
            assertClose(Tensor.matmul(a, b.transposed(), transposeB: true).doubles, expected, tolerance: tolerance)
            assertClose(
                Tensor.matmul(a.transposed(), b.transposed(), transposeA: true, transposeB: true).doubles,
                expected, tolerance: tolerance)
        }
    }

    func testBatchedMatmulBroadcastsBatchAxes() {
        let a = randomTensor([2, 3, 4, 5], seed: 33)
        let b = randomTensor([3, 5, 2], seed: 34)
        let c = Tensor.matmul(a, b)
        XCTAssertEqual(c.shape, [2, 3, 4, 2])
        for i in 0..<2 {
            for j in 0..<3 {
                let expected = naiveMatmul(
                    a.select(axis: 0, index: i).select(axis: 0, index: j).doubles,
                    b.select(axis: 0, index: j).doubles, m: 4, k: 5, n: 2)
                assertClose(c.select(axis: 0, index: i).select(axis: 0, index: j).doubles, expected, tolerance: 1e-12)
            }
        }
    }

    func testMatmulGradients() {
        let a = randomTensor([3, 4], seed: 35)
        let b = randomTensor([4, 2], seed: 36)
        assertGradients([a, b]) { weightedSum(Tensor.matmul($0[0], $0[1])) }
        assertGradients([a.transposed(), b]) { weightedSum(Tensor.matmul($0[0], $0[1], transposeA: true)) }
        assertGradients([a, b.transposed()]) { weightedSum(Tensor.matmul($0[0], $0[1], transposeB: true)) }
        assertGradients([a.transposed(), b.transposed()]) {
            weightedSum(Tensor.matmul($0[0], $0[1], transposeA: true, transposeB: true))
        }
        // Folded batch (the linear-layer case) and broadcast batch axes.
        assertGradients([randomTensor([2, 3, 4], seed: 37), b]) { weightedSum(Tensor.matmul($0[0], $0[1])) }
        assertGradients([randomTensor([2, 3, 4], seed: 38), randomTensor([1, 2, 4], seed: 39)]) {
            weightedSum(Tensor.matmul($0[0], $0[1], transposeB: true))
        }
    }

    /// A plain matrix applied to every batch entry (a weight over [T, B, …]) gets its gradient as
    /// an in-place sum over the batch; every transpose combination, on either side.
    func testGradientsOfAMatrixSharedByTheBatch() {
        let batched = randomTensor([2, 3, 4, 5], seed: 40)
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let weight = randomTensor(ta ? [4, 3] : [3, 4], seed: 41)
            assertGradients([weight, tb ? batched.transposed(2, 3) : batched]) {
                weightedSum(Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb))
            }
            let right = randomTensor(tb ? [2, 5] : [5, 2], seed: 42)
            assertGradients([ta ? batched.transposed(2, 3) : batched, right]) {
                weightedSum(Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb))
            }
        }
    }

    /// The same sums at a size that splits them over the cores (Float32), against naive loops:
    /// ∂/∂W of Σ G ⊙ (W · X_i) is Σ_i G_i X_iᵀ, and ∂/∂W of Σ G ⊙ (X_i · Wᵀ) is Σ_i G_iᵀ X_i.
    func testLargeSharedMatrixGradientsMatchNaiveSums() {
        let (count, m, k, n) = (12, 48, 40, 56)
        let x = randomTensor([3, 4, k, n], seed: 43).converted(to: .float32)
        let g = randomTensor([3, 4, m, n], seed: 44).converted(to: .float32)
        let weight = randomTensor([m, k], seed: 45).converted(to: .float32).requiringGrad()
        Tensor.matmul(weight, x).backward(seed: g)
        var expected = [Double](repeating: 0, count: m * k)
        let (xv, gv) = (x.doubles, g.doubles)
        for i in 0..<count {
            for r in 0..<m {
                for c in 0..<k {
                    for j in 0..<n {
                        expected[r * k + c] += gv[(i * m + r) * n + j] * xv[(i * k + c) * n + j]
                    }
                }
            }
        }
        assertClose(weight.grad!.doubles, expected, tolerance: 1e-4)

        let rows = randomTensor([3, 4, n, k], seed: 46).converted(to: .float32)
        let gRows = randomTensor([3, 4, n, m], seed: 47).converted(to: .float32)
        let linear = randomTensor([m, k], seed: 48).converted(to: .float32).requiringGrad()
        Tensor.matmul(rows, linear, transposeB: true).backward(seed: gRows)
        var expectedLinear = [Double](repeating: 0, count: m * k)
        let (rv, grv) = (rows.doubles, gRows.doubles)
        for i in 0..<count {
            for j in 0..<n {
                for r in 0..<m {
                    for c in 0..<k {
                        expectedLinear[r * k + c] += grv[(i * n + j) * m + r] * rv[(i * n + j) * k + c]
                    }
                }
            }
        }
        assertClose(linear.grad!.doubles, expectedLinear, tolerance: 1e-4)
    }

    /// Direct 7-loop convolution.
    private func naiveConv(
        _ x: Tensor, _ w: Tensor, bias: [Double]?, stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int),
        groups: Int
    ) -> [Double] {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let ho = (h + 2 * padding.0 - dilation.0 * (kh - 1) - 1) / stride.0 + 1
        let wo = (wd + 2 * padding.1 - dilation.1 * (kw - 1) - 1) / stride.1 + 1
        let xv = x.doubles
        let wv = w.doubles
        var out = [Double](repeating: 0, count: n * o * ho * wo)
        let og = o / groups
        for s in 0..<n {
            for oc in 0..<o {
                for y in 0..<ho {
                    for xo in 0..<wo {
                        var acc = bias?[oc] ?? 0
                        let g = oc / og
                        for ic in 0..<cg {
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let iy = y * stride.0 - padding.0 + i * dilation.0
                                    let ix = xo * stride.1 - padding.1 + j * dilation.1
                                    guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                    acc +=
                                        xv[((s * c + g * cg + ic) * h + iy) * wd + ix]
                                        * wv[((oc * cg + ic) * kh + i) * kw + j]
                                }
                            }
                        }
                        out[((s * o + oc) * ho + y) * wo + xo] = acc
                    }
                }
            }
        }
        _ = c
        return out
    }

    private struct ConvCase {
        var n, c, h, w, o, k: Int
        var stride, padding, dilation: (Int, Int)
        var groups: Int
    }
    private let convCases = [
        ConvCase(n: 2, c: 3, h: 6, w: 5, o: 4, k: 3, stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1),
        ConvCase(n: 1, c: 4, h: 7, w: 7, o: 6, k: 3, stride: (2, 1), padding: (0, 2), dilation: (1, 1), groups: 2),
        ConvCase(n: 2, c: 2, h: 8, w: 6, o: 2, k: 2, stride: (1, 2), padding: (1, 0), dilation: (2, 2), groups: 1),
        ConvCase(n: 3, c: 4, h: 5, w: 5, o: 4, k: 3, stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 4),
        ConvCase(n: 1, c: 2, h: 7, w: 9, o: 3, k: 3, stride: (2, 3), padding: (1, 2), dilation: (1, 2), groups: 1),
    ]

    func testConv2dMatchesNaiveLoops() {
        for (i, cc) in convCases.enumerated() {
            let x = randomTensor([cc.n, cc.c, cc.h, cc.w], seed: UInt64(40 + i))
            let w = randomTensor([cc.o, cc.c / cc.groups, cc.k, cc.k], seed: UInt64(50 + i))
            let bias = randomTensor([cc.o], seed: UInt64(60 + i))
            let ours = Tensor.conv2d(
                x, weight: w, bias: bias, stride: cc.stride, padding: cc.padding,
                dilation: cc.dilation, groups: cc.groups)
            let expected = naiveConv(
                x, w, bias: bias.doubles, stride: cc.stride, padding: cc.padding,
                dilation: cc.dilation, groups: cc.groups)
            assertClose(ours.doubles, expected, tolerance: 1e-12)
            let ours32 = Tensor.conv2d(
                x.converted(to: .float32), weight: w.converted(to: .float32), stride: cc.stride,
                padding: cc.padding, dilation: cc.dilation, groups: cc.groups)
            let expectedNoBias = naiveConv(
                x, w, bias: nil, stride: cc.stride, padding: cc.padding,
                dilation: cc.dilation, groups: cc.groups)
            assertClose(ours32.doubles, expectedNoBias, tolerance: 1e-5)
        }
    }

    func testConv2dGradients() {
        for (i, cc) in convCases.enumerated() {
            let x = randomTensor([cc.n, cc.c, cc.h, cc.w], seed: UInt64(70 + i))
            let w = randomTensor([cc.o, cc.c / cc.groups, cc.k, cc.k], seed: UInt64(80 + i))
            let bias = randomTensor([cc.o], seed: UInt64(90 + i))
            assertGradients([x, w, bias]) {
                weightedSum(
                    Tensor.conv2d(
                        $0[0], weight: $0[1], bias: $0[2], stride: cc.stride, padding: cc.padding,
                        dilation: cc.dilation, groups: cc.groups))
            }
        }
    }

    func testConvolutionOverManySamplesSplitsThemOverTheCores() {
        // 64 channels × 3 × 3 patch and 32×32 planes; the last sample is in the last worker's block.
        let x = randomTensor([9, 64, 32, 32], seed: 95).converted(to: .float32)
        let w = randomTensor([2, 64, 3, 3], seed: 96).converted(to: .float32)
        let out = Tensor.conv2d(x, weight: w, padding: (1, 1))
        let last = naiveConv(
            x.slice(axis: 0, start: 8, length: 1), w, bias: nil, stride: (1, 1), padding: (1, 1),
            dilation: (1, 1), groups: 1)
        assertClose(out.slice(axis: 0, start: 8, length: 1).doubles, last, tolerance: 1e-4)
    }

    /// Float32 runs the C kernels (column copies with masked vector lines at the widest
    /// instruction set the CPU has, and the direct 3 × 3 kernel where it has AVX-512); its values
    /// and gradients must match the Float64 loops, which the tests above check against the 7-loop
    /// convolution and finite differences. The extra cases have lines longer than one vector,
    /// padded on one side, both or neither, strided or not.
    func testFloat32ConvolutionMatchesFloat64InValuesAndGradients() {
        let cases =
            convCases + [
                ConvCase(
                    n: 3, c: 5, h: 9, w: 37, o: 6, k: 3, stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1),
                ConvCase(
                    n: 2, c: 4, h: 6, w: 33, o: 4, k: 3, stride: (1, 1), padding: (0, 2), dilation: (1, 1), groups: 2),
                ConvCase(
                    n: 2, c: 4, h: 6, w: 21, o: 4, k: 3, stride: (2, 2), padding: (1, 1), dilation: (1, 1), groups: 2),
                ConvCase(
                    n: 2, c: 3, h: 5, w: 18, o: 2, k: 1, stride: (2, 2), padding: (0, 0), dilation: (1, 1), groups: 1),
                ConvCase(
                    n: 2, c: 2, h: 7, w: 40, o: 3, k: 3, stride: (1, 1), padding: (2, 2), dilation: (2, 2), groups: 1),
                // More output channels than one register block of the direct 3 × 3 kernel, and a remainder.
                ConvCase(
                    n: 1, c: 3, h: 5, w: 70, o: 11, k: 3, stride: (1, 1), padding: (2, 1), dilation: (1, 1), groups: 1),
                // Rows as wide as the input's: a direct kernel's vector is 16 consecutive pixels of
                // the plane, two 8-pixel rows, four 4-pixel rows, or rows split across vectors (7, 5),
                // with the last vector part-filled and padding above and below or only below.
                ConvCase(
                    n: 2, c: 5, h: 8, w: 8, o: 11, k: 3, stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1),
                ConvCase(
                    n: 2, c: 3, h: 4, w: 4, o: 9, k: 3, stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1),
                ConvCase(
                    n: 3, c: 4, h: 7, w: 7, o: 5, k: 3, stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1),
                ConvCase(
                    n: 2, c: 3, h: 9, w: 5, o: 4, k: 3, stride: (1, 1), padding: (0, 1), dilation: (1, 1), groups: 1),
                ConvCase(
                    n: 2, c: 3, h: 6, w: 3, o: 3, k: 3, stride: (1, 1), padding: (2, 1), dilation: (1, 1), groups: 1),
                // 256 KB per sample: the direct weight gradient sums two samples per call, then one.
                ConvCase(
                    n: 6, c: 64, h: 32, w: 32, o: 3, k: 3, stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1),
            ]
        for (i, cc) in cases.enumerated() {
            let x = randomTensor([cc.n, cc.c, cc.h, cc.w], seed: UInt64(300 + i))
            let w = randomTensor([cc.o, cc.c / cc.groups, cc.k, cc.k], seed: UInt64(320 + i))
            func run(_ dtype: DType) -> [[Double]] {
                let xv = x.converted(to: dtype).requiringGrad()
                let wv = w.converted(to: dtype).requiringGrad()
                let y = Tensor.conv2d(
                    xv, weight: wv, stride: cc.stride, padding: cc.padding, dilation: cc.dilation,
                    groups: cc.groups)
                let seed = randomTensor(y.shape, seed: UInt64(340 + i)).converted(to: dtype)
                y.backward(seed: seed)
                return [y.doubles, xv.grad!.doubles, wv.grad!.doubles]
            }
            let (single, double) = (run(.float32), run(.float64))
            for (k, name) in ["output", "input gradient", "weight gradient"].enumerated() {
                XCTAssertEqual(single[k].count, double[k].count, "case \(i) \(name)")
                assertClose(single[k], double[k], tolerance: 1e-4)
            }
        }
    }

    func testPoolingValuesAndGradients() {
        let t = Tensor(shape: [1, 1, 2, 4], values: [1, 5, 2, 0, 3, 4, 8, 7], dtype: .float64)
        XCTAssertEqual(t.maxPool2d(kernel: (2, 2)).doubles, [5, 8])
        XCTAssertEqual(t.avgPool2d(kernel: (2, 2)).doubles, [13.0 / 4, 17.0 / 4])
        XCTAssertEqual(t.maxPool2d(kernel: (2, 2), stride: (1, 1), padding: (1, 1)).shape, [1, 1, 3, 5])

        // Distinct values so that no window has a tie.
        let x = Tensor(shape: [2, 3, 5, 6], values: (0..<180).map { Double(($0 * 37) % 180) / 17 }, dtype: .float64)
        assertGradients([x]) { weightedSum($0[0].maxPool2d(kernel: (2, 2))) }
        assertGradients([x]) { weightedSum($0[0].maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1))) }
        assertGradients([x]) { weightedSum($0[0].avgPool2d(kernel: (2, 3), stride: (1, 2))) }
        assertGradients([x]) { weightedSum($0[0].avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1))) }
    }

    /// A tie or a NaN keeps the window's earlier element (row-major), in the 2 × 2 kernel's own
    /// loop and in the general one (3 × 1 windows), in both precisions; an odd last row and
    /// column are dropped.
    func testMaxPoolTiesAndNaNsKeepTheEarlierElement() {
        for dtype in [DType.float32, .float64] {
            let values: [Double] = [2, 2, 1, 9, 4, .nan, 2, 2, 0, 3, 5, 5, 7, 7, 7, 7, 7, 7]
            let x = Tensor(shape: [1, 1, 3, 6], values: values, dtype: dtype).requiringGrad()
            let pooled = x.maxPool2d(kernel: (2, 2))
            // Windows: [2, 2 | 2, 2] → first 2; [1, 9 | 0, 3] → 9; [4, NaN | 5, 5] → 5 (NaN never wins).
            XCTAssertEqual(pooled.doubles, [2, 9, 5], "\(dtype)")
            pooled.backward(seed: Tensor(shape: [1, 1, 1, 3], values: [1, 1, 1], dtype: dtype))
            XCTAssertEqual(x.grad!.doubles, [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], "\(dtype)")
            let columns = Tensor(shape: [1, 1, 3, 2], values: [3, 1, 3, 1, 3, 1], dtype: dtype).requiringGrad()
            let general = columns.maxPool2d(kernel: (3, 1))
            XCTAssertEqual(general.doubles, [3, 1], "\(dtype)")
            general.backward(seed: Tensor(shape: [1, 1, 1, 2], values: [1, 1], dtype: dtype))
            XCTAssertEqual(columns.grad!.doubles, [1, 1, 0, 0, 0, 0], "\(dtype)")
        }
    }
}
