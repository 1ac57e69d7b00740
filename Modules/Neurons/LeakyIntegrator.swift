import TensorRuntime

extension Tensor {
    /// m[t] = β m[t−1] + x[t] with m[−1] = 0, over the first axis of x [T, …]: the membrane of a
    /// non-spiking leaky readout. `decay` is β, shape [1], and may be trained.
    ///
    /// One fused op: the forward recursion and, for the gradient, the reverse recursion
    /// a[t] = ∂L/∂m[t] + β a[t+1], with ∂L/∂x[t] = a[t] and ∂L/∂β = Σ_t a[t] m[t−1].
    public static func leakyIntegrate(_ x: Tensor, decay: Tensor) -> Tensor {
        precondition(x.rank >= 1, "leakyIntegrate: input must be [T, …], got \(x.shape)")
        precondition(decay.shape == [1] && decay.dtype == x.dtype,
                     "leakyIntegrate: decay must be \(x.dtype) [1], got \(decay.dtype) \(decay.shape)")
        return differentiableOperation([x, decay]) { values in
            switch x.dtype {
            case .float32: return integrate(values[0], values[1], Float.self)
            case .float64: return integrate(values[0], values[1], Double.self)
            }
        }[0]
    }

    private static func integrate<S: TensorScalar>(_ x: Tensor, _ decay: Tensor, _: S.Type)
        -> (outputs: [Tensor], pullback: ([Tensor]) -> [Tensor?])
    {
        let steps = x.shape[0], width = x.count / Swift.max(steps, 1)
        let beta = decay.scalars(as: S.self)[0]
        var m = x
        m.withUnsafeMutableBuffer(as: S.self) { p in
            Parallel.forChunks(width, costPerItem: steps) { block in
                for t in 1..<Swift.max(steps, 1) {
                    for i in block { p[t * width + i] += beta * p[(t - 1) * width + i] }
                }
            }
        }
        let membrane = m
        let pullback = { (grads: [Tensor]) -> [Tensor?] in
            var adjoint = grads[0]
            var dBeta = 0.0
            membrane.withUnsafeBuffer(as: S.self) { mp in
                adjoint.withUnsafeMutableBuffer(as: S.self) { a in
                    for t in stride(from: steps - 2, through: 0, by: -1) {
                        for i in 0..<width { a[t * width + i] += beta * a[(t + 1) * width + i] }
                    }
                    for t in 1..<Swift.max(steps, 1) {
                        var sum: S = 0
                        for i in 0..<width { sum += a[t * width + i] * mp[(t - 1) * width + i] }
                        dBeta += Double(sum)
                    }
                }
            }
            return [adjoint, Tensor(shape: [1], values: [dBeta], dtype: decay.dtype)]
        }
        return ([membrane], pullback)
    }
}
