// Reductions over any set of axes: sum, mean, max/min with arg indices, logsumexp, variance.

extension Tensor {
    /// Sorted, de-duplicated, non-negative axes; nil means all axes.
    func normalizedAxes(_ axes: [Int]?, op: String) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        let resolved = axes.map { a in shapeCheck { () throws(ShapeError) in try Shape.axis(a, rank: rank, op: op) } }
        return Array(Set(resolved)).sorted()
    }

    /// The shape after reducing `axes` (sorted), with or without the reduced axes kept as 1.
    func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
        var result: [Int] = []
        for (i, d) in shape.enumerated() {
            if axes.contains(i) {
                if keepDims { result.append(1) }
            } else {
                result.append(d)
            }
        }
        return result
    }

    /// Moves `axes` (sorted) to the end, keeping the order of the others, so they form one
    /// contiguous trailing block. Returns self when they already form a contiguous block.
    func contiguousBlock(for axes: [Int]) -> (tensor: Tensor, first: Int, last: Int, permutation: [Int]?) {
        if let first = axes.first, let last = axes.last, last - first + 1 == axes.count {
            return (self, first, last, nil)
        }
        let others = (0..<rank).filter { !axes.contains($0) }
        let permutation = others + axes
        return (permuted(permutation), others.count, rank - 1, permutation)
    }

    /// Sum over `axes` (all when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let axes = normalizedAxes(axes, op: "sum")
        let keptShape = reducedShape(axes, keepDims: true)
        let outShape = reducedShape(axes, keepDims: keepDims)
        if axes.isEmpty { return self }
        let (source, first, last, _) = detached().contiguousBlock(for: axes)
        let outer = Shape.count(Array(source.shape[..<first]))
        let reduced = Shape.count(Array(source.shape[first...last]))
        let inner = Shape.count(Array(source.shape[(last + 1)...]))
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        switch dtype {
        case .float32:
            Kernels.sum(
                source.storage.pointer(as: Float.self), out.storage.pointer(as: Float.self),
                outer: outer, reduced: reduced, inner: inner)
        case .float64:
            Kernels.sum(
                source.storage.pointer(as: Double.self), out.storage.pointer(as: Double.self),
                outer: outer, reduced: reduced, inner: inner)
        }
        let inputShape = shape
        return Tape.record(inputs: [self], output: out) { g in
            [g[0].reshaped(keptShape).expanded(to: inputShape)]
        }
    }

    /// Mean over `axes` (all when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let resolved = normalizedAxes(axes, op: "mean")
        let n = resolved.reduce(1) { $0 * shape[$1] }
        return sum(axes: resolved, keepDims: keepDims) / Double(Swift.max(n, 1))
    }

    /// Variance over `axes`; `correction` 1 gives the unbiased estimate.
    public func variance(axes: [Int]? = nil, keepDims: Bool = false, correction: Int = 0) -> Tensor {
        let resolved = normalizedAxes(axes, op: "variance")
        let n = resolved.reduce(1) { $0 * shape[$1] }
        let centered = self - mean(axes: resolved, keepDims: true)
        return centered.squared().sum(axes: resolved, keepDims: keepDims) / Double(Swift.max(n - correction, 1))
    }

    /// log Σ exp over `axes`, computed stably by subtracting the maximum.
    public func logsumexp(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let resolved = normalizedAxes(axes, op: "logsumexp")
        let shift = Tape.withoutGradient { self.max(axes: resolved, keepDims: true) }
        let result = (self - shift).exp().sum(axes: resolved, keepDims: true).log() + shift
        return keepDims ? result : result.reshaped(reducedShape(resolved, keepDims: false))
    }

    /// Maximum over `axes` (all when nil). The gradient goes to the first maximal element.
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        extreme(axes: axes, keepDims: keepDims, maximum: true).values
    }

    /// Minimum over `axes` (all when nil). The gradient goes to the first minimal element.
    public func min(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        extreme(axes: axes, keepDims: keepDims, maximum: false).values
    }

    /// Indices of the maxima along `axis` (shape without that axis).
    public func argmax(axis: Int) -> [Int] {
        extreme(axes: [axis], keepDims: false, maximum: true).indices
    }

    /// Indices of the minima along `axis` (shape without that axis).
    public func argmin(axis: Int) -> [Int] {
        extreme(axes: [axis], keepDims: false, maximum: false).indices
    }

    /// Values and flat indices (within the reduced block) of the extremes over `axes`.
    private func extreme(axes: [Int]?, keepDims: Bool, maximum: Bool) -> (values: Tensor, indices: [Int]) {
        let op = maximum ? "max" : "min"
        let axes = normalizedAxes(axes, op: op)
        precondition(axes.allSatisfy { shape[$0] > 0 }, "\(op): cannot reduce an empty axis of shape \(shape)")
        let outShape = reducedShape(axes, keepDims: keepDims)
        let keptShape = reducedShape(axes, keepDims: true)
        let (source, first, last, permutation) = detached().contiguousBlock(for: axes)
        let outer = Shape.count(Array(source.shape[..<first]))
        let reduced = Shape.count(Array(source.shape[first...last]))
        let inner = Shape.count(Array(source.shape[(last + 1)...]))
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        var index = [Int32](repeating: 0, count: outer * inner)
        index.withUnsafeMutableBufferPointer { idx in
            switch dtype {
            case .float32:
                Kernels.extreme(
                    source.storage.pointer(as: Float.self), out.storage.pointer(as: Float.self),
                    idx.baseAddress!, outer: outer, reduced: reduced, inner: inner, maximum: maximum)
            case .float64:
                Kernels.extreme(
                    source.storage.pointer(as: Double.self), out.storage.pointer(as: Double.self),
                    idx.baseAddress!, outer: outer, reduced: reduced, inner: inner, maximum: maximum)
            }
        }
        let sourceShape = source.shape
        let values = Tape.record(inputs: [self], output: out) { g in
            // Scatter into the [outer, reduced, inner] layout, then undo the permutation.
            let grad = Tensor.scatterExtreme(
                g[0].reshaped(keptShape), index: index, outer: outer, reduced: reduced,
                inner: inner, shape: sourceShape)
            guard let permutation else { return [grad] }
            var inverse = [Int](repeating: 0, count: permutation.count)
            for (i, p) in permutation.enumerated() { inverse[p] = i }
            return [grad.permuted(inverse)]
        }
        return (values, index.map(Int.init))
    }

    /// Zeros of `shape` with g placed at the recorded extreme of each reduced block.
    private static func scatterExtreme(
        _ g: Tensor, index: [Int32], outer: Int, reduced: Int, inner: Int,
        shape: [Int]
    ) -> Tensor {
        var result = Tensor.zeros(shape, dtype: g.dtype)
        func scatter<S: TensorScalar>(_: S.Type) {
            g.withUnsafeBuffer(as: S.self) { src in
                result.withUnsafeMutableBuffer(as: S.self) { dst in
                    for j in 0..<(outer * inner) {
                        let o = j / inner
                        let i = j % inner
                        dst[(o * reduced + Int(index[j])) * inner + i] = src[j]
                    }
                }
            }
        }
        switch g.dtype {
        case .float32: scatter(Float.self)
        case .float64: scatter(Double.self)
        }
        return result
    }
}
