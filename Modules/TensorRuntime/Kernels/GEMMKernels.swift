import CBLAS

extension Kernels {
    /// OpenBLAS runs single-threaded; `gemm` splits large products over the cores itself (see
    /// `Parallel`). Evaluated once, before the first product.
    static let blasRunsSingleThreaded: Void = openblas_set_num_threads(1)

    /// Products smaller than this many multiply-adds run on one core.
    static let minimumParallelGEMM = 1 << 21

    /// C = alpha · op(A) · op(B) + beta · C for row-major matrices, through OpenBLAS.
    ///
    /// Large products are split into one block of rows (or columns, when C is wide and short)
    /// per core; each block is an independent single-threaded GEMM.
    static func gemm<S: TensorScalar>(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: S = 1,
        _ a: UnsafePointer<S>, lda: Int, _ b: UnsafePointer<S>, ldb: Int,
        beta: S = 0, _ c: UnsafeMutablePointer<S>, ldc: Int
    ) {
        _ = blasRunsSingleThreaded
        guard m > 0, n > 0 else { return }
        let threads = Parallel.threadCount
        guard m * n * k >= minimumParallelGEMM, threads > 1, !Parallel.isInsideParallelRegion else {
            blas(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        if m >= n {
            let block = (m + threads - 1) / threads
            Parallel.forEach(threads) { t in
                let start = t * block
                guard start < m else { return }
                let rows = min(block, m - start)
                // Row `start` of op(A): a row of A, or a column of the stored Aᵀ.
                let aBlock = transposeA ? a + start : a + start * lda
                blas(transposeA, transposeB, rows, n, k, alpha, aBlock, lda, b, ldb, beta, c + start * ldc, ldc)
            }
        } else {
            let block = (n + threads - 1) / threads
            Parallel.forEach(threads) { t in
                let start = t * block
                guard start < n else { return }
                let columns = min(block, n - start)
                let bBlock = transposeB ? b + start * ldb : b + start
                blas(transposeA, transposeB, m, columns, k, alpha, a, lda, bBlock, ldb, beta, c + start, ldc)
            }
        }
    }

    /// One OpenBLAS call (s/dgemm by scalar type).
    @inline(__always)
    private static func blas<S: TensorScalar>(
        _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: S,
        _ a: UnsafePointer<S>, _ lda: Int, _ b: UnsafePointer<S>, _ ldb: Int,
        _ beta: S, _ c: UnsafeMutablePointer<S>, _ ldc: Int
    ) {
        guard k > 0 else {
            // An empty inner dimension still has to apply beta.
            for i in 0..<m {
                for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
            }
            return
        }
        let ta = transposeA ? CblasTrans : CblasNoTrans
        let tb = transposeB ? CblasTrans : CblasNoTrans
        if S.self == Float.self {
            cblas_sgemm(
                CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), Float(alpha),
                UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), Int32(lda),
                UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), Int32(ldb), Float(beta),
                UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), Int32(ldc))
        } else {
            cblas_dgemm(
                CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), Double(alpha),
                UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), Int32(lda),
                UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), Int32(ldb), Double(beta),
                UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), Int32(ldc))
        }
    }
}
