import TensorRuntime

/// A discrete-time spiking neuron, stated as three scalar maps per time step and their partial
/// derivatives:
///
///     H[t] = charge(U[t−1], X[t])      membrane potential before firing
///     S[t] = fire(H[t])                spike (0/1, ±1 or an integer count)
///     U[t] = reset(H[t], S[t])         membrane potential carried to the next step
///
/// That is all a plugin writes. `FusedNeuronEngine` turns it into one forward loop over T and one
/// reverse loop for BPTT over whole [T, …] tensors, so every plugin trains at the speed of a
/// hand-written kernel. Learnable layer-wide scalars (a decay, a threshold) are the plugin's
/// `parameters`; their gradients come out of the same reverse loop.
///
/// Plugins are `Codable` so that a preset file can configure them by field name, `Equatable` so
/// that the engine can tell its default configuration (which it compiles as a constant), and register
/// under a short `name` in `NeuronRegistry`. Every registered plugin runs through the
/// conformance suite (finite-difference gradients, shapes, determinism, extreme inputs).
///
/// The maps are generic over the scalar type so one definition serves Float32 training and
/// Float64 gradient checks. Keep them branch-light and free of allocation: they run once per
/// element per time step.
public protocol DiscreteNeuron: Codable, Sendable, Equatable {
    /// The registry key (`lif`, `dqif`, `cf`, …).
    static var name: String { get }

    /// Names of the layer-wide scalar parameters, at most four, in the order of the `p` vectors.
    static var parameterNames: [String] { get }

    /// Initial values of the parameters, in `parameterNames` order.
    var initialParameters: [Double] { get }

    /// Which parameters are trained (a subset of `parameterNames`); the others stay constant.
    var learnableParameters: Set<String> { get }

    /// The set a parameter must stay in while it is trained (default: `.real`).
    static func domain(of parameter: String) -> ParameterDomain

    /// A plugin with its default configuration.
    init()

    /// U[−1], the potential before the first step, with its derivatives (it may be a parameter).
    func restingPotential<S: TensorScalar>(_ p: SIMD4<S>) -> Rest<S>

    /// H[t] from U[t−1] and the input current X[t].
    func charge<S: TensorScalar>(previous u: S, input x: S, _ p: SIMD4<S>) -> Charge<S>

    /// S[t] from H[t]. Use `surrogate.crossing(_:)` for every threshold the potential can cross:
    /// it returns the step (or its smooth stand-in) together with the surrogate derivatives.
    func fire<S: TensorScalar, Shape: SurrogateShape>(
        potential h: S, _ p: SIMD4<S>, _ surrogate: SurrogateStep<S, Shape>
    ) -> Fire<S>

    /// U[t] from H[t] and S[t].
    func reset<S: TensorScalar>(potential h: S, spike s: S, _ p: SIMD4<S>) -> Reset<S>
}

extension DiscreteNeuron {
    public var name: String { Self.name }
}

/// U[−1] with ∂U[−1]/∂p.
public struct Rest<S: TensorScalar> {
    public var value: S
    public var dParameters: SIMD4<S>

    @inline(__always)
    public init(value: S, dParameters: SIMD4<S> = .zero) { (self.value, self.dParameters) = (value, dParameters) }
}

/// H = charge(U, X) with ∂H/∂U, ∂H/∂X and ∂H/∂p.
public struct Charge<S: TensorScalar> {
    public var value: S
    public var dPrevious: S
    public var dInput: S
    public var dParameters: SIMD4<S>

    @inline(__always)
    public init(value: S, dPrevious: S, dInput: S = 1, dParameters: SIMD4<S> = .zero) {
        (self.value, self.dPrevious, self.dInput, self.dParameters) = (value, dPrevious, dInput, dParameters)
    }
}

/// S = fire(H) with the surrogate ∂S/∂H, ∂S/∂p (e.g. through the threshold) and ∂S/∂α (the
/// surrogate's sharpness at this step, for learnable surrogates).
public struct Fire<S: TensorScalar> {
    public var value: S
    public var dPotential: S
    public var dParameters: SIMD4<S>
    public var dSharpness: S

    @inline(__always)
    public init(value: S, dPotential: S, dParameters: SIMD4<S> = .zero, dSharpness: S = 0) {
        (self.value, self.dPotential, self.dParameters, self.dSharpness) = (value, dPotential, dParameters, dSharpness)
    }
}

/// U = reset(H, S) with ∂U/∂H, ∂U/∂S and ∂U/∂p.
public struct Reset<S: TensorScalar> {
    public var value: S
    public var dPotential: S
    public var dSpike: S
    public var dParameters: SIMD4<S>

    @inline(__always)
    public init(value: S, dPotential: S, dSpike: S, dParameters: SIMD4<S> = .zero) {
        (self.value, self.dPotential, self.dSpike, self.dParameters) = (value, dPotential, dSpike, dParameters)
    }
}

/// A unit vector of the parameter space: ∂/∂p_i.
@inline(__always)
public func unit<S: TensorScalar>(_ i: Int, _ value: S = 1) -> SIMD4<S> {
    var v = SIMD4<S>.zero
    v[i] = value
    return v
}
