extension Kernels {
    /// out[o, i] = Σ_r x[o, r, i] for x seen as [outer, reduced, inner].
    static func sum<S: TensorScalar>(
        _ x: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, outer: Int, reduced: Int, inner: Int
    ) {
        if inner == 1 {
            if outer == 1 {
                out[0] = blockedSum(x, count: reduced)
                return
            }
            Parallel.forChunks(outer, costPerItem: reduced) { rows in
                for o in rows { out[o] = blockedSum(x + o * reduced, count: reduced) }
            }
            return
        }
        // Rows of `inner` contiguous elements are added with unit stride (vectorisable).
        let body = { (o: Int, innerRange: Range<Int>) in
            let dst = out + o * inner
            for i in innerRange { dst[i] = 0 }
            for r in 0..<reduced {
                let src = x + (o * reduced + r) * inner
                for i in innerRange { dst[i] += src[i] }
            }
        }
        if outer >= Parallel.threadCount {
            Parallel.forChunks(outer, costPerItem: reduced * inner) { rows in
                for o in rows { body(o, 0..<inner) }
            }
        } else {
            for o in 0..<outer {
                Parallel.forChunks(inner, costPerItem: reduced) { body(o, $0) }
            }
        }
    }

    /// A sum accumulated in Double, so long Float32 vectors (a loss over millions of elements)
    /// do not drift; the conversion is vectorised and the loop stays memory-bound.
    @inline(__always)
    static func blockedSum<S: TensorScalar>(_ x: UnsafePointer<S>, count: Int) -> S {
        if count > 1 << 16 {
            let chunks = Parallel.threadCount
            let size = (count + chunks - 1) / chunks
            var partials = [Double](repeating: 0, count: chunks)
            partials.withUnsafeMutableBufferPointer { p in
                let p = p
                Parallel.forEach(chunks) { c in
                    let start = c * size
                    p[c] = start < count ? serialSum(x + start, count: Swift.min(size, count - start)) : 0
                }
            }
            return S(partials.reduce(0, +))
        }
        return S(serialSum(x, count: count))
    }

    @inline(__always)
    private static func serialSum<S: TensorScalar>(_ x: UnsafePointer<S>, count: Int) -> Double {
        var total = 0.0
        for i in 0..<count { total += Double(x[i]) }
        return total
    }

    /// Maximum (or minimum) over the middle axis of [outer, reduced, inner], with the index of
    /// the first extreme element.
    static func extreme<S: TensorScalar>(
        _ x: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ index: UnsafeMutablePointer<Int32>,
        outer: Int, reduced: Int, inner: Int, maximum: Bool
    ) {
        Parallel.forChunks(outer * inner, costPerItem: reduced) { range in
            for j in range {
                let o = j / inner
                let i = j % inner
                let base = x + o * reduced * inner + i
                var best = base[0]
                var bestIndex = 0
                for r in 1..<Swift.max(reduced, 1) {
                    let v = base[r * inner]
                    if maximum
                        ? (v > best || (best.isNaN == false && v.isNaN))
                        : (v < best || (best.isNaN == false && v.isNaN))
                    {
                        best = v
                        bestIndex = r
                    }
                }
                out[j] = best
                index[j] = Int32(bestIndex)
            }
        }
    }
}
