// Differentiable shape ops: permute, expand, slice, pad, concat, stack, index-select, gather,
// one-hot, select. Every one is a strided copy into a fresh contiguous tensor.

extension Tensor {
    /// Copies `source` (seen through `srcStrides` from `srcOffset`) into `self` at `dstOffset`
    /// with `dstStrides`, over `shape`.
    mutating func copyStrided(
        from source: Tensor, srcOffset: Int = 0, srcStrides: [Int], dstOffset: Int = 0, dstStrides: [Int],
        shape: [Int]
    ) {
        precondition(source.dtype == dtype, "copy: dtypes differ (\(source.dtype) vs \(dtype))")
        // No other reference to `storage` may be held here: one would make every check fail and
        // every call copy the whole destination (index-select and concat call this per slice).
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        switch dtype {
        case .float32:
            Kernels.stridedCopy(
                source.storage.pointer(as: Float.self), srcOffset: srcOffset, srcStrides: srcStrides,
                storage.pointer(as: Float.self), dstOffset: dstOffset, dstStrides: dstStrides, shape: shape)
        case .float64:
            Kernels.stridedCopy(
                source.storage.pointer(as: Double.self), srcOffset: srcOffset, srcStrides: srcStrides,
                storage.pointer(as: Double.self), dstOffset: dstOffset, dstStrides: dstStrides, shape: shape)
        }
    }

    /// A contiguous copy of `self` seen with `shape` through `strides` from `offset`.
    func gatheredView(shape outShape: [Int], strides: [Int], offset: Int = 0) -> Tensor {
        var out = Tensor(uninitializedShape: outShape, dtype: dtype)
        out.copyStrided(
            from: self, srcOffset: offset, srcStrides: strides, dstStrides: Shape.strides(outShape),
            shape: outShape)
        return out
    }

    /// Reorders the axes: result axis i is input axis `permutation[i]`.
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(
            permutation.sorted() == Array(0..<rank),
            "permuted: \(permutation) is not a permutation of the \(rank) axes of \(shape)")
        if permutation == Array(0..<rank) { return self }
        let strides = Shape.strides(shape)
        let out = gatheredView(shape: permutation.map { shape[$0] }, strides: permutation.map { strides[$0] })
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return Tape.record(inputs: [self], output: out) { g in [g[0].permuted(inverse)] }
    }

    /// Swaps two axes.
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        let (i, j) = shapeCheck { () throws(ShapeError) in
            (try Shape.axis(a, rank: rank, op: "transposed"), try Shape.axis(b, rank: rank, op: "transposed"))
        }
        var permutation = Array(0..<rank)
        permutation.swapAt(i, j)
        return permuted(permutation)
    }

    /// Broadcasts to `target` by NumPy rules, materialising the copies.
    public func expanded(to target: [Int]) -> Tensor {
        let result = shapeCheck { () throws(ShapeError) in try Shape.broadcast(shape, target, op: "expanded") }
        precondition(result == target, "expanded: shape \(shape) cannot be expanded to \(target)")
        if target == shape { return self }
        let (strides, _) = Kernels.broadcastStrides(shape, target, target)
        let out = gatheredView(shape: target, strides: strides)
        let original = shape
        return Tape.record(inputs: [self], output: out) { g in [g[0].unbroadcast(to: original)] }
    }

    /// `length` entries along `axis` starting at `start` (PyTorch's `narrow`).
    public func slice(axis: Int, start: Int, length: Int) -> Tensor {
        let a = shapeCheck { () throws(ShapeError) in try Shape.axis(axis, rank: rank, op: "slice") }
        precondition(
            start >= 0 && length >= 0 && start + length <= shape[a],
            "slice: range \(start)..<\(start + length) is outside axis \(a) of size \(shape[a]) (shape \(shape))")
        if start == 0 && length == shape[a] { return self }
        var outShape = shape
        outShape[a] = length
        let strides = Shape.strides(shape)
        let out = gatheredView(shape: outShape, strides: strides, offset: start * strides[a])
        let size = shape[a]
        return Tape.record(inputs: [self], output: out) { g in
            var padding = Array(repeating: (0, 0), count: g[0].rank)
            padding[a] = (start, size - start - length)
            return [g[0].padded(padding)]
        }
    }

    /// Element `index` along `axis`, with that axis removed.
    public func select(axis: Int, index: Int) -> Tensor {
        slice(axis: axis, start: index, length: 1).squeezed(axis)
    }

    /// Pads every axis with `value`: `padding[d] = (before, after)`.
    public func padded(_ padding: [(Int, Int)], value: Double = 0) -> Tensor {
        precondition(padding.count == rank, "padded: \(padding.count) padding pairs for a tensor of rank \(rank)")
        precondition(padding.allSatisfy { $0.0 >= 0 && $0.1 >= 0 }, "padded: negative padding \(padding)")
        let outShape = zip(shape, padding).map { $0 + $1.0 + $1.1 }
        var out = Tensor.full(outShape, value: value, dtype: dtype)
        let outStrides = Shape.strides(outShape)
        let offset = zip(padding, outStrides).reduce(0) { $0 + $1.0.0 * $1.1 }
        out.copyStrided(
            from: self, srcStrides: Shape.strides(shape), dstOffset: offset, dstStrides: outStrides,
            shape: shape)
        let inputShape = shape
        return Tape.record(inputs: [self], output: out) { g in
            var grad = g[0]
            for (axis, pad) in padding.enumerated() where pad.0 > 0 || pad.1 > 0 {
                grad = grad.slice(axis: axis, start: pad.0, length: inputShape[axis])
            }
            return [grad]
        }
    }

    /// Joins tensors along an existing axis.
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat: no tensors")
        let first = tensors[0]
        let a = shapeCheck { () throws(ShapeError) in try Shape.axis(axis, rank: first.rank, op: "concat") }
        for (i, t) in tensors.enumerated() {
            var expected = first.shape
            var actual = t.shape
            guard actual.count == expected.count else {
                preconditionFailure(
                    "concat: tensor \(i) has shape \(t.shape), expected rank \(first.rank) like \(first.shape)")
            }
            expected[a] = 0
            actual[a] = 0
            precondition(
                actual == expected && t.dtype == first.dtype,
                "concat: tensor \(i) is \(t.dtype) \(t.shape), expected \(first.dtype) \(first.shape) except along axis \(a)"
            )
        }
        var outShape = first.shape
        outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
        var out = Tensor(uninitializedShape: outShape, dtype: first.dtype)
        let outStrides = Shape.strides(outShape)
        var offset = 0
        var sizes: [Int] = []
        for t in tensors {
            out.copyStrided(
                from: t, srcStrides: Shape.strides(t.shape), dstOffset: offset * outStrides[a],
                dstStrides: outStrides, shape: t.shape)
            offset += t.shape[a]
            sizes.append(t.shape[a])
        }
        return Tape.record(inputs: tensors, output: out) { g in
            var start = 0
            return sizes.map { size in
                defer { start += size }
                return g[0].slice(axis: a, start: start, length: size)
            }
        }
    }

    /// Joins equally shaped tensors along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack: no tensors")
        return concat(tensors.map { $0.unsqueezed(axis) }, axis: axis)
    }

    /// The entries `indices` along `axis` (PyTorch's `index_select`); indices may repeat.
    public func indexSelect(axis: Int, indices: [Int]) -> Tensor {
        let a = shapeCheck { () throws(ShapeError) in try Shape.axis(axis, rank: rank, op: "indexSelect") }
        let size = shape[a]
        for i in indices {
            precondition(i >= 0 && i < size, "indexSelect: index \(i) is out of range for axis \(a) of size \(size)")
        }
        let outer = Shape.count(Array(shape[..<a]))
        let inner = Shape.count(Array(shape[(a + 1)...]))
        var outShape = shape
        outShape[a] = indices.count
        var out = Tensor(uninitializedShape: outShape, dtype: dtype)
        for (j, i) in indices.enumerated() {
            out.copyStrided(
                from: self, srcOffset: i * inner, srcStrides: [size * inner, 1],
                dstOffset: j * inner, dstStrides: [indices.count * inner, 1], shape: [outer, inner])
        }
        let inputShape = shape
        return Tape.record(inputs: [self], output: out) { g in
            [Tensor.indexAdd(g[0], axis: a, indices: indices, into: inputShape)]
        }
    }

    /// Zeros of `shape` with the entries of `source` added along `axis` at `indices`.
    static func indexAdd(_ source: Tensor, axis a: Int, indices: [Int], into shape: [Int]) -> Tensor {
        var result = Tensor.zeros(shape, dtype: source.dtype)
        let outer = Shape.count(Array(shape[..<a]))
        let inner = Shape.count(Array(shape[(a + 1)...]))
        let size = shape[a]
        let k = indices.count
        func add<S: TensorScalar>(_: S.Type) {
            source.withUnsafeBuffer(as: S.self) { src in
                result.withUnsafeMutableBuffer(as: S.self) { dst in
                    for o in 0..<outer {
                        for (j, i) in indices.enumerated() {
                            let s = src.baseAddress! + (o * k + j) * inner
                            let d = dst.baseAddress! + (o * size + i) * inner
                            for e in 0..<inner { d[e] += s[e] }
                        }
                    }
                }
            }
        }
        switch source.dtype {
        case .float32: add(Float.self)
        case .float64: add(Double.self)
        }
        return result
    }

    /// Picks along `axis` per position (PyTorch's `gather`): `indices` has the output's shape,
    /// which equals this tensor's shape except along `axis`, and
    /// out[…, j, …] = self[…, indices[…, j, …], …].
    public func gather(axis: Int, indices: [Int], indexShape: [Int]) -> Tensor {
        let a = shapeCheck { () throws(ShapeError) in try Shape.axis(axis, rank: rank, op: "gather") }
        var expected = shape
        var given = indexShape
        guard given.count == expected.count else {
            preconditionFailure("gather: index shape \(indexShape) must have rank \(rank) like \(shape)")
        }
        expected[a] = 0
        given[a] = 0
        precondition(expected == given, "gather: index shape \(indexShape) must match \(shape) except along axis \(a)")
        precondition(
            indices.count == Shape.count(indexShape),
            "gather: \(indices.count) indices for index shape \(indexShape)")
        let size = shape[a]
        let k = indexShape[a]
        let outer = Shape.count(Array(shape[..<a]))
        let inner = Shape.count(Array(shape[(a + 1)...]))
        for i in indices {
            precondition(i >= 0 && i < size, "gather: index \(i) is out of range for axis \(a) of size \(size)")
        }
        var out = Tensor(uninitializedShape: indexShape, dtype: dtype)
        func pick<S: TensorScalar>(_: S.Type) {
            let src = storage.pointer(as: S.self)
            out.withUnsafeMutableBuffer(as: S.self) { dst in
                for o in 0..<outer {
                    for j in 0..<k {
                        for e in 0..<inner {
                            let flat = (o * k + j) * inner + e
                            dst[flat] = src[(o * size + indices[flat]) * inner + e]
                        }
                    }
                }
            }
        }
        switch dtype {
        case .float32: pick(Float.self)
        case .float64: pick(Double.self)
        }
        let inputShape = shape
        return Tape.record(inputs: [self], output: out) { g in
            var grad = Tensor.zeros(inputShape, dtype: g[0].dtype)
            func scatter<S: TensorScalar>(_: S.Type) {
                g[0].withUnsafeBuffer(as: S.self) { src in
                    grad.withUnsafeMutableBuffer(as: S.self) { dst in
                        for o in 0..<outer {
                            for j in 0..<k {
                                for e in 0..<inner {
                                    let flat = (o * k + j) * inner + e
                                    dst[(o * size + indices[flat]) * inner + e] += src[flat]
                                }
                            }
                        }
                    }
                }
            }
            switch grad.dtype {
            case .float32: scatter(Float.self)
            case .float64: scatter(Double.self)
            }
            return [grad]
        }
    }

    /// Rows of the identity: shape [labels.count, classes].
    public static func oneHot(_ labels: [Int], classes: Int, dtype: DType = .float32) -> Tensor {
        var values = [Double](repeating: 0, count: labels.count * classes)
        for (i, label) in labels.enumerated() {
            precondition(
                label >= 0 && label < classes, "oneHot: label \(label) at position \(i) is outside 0..<\(classes)")
            values[i * classes + label] = 1
        }
        return Tensor(shape: [labels.count, classes], values: values, dtype: dtype)
    }
}
