import Foundation
import TensorRuntime

/// An unknown neuron name or a bad neuron configuration.
public struct NeuronConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The plugins by name: every experiment selects neurons through it, and the conformance suite
/// tests every plugin registered here.
///
/// The toolkit's plugins are listed in `Plugins/Registration.swift`; `register(_:)` adds more at
/// run time. Registration happens through a generic call with the concrete plugin type, so the
/// engine it creates is compiled for that plugin (its maps inline into the loops).
public enum NeuronRegistry {
    /// Builds a plugin's engine from an optional JSON object of its fields.
    public typealias Factory = @Sendable (_ configuration: [String: Any]?) throws -> any SpikingDynamics

    static let lock = NSLock()
    nonisolated(unsafe) private static var factories: [String: Factory] = builtIn.factories
    nonisolated(unsafe) static var describers: [String: @Sendable () -> NeuronEntry] = builtIn.describers
    nonisolated(unsafe) private static var configurations: [String: @Sendable () -> [[String: Any]]] =
        builtIn.configurations

    private static let builtIn: FactoryTable = {
        var table = FactoryTable()
        registerBuiltInNeurons(&table)
        return table
    }()

    /// Adds (or replaces) a plugin under `Neuron.name`.
    public static func register<Neuron: DiscreteNeuron>(_ neuron: Neuron.Type) {
        var table = FactoryTable()
        table.add(neuron)
        lock.withLock {
            factories.merge(table.factories) { _, new in new }
            describers.merge(table.describers) { _, new in new }
            configurations.merge(table.configurations) { _, new in new }
        }
    }

    /// The non-default configurations plugin `name` declares for the conformance suite.
    public static func conformanceConfigurations(of name: String) -> [[String: Any]] {
        lock.withLock { configurations[name] }?() ?? []
    }

    /// The registered names, sorted.
    public static var names: [String] { lock.withLock { factories.keys.sorted() } }

    /// The engine of plugin `name`, configured by `configuration` (field names of the plugin;
    /// missing fields keep their defaults).
    public static func dynamics(named name: String, configuration: [String: Any]? = nil) throws -> any SpikingDynamics {
        guard let factory = lock.withLock({ factories[name] }) else {
            throw NeuronConfigurationError("unknown neuron '\(name)'; known neurons: \(names.joined(separator: ", "))")
        }
        return try factory(configuration)
    }
}

/// Collects factories; the registration file calls `add` once per plugin type.
public struct FactoryTable: Sendable {
    var factories: [String: NeuronRegistry.Factory] = [:]
    var describers: [String: @Sendable () -> NeuronEntry] = [:]
    var configurations: [String: @Sendable () -> [[String: Any]]] = [:]

    public mutating func add<Neuron: DiscreteNeuron>(_: Neuron.Type) {
        Self.checkNames(Neuron.Parameter.self, of: Neuron.self)
        Self.checkNames(Neuron.StateVariable.self, of: Neuron.self)
        factories[Neuron.name] = { configuration in
            FusedNeuronEngine(try configuredNeuron(Neuron.self, configuration))
        }
        describers[Neuron.name] = { Self.describe(Neuron.self) }
        configurations[Neuron.name] = { Neuron.conformanceConfigurations }
    }

    /// The engine indexes parameter and state vectors by the cases' raw values and unrolls its
    /// loops by `count`: both must describe the cases exactly.
    private static func checkNames<Name: NeuronVariable, Neuron: DiscreteNeuron>(_: Name.Type, of _: Neuron.Type) {
        let raw = Name.allCases.map(\.rawValue)
        precondition(
            raw == Array(0..<raw.count) && Name.count == raw.count && (1...4).contains(raw.count),
            "neuron '\(Neuron.name)': \(Name.self) must have 1 to 4 cases numbered from 0, and count \(Name.count) must equal their number \(raw.count)"
        )
    }
}

/// The plugin's defaults overlaid with `configuration`, validated field by field.
func configuredNeuron<Neuron: DiscreteNeuron>(_: Neuron.Type, _ configuration: [String: Any]?) throws -> Neuron {
    guard var configuration, !configuration.isEmpty else { return Neuron() }
    if let convention = configuration.removeValue(forKey: "convention") {
        let known = Neuron.conventions.keys.sorted()
        guard !known.isEmpty else {
            throw NeuronConfigurationError(
                "neuron '\(Neuron.name)': field 'convention': this neuron has no conventions")
        }
        guard let name = convention as? String, let preset = Neuron.conventions[name] else {
            throw NeuronConfigurationError(
                "neuron '\(Neuron.name)': field 'convention': expected one of \(known.joined(separator: ", ")); got \(convention)"
            )
        }
        configuration = preset.merging(configuration) { _, explicit in explicit }
    }
    let defaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Neuron())) as? [String: Any] ?? [:]
    let unknown = configuration.keys.filter { defaults[$0] == nil }.sorted()
    guard unknown.isEmpty else {
        throw NeuronConfigurationError(
            "neuron '\(Neuron.name)': unknown field\(unknown.count > 1 ? "s" : "") \(unknown.map { "'\($0)'" }.joined(separator: ", ")); known fields: \(defaults.keys.sorted().joined(separator: ", "))"
        )
    }
    let merged = defaults.merging(configuration) { _, new in new }
    do {
        return try JSONDecoder().decode(Neuron.self, from: JSONSerialization.data(withJSONObject: merged))
    } catch let DecodingError.typeMismatch(type, context), let DecodingError.valueNotFound(type, context) {
        let field = context.codingPath.map(\.stringValue).joined(separator: ".")
        throw NeuronConfigurationError(
            "neuron '\(Neuron.name)': field '\(field)' must be \(type); got \(merged[field].map { "\($0)" } ?? "nothing")"
        )
    } catch let DecodingError.dataCorrupted(context) {
        let field = context.codingPath.map(\.stringValue).joined(separator: ".")
        throw NeuronConfigurationError("neuron '\(Neuron.name)': field '\(field)': \(context.debugDescription)")
    }
}
