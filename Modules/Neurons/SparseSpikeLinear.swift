import CKernels
import NN
import TensorRuntime

/// A linear layer for spike inputs: y = x W + b with W stored input-major, [in, out], so the
/// weights of one active input are one contiguous row.
///
/// Spike trains are mostly zeros (SHD input: about 2 % active). When the input is sparse, the
/// forward adds the weight rows of the active inputs of each sample and the weight gradient
/// scatters into those rows only; when it is dense, both fall back to GEMM. The choice is made
/// per call from the measured density. Spikes can come as a dense tensor or as `SpikeEvents`;
/// events skip the scan of the dense frame, so the cost follows the number of spikes.
public final class SparseSpikeLinear: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true
    /// Above this fraction of non-zero inputs the layer uses GEMM.
    public var denseThreshold: Double

    /// The measured crossover density for a layer with `outputs` outputs (`snn-bench
    /// spike-linear`, 6 400 rows, forward + gradients, 2 threads): the spike path costs one
    /// weight row per active input, which for wide layers is cheap next to a GEMM well past 40 %
    /// (700 → 256 and 700 → 128 from events: 0.8–0.97 of the GEMM's time at 50 %; 256 → 256 from
    /// spikes: 0.8 at 30 %, 1.0 at 40 %), while a narrow readout's rows are too short for the
    /// vector units (256 → 20 and 128 → 20: 1.0 at 10–15 %).
    public static func crossover(outputs: Int) -> Double { outputs < 64 ? 0.1 : 0.3 }

    /// `denseThreshold` nil takes the measured `crossover` for the layer's width.
    public init(
        inFeatures: Int, outFeatures: Int, bias: Bool = true, weightInit: WeightInit = .uniform(),
        denseThreshold: Double? = nil, dtype: DType = .float32, rng: inout SeededRNG
    ) {
        precondition(
            inFeatures > 0 && outFeatures > 0,
            "SparseSpikeLinear: feature counts must be positive, got in \(inFeatures), out \(outFeatures)")
        // Drawn as [out, in] like `Linear` (same fan-in), stored transposed.
        weight = Parameter(
            weightInit.tensor([outFeatures, inFeatures], fanIn: inFeatures, dtype: dtype, using: &rng)
                .transposed())
        self.bias =
            bias
            ? Parameter(WeightInit.uniform().tensor([outFeatures], fanIn: inFeatures, dtype: dtype, using: &rng)) : nil
        self.denseThreshold = denseThreshold ?? Self.crossover(outputs: outFeatures)
    }

    public var inFeatures: Int { weight.shape[0] }
    public var outFeatures: Int { weight.shape[1] }

    public var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// Input [..., in] → output [..., out].
    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(
            input.rank >= 1 && input.shape[input.rank - 1] == inFeatures,
            "SparseSpikeLinear: expected input [..., \(inFeatures)], got \(input.shape)")
        let rows = input.reshaped([-1, inFeatures])
        let y = Tensor.sparseInputMatmul(rows, weight.value, bias: bias?.value, denseThreshold: denseThreshold)
        return y.reshaped(Array(input.shape.dropLast()) + [outFeatures])
    }

    /// Spike events over [T, B] → output [T, B, out].
    public func callAsFunction(_ events: SpikeEvents) -> Tensor {
        precondition(
            events.channels == inFeatures,
            "SparseSpikeLinear: expected events over \(inFeatures) channels, got \(events.channels)")
        let y = Tensor.sparseInputMatmul(events, weight.value, bias: bias?.value, denseThreshold: denseThreshold)
        return y.reshaped([events.steps, events.batch, outFeatures])
    }
}

extension SparseRows {
    /// The rows (step · batch + sample) of spike events, each entry of value 1: a counting sort
    /// of the events by row, linear in the number of events and rows. Within a row, entries keep
    /// the events' order.
    init(_ events: SpikeEvents) {
        let rows = events.steps * events.batch
        let batch = events.batch
        let count = events.count
        var start = [Int](repeating: 0, count: rows + 1)
        var row = [Int32](repeating: 0, count: count)
        var column = [Int32](repeating: 0, count: count)
        events.step.withUnsafeBufferPointer { step in
            events.sample.withUnsafeBufferPointer { sample in
                events.channel.withUnsafeBufferPointer { channel in
                    start.withUnsafeMutableBufferPointer { start in
                        row.withUnsafeMutableBufferPointer { row in
                            // SpikeEvents checked the ranges, so the row index cannot overflow.
                            for e in 0..<count {
                                row[e] = step[e] &* Int32(batch) &+ sample[e]
                                start[Int(row[e]) &+ 1] &+= 1
                            }
                            for r in 0..<rows { start[r + 1] += start[r] }
                            var next = Array(start.dropLast())
                            column.withUnsafeMutableBufferPointer { column in
                                next.withUnsafeMutableBufferPointer { next in
                                    for e in 0..<count {
                                        let r = Int(row[e])
                                        column[next[r]] = channel[e]
                                        next[r] &+= 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        self.init(rowStart: start, column: column, value: [S](repeating: 1, count: count))
    }
}

extension Tensor {
    /// x · W (+ b) for x [rows, in] and W [in, out], exploiting zeros in x when it is sparse enough.
    public static func sparseInputMatmul(_ x: Tensor, _ w: Tensor, bias: Tensor? = nil, denseThreshold: Double)
        -> Tensor
    {
        precondition(
            x.rank == 2 && w.rank == 2 && x.shape[1] == w.shape[0] && x.dtype == w.dtype,
            "sparseInputMatmul: need x [rows, in] and W [in, out] of one dtype, got \(x.shape) \(x.dtype) and \(w.shape) \(w.dtype)"
        )
        checkBias(bias, w)
        switch x.dtype {
        case .float32: return sparseInputMatmul(x, w, bias, denseThreshold: denseThreshold, Float.self)
        case .float64: return sparseInputMatmul(x, w, bias, denseThreshold: denseThreshold, Double.self)
        }
    }

    /// events · W (+ b) for spike events over [T, B] and W [in, out]: output [T·B, out]. Events
    /// are data, so they get no gradient.
    public static func sparseInputMatmul(
        _ events: SpikeEvents, _ w: Tensor, bias: Tensor? = nil,
        denseThreshold: Double
    ) -> Tensor {
        precondition(
            w.rank == 2 && events.channels == w.shape[0],
            "sparseInputMatmul: need W [\(events.channels), out] for events over \(events.channels) channels, got \(w.shape)"
        )
        checkBias(bias, w)
        let entries = events.steps * events.batch * events.channels
        guard Double(events.count) <= denseThreshold * Double(entries) else {
            let frame = events.frame(dtype: w.dtype).reshaped([-1, events.channels])
            return bias.map { matmul(frame, w) + $0 } ?? matmul(frame, w)
        }
        switch w.dtype {
        case .float32: return sparseProduct(SparseRows<Float>(events), w, bias, inputGradient: nil)
        case .float64: return sparseProduct(SparseRows<Double>(events), w, bias, inputGradient: nil)
        }
    }

    private static func checkBias(_ bias: Tensor?, _ w: Tensor) {
        guard let bias else { return }
        precondition(
            bias.shape == [w.shape[1]] && bias.dtype == w.dtype,
            "sparseInputMatmul: bias must be \(w.dtype) [\(w.shape[1])], got \(bias.dtype) \(bias.shape)")
    }

    private static func sparseInputMatmul<S: TensorScalar>(
        _ x: Tensor, _ w: Tensor, _ bias: Tensor?, denseThreshold: Double, _: S.Type
    ) -> Tensor {
        let limit = Int(denseThreshold * Double(x.count))
        guard
            let sparse = x.withUnsafeBuffer(
                as: S.self,
                {
                    SparseRows($0, rows: x.shape[0], columns: x.shape[1], limit: limit)
                })
        else {
            return bias.map { matmul(x, w) + $0 } ?? matmul(x, w)
        }
        return sparseProduct(sparse, w, bias, inputGradient: x)
    }

    /// The product of sparse rows with W (+ b) as one differentiable operation of W, b and, when
    /// given, the dense input the rows came from.
    private static func sparseProduct<S: TensorScalar>(
        _ sparse: SparseRows<S>, _ w: Tensor, _ bias: Tensor?, inputGradient x: Tensor?
    ) -> Tensor {
        let needsInputGradient = x?.requiresGrad ?? false
        var inputs = [w]
        if let bias { inputs.append(bias) }
        if let x { inputs.append(x) }
        return differentiableOperation(inputs) { values in
            let product = SparseProduct(rows: sparse, outputs: w.shape[1])
            let weight = values[0]
            let bias = bias == nil ? nil : values[1]
            let y = product.forward(weight, bias: bias)
            let pullback = { (grads: [Tensor]) -> [Tensor?] in
                let (dw, db) = product.parameterGradients(grads[0], inFeatures: weight.shape[0], bias: bias != nil)
                var result: [Tensor?] = [dw]
                if bias != nil { result.append(db) }
                if x != nil { result.append(needsInputGradient ? product.inputGradient(grads[0], weight) : nil) }
                return result
            }
            return ([y], pullback)
        }[0]
    }
}

/// y = rows · W + b for sparse rows, and its weight and bias gradients.
///
/// Float runs the C kernels of `CKernels` at the widest instruction set of the CPU; Double
/// (gradient checks, reference runs) runs the same loops here.
struct SparseProduct<S: TensorScalar> {
    let rows: SparseRows<S>
    let outputs: Int

    /// Each output row sums the weight rows of its entries, holding a tile of outputs in
    /// registers, and adds the bias last (the order of x · W + b); rows are split over the cores,
    /// and y is written once, with no zero fill first.
    func forward(_ w: Tensor, bias: Tensor?) -> Tensor {
        let outputs = self.outputs
        let rows = self.rows
        var y = Tensor.unsafeUninitialized([rows.rows, outputs], dtype: w.dtype)
        w.withUnsafeBuffer(as: S.self) { wp in
            withOptionalBuffer(bias) { bp in
                y.withUnsafeMutableBuffer(as: S.self) { yp in
                    rows.rowStart.withUnsafeBufferPointer { rowStart in
                        rows.column.withUnsafeBufferPointer { column in
                            rows.value.withUnsafeBufferPointer { value in
                                Parallel.forChunks(rows.rows, costPerItem: outputs * 4) { block in
                                    if S.self == Float.self {
                                        spike_rows_product_f32(
                                            kernelLevel, float(wp.baseAddress), float(bp?.baseAddress), outputs,
                                            rowStart.baseAddress, column.baseAddress, float(value.baseAddress),
                                            block.lowerBound, block.upperBound, float(yp.baseAddress))
                                        return
                                    }
                                    for r in block {
                                        let out = yp.baseAddress! + r * outputs
                                        out.update(repeating: 0, count: outputs)
                                        for e in rowStart[r]..<rowStart[r + 1] {
                                            let row = wp.baseAddress! + Int(column[e]) * outputs
                                            let v = value[e]
                                            for o in 0..<outputs { out[o] += v * row[o] }
                                        }
                                        if let bp { for o in 0..<outputs { out[o] += bp[o] } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// dW [in, out] = rowsᵀ g (a scatter of g's rows into the weight rows of their entries) and,
    /// when asked, db = Σ_r g[r], in one pass over g. The cores split the rows: each reads whole
    /// rows of g and fills its own dW and db (core 0 the result, the others partials that are
    /// summed after), so no two cores touch the same cache line. (Splitting the columns instead
    /// needs no partials but was about 10 % slower over the step on two cores: both cores then
    /// stream every row of g.)
    func parameterGradients(_ g: Tensor, inFeatures: Int, bias: Bool) -> (dw: Tensor, db: Tensor?) {
        let outputs = self.outputs
        let rowCount = rows.rows
        let weights = inFeatures * outputs
        var dw = Tensor.unsafeUninitialized([inFeatures, outputs], dtype: g.dtype)
        var db = Tensor.unsafeUninitialized([bias ? outputs : 0], dtype: g.dtype)
        let work = outputs * (rowCount + rows.column.count)
        let cores = Swift.min(Parallel.threadCount, Swift.max(1, work / Parallel.minimumParallelWork))
        let rowsPerCore = (rowCount + cores - 1) / cores
        let size = weights + outputs
        var partials = Tensor.unsafeUninitialized([(cores - 1) * size], dtype: g.dtype)
        g.withUnsafeBuffer(as: S.self) { gp in
            dw.withUnsafeMutableBuffer(as: S.self) { dwp in
                db.withUnsafeMutableBuffer(as: S.self) { dbp in
                    partials.withUnsafeMutableBuffer(as: S.self) { pp in
                        let (g, dw, db, partials) = (
                            gp.baseAddress!, dwp.baseAddress!, bias ? dbp.baseAddress : nil, pp.baseAddress
                        )
                        Parallel.forEach(cores) { core in
                            let block =
                                Swift.min(rowCount, core * rowsPerCore)..<Swift.min(rowCount, (core + 1) * rowsPerCore)
                            let target = core == 0 ? dw : partials! + (core - 1) * size
                            scatter(
                                g, inFeatures: inFeatures, rows: block, dw: target,
                                db: db == nil ? nil : core == 0 ? db : target + weights)
                        }
                        guard cores > 1 else { return }
                        Parallel.forChunks(weights, costPerItem: cores) { range in
                            for core in 1..<cores {
                                let partial = partials! + (core - 1) * size
                                for i in range { dw[i] += partial[i] }
                            }
                        }
                        if let db {
                            for core in 1..<cores {
                                let partial = partials! + (core - 1) * size + weights
                                for o in 0..<outputs { db[o] += partial[o] }
                            }
                        }
                    }
                }
            }
        }
        return (dw, bias ? db : nil)
    }

    /// dw [in, out] and db [out] (overwritten) from rows `block` of g.
    private func scatter(
        _ g: UnsafePointer<S>, inFeatures: Int, rows block: Range<Int>,
        dw: UnsafeMutablePointer<S>, db: UnsafeMutablePointer<S>?
    ) {
        let outputs = self.outputs
        rows.rowStart.withUnsafeBufferPointer { rowStart in
            rows.column.withUnsafeBufferPointer { column in
                rows.value.withUnsafeBufferPointer { value in
                    if let gFloat = float(g) {
                        spike_rows_scatter_f32(
                            kernelLevel, gFloat, outputs, inFeatures, rowStart.baseAddress,
                            column.baseAddress, float(value.baseAddress), block.lowerBound,
                            block.upperBound, float(dw), float(db))
                        return
                    }
                    dw.update(repeating: 0, count: inFeatures * outputs)
                    db?.update(repeating: 0, count: outputs)
                    for r in block {
                        let gRow = g + r * outputs
                        if let db { for o in 0..<outputs { db[o] += gRow[o] } }
                        for e in rowStart[r]..<rowStart[r + 1] {
                            let target = dw + Int(column[e]) * outputs
                            let v = value[e]
                            for o in 0..<outputs { target[o] += v * gRow[o] }
                        }
                    }
                }
            }
        }
    }

    /// ∂L/∂x = g Wᵀ [rows, in]. For a narrow layer the inner dimension is short, where a GEMM
    /// spends most of its time packing and zero-filling, so Float runs the tiled C loop on Wᵀ.
    func inputGradient(_ g: Tensor, _ w: Tensor) -> Tensor {
        guard S.self == Float.self, outputs <= Self.shortInnerDimension else {
            return Tensor.matmul(g, w, transposeB: true)
        }
        let transposed = w.transposed()
        let inFeatures = w.shape[0]
        let rowCount = g.shape[0]
        let outputs = self.outputs
        var dx = Tensor.unsafeUninitialized([rowCount, inFeatures], dtype: g.dtype)
        g.withUnsafeBuffer(as: S.self) { gp in
            transposed.withUnsafeBuffer(as: S.self) { wp in
                dx.withUnsafeMutableBuffer(as: S.self) { dxp in
                    Parallel.forChunks(rowCount, costPerItem: inFeatures * outputs) { block in
                        spike_dense_rows_product_f32(
                            kernelLevel, float(gp.baseAddress), outputs,
                            float(wp.baseAddress), inFeatures, block.lowerBound,
                            block.upperBound, float(dxp.baseAddress))
                    }
                }
            }
        }
        return dx
    }

    /// Up to this many outputs, the input gradient's inner dimension counts as short.
    static var shortInnerDimension: Int { 64 }

    /// Calls `body` with the tensor's buffer, or nil when there is no tensor.
    private func withOptionalBuffer<R>(_ tensor: Tensor?, _ body: (UnsafeBufferPointer<S>?) -> R) -> R {
        guard let tensor else { return body(nil) }
        return tensor.withUnsafeBuffer(as: S.self) { body($0) }
    }

}

/// The C kernels' instruction set on this CPU, found once.
private let kernelLevel = kernels_best_level()

/// The same pointer as Float for the C kernels, or nil when S is not Float (then the Swift loops
/// run).
private func float<S: TensorScalar>(_ p: UnsafePointer<S>?) -> UnsafePointer<Float>? {
    guard S.self == Float.self else { return nil }
    return p.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) }
}

private func float<S: TensorScalar>(_ p: UnsafeMutablePointer<S>?) -> UnsafeMutablePointer<Float>? {
    guard S.self == Float.self else { return nil }
    return p.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Float.self) }
}
