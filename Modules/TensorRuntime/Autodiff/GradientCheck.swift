/// Compares reverse-mode gradients with central finite differences, in Float64.
///
/// Every differentiable op, layer and neuron plugin is checked this way; plugin authors use it
/// from the conformance suite without writing finite differences themselves.
public enum GradientCheck {
    /// The worst disagreement found, with where it was.
    public struct Report: CustomStringConvertible, Sendable {
        /// max over elements of |analytic − numeric| / max(1, |analytic|, |numeric|).
        public var maxError: Double
        public var input: Int
        public var element: Int
        public var analytic: Double
        public var numeric: Double

        public var description: String {
            "max error \(maxError) at input \(input), element \(element): analytic \(analytic), numeric \(numeric)"
        }
    }

    /// Checks the gradient of the scalar `f(inputs)` with respect to every input.
    ///
    /// - Parameters:
    ///   - inputs: Float64 tensors; they are made leaves here.
    ///   - epsilon: the finite-difference step.
    ///   - f: must be deterministic and return a one-element tensor.
    public static func check(_ inputs: [Tensor], epsilon: Double = 1e-6, _ f: ([Tensor]) -> Tensor) -> Report {
        precondition(inputs.allSatisfy { $0.dtype == .float64 }, "GradientCheck: inputs must be float64")
        let leaves = inputs.map { $0.detached().requiringGrad() }
        let value = f(leaves)
        precondition(value.count == 1, "GradientCheck: f must return a scalar, got shape \(value.shape)")
        value.backward()
        var report = Report(maxError: 0, input: -1, element: -1, analytic: 0, numeric: 0)
        for (i, leaf) in leaves.enumerated() {
            let analytic = leaf.grad?.doubles ?? Array(repeating: 0, count: leaf.count)
            var values = leaf.doubles
            for e in 0..<values.count {
                let original = values[e]
                values[e] = original + epsilon
                let plus = evaluate(f, inputs: leaves, replacing: i, with: values)
                values[e] = original - epsilon
                let minus = evaluate(f, inputs: leaves, replacing: i, with: values)
                values[e] = original
                let numeric = (plus - minus) / (2 * epsilon)
                let error = Swift.abs(analytic[e] - numeric) / Swift.max(1, Swift.abs(analytic[e]), Swift.abs(numeric))
                if error > report.maxError || report.input < 0 {
                    report = Report(maxError: error, input: i, element: e, analytic: analytic[e], numeric: numeric)
                }
            }
        }
        return report
    }

    /// Σ w_i t_i with fixed, uneven weights: a scalar test loss that, unlike a plain sum, gives
    /// every element a different upstream gradient, so a pullback that mixes elements up fails.
    public static func weightedSum(_ t: Tensor) -> Tensor {
        let values = (0..<t.count).map { (i: Int) -> Double in 0.3 + 0.7 * Double((i * 7919) % 13) / 13 }
        return (t * Tensor(shape: t.shape, values: values, dtype: t.dtype)).sum()
    }

    private static func evaluate(
        _ f: ([Tensor]) -> Tensor, inputs: [Tensor], replacing index: Int,
        with values: [Double]
    ) -> Double {
        Tape.withoutGradient {
            var args = inputs.map { $0.detached() }
            args[index] = Tensor(shape: inputs[index].shape, scalars: values)
            return f(args).item
        }
    }
}
