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
        precondition(
            k == kb,
            """
            matmul: inner sizes differ: \(transposeA ? "aᵀ" : "a") is \(m)×\(k) (shape \(a.shape)), \
            \(transposeB ? "bᵀ" : "b") is \(kb)×\(n) (shape \(b.shape))
            """)
        let aBatch = Array(a.shape.dropLast(2))
        let bBatch = Array(b.shape.dropLast(2))
        let batch = shapeCheck { () throws(ShapeError) in try Shape.broadcast(aBatch, bBatch, op: "matmul (batch axes)")
        }
        let out = Tensor(uninitializedShape: batch + [m, n], dtype: a.dtype)
        switch a.dtype {
        case .float32: gemmBatched(a, b, out, Float.self, transposeA, transposeB, m, n, k, batch)
        case .float64: gemmBatched(a, b, out, Double.self, transposeA, transposeB, m, n, k, batch)
        }
        return Tape.record(inputs: [a, b], output: out) { grads in
            let g = grads[0]
            // A plain matrix used by every batch entry (a weight) gets the sum over the batch,
            // accumulated in place instead of a product per entry followed by a reduction.
            let ga =
                a.rank == 2 && !batch.isEmpty
                ? (transposeA
                    ? batchSummedProduct(b, g, transposeX: transposeB, transposeY: true)
                    : batchSummedProduct(g, b, transposeX: false, transposeY: !transposeB))
                : (transposeA
                    ? matmul(b, g, transposeA: transposeB, transposeB: true)
                    : matmul(g, b, transposeB: !transposeB)).unbroadcast(to: a.shape)
            let gb =
                b.rank == 2 && !batch.isEmpty
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
        precondition(
            x.rank == y.rank && x.shape.dropLast(2) == y.shape.dropLast(2),
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
        _ x: Tensor, _ y: Tensor, _ out: Tensor, _: S.Type, _ tx: Bool, _ ty: Bool, _ m: Int, _ n: Int, _ k: Int,
        _ count: Int
    ) {
        let px = x.storage.pointer(as: S.self)
        let py = y.storage.pointer(as: S.self)
        let pc = out.storage.pointer(as: S.self)
        let ldx = x.shape[x.rank - 1]
        let ldy = y.shape[y.rank - 1]
        if tx && !ty {
            Kernels.gemm(
                transposeA: true, transposeB: false, m: m, n: n, k: count * k, px, lda: ldx, py, ldb: ldy, pc, ldc: n)
            return
        }
        let xMatrix = m * k
        let yMatrix = k * n
        let shares =
            count * m * n * k >= Kernels.minimumParallelGEMM && !Parallel.isInsideParallelRegion
            ? Swift.min(Parallel.threadCount, count) : 1
        // Share 0 accumulates into `out`, the others into scratch matrices added at the end.
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: Swift.max(0, shares - 1) * m * n)
        defer { scratch.deallocate() }
        let size = (count + shares - 1) / shares
        Parallel.forEach(shares) { share in
            let target = share == 0 ? pc : scratch + (share - 1) * m * n
            for i in (share * size)..<Swift.min(count, (share + 1) * size) {
                Kernels.gemm(
                    transposeA: tx, transposeB: ty, m: m, n: n, k: k, px + i * xMatrix, lda: ldx, py + i * yMatrix,
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
        let pa = a.storage.pointer(as: S.self)
        let pb = b.storage.pointer(as: S.self)
        let pc = out.storage.pointer(as: S.self)
        let lda = a.shape[a.rank - 1]
        let ldb = b.shape[b.rank - 1]
        if b.rank == 2 && !ta {
            // Fold every batch axis of a into the rows of one GEMM.
            let rows = Shape.count(batch) * m
            Kernels.gemm(transposeA: false, transposeB: tb, m: rows, n: n, k: k, pa, lda: lda, pb, ldb: ldb, pc, ldc: n)
            return
        }
        let aBatch = Array(a.shape.dropLast(2))
        let bBatch = Array(b.shape.dropLast(2))
        let (aStrides, bStrides) = Kernels.broadcastStrides(aBatch, bBatch, batch)
        let aMatrix = a.shape[a.rank - 2] * lda
        let bMatrix = b.shape[b.rank - 2] * ldb
        // Entries are independent: small products (attention heads, a weight applied per time
        // step and sample) go to the cores a share of entries each.
        Parallel.forChunks(Shape.count(batch), costPerItem: m * n * k) { entries in
            for index in entries {
                var rest = index
                var ao = 0
                var bo = 0
                for d in stride(from: batch.count - 1, through: 0, by: -1) {
                    let i = rest % batch[d]
                    rest /= batch[d]
                    ao += i * aStrides[d]
                    bo += i * bStrides[d]
                }
                Kernels.gemm(
                    transposeA: ta, transposeB: tb, m: m, n: n, k: k, pa + ao * aMatrix, lda: lda,
                    pb + bo * bMatrix, ldb: ldb, pc + index * m * n, ldc: n)
            }
        }
    }
}

extension Tensor {
    /// Softmax-free multi-head attention on channels-first tokens [T, D, B, N] (Spikformer's
    /// spiking self-attention core): for every step t, sample b and head h (channels
    /// h·d ..< (h+1)·d, d = D / heads), Y = scale · V (Qᵀ K)ᵀ, i.e. token n of Y is
    /// Σ_m scale·(q_n · k_m)·v_m over the tokens m of the same sample.
    ///
    /// Without a softmax the product is associative, so it is computed as scale · (V Kᵀ) Q: a
    /// d×d matrix per head instead of an N×N one (half the multiply-adds for N = 2d, and the
    /// same values: for spikes every partial sum is a small integer, exact in either order).
    /// Each step and sample's slice is gathered into a contiguous block, multiplied there and
    /// scattered back (no permuted copy of whole tensors); (t, b) pairs go to the cores.
    public static func linearAttention(query: Tensor, key: Tensor, value: Tensor, heads: Int, scale: Double) -> Tensor {
        let shape = query.shape
        precondition(
            query.rank == 4 && key.shape == shape && value.shape == shape,
            "linearAttention: query, key and value must share one shape [T, D, B, N], got \(query.shape), \(key.shape), \(value.shape)"
        )
        precondition(query.dtype == key.dtype && query.dtype == value.dtype, "linearAttention: dtypes differ")
        precondition(
            heads >= 1 && shape[1] % heads == 0,
            "linearAttention: \(shape[1]) channels do not split into \(heads) heads")
        let layout = AttentionLayout(
            steps: shape[0], channels: shape[1], samples: shape[2], tokens: shape[3], heads: heads)
        let out = Tensor(uninitializedShape: shape, dtype: query.dtype)
        // V Kᵀ per step, sample and head, kept for the backward pass.
        let products = Tensor(
            uninitializedShape: [layout.groups, heads, layout.width, layout.width], dtype: query.dtype)
        switch query.dtype {
        case .float32: layout.forward(query, key, value, products, out, Float(scale))
        case .float64: layout.forward(query, key, value, products, out, scale)
        }
        return Tape.record(inputs: [query, key, value], output: out) { grads in
            let (dq, dk, dv) = (
                Tensor(uninitializedShape: shape, dtype: query.dtype),
                Tensor(uninitializedShape: shape, dtype: query.dtype),
                Tensor(uninitializedShape: shape, dtype: query.dtype)
            )
            switch query.dtype {
            case .float32: layout.backward(grads[0], query, key, value, products, dq, dk, dv, Float(scale))
            case .float64: layout.backward(grads[0], query, key, value, products, dq, dk, dv, scale)
            }
            return [dq, dk, dv]
        }
    }
}

/// Where `linearAttention`'s per-head matrices lie in [T, D, B, N], and the GEMMs over them.
///
/// The D×N slice of one step and sample has rows B·N apart (4 KB for the text model), which
/// makes every row of a head map to the same cache sets; each slice is therefore copied into a
/// contiguous D×N block (rows of N) before its small products, and results are copied back.
private struct AttentionLayout {
    let steps, channels, samples, tokens, heads: Int
    /// d, the channels of one head.
    var width: Int { channels / heads }
    /// (t, b) pairs.
    var groups: Int { steps * samples }
    /// Elements of one slice (and of one scratch block).
    var slice: Int { channels * tokens }

    /// Copies the slice of group g (= t·B + b) out of (`into` false) or into [T, D, B, N] storage.
    func move<S: TensorScalar>(
        group g: Int, _ tensor: UnsafeMutablePointer<S>, _ block: UnsafeMutablePointer<S>, into: Bool
    ) {
        let (t, b) = (g / samples, g % samples)
        for c in 0..<channels {
            let row = tensor + ((t * channels + c) * samples + b) * tokens
            if into {
                row.update(from: block + c * tokens, count: tokens)
            } else {
                (block + c * tokens).update(from: row, count: tokens)
            }
        }
    }

    /// Calls `body(group, scratch)` for every group, groups split over the cores, each core with
    /// `blocks` scratch slices of its own followed by `extra` elements.
    func forEachGroup<S: TensorScalar>(
        _: S.Type, blocks: Int, extra: Int = 0, _ body: (Int, UnsafeMutablePointer<S>) -> Void
    ) {
        Parallel.forChunks(groups, costPerItem: 6 * channels * width * tokens) { range in
            let scratch = UnsafeMutablePointer<S>.allocate(capacity: blocks * slice + extra)
            defer { scratch.deallocate() }
            for g in range { body(g, scratch) }
        }
    }

    /// Per head: M = V Kᵀ, Y = scale · M Q.
    func forward<S: TensorScalar>(_ q: Tensor, _ k: Tensor, _ v: Tensor, _ m: Tensor, _ y: Tensor, _ scale: S) {
        let (pq, pk, pv) = (q.storage.pointer(as: S.self), k.storage.pointer(as: S.self), v.storage.pointer(as: S.self))
        let (pm, py) = (m.storage.pointer(as: S.self), y.storage.pointer(as: S.self))
        let (d, n, size) = (width, tokens, slice)
        forEachGroup(S.self, blocks: 4) { g, scratch in
            let (sq, sk, sv, sy) = (scratch, scratch + size, scratch + 2 * size, scratch + 3 * size)
            move(group: g, pq, sq, into: false)
            move(group: g, pk, sk, into: false)
            move(group: g, pv, sv, into: false)
            for h in 0..<heads {
                let o = h * d * n
                let mo = (g * heads + h) * d * d
                Kernels.gemm(
                    transposeA: false, transposeB: true, m: d, n: d, k: n, sv + o, lda: n, sk + o, ldb: n, pm + mo,
                    ldc: d)
                Kernels.gemm(
                    transposeA: false, transposeB: false, m: d, n: n, k: d, alpha: scale, pm + mo, lda: d, sq + o,
                    ldb: n,
                    sy + o, ldc: n)
            }
            move(group: g, py, sy, into: true)
        }
    }

    /// With G = ∂L/∂Y, per head: ∂M = scale · G Qᵀ, ∂Q = scale · Mᵀ G, ∂V = ∂M K, ∂K = ∂Mᵀ V.
    func backward<S: TensorScalar>(
        _ g: Tensor, _ q: Tensor, _ k: Tensor, _ v: Tensor, _ m: Tensor, _ dq: Tensor, _ dk: Tensor, _ dv: Tensor,
        _ scale: S
    ) {
        let (pq, pk, pv) = (q.storage.pointer(as: S.self), k.storage.pointer(as: S.self), v.storage.pointer(as: S.self))
        let (pg, pm) = (g.storage.pointer(as: S.self), m.storage.pointer(as: S.self))
        let (pdq, pdk, pdv) = (
            dq.storage.pointer(as: S.self), dk.storage.pointer(as: S.self), dv.storage.pointer(as: S.self)
        )
        let (d, n, size) = (width, tokens, slice)
        // Seven slices, then ∂M of one head (d×d).
        forEachGroup(S.self, blocks: 7, extra: d * d) { grp, scratch in
            let (sq, sk, sv, sg) = (scratch, scratch + size, scratch + 2 * size, scratch + 3 * size)
            let (sdq, sdk, sdv, sdm) = (scratch + 4 * size, scratch + 5 * size, scratch + 6 * size, scratch + 7 * size)
            move(group: grp, pq, sq, into: false)
            move(group: grp, pk, sk, into: false)
            move(group: grp, pv, sv, into: false)
            move(group: grp, pg, sg, into: false)
            for h in 0..<heads {
                let o = h * d * n
                let mo = (grp * heads + h) * d * d
                Kernels.gemm(
                    transposeA: false, transposeB: true, m: d, n: d, k: n, alpha: scale, sg + o, lda: n, sq + o, ldb: n,
                    sdm, ldc: d)
                Kernels.gemm(
                    transposeA: true, transposeB: false, m: d, n: n, k: d, alpha: scale, pm + mo, lda: d, sg + o,
                    ldb: n,
                    sdq + o, ldc: n)
                Kernels.gemm(
                    transposeA: false, transposeB: false, m: d, n: n, k: d, sdm, lda: d, sk + o, ldb: n, sdv + o, ldc: n
                )
                Kernels.gemm(
                    transposeA: true, transposeB: false, m: d, n: n, k: d, sdm, lda: d, sv + o, ldb: n, sdk + o, ldc: n)
            }
            move(group: grp, pdq, sdq, into: true)
            move(group: grp, pdk, sdk, into: true)
            move(group: grp, pdv, sdv, into: true)
        }
    }
}
