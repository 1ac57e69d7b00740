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
            let ga = transposeA
                ? matmul(b, g, transposeA: transposeB, transposeB: true)
                : matmul(g, b, transposeB: !transposeB)
            let gb = transposeB
                ? matmul(g, a, transposeA: true, transposeB: transposeA)
                : matmul(a, g, transposeA: !transposeA)
            return [ga.unbroadcast(to: a.shape), gb.unbroadcast(to: b.shape)]
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
        for index in 0..<Shape.count(batch) {
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
