// Tensor creation: constants, ranges and seeded random tensors.

extension Tensor {
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(zeroedCount: Shape.count(shape), dtype: dtype))
    }

    /// A tensor of uninitialised memory, for kernels that write every element: zero-filling a
    /// buffer that is about to be overwritten costs a pass over its memory. Reading an element
    /// before writing it gives an unspecified value.
    public static func unsafeUninitialized(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        precondition(shape.allSatisfy { $0 >= 0 }, "unsafeUninitialized: negative size in \(shape)")
        return Tensor(uninitializedShape: shape, dtype: dtype)
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        full(shape, value: 1, dtype: dtype)
    }

    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) -> Tensor {
        precondition(shape.allSatisfy { $0 >= 0 }, "full: negative size in \(shape)")
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32: t.storage.pointer(as: Float.self).update(repeating: Float(value), count: t.count)
        case .float64: t.storage.pointer(as: Double.self).update(repeating: value, count: t.count)
        }
        return t
    }

    /// A tensor of the same shape and dtype as `self`, filled with `value`.
    public func filled(with value: Double) -> Tensor { .full(shape, value: value, dtype: dtype) }

    /// start, start + step, … up to but excluding `end`.
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float32) -> Tensor {
        precondition(step != 0, "arange: step must not be zero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor(shape: [n], values: (0..<n).map { start + Double($0) * step }, dtype: dtype)
    }

    /// `count` evenly spaced values from `start` to `end` inclusive.
    public static func linspace(_ start: Double, _ end: Double, count: Int, dtype: DType = .float32) -> Tensor {
        precondition(count >= 0, "linspace: negative count \(count)")
        let step = count > 1 ? (end - start) / Double(count - 1) : 0
        return Tensor(shape: [count], values: (0..<count).map { start + Double($0) * step }, dtype: dtype)
    }

    private static func random(
        _ shape: [Int], dtype: DType, using rng: inout SeededRNG, _ draw: (inout SeededRNG) -> Double
    ) -> Tensor {
        var t = Tensor(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32:
            t.withUnsafeMutableBuffer(as: Float.self) { p in for i in p.indices { p[i] = Float(draw(&rng)) } }
        case .float64: t.withUnsafeMutableBuffer(as: Double.self) { p in for i in p.indices { p[i] = draw(&rng) } }
        }
        return t
    }

    /// Uniform in [low, high).
    public static func uniform(
        _ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32, using rng: inout SeededRNG
    ) -> Tensor {
        random(shape, dtype: dtype, using: &rng) { low + (high - low) * $0.nextUnit() }
    }

    /// Normal with the given mean and standard deviation.
    public static func normal(
        _ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32, using rng: inout SeededRNG
    ) -> Tensor {
        random(shape, dtype: dtype, using: &rng) { mean + std * $0.nextNormal() }
    }

    /// 1 with probability `p`, else 0.
    public static func bernoulli(
        _ shape: [Int], p: Double, dtype: DType = .float32, using rng: inout SeededRNG
    ) -> Tensor {
        precondition(p >= 0 && p <= 1, "bernoulli: probability \(p) is outside [0, 1]")
        return random(shape, dtype: dtype, using: &rng) { $0.nextUnit() < p ? 1 : 0 }
    }

    /// The same values in another precision (differentiable).
    public func converted(to target: DType) -> Tensor {
        if target == dtype { return self }
        let out = Tensor(shape: shape, values: doubles, dtype: target)
        let source = dtype
        return Tape.record(inputs: [self], output: out) { g in [g[0].converted(to: source)] }
    }
}
