import TensorRuntime

extension Tensor {
    /// m[t] = β m[t−1] + x[t] with m[−1] = 0, over the first axis of x [T, …]: the membrane of a
    /// non-spiking leaky readout. `decay` is β, shape [1], and may be trained.
    ///
    /// One fused op: the forward recursion and, for the gradient, the reverse recursion
    /// a[t] = ∂L/∂m[t] + β a[t+1], with ∂L/∂x[t] = a[t] and ∂L/∂β = Σ_t a[t] m[t−1].
    public static func leakyIntegrate(_ x: Tensor, decay: Tensor) -> Tensor {
        precondition(x.rank >= 1, "leakyIntegrate: input must be [T, …], got \(x.shape)")
        precondition(
            decay.shape == [1] && decay.dtype == x.dtype,
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
        let steps = x.shape[0]
        let width = x.count / Swift.max(steps, 1)
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

extension Tensor {
    /// max_t m[t] for the leaky membrane m[t] = β m[t−1] + x[t] of `leakyIntegrate`, over the
    /// first axis of x [T, …] → […]: the usual readout logits of a spiking classifier.
    ///
    /// One fused op instead of three: the membrane is never a tensor of its own (the forward keeps
    /// one row of it), and the backward runs a[t] = β a[t+1] + [t = t*] ∂L/∂max with
    /// ∂L/∂x[t] = a[t] (t* the first step at the maximum, as `max` picks) in one pass, adding
    /// ∂L/∂β = Σ_t a[t] m[t−1] from the membrane recomputed only when β learns.
    public static func leakyIntegrateMax(_ x: Tensor, decay: Tensor) -> Tensor {
        precondition(
            x.rank >= 1 && x.shape[0] > 0, "leakyIntegrateMax: input must be [T, …] with T > 0, got \(x.shape)")
        precondition(
            decay.shape == [1] && decay.dtype == x.dtype,
            "leakyIntegrateMax: decay must be \(x.dtype) [1], got \(decay.dtype) \(decay.shape)")
        let learnsDecay = decay.requiresGrad
        return differentiableOperation([x, decay]) { values in
            switch x.dtype {
            case .float32: return LeakyMaximum<Float>(x: values[0], decay: values[1]).run(learnsDecay: learnsDecay)
            case .float64: return LeakyMaximum<Double>(x: values[0], decay: values[1]).run(learnsDecay: learnsDecay)
            }
        }[0]
    }
}

/// The forward and reverse recursions of `leakyIntegrateMax` at one precision.
private struct LeakyMaximum<S: TensorScalar> {
    let x: Tensor, decay: Tensor
    var steps: Int { x.shape[0] }
    var width: Int { x.count / steps }

    func run(learnsDecay: Bool) -> (outputs: [Tensor], pullback: ([Tensor]) -> [Tensor?]) {
        let (steps, width) = (self.steps, self.width)
        let beta = decay.scalars(as: S.self)[0]
        var maximum = Tensor.unsafeUninitialized(Array(x.shape.dropFirst()), dtype: x.dtype)
        var peak = [Int32](repeating: 0, count: width)
        var membrane = [S](repeating: 0, count: width)
        x.withUnsafeBuffer(as: S.self) { xp in
            maximum.withUnsafeMutableBuffer(as: S.self) { out in
                peak.withUnsafeMutableBufferPointer { peak in
                    membrane.withUnsafeMutableBufferPointer { m in
                        let (xp, out, peak, m) = (xp.baseAddress!, out.baseAddress!, peak.baseAddress!, m.baseAddress!)
                        // Step by step over rows of elements, so the loads are contiguous.
                        Parallel.forChunks(width, costPerItem: steps) { block in
                            for i in block { (m[i], out[i]) = (xp[i], xp[i]) }
                            for t in 1..<steps {
                                let row = xp + t * width
                                for i in block {
                                    m[i] = beta * m[i] + row[i]
                                    // As `max`: the first maximum, and NaN counts as the largest.
                                    if m[i] > out[i] || (!out[i].isNaN && m[i].isNaN) {
                                        (out[i], peak[i]) = (m[i], Int32(t))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let pullback = { (grads: [Tensor]) -> [Tensor?] in
            var dx = Tensor.unsafeUninitialized(x.shape, dtype: x.dtype)
            var dBeta = 0.0
            grads[0].withUnsafeBuffer(as: S.self) { g in
                x.withUnsafeBuffer(as: S.self) { xp in
                    dx.withUnsafeMutableBuffer(as: S.self) { dxp in
                        peak.withUnsafeBufferPointer { peak in
                            let (g, xp, dxp) = (g.baseAddress!, xp.baseAddress!, dxp.baseAddress!)
                            let last = dxp + (steps - 1) * width
                            for i in 0..<width { last[i] = Int(peak[i]) == steps - 1 ? g[i] : 0 }
                            for t in stride(from: steps - 2, through: 0, by: -1) {
                                let row = dxp + t * width
                                let next = row + width
                                for i in 0..<width { row[i] = beta * next[i] + (Int(peak[i]) == t ? g[i] : 0) }
                            }
                            guard learnsDecay else { return }
                            // Σ_t a[t] m[t−1], with the membrane recomputed forwards.
                            for i in 0..<width {
                                var m: S = 0
                                var sum: S = 0
                                for t in 1..<steps {
                                    m = beta * m + xp[(t - 1) * width + i]
                                    sum += dxp[t * width + i] * m
                                }
                                dBeta += Double(sum)
                            }
                        }
                    }
                }
            }
            return [dx, learnsDecay ? Tensor(shape: [1], values: [dBeta], dtype: decay.dtype) : nil]
        }
        return ([maximum], pullback)
    }
}
