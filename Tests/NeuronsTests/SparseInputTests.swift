import CKernels
import NN
import Neurons
import TensorRuntime
import TestSupport
import XCTest

/// The sparse input layer against a slow, obviously correct reference: spike events, their
/// counting sort into rows, the fused forward (bias included) and the scattered weight and bias
/// gradients, at sizes large enough that every kernel splits over the cores.
final class SparseInputTests: XCTestCase {
    private let (steps, batch, channels) = (8, 80, 50)

    /// Spike counts 0, 1 or 2 at about 6 % of the places.
    private func countFrame(seed: UInt64) -> [Double] {
        var rng = SeededRNG(seed: seed)
        return (0..<steps * batch * channels).map { _ in
            let u = rng.nextUnit()
            return u < 0.05 ? 1 : u < 0.06 ? 2 : 0
        }
    }

    /// y[r, o] = b[o] + Σ_i x[r, i] W[i, o], and for a seed g: dW = xᵀ g, db = Σ_r g[r], in plain
    /// loops over every element.
    private func reference(x: [Double], w: [Double], b: [Double], g: [Double], outputs: Int)
        -> (y: [Double], dw: [Double], db: [Double], dx: [Double])
    {
        let rows = steps * batch
        var y = [Double](repeating: 0, count: rows * outputs)
        var dw = [Double](repeating: 0, count: channels * outputs)
        var db = [Double](repeating: 0, count: outputs)
        for r in 0..<rows {
            for o in 0..<outputs {
                var sum = b[o]
                for i in 0..<channels { sum += x[r * channels + i] * w[i * outputs + o] }
                y[r * outputs + o] = sum
                db[o] += g[r * outputs + o]
                for i in 0..<channels { dw[i * outputs + o] += x[r * channels + i] * g[r * outputs + o] }
            }
        }
        var dx = [Double](repeating: 0, count: rows * channels)
        for r in 0..<rows {
            for i in 0..<channels {
                for o in 0..<outputs { dx[r * channels + i] += g[r * outputs + o] * w[i * outputs + o] }
            }
        }
        return (y, dw, db, dx)
    }

    func testEventsRoundTripThroughAFrame() {
        let counts = countFrame(seed: 1)
        let frame = Tensor(shape: [steps, batch, channels], values: counts, dtype: .float64)
        let events = SpikeEvents(frame)
        XCTAssertEqual(events.count, Int(counts.reduce(0, +)))
        XCTAssertEqual(events.frame(dtype: .float64).doubles, counts)
    }

    func testLayerMatchesReferenceForEventsAndDenseInput() {
        for (dtype, outputs) in [(DType.float64, 48), (.float64, 160), (.float32, 48), (.float32, 160)] {
            let counts = countFrame(seed: 2)
            let frame = Tensor(shape: [steps, batch, channels], values: counts, dtype: dtype).requiringGrad()
            // The same spikes as events in a scrambled order: the layer must sort them itself.
            let listed = SpikeEvents(frame)
            var order = Array(0..<listed.count)
            var rng = SeededRNG(seed: 3)
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, Int(rng.nextUnit() * Double(i + 1)))
            }
            let events = SpikeEvents(
                steps: steps, batch: batch, channels: channels, step: order.map { listed.step[$0] },
                sample: order.map { listed.sample[$0] }, channel: order.map { listed.channel[$0] })
            var initRNG = SeededRNG(seed: 4)
            let layer = SparseSpikeLinear(inFeatures: channels, outFeatures: outputs, dtype: dtype, rng: &initRNG)
            let seed = Tensor.uniform([steps, batch, outputs], low: -1, high: 1, dtype: dtype, using: &rng)
            let expected = reference(
                x: counts, w: layer.weight.value.doubles, b: layer.bias!.value.doubles,
                g: seed.doubles, outputs: outputs)
            // Float32: sums of 640 terms of either sign, split over cores in any order.
            let tolerance = dtype == .float64 ? 1e-12 : 1e-4
            for (name, input) in [("events", { layer(events) }), ("dense", { layer(frame) })] {
                layer.zeroGrad()
                frame.zeroGrad()
                let y = input()
                XCTAssertEqual(y.shape, [steps, batch, outputs])
                assertClose(y.doubles, expected.y, tolerance: tolerance, "\(dtype) \(outputs) \(name): output")
                y.backward(seed: seed)
                assertClose(
                    layer.weight.grad!.doubles, expected.dw, tolerance: tolerance,
                    "\(dtype) \(outputs) \(name): weight gradient")
                assertClose(
                    layer.bias!.grad!.doubles, expected.db, tolerance: tolerance,
                    "\(dtype) \(outputs) \(name): bias gradient")
                if name == "dense" {
                    assertClose(
                        frame.grad!.doubles, expected.dx, tolerance: tolerance,
                        "\(dtype) \(outputs): input gradient")
                }
            }
        }
    }

    /// Small enough that rounding in the finite differences stays far below the tolerance.
    func testEventGradientsMatchFiniteDifferences() {
        var rng = SeededRNG(seed: 5)
        let frame = Tensor.bernoulli([4, 3, 12], p: 0.2, dtype: .float64, using: &rng) * 2
        let events = SpikeEvents(frame)
        let w = Tensor.uniform([12, 5], low: -1, high: 1, dtype: .float64, using: &rng)
        let b = Tensor.uniform([5], low: -1, high: 1, dtype: .float64, using: &rng)
        let report = GradientCheck.check([w, b]) {
            GradientCheck.weightedSum(Tensor.sparseInputMatmul(events, $0[0], bias: $0[1], denseThreshold: 1))
        }
        XCTAssertLessThan(report.maxError, 1e-8, "\(report)")
    }

    /// The C kernels at every instruction set this CPU runs, on a width that no vector tile
    /// divides, rows without entries, repeated columns, and row ranges as the cores split them.
    func testCKernelsAtEveryInstructionSetMatchReference() {
        let (rows, inputs, n) = (37, 23, 150)
        var rng = SeededRNG(seed: 7)
        var rowStart = [0]
        var column: [Int32] = []
        var value: [Float] = []
        for r in 0..<rows {
            for _ in 0..<(r % 5 == 0 ? 0 : Int(rng.nextUnit() * 6)) {
                column.append(Int32(rng.nextUnit() * Double(inputs)))
                value.append(Float(rng.nextUnit() * 2 - 1))
            }
            rowStart.append(column.count)
        }
        let w = (0..<inputs * n).map { _ in Float(rng.nextUnit() * 2 - 1) }
        let bias = (0..<n).map { _ in Float(rng.nextUnit() * 2 - 1) }
        let g = (0..<rows * n).map { _ in Float(rng.nextUnit() * 2 - 1) }
        var y = [Double](repeating: 0, count: rows * n)
        var dw = [Double](repeating: 0, count: inputs * n)
        var db = [Double](repeating: 0, count: n)
        for r in 0..<rows {
            for o in 0..<n {
                y[r * n + o] = Double(bias[o])
                db[o] += Double(g[r * n + o])
            }
            for e in rowStart[r]..<rowStart[r + 1] {
                let i = Int(column[e])
                for o in 0..<n {
                    y[r * n + o] += Double(value[e]) * Double(w[i * n + o])
                    dw[i * n + o] += Double(value[e]) * Double(g[r * n + o])
                }
            }
        }
        let best = kernels_best_level().rawValue
        for raw in 0...best {
            let level = KernelLevel(rawValue: raw)
            var out = [Float](repeating: .nan, count: rows * n)
            var dwOut = [Float](repeating: .nan, count: inputs * n)
            var dbOut = [Float](repeating: .nan, count: n)
            for (begin, end) in [(0, 20), (20, rows)] {
                spike_rows_product_f32(level, w, bias, n, rowStart, column, value, begin, end, &out)
            }
            // Row ranges into separate partials, which add up to the whole.
            var dwPartial = [Float](repeating: .nan, count: inputs * n)
            var dbPartial = [Float](repeating: .nan, count: n)
            spike_rows_scatter_f32(level, g, n, inputs, rowStart, column, value, 0, 15, &dwOut, &dbOut)
            spike_rows_scatter_f32(level, g, n, inputs, rowStart, column, value, 15, rows, &dwPartial, &dbPartial)
            assertClose(out.map(Double.init), y, tolerance: 1e-5, "level \(raw): product")
            assertClose(
                zip(dwOut, dwPartial).map { Double($0 + $1) }, dw, tolerance: 1e-5,
                "level \(raw): weight gradient")
            assertClose(
                zip(dbOut, dbPartial).map { Double($0 + $1) }, db, tolerance: 1e-5,
                "level \(raw): bias gradient")
            // The same rows written out densely, through the dense loop: the same product.
            var dense = [Float](repeating: 0, count: rows * inputs)
            for r in 0..<rows {
                for e in rowStart[r]..<rowStart[r + 1] { dense[r * inputs + Int(column[e])] += value[e] }
            }
            var denseOut = [Float](repeating: .nan, count: rows * n)
            for (begin, end) in [(0, 20), (20, rows)] {
                spike_dense_rows_product_f32(level, dense, inputs, w, n, begin, end, &denseOut)
            }
            let unbiased = zip(y, (0..<rows * n).map { Double(bias[$0 % n]) }).map { $0 - $1 }
            assertClose(denseOut.map(Double.init), unbiased, tolerance: 1e-5, "level \(raw): dense product")
            spike_rows_product_f32(level, w, nil, n, rowStart, column, value, 0, rows, &out)
            assertClose(out.map(Double.init), unbiased, tolerance: 1e-5, "level \(raw): product without bias")
        }
    }

    /// Finding the non-zeros of dense rows, at every instruction set this CPU runs, on a width
    /// that 16 does not divide, with row ranges as the cores split them.
    func testCompressionAtEveryInstructionSetMatchesReference() {
        let (rows, n) = (29, 150)
        var rng = SeededRNG(seed: 8)
        let x = (0..<rows * n).map { i -> Float in
            let u = rng.nextUnit()
            return i / n == 3 ? 0 : u < 0.1 ? Float(u * 20 - 1) : 0  // row 3 empty; negative values too
        }
        var rowStart = [0]
        var column: [Int32] = []
        var value: [Float] = []
        for r in 0..<rows {
            for j in 0..<n where x[r * n + j] != 0 {
                column.append(Int32(j))
                value.append(x[r * n + j])
            }
            rowStart.append(column.count)
        }
        for raw in 0...kernels_best_level().rawValue {
            let level = KernelLevel(rawValue: raw)
            var counts = [Int](repeating: -1, count: rows)
            var columnOut = [Int32](repeating: -1, count: column.count)
            var valueOut = [Float](repeating: .nan, count: value.count)
            for (begin, end) in [(0, 11), (11, rows)] {
                spike_rows_count_f32(level, x, n, begin, end, &counts)
                spike_rows_compress_f32(level, x, n, rowStart, begin, end, &columnOut, &valueOut)
            }
            XCTAssertEqual(counts, (0..<rows).map { rowStart[$0 + 1] - rowStart[$0] }, "level \(raw): counts")
            XCTAssertEqual(columnOut, column, "level \(raw): columns")
            XCTAssertEqual(valueOut, value, "level \(raw): values")
        }
    }
}
