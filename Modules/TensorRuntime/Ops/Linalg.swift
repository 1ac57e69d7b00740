// Matrix products through BLAS: matmul and batched matmul with broadcast batch axes.

extension Tensor {
    /// op(a) · op(b) over the last two axes, where op transposes when asked; leading (batch)
    /// axes broadcast. `b` may be a plain matrix, in which case a's batch axes fold into one
    /// GEMM (the linear-layer case: [T, B, in] · Wᵀ is a single call).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.dtype == b.dtype, "matmul: dtypes differ (\(a.dtype) vs \(b.dtype))")
        precondition(a.rank >= 2 && b.rank >= 2, "matmul: need matrices, got shapes \(a.shape) and \(b.shape)")
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (kb, n) = transposeB ? (bc, br) : (br, bc)
        precondition(k == kb, """
            matmul: inner sizes differ: \(transposeA ? "aᵀ" : "a") is \(m)×\(k) (shape \(a.shape)), \
            \(transposeB ? "bᵀ" : "b") is \(kb)×\(n) (shape \(b.shape))
            """)
        let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
        let batch = shapeCheck { () throws(ShapeError) in try Shape.broadcast(aBatch, bBatch, op: "matmul (batch axes)") }
        let out = Tensor(uninitializedShape: batch + [m, n], dtype: a.dtype)
        switch a.dtype {
        case .float32: gemmBatched(a, b, out, Float.self, transposeA, transposeB, m, n, k, batch)
        case .float64: gemmBatched(a, b, out, Double.self, transposeA, transposeB, m, n, k, batch)
        }
        return Tape.record(inputs: [a, b], output: out) { grads in
            let g = grads[0]
            // A plain matrix used by every batch entry (a weight) gets the sum over the batch,
            // accumulated in place instead of a product per entry followed by a reduction.
            let ga = a.rank == 2 && !batch.isEmpty
                ? (transposeA
                    ? batchSummedProduct(b, g, transposeX: transposeB, transposeY: true)
                    : batchSummedProduct(g, b, transposeX: false, transposeY: !transposeB))
                : (transposeA
                    ? matmul(b, g, transposeA: transposeB, transposeB: true)
                    : matmul(g, b, transposeB: !transposeB)).unbroadcast(to: a.shape)
            let gb = b.rank == 2 && !batch.isEmpty
                ? (transposeB
                    ? batchSummedProduct(g, a, transposeX: true, transposeY: transposeA)
                    : batchSummedProduct(a, g, transposeX: !transposeA, transposeY: false))
                : (transposeB
                    ? matmul(g, a, transposeA: true, transposeB: transposeA)
                    : matmul(a, g, transposeA: !transposeA)).unbroadcast(to: b.shape)
            return [ga, gb]
        }
    }

    /// Σ_i op(x_i) · op(y_i) over the batch entries i of x and y (same batch axes, no
    /// broadcasting): the gradient of a matrix that a batched product broadcast.
    ///
    /// When both operands are read transposed-left and plain-right (xᵢᵀ yᵢ), the batch folds
    /// into the inner dimension and the sum is one GEMM; otherwise each core accumulates the
    /// products of its share of the entries (GEMMs with β = 1) and the shares are added.
    static func batchSummedProduct(_ x: Tensor, _ y: Tensor, transposeX: Bool, transposeY: Bool) -> Tensor {
        precondition(x.rank == y.rank && x.shape.dropLast(2) == y.shape.dropLast(2),
                     "batchSummedProduct: batch axes differ (\(x.shape) vs \(y.shape))")
        let (xr, xc) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
        let (yr, yc) = (y.shape[y.rank - 2], y.shape[y.rank - 1])
        let (m, k) = transposeX ? (xc, xr) : (xr, xc)
        let n = transposeY ? yr : yc
        let count = Shape.count(Array(x.shape.dropLast(2)))
        let out = Tensor(uninitializedShape: [m, n], dtype: x.dtype)
        switch x.dtype {
        case .float32: summedGEMM(x, y, out, Float.self, transposeX, transposeY, m, n, k, count)
        case .float64: summedGEMM(x, y, out, Double.self, transposeX, transposeY, m, n, k, count)
        }
        return out
    }

    private static func summedGEMM<S: TensorScalar>(
        _ x: Tensor, _ y: Tensor, _ out: Tensor, _: S.Type, _ tx: Bool, _ ty: Bool, _ m: Int, _ n: Int, _ k: Int, _ count: Int
    ) {
        let px = x.storage.pointer(as: S.self), py = y.storage.pointer(as: S.self), pc = out.storage.pointer(as: S.self)
        let ldx = x.shape[x.rank - 1], ldy = y.shape[y.rank - 1]
        if tx && !ty {
            Kernels.gemm(transposeA: true, transposeB: false, m: m, n: n, k: count * k, px, lda: ldx, py, ldb: ldy, pc, ldc: n)
            return
        }
        let xMatrix = m * k, yMatrix = k * n
        let shares = count * m * n * k >= Kernels.minimumParallelGEMM && !Parallel.isInsideParallelRegion
            ? Swift.min(Parallel.threadCount, count) : 1
        // Share 0 accumulates into `out`, the others into scratch matrices added at the end.
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: Swift.max(0, shares - 1) * m * n)
        defer { scratch.deallocate() }
        let size = (count + shares - 1) / shares
        Parallel.forEach(shares) { share in
            let target = share == 0 ? pc : scratch + (share - 1) * m * n
            for i in (share * size)..<Swift.min(count, (share + 1) * size) {
                Kernels.gemm(transposeA: tx, transposeB: ty, m: m, n: n, k: k, px + i * xMatrix, lda: ldx, py + i * yMatrix,
                             ldb: ldy, beta: i == share * size ? 0 : 1, target, ldc: n)
            }
        }
        for share in 1..<Swift.max(1, shares) where share * size < count {
            let partial = scratch + (share - 1) * m * n
            for e in 0..<(m * n) { pc[e] += partial[e] }
        }
    }

    private static func gemmBatched<S: TensorScalar>(
        _ a: Tensor, _ b: Tensor, _ out: Tensor, _: S.Type, _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int,
        _ batch: [Int]
    ) {
        let pa = a.storage.pointer(as: S.self), pb = b.storage.pointer(as: S.self), pc = out.storage.pointer(as: S.self)
        let lda = a.shape[a.rank - 1], ldb = b.shape[b.rank - 1]
        if b.rank == 2 && !ta {
            // Fold every batch axis of a into the rows of one GEMM.
            let rows = Shape.count(batch) * m
            Kernels.gemm(transposeA: false, transposeB: tb, m: rows, n: n, k: k, pa, lda: lda, pb, ldb: ldb, pc, ldc: n)
            return
        }
        let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
        let (aStrides, bStrides) = Kernels.broadcastStrides(aBatch, bBatch, batch)
        let aMatrix = a.shape[a.rank - 2] * lda, bMatrix = b.shape[b.rank - 2] * ldb
        // Entries are independent: small products (attention heads, a weight applied per time
        // step and sample) go to the cores a share of entries each.
        Parallel.forChunks(Shape.count(batch), costPerItem: m * n * k) { entries in
            for index in entries {
                var rest = index, ao = 0, bo = 0
                for d in stride(from: batch.count - 1, through: 0, by: -1) {
                    let i = rest % batch[d]
                    rest /= batch[d]
                    ao += i * aStrides[d]
                    bo += i * bStrides[d]
                }
                Kernels.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, pa + ao * aMatrix, lda: lda,
                             pb + bo * bMatrix, ldb: ldb, pc + index * m * n, ldc: n)
            }
        }
    }
}
