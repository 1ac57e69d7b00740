import EventSim
import Foundation

/// How a neuron is simulated, which decides which networks and commands can use it.
public enum NeuronKind: String, Sendable, CaseIterable {
    /// A `DiscreteNeuron` plugin run by the fused engine with surrogate gradients.
    case discrete = "discrete-time"
    /// An `EventDrivenNeuron` simulated event by event with exact gradients.
    case eventDriven = "event-driven"
}

/// One neuron of the catalogue, described for people and for validation.
public struct NeuronEntry: Sendable {
    public struct Parameter: Sendable {
        public var name: String
        public var initial: Double
        public var domain: ParameterDomain
        /// Trained in the default configuration.
        public var learns: Bool
    }

    public var name: String
    public var kind: NeuronKind
    /// The layer-wide parameters with their defaults (event-driven neurons have none that train: τ is set per
    /// experiment).
    public var parameters: [Parameter]
    /// The state variables, membrane potential first.
    public var state: [String]
    /// The default configuration, field by field as JSON text (what presets can set).
    public var fields: [(name: String, value: String)]
    /// Named presets of fields (`convention`).
    public var conventions: [String]
}

/// Every neuron the toolkit has, discrete-time and event-driven, in one place: commands and
/// experiment configs look a name up here once, before any data is read, and an unknown name
/// gets an error that lists the neurons that command can use.
///
/// Discrete-time plugins come from `NeuronRegistry` (including those registered at run time),
/// event-driven ones from `EventNeuronRegistry`; a name is unique across both.
public enum NeuronCatalogue {
    /// Every neuron, sorted by kind and name.
    public static var entries: [NeuronEntry] {
        NeuronRegistry.names.compactMap { NeuronRegistry.entry(named: $0) }
            + EventNeuronRegistry.plugins.sorted { $0.name < $1.name }.map { eventEntry($0) }
    }

    /// The names of the neurons of `kinds`, sorted.
    public static func names(of kinds: Set<NeuronKind> = Set(NeuronKind.allCases)) -> [String] {
        (kinds.contains(.discrete) ? NeuronRegistry.names : [])
            + (kinds.contains(.eventDriven) ? EventNeuronRegistry.names : [])
    }

    /// The kind of neuron `name`, if there is one.
    public static func kind(of name: String) -> NeuronKind? {
        if NeuronRegistry.names.contains(name) { return .discrete }
        if EventNeuronRegistry.names.contains(name) { return .eventDriven }
        return nil
    }

    /// The kind of `name`, which must be one of `kinds`; the error lists the valid names.
    @discardableResult
    public static func lookup(_ name: String, kinds: Set<NeuronKind> = Set(NeuronKind.allCases)) throws -> NeuronKind {
        guard let kind = kind(of: name), kinds.contains(kind) else {
            let what = kinds.count == 1 ? "\(kinds.first!.rawValue) neuron" : "neuron"
            throw NeuronConfigurationError(
                "unknown \(what) '\(name)'; known: \(names(of: kinds).joined(separator: ", "))")
        }
        return kind
    }

    /// An event-driven plugin's settings: the numeric ones as (fixed) parameters, every one as a
    /// field with its domain and config key, and the threshold and reset of the default neuron.
    private static func eventEntry(_ plugin: any EventDrivenNeuron.Type) -> NeuronEntry {
        let neuron = plugin.init(tau: 1)
        let parameters = plugin.settings.compactMap { setting -> NeuronEntry.Parameter? in
            guard let value = Double(setting.value), let domain = ParameterDomain(rawValue: setting.domain) else {
                return nil
            }
            return NeuronEntry.Parameter(name: setting.name, initial: value, domain: domain, learns: false)
        }
        let fields =
            plugin.settings.map { (name: $0.name, value: "\($0.value) (\($0.domain); \($0.configKey))") }
            + [
                ("threshold", "\(neuron.spikeThreshold) (fixed)"),
                ("resetPotential", "\(neuron.resetPotential) (fixed)"),
            ]
        return NeuronEntry(
            name: plugin.name, kind: .eventDriven, parameters: parameters, state: ["membrane", "current"],
            fields: fields, conventions: [])
    }
}

extension NeuronRegistry {
    /// The catalogue entry of discrete plugin `name`.
    static func entry(named name: String) -> NeuronEntry? {
        lock.withLock { describers[name] }?()
    }
}

extension FactoryTable {
    /// Describes plugin `Neuron` in its default configuration.
    static func describe<Neuron: DiscreteNeuron>(_: Neuron.Type) -> NeuronEntry {
        let neuron = Neuron()
        let parameters = Neuron.Parameter.allCases.map { p in
            NeuronEntry.Parameter(
                name: "\(p)", initial: neuron.initialValue(of: p), domain: Neuron.domain(of: p),
                learns: neuron.learnableParameters.contains(p))
        }
        let json = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(neuron))) as? [String: Any] ?? [:]
        let fields = json.keys.sorted().map { key in
            let value = json[key]!
            let text =
                (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]))
                .flatMap { String(data: $0, encoding: .utf8) } ?? "\(value)"
            return (name: key, value: text)
        }
        return NeuronEntry(
            name: Neuron.name, kind: .discrete, parameters: parameters, state: Neuron.stateNames,
            fields: fields, conventions: Neuron.conventions.keys.sorted())
    }
}
