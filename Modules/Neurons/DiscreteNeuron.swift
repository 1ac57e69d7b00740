import TensorRuntime

/// A discrete-time spiking neuron, stated as three maps per time step and their partial
/// derivatives, over a small state vector U (up to four scalars per neuron, named by the plugin:
/// a membrane potential, an adaptation, a synaptic current, …):
///
///     H[t] = charge(U[t−1], X[t])      the state before firing
///     S[t] = fire(H[t])                spike (0/1, ±1 or an integer count)
///     U[t] = reset(H[t], S[t])         the state carried to the next step
///
/// That is all a plugin writes. `FusedNeuronEngine` turns it into one forward loop over T and one
/// reverse loop for BPTT over whole [T, …] tensors, so every plugin trains at the speed of a
/// hand-written kernel. Learnable layer-wide scalars (a decay, a threshold) are the plugin's
/// parameters; their gradients come out of the same reverse loop.
///
/// Parameters and state variables are named by two enums of the plugin, `Parameter` and
/// `StateVariable` (one `membrane` unless the plugin says otherwise); the maps read them by name,
/// `p[.threshold]`, `u[.adaptation]`. The first state variable is the membrane potential: the
/// one a layer exposes as its potentials (the PNB loss reads them).
///
/// Plugins are `Codable` so that a preset file can configure them by field name, `Equatable` so
/// that the engine can tell its default configuration (which it compiles as a constant), and
/// register under a short `name` in `NeuronRegistry`. Every registered plugin runs through the
/// conformance suite (finite-difference gradients, shapes, determinism, extreme inputs), in its
/// default configuration and in each of its `conformanceConfigurations`.
///
/// The maps are generic over the scalar type so one definition serves Float32 training and
/// Float64 gradient checks. They run once per element per time step, inside loops over elements
/// that the engine compiles per plugin so that they vectorise: in the default configuration the
/// plugin's settings are constants and its branches on them fold away; in any other the settings
/// are loop-invariant values, and the loop vectorises only if each branch on one is a choice
/// between values computed on both sides. So compute a setting's variants first and let the
/// setting choose between the results, `return softReset ? soft : hard` (DQIF), rather than
/// guard code with it (`if softReset { return … }`, `guard … else { return … }`): the compiler
/// turns a choice between values into a select, but keeps a guarded block of more than a few
/// instructions as a branch, and then leaves the loop scalar (it did for LIF's conventions).
/// Where a choice between whole results still leaves the loop scalar (a select of their SIMD4
/// fields survives, and the vectoriser rejects vector-typed instructions), choose scalar by
/// scalar and build the result once, as LIF does. Beyond that a map must not
///
/// - loop a number of times a setting gives (CF's levels, `maxSpikes` for `multiSpike`): the loop
///   over elements is then no longer innermost and runs scalar, in every configuration but the
///   default;
/// - call what does not inline: allocation, `print`, a `precondition`, or a libm function such
///   as `S.cos(p[.frequency])`, a call per element that the compiler does not hoist even when
///   its argument is a parameter (libm may set `errno`; RF's loops are scalar for this reason).
///   Per element, use the inline `S.kernelExp`, `S.kernelTanh` and `S.kernelSigmoid`; the
///   surrogate's `crossing` is inline arithmetic and free.
public protocol DiscreteNeuron: Codable, Sendable, Equatable {
    /// The layer-wide scalars, at most four; the cases' names are the parameters' names.
    associatedtype Parameter: NeuronVariable
    /// The state variables, at most four; the first is the membrane potential.
    associatedtype StateVariable: NeuronVariable = Membrane

    /// The registry key (`lif`, `dqif`, `cf`, …).
    static var name: String { get }

    /// The value parameter `parameter` starts at.
    func initialValue(of parameter: Parameter) -> Double

    /// Which parameters are trained; the others stay constant.
    var learnableParameters: Set<Parameter> { get }

    /// The set a parameter must stay in while it is trained (default: `.real`).
    static func domain(of parameter: Parameter) -> ParameterDomain

    /// Configurations other than the default that the conformance suite also runs (field name to
    /// JSON value, as a preset would write them): one per variant the plugin's maps branch on.
    static var conformanceConfigurations: [[String: Any]] { get }

    /// Named presets of configuration fields (the field `convention` selects one; fields set
    /// alongside it override the preset's), e.g. the update conventions of other libraries.
    static var conventions: [String: [String: Any]] { get }

    /// A plugin with its default configuration.
    init()

    /// U[−1], the state before the first step, with its derivatives (it may depend on parameters).
    func restingState<S: TensorScalar>(_ p: Values<Parameter, S>) -> Rest<Self, S>

    /// H[t] from U[t−1] and the input current X[t].
    func charge<S: TensorScalar>(previous u: Values<StateVariable, S>, input x: S, _ p: Values<Parameter, S>)
        -> Charge<Self, S>

    /// S[t] from H[t]. Use `surrogate.crossing(_:)` for every threshold the state can cross:
    /// it returns the step (or its smooth stand-in) together with the surrogate derivatives.
    func fire<S: TensorScalar, Shape: SurrogateShape>(
        potential h: Values<StateVariable, S>, _ p: Values<Parameter, S>, _ surrogate: SurrogateStep<S, Shape>
    ) -> Fire<Self, S>

    /// U[t] from H[t] and S[t].
    func reset<S: TensorScalar>(potential h: Values<StateVariable, S>, spike s: S, _ p: Values<Parameter, S>)
        -> Reset<Self, S>
}

extension DiscreteNeuron {
    public var name: String { Self.name }

    /// The parameters' names, in the order of the engine's parameter vector.
    public static var parameterNames: [String] { Parameter.allCases.map { "\($0)" } }

    /// The state variables' names, membrane potential first.
    public static var stateNames: [String] { StateVariable.allCases.map { "\($0)" } }

    /// Initial values in `parameterNames` order.
    public var initialParameters: [Double] { Parameter.allCases.map { initialValue(of: $0) } }

    /// Every parameter is unconstrained unless the plugin says otherwise.
    public static func domain(of parameter: Parameter) -> ParameterDomain { .real }

    /// Only the default configuration unless the plugin lists its variants.
    public static var conformanceConfigurations: [[String: Any]] { [] }

    public static var conventions: [String: [String: Any]] { [:] }
}

/// The names of a plugin's parameters or state variables: an `Int` enum whose cases count from
/// zero, at most four. `count` must be `allCases.count`; the default is, and a plugin may state
/// it as a literal so that loops over the state unroll for certain.
public protocol NeuronVariable: RawRepresentable, CaseIterable, Hashable, Sendable where RawValue == Int {
    static var count: Int { get }
}

extension NeuronVariable {
    public static var count: Int { allCases.count }
}

/// The state of a neuron with a single state variable, its membrane potential.
public enum Membrane: Int, NeuronVariable {
    case membrane
    public static var count: Int { 1 }
}

/// The initial value of a learnable-or-fixed parameter, as a plugin stores it. It is no number:
/// a map that wrote `threshold` for `p[.threshold]` would read the configured value, not the
/// trained one, and silently stop it from learning; with this type it does not compile. In
/// preset files it is a plain number.
public struct InitialValue: Codable, Sendable, Equatable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    public var initial: Double

    public init(_ initial: Double) { self.initial = initial }
    public init(floatLiteral value: Double) { initial = value }
    public init(integerLiteral value: Int) { initial = Double(value) }
    public init(from decoder: any Decoder) throws { initial = try decoder.singleValueContainer().decode(Double.self) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(initial)
    }

    public var description: String { "\(initial)" }
}

/// A configuration field with a fixed set of string values. Decoding an unknown value names the
/// allowed ones ("expected one of hard, soft; got subtract").
public protocol ConfigurationChoice: RawRepresentable, CaseIterable, Codable, Sendable where RawValue == String {}

extension ConfigurationChoice {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = Self(rawValue: raw) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")); got \(raw)"
            )
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Up to four scalars named by `Name` (a plugin's parameters or state variables), or the
/// derivatives of one scalar with respect to them.
public struct Values<Name: NeuronVariable, S: TensorScalar> {
    public var vector: SIMD4<S>

    @inline(__always) public init(_ vector: SIMD4<S> = .zero) { self.vector = vector }

    /// All zero but `name`, which is `value`: ∂/∂name scaled by `value`.
    @inline(__always) public init(_ name: Name, _ value: S) {
        vector = .zero
        vector[name.rawValue] = value
    }

    @inline(__always) public static var zero: Self { Self() }

    public subscript(_ name: Name) -> S {
        @inline(__always) get { vector[name.rawValue] }
        @inline(__always) set { vector[name.rawValue] = newValue }
    }
}

extension Values where Name == Membrane {
    /// A single membrane potential.
    @inline(__always) public init(_ membrane: S) { vector = SIMD4(membrane, 0, 0, 0) }
}

/// ∂(state variable `Row`)/∂(`Column`): one row per state variable. Four separate rows rather
/// than one wide vector, so that the rows a plugin with fewer state variables never touches are
/// dead code the optimiser removes, and the engine's loops stay scalar per element and vectorise.
public struct Jacobian<Row: NeuronVariable, Column: NeuronVariable, S: TensorScalar> {
    var row0: SIMD4<S>, row1: SIMD4<S>, row2: SIMD4<S>, row3: SIMD4<S>

    @inline(__always) public init() { (row0, row1, row2, row3) = (.zero, .zero, .zero, .zero) }

    public subscript(_ row: Row, _ column: Column) -> S {
        @inline(__always) get { self.row(row.rawValue)[column.rawValue] }
        @inline(__always) set {
            switch row.rawValue {
            case 0: row0[column.rawValue] = newValue
            case 1: row1[column.rawValue] = newValue
            case 2: row2[column.rawValue] = newValue
            default: row3[column.rawValue] = newValue
            }
        }
    }

    /// Row `index` (the derivatives of one state variable), for the engine.
    @inline(__always) func row(_ index: Int) -> SIMD4<S> {
        switch index {
        case 0: row0
        case 1: row1
        case 2: row2
        default: row3
        }
    }

    @inline(__always) func entry(_ row: Int, _ column: Int) -> S { self.row(row)[column] }
}

extension Jacobian where Row == Membrane {
    /// The derivatives of a single membrane potential.
    @inline(__always) init(membrane: SIMD4<S>) { (row0, row1, row2, row3) = (membrane, .zero, .zero, .zero) }
}

/// U[−1] with ∂U[−1]/∂p.
public struct Rest<Neuron: DiscreteNeuron, S: TensorScalar> {
    public var value: Values<Neuron.StateVariable, S>
    public var dParameters: Jacobian<Neuron.StateVariable, Neuron.Parameter, S>

    @inline(__always)
    public init(value: Values<Neuron.StateVariable, S>) { (self.value, dParameters) = (value, Jacobian()) }
}

extension Rest where Neuron.StateVariable == Membrane {
    @inline(__always)
    public init(value: S, dParameters: Values<Neuron.Parameter, S> = .zero) {
        self.value = Values(value)
        self.dParameters = Jacobian(membrane: dParameters.vector)
    }
}

/// H = charge(U, X) with ∂H/∂U, ∂H/∂X and ∂H/∂p. The plain initialiser starts every derivative
/// at zero; set the non-zero ones by name (`c.dPrevious[.membrane, .membrane] = β`).
public struct Charge<Neuron: DiscreteNeuron, S: TensorScalar> {
    public var value: Values<Neuron.StateVariable, S>
    public var dPrevious: Jacobian<Neuron.StateVariable, Neuron.StateVariable, S>
    public var dInput: Values<Neuron.StateVariable, S>
    public var dParameters: Jacobian<Neuron.StateVariable, Neuron.Parameter, S>

    @inline(__always)
    public init(value: Values<Neuron.StateVariable, S>) {
        (self.value, dPrevious, dInput, dParameters) = (value, Jacobian(), .zero, Jacobian())
    }
}

extension Charge where Neuron.StateVariable == Membrane {
    @inline(__always)
    public init(value: S, dPrevious: S, dInput: S = 1, dParameters: Values<Neuron.Parameter, S> = .zero) {
        self.value = Values(value)
        self.dPrevious = Jacobian(membrane: SIMD4(dPrevious, 0, 0, 0))
        self.dInput = Values(dInput)
        self.dParameters = Jacobian(membrane: dParameters.vector)
    }
}

/// S = fire(H) with the surrogate ∂S/∂H, ∂S/∂p (e.g. through the threshold) and ∂S/∂α (the
/// surrogate's sharpness at this step, for learnable surrogates).
public struct Fire<Neuron: DiscreteNeuron, S: TensorScalar> {
    public var value: S
    public var dPotential: Values<Neuron.StateVariable, S>
    public var dParameters: Values<Neuron.Parameter, S>
    public var dSharpness: S

    @inline(__always)
    public init(
        value: S, dPotential: Values<Neuron.StateVariable, S>, dParameters: Values<Neuron.Parameter, S> = .zero,
        dSharpness: S = 0
    ) {
        (self.value, self.dPotential, self.dParameters, self.dSharpness) = (value, dPotential, dParameters, dSharpness)
    }
}

extension Fire where Neuron.StateVariable == Membrane {
    @inline(__always)
    public init(value: S, dPotential: S, dParameters: Values<Neuron.Parameter, S> = .zero, dSharpness: S = 0) {
        self.init(value: value, dPotential: Values(dPotential), dParameters: dParameters, dSharpness: dSharpness)
    }
}

/// U = reset(H, S) with ∂U/∂H, ∂U/∂S and ∂U/∂p. The plain initialiser starts every derivative
/// at zero; set the non-zero ones by name.
public struct Reset<Neuron: DiscreteNeuron, S: TensorScalar> {
    public var value: Values<Neuron.StateVariable, S>
    public var dPotential: Jacobian<Neuron.StateVariable, Neuron.StateVariable, S>
    public var dSpike: Values<Neuron.StateVariable, S>
    public var dParameters: Jacobian<Neuron.StateVariable, Neuron.Parameter, S>

    @inline(__always)
    public init(value: Values<Neuron.StateVariable, S>) {
        (self.value, dPotential, dSpike, dParameters) = (value, Jacobian(), .zero, Jacobian())
    }
}

extension Reset where Neuron.StateVariable == Membrane {
    @inline(__always)
    public init(value: S, dPotential: S, dSpike: S, dParameters: Values<Neuron.Parameter, S> = .zero) {
        self.value = Values(value)
        self.dPotential = Jacobian(membrane: SIMD4(dPotential, 0, 0, 0))
        self.dSpike = Values(dSpike)
        self.dParameters = Jacobian(membrane: dParameters.vector)
    }
}
