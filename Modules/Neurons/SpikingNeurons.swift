import Foundation
import NN
import TensorRuntime

/// The surrogate's sharpness α over the time steps of a layer.
public enum SurrogateSharpness: Sendable, Equatable {
    /// One fixed α at every step.
    case fixed(Double)
    /// A fixed α per step (e.g. the analytic DQIF window, `DQIFWindow`).
    case perStep([Double])
    /// The time-step-wise learnable surrogate (paper 3): α_t = softplus(ρ_t), one ρ per step of
    /// this layer, initialised so that α_t starts at the given values. α gets a true gradient
    /// (∂S/∂α = z G'(αz) from the engine).
    case learnablePerStep([Double])
}

/// A layer of spiking neurons of one plugin, acting on input currents [T, B, …] and returning
/// spikes of the same shape. Its neuron parameters (those the plugin marks learnable) and, if
/// chosen, its per-step surrogate sharpness are trainable `Parameter`s.
public final class SpikingNeurons: Module {
    public let dynamics: any SpikingDynamics
    public var options: EngineOptions
    public let sharpness: SurrogateSharpness
    public var isTraining = true
    /// Keep the potentials H of the last call in `lastPotentials` (for the PNB loss).
    public var recordsPotentials: Bool
    /// H [T, B, …] of the last call, when `recordsPotentials` is set.
    public private(set) var lastPotentials: Tensor?

    /// One entry per plugin parameter: a trainable raw value, or a constant.
    private let neuronParameters: [(name: String, source: ParameterSource)]
    private let rawSharpness: Parameter?
    private let dtype: DType

    private enum ParameterSource {
        case constant(Double)
        case trained(Parameter, ParameterDomain)
    }

    /// - Parameters:
    ///   - dynamics: from `NeuronRegistry.dynamics(named:configuration:)`.
    ///   - sharpness: α over time; `.perStep` and `.learnablePerStep` fix the number of steps.
    public init(
        _ dynamics: any SpikingDynamics, options: EngineOptions = EngineOptions(),
        sharpness: SurrogateSharpness = .fixed(4), recordsPotentials: Bool = false, dtype: DType = .float32
    ) {
        self.dynamics = dynamics
        self.options = options
        self.sharpness = sharpness
        self.recordsPotentials = recordsPotentials
        self.dtype = dtype
        let domains = Self.domains(of: dynamics)
        neuronParameters = zip(dynamics.parameterNames, dynamics.initialParameters).map { name, value in
            guard dynamics.learnableParameters.contains(name) else { return (name, .constant(value)) }
            let domain = domains[name] ?? .real
            return (
                name, .trained(Parameter(Tensor(shape: [1], values: [domain.inverse(value)], dtype: dtype)), domain)
            )
        }
        if case .learnablePerStep(let initial) = sharpness {
            precondition(initial.allSatisfy { $0 > 0 }, "SpikingNeurons: sharpness must be positive, got \(initial)")
            let raw = initial.map { ParameterDomain.positive.inverse($0) }
            rawSharpness = Parameter(Tensor(shape: [initial.count], values: raw, dtype: dtype))
        } else {
            rawSharpness = nil
        }
    }

    /// A layer of the registered plugin `name`.
    public convenience init(
        neuron name: String, configuration: [String: Any]? = nil,
        options: EngineOptions = EngineOptions(), sharpness: SurrogateSharpness = .fixed(4),
        recordsPotentials: Bool = false, dtype: DType = .float32
    ) throws {
        self.init(
            try NeuronRegistry.dynamics(named: name, configuration: configuration), options: options,
            sharpness: sharpness, recordsPotentials: recordsPotentials, dtype: dtype)
    }

    private static func domains(of dynamics: any SpikingDynamics) -> [String: ParameterDomain] {
        func open<D: SpikingDynamics>(_ d: D) -> [String: ParameterDomain] {
            (d as? any DomainReporting)?.domains ?? [:]
        }
        return open(dynamics)
    }

    public var localParameters: [(name: String, parameter: Parameter)] {
        var result: [(name: String, parameter: Parameter)] = neuronParameters.compactMap { entry in
            if case .trained(let p, _) = entry.source { return (entry.name, p) }
            return nil
        }
        if let rawSharpness { result.append(("sharpness", rawSharpness)) }
        return result
    }

    /// The plugin parameters as the engine sees them, [P], differentiable in the trained ones.
    public var parameterVector: Tensor {
        Tensor.concat(
            neuronParameters.map { entry in
                switch entry.source {
                case .constant(let value): Tensor(shape: [1], values: [value], dtype: dtype)
                case .trained(let p, let domain): domain.apply(p.value)
                }
            }, axis: 0)
    }

    /// α for `steps` time steps, differentiable when learnable.
    public func sharpnessVector(steps: Int) -> Tensor {
        switch sharpness {
        case .fixed(let alpha):
            return Tensor.full([steps], value: alpha, dtype: dtype)
        case .perStep(let alphas):
            precondition(
                alphas.count == steps,
                "SpikingNeurons: \(alphas.count) per-step sharpness values for \(steps) time steps")
            return Tensor(shape: [steps], values: alphas, dtype: dtype)
        case .learnablePerStep(let alphas):
            precondition(
                alphas.count == steps,
                "SpikingNeurons: \(alphas.count) learnable sharpness values for \(steps) time steps")
            return ParameterDomain.positive.apply(rawSharpness!.value)
        }
    }

    /// One time step for recurrent use: input [B, …] and the state from the previous step (nil
    /// at the start) → spikes [B, …] and the next state. Step `t` uses the sharpness of step t.
    public func step(_ input: Tensor, state: Tensor?, at t: Int = 0) -> (spikes: Tensor, state: Tensor) {
        let alpha: Tensor
        switch sharpness {
        case .fixed:
            alpha = sharpnessVector(steps: 1)
        case .perStep(let alphas), .learnablePerStep(let alphas):
            precondition(
                t >= 0 && t < alphas.count, "SpikingNeurons.step: time step \(t) is outside 0..<\(alphas.count)")
            alpha = sharpnessVector(steps: alphas.count).slice(axis: 0, start: t, length: 1)
        }
        let output = dynamics.run(
            input.unsqueezed(0), parameters: parameterVector, sharpness: alpha, initialState: state,
            options: options, exposePotentials: false, returnFinalState: true)
        return (output.spikes.squeezed(0), output.finalState!)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(
            input.dtype == dtype, "SpikingNeurons(\(dynamics.neuronName)): input is \(input.dtype), layer is \(dtype)")
        let output = dynamics.run(
            input, parameters: parameterVector, sharpness: sharpnessVector(steps: input.shape[0]),
            initialState: nil, options: options, exposePotentials: recordsPotentials,
            returnFinalState: false)
        lastPotentials = output.potentials
        return output.spikes
    }
}

/// Lets the type-erased engine report its plugin's parameter domains.
protocol DomainReporting {
    var domains: [String: ParameterDomain] { get }
}

extension FusedNeuronEngine: DomainReporting {
    var domains: [String: ParameterDomain] {
        Dictionary(uniqueKeysWithValues: Neuron.Parameter.allCases.map { ("\($0)", Neuron.domain(of: $0)) })
    }
}

extension ParameterDomain {
    /// The value the plugin sees for raw value `raw` (differentiable).
    func apply(_ raw: Tensor) -> Tensor {
        switch self {
        case .real: raw
        case .unitInterval: raw.sigmoid()
        case .positive: raw.softplus()
        }
    }

    /// The raw value that `apply` maps to `value`.
    func inverse(_ value: Double) -> Double {
        switch self {
        case .real:
            return value
        case .unitInterval:
            precondition(value > 0 && value < 1, "a parameter in (0, 1) cannot start at \(value)")
            return Foundation.log(value / (1 - value))
        case .positive:
            precondition(value > 0, "a positive parameter cannot start at \(value)")
            return value > 30 ? value : Foundation.log(Foundation.expm1(value))
        }
    }
}
