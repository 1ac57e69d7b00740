extension Kernels {
    /// A strided n-d copy: for every index i of `shape`,
    /// dst[dstOffset + Σ i_d·dstStrides_d] = src[srcOffset + Σ i_d·srcStrides_d].
    ///
    /// Permute (permuted strides), expand (zero strides), slice (offset), pad and concat
    /// (strided destination) are all this one loop.
    static func stridedCopy<S: TensorScalar>(
        _ src: UnsafePointer<S>, srcOffset: Int, srcStrides: [Int],
        _ dst: UnsafeMutablePointer<S>, dstOffset: Int, dstStrides: [Int], shape: [Int]
    ) {
        let count = Shape.count(shape)
        guard count > 0 else { return }
        let rank = shape.count
        if rank == 0 {
            dst[dstOffset] = src[srcOffset]
            return
        }
        let inner = shape[rank - 1]
        let rows = count / inner
        let ss = srcStrides[rank - 1]
        let ds = dstStrides[rank - 1]
        Parallel.forChunks(rows, costPerItem: inner) { rowRange in
            for row in rowRange {
                var rest = row
                var so = srcOffset
                var dOff = dstOffset
                for d in stride(from: rank - 2, through: 0, by: -1) {
                    let idx = rest % shape[d]
                    rest /= shape[d]
                    so += idx * srcStrides[d]
                    dOff += idx * dstStrides[d]
                }
                let s = src + so
                let t = dst + dOff
                if ss == 1 && ds == 1 {
                    t.update(from: s, count: inner)
                } else {
                    for j in 0..<inner { t[j * ds] = s[j * ss] }
                }
            }
        }
    }
}
