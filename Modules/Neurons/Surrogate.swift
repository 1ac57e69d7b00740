import TensorRuntime

/// The shape of a surrogate gradient: a smooth step G(v) rising from 0 to 1, with density
/// G'(v) integrating to 1.
///
/// A threshold crossing at distance z = h − θ with sharpness α is the step Θ(z) in the forward
/// pass and G(α z) in the backward pass, so that ∂S/∂z = α G'(α z) and, for learnable sharpness,
/// ∂S/∂α = z G'(α z) (the straight-through construction S = Θ(z) + G(αz) − stopgrad(G(αz))).
/// Because α only scales z, one family covers every width: for `rectangular` and `triangle`
/// the window width is w = 1/α.
public enum SurrogateFamily: String, Codable, CaseIterable, Sendable {
    /// G = logistic sigmoid, G' = σ(1 − σ).
    case sigmoid
    /// G = 1/2 + arctan(πv/2)/π, G' = 1 / (2 (1 + (πv/2)²)).
    case atan
    /// G' = max(0, 1 − |v|).
    case triangle
    /// G' = 1 on |v| < 1/2: the boxcar window.
    case rectangular
    /// SuperSpike's fast sigmoid: G = 1/2 + v / (2(1 + |v|)), G' = 1 / (2 (1 + |v|)²).
    case fastSigmoid = "fast-sigmoid"

    /// G(v), the smooth step (used as the forward pass where a test needs a smooth function).
    @inline(__always)
    public func primitive<S: TensorScalar>(_ v: S) -> S {
        switch self {
        case .sigmoid: return S.kernelSigmoid(v)
        case .atan: return 0.5 + S.atan(S.pi / 2 * v) / S.pi
        case .triangle:
            let c = Swift.min(Swift.max(v, -1), 1)
            return c < 0 ? (1 + c) * (1 + c) / 2 : 1 - (1 - c) * (1 - c) / 2
        case .rectangular: return Swift.min(Swift.max(v + 0.5, 0), 1)
        case .fastSigmoid: return 0.5 + v / (2 * (1 + Swift.abs(v)))
        }
    }

    /// G'(v).
    @inline(__always)
    public func density<S: TensorScalar>(_ v: S) -> S {
        switch self {
        case .sigmoid:
            let s = S.kernelSigmoid(v)
            return s * (1 - s)
        case .atan:
            let q = S.pi / 2 * v
            return 1 / (2 * (1 + q * q))
        case .triangle: return Swift.max(0, 1 - Swift.abs(v))
        case .rectangular: return Swift.abs(v) < 0.5 ? 1 : 0
        case .fastSigmoid:
            let d = 1 + Swift.abs(v)
            return 1 / (2 * d * d)
        }
    }
}

/// A surrogate configuration: the family and its default sharpness α.
public struct Surrogate: Codable, Sendable, Equatable {
    public var family: SurrogateFamily
    public var sharpness: Double

    public init(_ family: SurrogateFamily = .sigmoid, sharpness: Double = 4) {
        precondition(sharpness > 0, "Surrogate: sharpness must be positive, got \(sharpness)")
        self.family = family
        self.sharpness = sharpness
    }

    /// The rectangular or triangular window of width `width` (α = 1/width).
    public static func window(_ family: SurrogateFamily, width: Double) -> Surrogate {
        Surrogate(family, sharpness: 1 / width)
    }
}

/// The surrogate as one time step sees it: the family, the sharpness α at this step, and whether
/// the forward pass uses the smooth step G(αz) instead of Θ(z).
public struct SurrogateStep<S: TensorScalar> {
    public var family: SurrogateFamily
    public var sharpness: S
    /// Replaces Θ by G in the forward pass, making the whole neuron smooth so that finite
    /// differences can check the surrogate gradients exactly.
    public var smooth: Bool

    @inline(__always)
    public init(family: SurrogateFamily, sharpness: S, smooth: Bool) {
        (self.family, self.sharpness, self.smooth) = (family, sharpness, smooth)
    }

    /// A threshold crossing at signed distance `z` (potential minus threshold).
    @inline(__always)
    public func crossing(_ z: S) -> Crossing<S> {
        let v = sharpness * z
        let density = family.density(v)
        let value: S = smooth ? family.primitive(v) : (z >= 0 ? 1 : 0)
        return Crossing(value: value, dDistance: sharpness * density, dSharpness: z * density)
    }
}

/// One threshold crossing: the spike value and its surrogate derivatives.
public struct Crossing<S: TensorScalar> {
    public var value: S
    /// ∂value/∂z.
    public var dDistance: S
    /// ∂value/∂α.
    public var dSharpness: S
}
