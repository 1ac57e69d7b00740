// Differentiable elementwise math: unary functions, arithmetic with broadcasting, comparisons.

extension Tensor {
    // MARK: Primitives (not recorded on the tape)

    /// Applies `f` to every element. Not differentiable by itself: ops wrap it with a pullback.
    public func mapped<F: UnaryFunction>(_ f: F) -> Tensor {
        var out = Tensor(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32:
            Kernels.map(storage.pointer(as: Float.self), out.storage.pointer(as: Float.self), count: count, f)
        case .float64:
            Kernels.map(storage.pointer(as: Double.self), out.storage.pointer(as: Double.self), count: count, f)
        }
        out.gradEdge = nil
        return out
    }

    /// Applies `f` to pairs of elements after broadcasting. Not differentiable by itself.
    public func zipped<F: BinaryFunction>(_ other: Tensor, _ f: F, op: String = "elementwise") -> Tensor {
        precondition(dtype == other.dtype, "\(op): dtypes differ (\(dtype) vs \(other.dtype))")
        let outShape = shapeCheck { () throws(ShapeError) in try Shape.broadcast(shape, other.shape, op: op) }
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        switch dtype {
        case .float32:
            Kernels.zip(
                storage.pointer(as: Float.self), shape, other.storage.pointer(as: Float.self), other.shape,
                out.storage.pointer(as: Float.self), outShape, f)
        case .float64:
            Kernels.zip(
                storage.pointer(as: Double.self), shape, other.storage.pointer(as: Double.self), other.shape,
                out.storage.pointer(as: Double.self), outShape, f)
        }
        return out
    }

    /// Sums a broadcast gradient back down to `target` (the shape before broadcasting).
    func unbroadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        let pad = rank - target.count
        var axes = Array(0..<pad)
        for (i, d) in target.enumerated() where d == 1 && shape[i + pad] != 1 { axes.append(i + pad) }
        return sum(axes: axes, keepDims: true).reshaped(target)
    }

    // MARK: Unary math

    private func unary<F: UnaryFunction>(_ f: F, pullback: @escaping (_ g: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor?)
        -> Tensor
    {
        let x = self
        let y = mapped(f)
        return Tape.record(inputs: [x], output: y) { g in [pullback(g[0], x, y)] }
    }

    public func exp() -> Tensor { unary(Elementwise.Exp()) { g, _, y in g * y } }
    public func log() -> Tensor { unary(Elementwise.Log()) { g, x, _ in g / x } }
    public func tanh() -> Tensor { unary(Elementwise.Tanh()) { g, _, y in g.zipped(y, Elementwise.TanhGradient()) } }
    public func sigmoid() -> Tensor {
        unary(Elementwise.Sigmoid()) { g, _, y in g.zipped(y, Elementwise.SigmoidGradient()) }
    }
    public func relu() -> Tensor { unary(Elementwise.ReLU()) { g, x, _ in g.zipped(x, Elementwise.ReLUGradient()) } }
    /// log(1 + e^x).
    public func softplus() -> Tensor {
        unary(Elementwise.Softplus()) { g, x, _ in g.zipped(x, Elementwise.SoftplusGradient()) }
    }
    public func abs() -> Tensor { unary(Elementwise.Abs()) { g, x, _ in g.zipped(x, Elementwise.AbsGradient()) } }
    public func sqrt() -> Tensor { unary(Elementwise.Sqrt()) { g, _, y in g / (y * 2) } }
    public func squared() -> Tensor { unary(Elementwise.Square()) { g, x, _ in g * x * 2 } }
    /// −1, 0 or 1; its gradient is zero.
    public func sign() -> Tensor { unary(Elementwise.Sign()) { _, _, _ in nil } }
    /// x^p for a constant exponent.
    public func pow(_ exponent: Double) -> Tensor {
        unary(Elementwise.Power(exponent: exponent)) { g, x, _ in
            g.zipped(x, Elementwise.PowerGradient(exponent: exponent))
        }
    }
    /// Limits every element to [low, high]; the gradient passes where the input was inside.
    public func clamped(_ low: Double, _ high: Double) -> Tensor {
        precondition(low <= high, "clamped: low \(low) exceeds high \(high)")
        return unary(Elementwise.Clamp(low: low, high: high)) { g, x, _ in
            g.zipped(x, Elementwise.ClampGradient(low: low, high: high))
        }
    }

    /// x · scale + shift in one pass.
    public func affine(scale: Double, shift: Double) -> Tensor {
        unary(Elementwise.Affine(scale: scale, shift: shift)) { g, _, _ in
            scale == 1 ? g : g.mapped(Elementwise.Affine(scale: scale, shift: 0))
        }
    }

    public static prefix func - (x: Tensor) -> Tensor {
        x.unary(Elementwise.Negate()) { g, _, _ in g.mapped(Elementwise.Negate()) }
    }

    // MARK: Binary arithmetic with broadcasting

    private static func binary<F: BinaryFunction>(
        _ a: Tensor, _ b: Tensor, _ f: F, op: String,
        pullback: @escaping (_ g: Tensor, _ a: Tensor, _ b: Tensor, _ y: Tensor) -> (Tensor?, Tensor?)
    ) -> Tensor {
        let y = a.zipped(b, f, op: op)
        return Tape.record(inputs: [a, b], output: y) { g in
            let (ga, gb) = pullback(g[0], a, b, y)
            return [ga?.unbroadcast(to: a.shape), gb?.unbroadcast(to: b.shape)]
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        binary(a, b, Elementwise.Add(), op: "+") { g, _, _, _ in (g, g) }
    }
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        binary(a, b, Elementwise.Subtract(), op: "-") { g, _, _, _ in (g, -g) }
    }
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        binary(a, b, Elementwise.Multiply(), op: "*") { g, a, b, _ in (g * b, g * a) }
    }
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        binary(a, b, Elementwise.Divide(), op: "/") { g, a, b, y in (g / b, -(g * y / b)) }
    }
    /// a^b elementwise (a > 0 where b is not integral).
    public func pow(_ exponent: Tensor) -> Tensor {
        Self.binary(self, exponent, Elementwise.Pow(), op: "pow") { g, a, b, y in
            (g * b * a.pow(b - 1), g * y * a.log())
        }
    }
    /// Elementwise maximum; the gradient goes to `a` where a ≥ b.
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        binary(a, b, Elementwise.Maximum(), op: "maximum") { g, a, b, _ in
            let mask = a.zipped(b, Elementwise.Comparison.greaterEqual)
            return (g * mask, g * (1 - mask))
        }
    }
    /// Elementwise minimum; the gradient goes to `a` where a ≤ b.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
        binary(a, b, Elementwise.Minimum(), op: "minimum") { g, a, b, _ in
            let mask = a.zipped(b, Elementwise.Comparison.lessEqual)
            return (g * mask, g * (1 - mask))
        }
    }

    // MARK: Arithmetic with scalars

    public static func + (a: Tensor, b: Double) -> Tensor { a.affine(scale: 1, shift: b) }
    public static func + (a: Double, b: Tensor) -> Tensor { b.affine(scale: 1, shift: a) }
    public static func - (a: Tensor, b: Double) -> Tensor { a.affine(scale: 1, shift: -b) }
    public static func - (a: Double, b: Tensor) -> Tensor { b.affine(scale: -1, shift: a) }
    public static func * (a: Tensor, b: Double) -> Tensor { a.affine(scale: b, shift: 0) }
    public static func * (a: Double, b: Tensor) -> Tensor { b.affine(scale: a, shift: 0) }
    public static func / (a: Tensor, b: Double) -> Tensor { a.affine(scale: 1 / b, shift: 0) }
    public static func / (a: Double, b: Tensor) -> Tensor {
        b.unary(Elementwise.ScalarDivide(numerator: a)) { g, x, y in -(g * y / x) }
    }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    public static func *= (a: inout Tensor, b: Double) { a = a * b }

    // MARK: Comparisons and selection (not differentiable; results are 0/1 of the same dtype)

    public func less(_ other: Tensor) -> Tensor { zipped(other, Elementwise.Comparison.less, op: "less") }
    public func lessEqual(_ other: Tensor) -> Tensor {
        zipped(other, Elementwise.Comparison.lessEqual, op: "lessEqual")
    }
    public func greater(_ other: Tensor) -> Tensor { zipped(other, Elementwise.Comparison.greater, op: "greater") }
    public func greaterEqual(_ other: Tensor) -> Tensor {
        zipped(other, Elementwise.Comparison.greaterEqual, op: "greaterEqual")
    }
    public func equal(_ other: Tensor) -> Tensor { zipped(other, Elementwise.Comparison.equal, op: "equal") }
    /// 1 where x > c, else 0.
    public func greater(_ c: Double) -> Tensor { mapped(Elementwise.Step(threshold: c, inclusive: false)) }
    /// 1 where x ≥ c, else 0.
    public func greaterEqual(_ c: Double) -> Tensor { mapped(Elementwise.Step(threshold: c, inclusive: true)) }

    /// `a` where `condition` is non-zero, else `b`; all three broadcast together.
    /// Differentiable in `a` and `b`.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = shapeCheck { () throws(ShapeError) in
            try Shape.broadcast(try Shape.broadcast(condition.shape, a.shape, op: "where"), b.shape, op: "where")
        }
        let mask = condition.detached().expanded(to: shape).zipped(
            Tensor.zeros([], dtype: condition.dtype), Elementwise.Comparison.notEqual)
        let left = a.detached().expanded(to: shape)
        let right = b.detached().expanded(to: shape)
        var out = left
        func choose<S: TensorScalar>(_: S.Type) {
            mask.withUnsafeBuffer(as: S.self) { m in
                right.withUnsafeBuffer(as: S.self) { r in
                    out.withUnsafeMutableBuffer(as: S.self) { o in
                        for i in 0..<o.count where m[i] == 0 { o[i] = r[i] }
                    }
                }
            }
        }
        switch out.dtype {
        case .float32: choose(Float.self)
        case .float64: choose(Double.self)
        }
        return Tape.record(inputs: [a, b], output: out) { g in
            [(g[0] * mask).unbroadcast(to: a.shape), (g[0] * (1 - mask)).unbroadcast(to: b.shape)]
        }
    }
}
