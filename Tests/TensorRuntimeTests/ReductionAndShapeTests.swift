import TensorRuntime
import TestSupport
import XCTest

/// Values against hand-written loops, and finite-difference gradients, for reductions and
/// shape ops.
final class ReductionAndShapeTests: XCTestCase {
    let x = randomTensor([2, 3, 4], seed: 21)

    /// Sums over `axes` by brute force over every index.
    private func referenceSum(_ t: Tensor, axes: Set<Int>) -> [Double] {
        let shape = t.shape
        let values = t.doubles
        let outShape = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        var out = [Double](repeating: 0, count: Shape.count(outShape))
        let strides = Shape.strides(shape)
        let outStrides = Shape.strides(outShape)
        for flat in 0..<values.count {
            var o = 0
            for d in 0..<shape.count where !axes.contains(d) { o += (flat / strides[d] % shape[d]) * outStrides[d] }
            out[o] += values[flat]
        }
        return out
    }

    func testSumOverEveryAxisSetMatchesTheReference() {
        for axes in [[0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]] {
            assertClose(x.sum(axes: axes).doubles, referenceSum(x, axes: Set(axes)), tolerance: 1e-12)
        }
        XCTAssertEqual(x.sum(axes: [0, 2], keepDims: true).shape, [1, 3, 1])
        XCTAssertEqual(x.sum(axes: [-1]).shape, [2, 3])
        XCTAssertEqual(x.sum().shape, [])
    }

    func testReductionGradients() {
        for axes in [[0], [2], [0, 2], [1, 2]] {
            assertGradients([x]) { weightedSum($0[0].sum(axes: axes)) }
            assertGradients([x]) { weightedSum($0[0].mean(axes: axes, keepDims: true)) }
            assertGradients([x]) { weightedSum($0[0].variance(axes: axes)) }
            assertGradients([x]) { weightedSum($0[0].logsumexp(axes: axes)) }
            assertGradients([x]) { weightedSum($0[0].max(axes: axes)) }
            assertGradients([x]) { weightedSum($0[0].min(axes: axes)) }
        }
    }

    func testMaxMinArgAndStatistics() {
        let t = Tensor(shape: [2, 3], values: [1, 5, 2, 7, 0, 7], dtype: .float32)
        XCTAssertEqual(t.max(axes: [1]).doubles, [5, 7])
        XCTAssertEqual(t.argmax(axis: 1), [1, 0], "the first maximum wins ties")
        XCTAssertEqual(t.min(axes: [0]).doubles, [1, 0, 2])
        XCTAssertEqual(t.argmin(axis: 0), [0, 1, 0])
        XCTAssertEqual(t.max().item, 7)
        XCTAssertEqual(t.mean().item, 22.0 / 6, accuracy: 1e-6)
        XCTAssertEqual(t.variance(correction: 1).item, 47.3333 / 5, accuracy: 1e-3)
        XCTAssertEqual(
            t.logsumexp(axes: [1]).doubles[0],
            Foundation.log(Foundation.exp(1) + Foundation.exp(5) + Foundation.exp(2)),
            accuracy: 1e-5)
    }

    func testLongFloat32SumsStayAccurate() {
        let n = 1 << 20
        let t = Tensor.full([n], value: 0.1, dtype: .float32)
        XCTAssertEqual(t.sum().item, Double(Float(0.1)) * Double(n), accuracy: 1e-2)
    }

    func testPermuteAndTransposeMoveElements() {
        let t = Tensor(shape: [2, 3], values: [0, 1, 2, 3, 4, 5], dtype: .float64)
        XCTAssertEqual(t.transposed().doubles, [0, 3, 1, 4, 2, 5])
        let p = x.permuted([2, 0, 1])
        XCTAssertEqual(p.shape, [4, 2, 3])
        let xv = x.doubles
        let pv = p.doubles
        for i in 0..<2 {
            for j in 0..<3 { for k in 0..<4 { XCTAssertEqual(pv[(k * 2 + i) * 3 + j], xv[(i * 3 + j) * 4 + k]) } }
        }
    }

    func testShapeOpGradients() {
        assertGradients([x]) { weightedSum($0[0].permuted([2, 0, 1])) }
        assertGradients([x]) { weightedSum($0[0].reshaped([6, -1]).transposed()) }
        assertGradients([randomTensor([3, 1], seed: 22)]) { weightedSum($0[0].expanded(to: [2, 3, 4])) }
        assertGradients([x]) { weightedSum($0[0].slice(axis: 1, start: 1, length: 2)) }
        assertGradients([x]) { weightedSum($0[0].select(axis: 2, index: 3)) }
        assertGradients([x]) { weightedSum($0[0].padded([(0, 0), (1, 2), (2, 0)], value: 0.5)) }
        assertGradients([x, randomTensor([2, 1, 4], seed: 23)]) {
            weightedSum(Tensor.concat([$0[0], $0[1], $0[0]], axis: 1))
        }
        assertGradients([x, randomTensor([2, 3, 4], seed: 24)]) { weightedSum(Tensor.stack([$0[0], $0[1]], axis: 1)) }
        assertGradients([x]) { weightedSum($0[0].indexSelect(axis: 1, indices: [2, 0, 2, 1])) }
        let indices = [0, 3, 3, 1, 2, 2]
        assertGradients([x]) { weightedSum($0[0].gather(axis: 2, indices: indices, indexShape: [2, 3, 1])) }
        assertGradients([x]) { weightedSum($0[0].flattened(from: 1).unsqueezed(0).squeezed(0)) }
    }

    func testPrecisionConversionPassesGradientsThrough() {
        // Finite differences through Float32 are too coarse; the exact gradient is the weighting.
        let leaf = x.requiringGrad()
        weightedSum(leaf.converted(to: .float32).converted(to: .float64)).backward()
        let probe = Tensor.ones(x.shape, dtype: .float64).requiringGrad()
        weightedSum(probe).backward()
        assertClose(leaf.grad!.doubles, probe.grad!.doubles, tolerance: 1e-7)
    }

    func testConcatPadGatherValues() {
        let a = Tensor(shape: [1, 2], values: [1, 2], dtype: .float32)
        let b = Tensor(shape: [2, 2], values: [3, 4, 5, 6], dtype: .float32)
        XCTAssertEqual(Tensor.concat([a, b], axis: 0).doubles, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(a.padded([(1, 0), (0, 1)], value: 9).doubles, [9, 9, 9, 1, 2, 9])
        let logits = Tensor(shape: [2, 3], values: [10, 11, 12, 20, 21, 22], dtype: .float32)
        XCTAssertEqual(logits.gather(axis: 1, indices: [2, 0], indexShape: [2, 1]).doubles, [12, 20])
        XCTAssertEqual(logits.indexSelect(axis: 0, indices: [1, 1]).doubles, [20, 21, 22, 20, 21, 22])
        XCTAssertEqual(Tensor.oneHot([2, 0], classes: 3).doubles, [0, 0, 1, 1, 0, 0])
    }

    func testCreationAndReproducibleRandomness() {
        XCTAssertEqual(Tensor.arange(0, 1, step: 0.25).doubles, [0, 0.25, 0.5, 0.75])
        XCTAssertEqual(Tensor.linspace(-1, 1, count: 5).doubles, [-1, -0.5, 0, 0.5, 1])
        var r1 = SeededRNG(seed: 42)
        var r2 = SeededRNG(seed: 42)
        XCTAssertEqual(Tensor.normal([100], using: &r1).doubles, Tensor.normal([100], using: &r2).doubles)
        var child = r1.split()
        XCTAssertNotEqual(Tensor.uniform([10], using: &child).doubles, Tensor.uniform([10], using: &r1).doubles)
        var s1 = r1.stream(3)
        var s2 = r1.stream(3)
        XCTAssertEqual(s1.next(), s2.next(), "streams are pure functions of the state")

        var rng = SeededRNG(seed: 7)
        let normal = Tensor.normal([200_000], mean: 2, std: 3, dtype: .float64, using: &rng)
        XCTAssertEqual(normal.mean().item, 2, accuracy: 0.03)
        XCTAssertEqual(normal.variance().item.squareRoot(), 3, accuracy: 0.03)
        let coin = Tensor.bernoulli([100_000], p: 0.02, using: &rng)
        XCTAssertEqual(coin.mean().item, 0.02, accuracy: 0.002)
        XCTAssertTrue(Set(coin.doubles).isSubset(of: [0, 1]))
    }

    func testValueSemanticsCopyOnWrite() {
        let a = Tensor(shape: [3], values: [1, 2, 3], dtype: .float32)
        var b = a
        b.withUnsafeMutableBuffer(as: Float.self) { $0[0] = 100 }
        XCTAssertEqual(a.doubles, [1, 2, 3], "writing to a copy must not change the original")
        XCTAssertEqual(b.doubles, [100, 2, 3])
        let view = a.reshaped([3, 1])
        XCTAssertEqual(view.doubles, a.doubles)
    }
}
