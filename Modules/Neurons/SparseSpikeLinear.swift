import NN
import TensorRuntime

/// A linear layer for spike inputs: y = x W + b with W stored input-major, [in, out], so the
/// weights of one active input are one contiguous row.
///
/// Spike trains are mostly zeros (SHD input: about 2 % active). When the input is sparse, the
/// forward adds the weight rows of the active inputs of each sample and the weight gradient
/// scatters into those rows only; when it is dense, both fall back to GEMM. The choice is made
/// per call from the measured density.
public final class SparseSpikeLinear: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true
    /// Above this fraction of non-zero inputs the layer uses GEMM.
    public var denseThreshold: Double

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, weightInit: WeightInit = .uniform(),
                denseThreshold: Double = 0.08, dtype: DType = .float32, rng: inout SeededRNG)
    {
        precondition(inFeatures > 0 && outFeatures > 0,
                     "SparseSpikeLinear: feature counts must be positive, got in \(inFeatures), out \(outFeatures)")
        // Drawn as [out, in] like `Linear` (same fan-in), stored transposed.
        weight = Parameter(weightInit.tensor([outFeatures, inFeatures], fanIn: inFeatures, dtype: dtype, using: &rng)
            .transposed())
        self.bias = bias
            ? Parameter(WeightInit.uniform().tensor([outFeatures], fanIn: inFeatures, dtype: dtype, using: &rng)) : nil
        self.denseThreshold = denseThreshold
    }

    public var inFeatures: Int { weight.shape[0] }
    public var outFeatures: Int { weight.shape[1] }

    public var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// Input [..., in] → output [..., out].
    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank >= 1 && input.shape[input.rank - 1] == inFeatures,
                     "SparseSpikeLinear: expected input [..., \(inFeatures)], got \(input.shape)")
        let rows = input.reshaped([-1, inFeatures])
        var y = Tensor.sparseInputMatmul(rows, weight.value, denseThreshold: denseThreshold)
        if let bias { y = y + bias.value }
        return y.reshaped(Array(input.shape.dropLast()) + [outFeatures])
    }
}

/// The non-zero entries of each row of a matrix (compressed sparse rows).
struct SparseRows<S: TensorScalar> {
    var rowStart: [Int]
    var column: [Int32]
    var value: [S]

    /// The rows of `x` [rows, columns], or nil when it has more than `limit` non-zeros (then a
    /// dense product is faster). Counts per row, then fills, both in parallel over rows.
    init?(_ x: UnsafeBufferPointer<S>, rows: Int, columns: Int, limit: Int) {
        let base = x.baseAddress!
        var counts = [Int](repeating: 0, count: rows + 1)
        counts.withUnsafeMutableBufferPointer { counts in
            let counts = counts
            Parallel.forChunks(rows, costPerItem: columns) { block in
                for r in block {
                    let row = base + r * columns
                    var n = 0
                    for j in 0..<columns where row[j] != 0 { n &+= 1 }
                    counts[r + 1] = n
                }
            }
        }
        for r in 0..<rows { counts[r + 1] += counts[r] }
        guard counts[rows] <= limit else { return nil }
        rowStart = counts
        column = [Int32](repeating: 0, count: counts[rows])
        value = [S](repeating: 0, count: counts[rows])
        column.withUnsafeMutableBufferPointer { column in
            value.withUnsafeMutableBufferPointer { value in
                let (column, value) = (column, value)
                Parallel.forChunks(rows, costPerItem: columns) { block in
                    for r in block {
                        let row = base + r * columns
                        var e = counts[r]
                        for j in 0..<columns where row[j] != 0 {
                            column[e] = Int32(j)
                            value[e] = row[j]
                            e += 1
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// x · W for x [rows, in] and W [in, out], exploiting zeros in x when it is sparse enough.
    public static func sparseInputMatmul(_ x: Tensor, _ w: Tensor, denseThreshold: Double) -> Tensor {
        precondition(x.rank == 2 && w.rank == 2 && x.shape[1] == w.shape[0] && x.dtype == w.dtype,
                     "sparseInputMatmul: need x [rows, in] and W [in, out] of one dtype, got \(x.shape) \(x.dtype) and \(w.shape) \(w.dtype)")
        switch x.dtype {
        case .float32: return sparseInputMatmul(x, w, denseThreshold: denseThreshold, Float.self)
        case .float64: return sparseInputMatmul(x, w, denseThreshold: denseThreshold, Double.self)
        }
    }

    private static func sparseInputMatmul<S: TensorScalar>(_ x: Tensor, _ w: Tensor, denseThreshold: Double, _: S.Type)
        -> Tensor
    {
        let limit = Int(denseThreshold * Double(x.count))
        guard let sparse = x.withUnsafeBuffer(as: S.self, {
            SparseRows($0, rows: x.shape[0], columns: x.shape[1], limit: limit)
        }) else {
            return matmul(x, w)
        }
        let needsInputGradient = x.requiresGrad
        return differentiableOperation([x, w]) { values in
            sparseForward(values[0], values[1], sparse, needsInputGradient: needsInputGradient)
        }[0]
    }

    private static func sparseForward<S: TensorScalar>(
        _ x: Tensor, _ w: Tensor, _ sparse: SparseRows<S>, needsInputGradient: Bool
    ) -> (outputs: [Tensor], pullback: ([Tensor]) -> [Tensor?]) {
        let rows = x.shape[0], outputs = w.shape[1]
        var y = Tensor.zeros([rows, outputs], dtype: x.dtype)
        w.withUnsafeBuffer(as: S.self) { wp in
            y.withUnsafeMutableBuffer(as: S.self) { yp in
                Parallel.forChunks(rows, costPerItem: outputs * 4) { block in
                    for r in block {
                        let out = yp.baseAddress! + r * outputs
                        for e in sparse.rowStart[r]..<sparse.rowStart[r + 1] {
                            let row = wp.baseAddress! + Int(sparse.column[e]) * outputs
                            let v = sparse.value[e]
                            for o in 0..<outputs { out[o] += v * row[o] }
                        }
                    }
                }
            }
        }
        let pullback = { (grads: [Tensor]) -> [Tensor?] in
            let g = grads[0]
            var dw = Tensor.zeros(w.shape, dtype: w.dtype)
            g.withUnsafeBuffer(as: S.self) { gp in
                dw.withUnsafeMutableBuffer(as: S.self) { dwp in
                    // Split the output columns over the cores: every core scatters into its own
                    // columns of every active row, so no two cores write the same element.
                    Parallel.forChunks(outputs, costPerItem: sparse.column.count) { columns in
                        for r in 0..<rows {
                            let gRow = gp.baseAddress! + r * outputs
                            for e in sparse.rowStart[r]..<sparse.rowStart[r + 1] {
                                let target = dwp.baseAddress! + Int(sparse.column[e]) * outputs
                                let v = sparse.value[e]
                                for o in columns { target[o] += v * gRow[o] }
                            }
                        }
                    }
                }
            }
            let dx = needsInputGradient ? matmul(g, w, transposeB: true) : nil
            return [dx, dw]
        }
        return ([y], pullback)
    }
}
