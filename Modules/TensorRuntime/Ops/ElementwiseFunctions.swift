/// The scalar functions behind the elementwise ops and their derivatives.
///
/// Forward functions compute y = f(x); the `…Gradient` functions compute g · f'(·) in one pass
/// from the upstream gradient g and the saved input or output.
enum Elementwise {
    struct Negate: UnaryFunction { func callAsFunction<S: TensorScalar>(_ x: S) -> S { -x } }
    struct Exp: UnaryFunction { func callAsFunction<S: TensorScalar>(_ x: S) -> S { S.kernelExp(x) } }
    struct Log: UnaryFunction { func callAsFunction<S: TensorScalar>(_ x: S) -> S { S.log(x) } }
    struct Tanh: UnaryFunction { func callAsFunction<S: TensorScalar>(_ x: S) -> S { S.kernelTanh(x) } }
    struct Sqrt: UnaryFunction { func callAsFunction<S: TensorScalar>(_ x: S) -> S { x.squareRoot() } }
    struct Abs: UnaryFunction { func callAsFunction<S: TensorScalar>(_ x: S) -> S { Swift.abs(x) } }
    struct Square: UnaryFunction { func callAsFunction<S: TensorScalar>(_ x: S) -> S { x * x } }
    struct ReLU: UnaryFunction { func callAsFunction<S: TensorScalar>(_ x: S) -> S { x > 0 ? x : 0 } }
    struct Sign: UnaryFunction {
        func callAsFunction<S: TensorScalar>(_ x: S) -> S { x > 0 ? 1 : (x < 0 ? -1 : 0) }
    }
    /// 1 / (1 + e^{-x}), without overflow for large |x|.
    struct Sigmoid: UnaryFunction {
        func callAsFunction<S: TensorScalar>(_ x: S) -> S { S.kernelSigmoid(x) }
    }
    /// log(1 + e^x), evaluated without overflow for large |x|.
    struct Softplus: UnaryFunction {
        func callAsFunction<S: TensorScalar>(_ x: S) -> S {
            x > 0 ? x + S.log(onePlus: S.exp(-x)) : S.log(onePlus: S.exp(x))
        }
    }
    /// x · scale + shift: the scalar arithmetic operators.
    struct Affine: UnaryFunction {
        let scale: Double, shift: Double
        func callAsFunction<S: TensorScalar>(_ x: S) -> S { x * S(scale) + S(shift) }
    }
    /// c / x.
    struct ScalarDivide: UnaryFunction {
        let numerator: Double
        func callAsFunction<S: TensorScalar>(_ x: S) -> S { S(numerator) / x }
    }
    /// x^p; integral exponents also work for negative x.
    struct Power: UnaryFunction {
        let exponent: Double
        func callAsFunction<S: TensorScalar>(_ x: S) -> S {
            if let n = Int(exactly: exponent) { return S.pow(x, n) }
            return S.pow(x, S(exponent))
        }
    }
    struct Clamp: UnaryFunction {
        let low: Double, high: Double
        func callAsFunction<S: TensorScalar>(_ x: S) -> S { Swift.min(Swift.max(x, S(low)), S(high)) }
    }
    /// 1 where x > c (or ≥ c), else 0.
    struct Step: UnaryFunction {
        let threshold: Double, inclusive: Bool
        func callAsFunction<S: TensorScalar>(_ x: S) -> S {
            (inclusive ? x >= S(threshold) : x > S(threshold)) ? 1 : 0
        }
    }

    struct Add: BinaryFunction { func callAsFunction<S: TensorScalar>(_ a: S, _ b: S) -> S { a + b } }
    struct Subtract: BinaryFunction { func callAsFunction<S: TensorScalar>(_ a: S, _ b: S) -> S { a - b } }
    struct Multiply: BinaryFunction { func callAsFunction<S: TensorScalar>(_ a: S, _ b: S) -> S { a * b } }
    struct Divide: BinaryFunction { func callAsFunction<S: TensorScalar>(_ a: S, _ b: S) -> S { a / b } }
    struct Maximum: BinaryFunction { func callAsFunction<S: TensorScalar>(_ a: S, _ b: S) -> S { Swift.max(a, b) } }
    struct Minimum: BinaryFunction { func callAsFunction<S: TensorScalar>(_ a: S, _ b: S) -> S { Swift.min(a, b) } }
    struct Pow: BinaryFunction { func callAsFunction<S: TensorScalar>(_ a: S, _ b: S) -> S { S.pow(a, b) } }

    enum Comparison: BinaryFunction {
        case less, lessEqual, greater, greaterEqual, equal, notEqual
        func callAsFunction<S: TensorScalar>(_ a: S, _ b: S) -> S {
            let result: Bool =
                switch self {
                case .less: a < b
                case .lessEqual: a <= b
                case .greater: a > b
                case .greaterEqual: a >= b
                case .equal: a == b
                case .notEqual: a != b
                }
            return result ? 1 : 0
        }
    }

    // MARK: Gradients: (upstream g, saved value) → g · f'

    /// g · (1 − y²) from y = tanh(x).
    struct TanhGradient: BinaryFunction {
        func callAsFunction<S: TensorScalar>(_ g: S, _ y: S) -> S { g * (1 - y * y) }
    }
    /// g · y (1 − y) from y = σ(x).
    struct SigmoidGradient: BinaryFunction {
        func callAsFunction<S: TensorScalar>(_ g: S, _ y: S) -> S { g * y * (1 - y) }
    }
    /// g · σ(x) from x (softplus' = σ).
    struct SoftplusGradient: BinaryFunction {
        func callAsFunction<S: TensorScalar>(_ g: S, _ x: S) -> S { g * Sigmoid()(x) }
    }
    /// g · 1[x > 0].
    struct ReLUGradient: BinaryFunction {
        func callAsFunction<S: TensorScalar>(_ g: S, _ x: S) -> S { x > 0 ? g : 0 }
    }
    /// g · sign(x).
    struct AbsGradient: BinaryFunction {
        func callAsFunction<S: TensorScalar>(_ g: S, _ x: S) -> S { x > 0 ? g : (x < 0 ? -g : 0) }
    }
    /// g · p x^{p−1}.
    struct PowerGradient: BinaryFunction {
        let exponent: Double
        func callAsFunction<S: TensorScalar>(_ g: S, _ x: S) -> S { g * S(exponent) * Power(exponent: exponent - 1)(x) }
    }
    /// g · 1[low ≤ x ≤ high].
    struct ClampGradient: BinaryFunction {
        let low: Double, high: Double
        func callAsFunction<S: TensorScalar>(_ g: S, _ x: S) -> S { x >= S(low) && x <= S(high) ? g : 0 }
    }
}
