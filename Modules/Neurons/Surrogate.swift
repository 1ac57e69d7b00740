import TensorRuntime

/// The shape of a surrogate gradient: a smooth step G(v) rising from 0 to 1, with density
/// G'(v) integrating to 1.
///
/// A threshold crossing at distance z = h − θ with sharpness α is the step Θ(z) in the forward
/// pass and G(α z) in the backward pass, so that ∂S/∂z = α G'(α z) and, for learnable sharpness,
/// ∂S/∂α = z G'(α z) (the straight-through construction S = Θ(z) + G(αz) − stopgrad(G(αz))).
/// Because α only scales z, one shape covers every width: for `rectangular` and `triangle`
/// the window width is w = 1/α.
///
/// Each shape is a type so the engine's loops are compiled per shape and vectorise;
/// `SurrogateFamily` names them in configurations.
public protocol SurrogateShape {
    /// G(v), the smooth step (the forward pass where a test needs a smooth function).
    static func primitive<S: TensorScalar>(_ v: S) -> S
    /// G'(v).
    static func density<S: TensorScalar>(_ v: S) -> S
    /// Whether the forward pass uses G(αz) instead of Θ(z) (see `SmoothForward`).
    static var isSmooth: Bool { get }
}

extension SurrogateShape {
    public static var isSmooth: Bool { false }
}

/// `Base` with the smooth step G(αz) in the forward pass instead of Θ(z): the neuron becomes a
/// differentiable function, so finite differences can check its surrogate gradients exactly
/// (the conformance suite). Never for training.
public enum SmoothForward<Base: SurrogateShape>: SurrogateShape {
    @inline(__always) public static func primitive<S: TensorScalar>(_ v: S) -> S { Base.primitive(v) }
    @inline(__always) public static func density<S: TensorScalar>(_ v: S) -> S { Base.density(v) }
    public static var isSmooth: Bool { true }
}

/// G = logistic sigmoid, G' = σ(1 − σ).
public enum SigmoidSurrogate: SurrogateShape {
    @inline(__always) public static func primitive<S: TensorScalar>(_ v: S) -> S { S.kernelSigmoid(v) }
    @inline(__always) public static func density<S: TensorScalar>(_ v: S) -> S {
        let s = S.kernelSigmoid(v)
        return s * (1 - s)
    }
}

/// G = 1/2 + arctan(πv/2)/π, G' = 1 / (2 (1 + (πv/2)²)).
public enum AtanSurrogate: SurrogateShape {
    @inline(__always) public static func primitive<S: TensorScalar>(_ v: S) -> S { 0.5 + S.atan(S.pi / 2 * v) / S.pi }
    @inline(__always) public static func density<S: TensorScalar>(_ v: S) -> S {
        let q = S.pi / 2 * v
        return 1 / (2 * (1 + q * q))
    }
}

/// G' = max(0, 1 − |v|).
public enum TriangleSurrogate: SurrogateShape {
    @inline(__always) public static func primitive<S: TensorScalar>(_ v: S) -> S {
        let c = Swift.min(Swift.max(v, -1), 1)
        return c < 0 ? (1 + c) * (1 + c) / 2 : 1 - (1 - c) * (1 - c) / 2
    }
    @inline(__always) public static func density<S: TensorScalar>(_ v: S) -> S { Swift.max(0, 1 - Swift.abs(v)) }
}

/// G' = 1 on |v| < 1/2: the boxcar window.
public enum RectangularSurrogate: SurrogateShape {
    @inline(__always) public static func primitive<S: TensorScalar>(_ v: S) -> S { Swift.min(Swift.max(v + 0.5, 0), 1) }
    @inline(__always) public static func density<S: TensorScalar>(_ v: S) -> S { Swift.abs(v) < 0.5 ? 1 : 0 }
}

/// SuperSpike's fast sigmoid: G = 1/2 + v / (2(1 + |v|)), G' = 1 / (2 (1 + |v|)²).
public enum FastSigmoidSurrogate: SurrogateShape {
    @inline(__always) public static func primitive<S: TensorScalar>(_ v: S) -> S { 0.5 + v / (2 * (1 + Swift.abs(v))) }
    @inline(__always) public static func density<S: TensorScalar>(_ v: S) -> S {
        let d = 1 + Swift.abs(v)
        return 1 / (2 * d * d)
    }
}

/// The surrogate shapes by name, for configurations.
public enum SurrogateFamily: String, Codable, CaseIterable, Sendable {
    case sigmoid
    case atan
    case triangle
    case rectangular
    case fastSigmoid = "fast-sigmoid"
}

/// The surrogate as one time step sees it: its shape and the sharpness α at this step.
public struct SurrogateStep<S: TensorScalar, Shape: SurrogateShape> {
    public var sharpness: S

    @inline(__always)
    public init(sharpness: S) { self.sharpness = sharpness }

    /// A threshold crossing at signed distance `z` (potential minus threshold).
    @inline(__always)
    public func crossing(_ z: S) -> Crossing<S> {
        let v = sharpness * z
        let density = Shape.density(v)
        let value: S = Shape.isSmooth ? Shape.primitive(v) : (z >= 0 ? 1 : 0)
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
