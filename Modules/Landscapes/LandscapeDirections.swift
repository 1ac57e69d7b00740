import TensorRuntime

/// Random directions in parameter space for loss-landscape plots.
public enum LandscapeDirections {
    /// What rank-0 and rank-1 tensors (biases, scalars) get: they have no units to normalise by.
    public enum VectorPolicy: Sendable, Equatable {
        /// A zero direction, so the plane does not move them (Li et al.'s choice).
        case zero
        /// A Gaussian direction rescaled to the norm of the whole tensor (one unit).
        case wholeTensor
    }

    /// Li et al. 2018 filter normalisation: Gaussian direction with each unit's slice rescaled to
    /// the norm of the same slice of the parameters.
    ///
    /// Raw Gaussian directions are meaningless across networks, because a neuron's function is
    /// (nearly) invariant to the scale of its incoming weights; after the rescaling, a step of α
    /// changes every unit by the same fraction α of its own weights, so planes of different
    /// models (LIF vs QIF) and of different layers are comparable. A unit whose parameters are
    /// all zero gets a zero direction.
    ///
    /// - Parameters:
    ///   - parameters: the centre θ; the directions have the same shapes and dtypes.
    ///   - unitAxis: the axis indexing units (1 for our [in, out] weights: each column = one
    ///     neuron's incoming weights; 0 for [out, in, kh, kw] convolution kernels). Applies to
    ///     tensors of rank ≥ 2.
    ///   - vectors: the direction of rank-0 and rank-1 tensors.
    ///   - seed: the same seed gives the same directions. Each tensor draws from its own split
    ///     stream, so changing one tensor's policy does not change the others' directions.
    public static func filterNormalized(
        like parameters: [Tensor], unitAxis: Int = 1, vectors: VectorPolicy = .zero,
        seed: UInt64
    ) -> [Tensor] {
        var rng = SeededRNG(seed: seed)
        return parameters.map { p in
            var stream = rng.split()
            let theta = p.doubles
            var d = theta.map { _ in stream.nextNormal() }
            if p.rank < 2 {
                switch vectors {
                case .zero: d = d.map { _ in 0 }
                case .wholeTensor: rescale(&d, toNormOf: theta, unitOf: { _ in 0 }, units: 1)
                }
            } else {
                precondition(
                    unitAxis >= 0 && unitAxis < p.rank,
                    "filterNormalized: unitAxis \(unitAxis) out of range for shape \(p.shape)")
                let stride = Shape.strides(p.shape)[unitAxis]
                let units = p.shape[unitAxis]
                rescale(&d, toNormOf: theta, unitOf: { ($0 / stride) % units }, units: units)
            }
            return Tensor(shape: p.shape, values: d, dtype: p.dtype)
        }
    }

    /// Scales each unit's elements of `d` so that their norm equals that of the same elements of
    /// `theta`; `unitOf` maps a flat index to its unit.
    private static func rescale(_ d: inout [Double], toNormOf theta: [Double], unitOf: (Int) -> Int, units: Int) {
        var dNorm = [Double](repeating: 0, count: units)
        var thetaNorm = dNorm
        for k in d.indices {
            let u = unitOf(k)
            dNorm[u] += d[k] * d[k]
            thetaNorm[u] += theta[k] * theta[k]
        }
        let scale = zip(dNorm, thetaNorm).map { dn, tn in dn > 0 ? (tn / dn).squareRoot() : 0 }
        for k in d.indices { d[k] *= scale[unitOf(k)] }
    }
}
