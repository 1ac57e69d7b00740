import ArgumentParser
import Foundation
import Registry

/// The options every experiment executable shares; embed them with `@OptionGroup`.
///
/// ```swift
/// struct TrainSHD: ParsableCommand {
///     @OptionGroup var common: ExperimentOptions
///     @Option(help: "Neuron model (same as --set neuron=NAME).") var neuron: String?
///     …
/// }
/// ```
///
/// Dedicated flags of an experiment (`--neuron`, `--epochs`) are shorthands for `--set`: pass them
/// to `configOverrides(adding:)` or `ExperimentRunner` so presets stay the single place where values live.
public struct ExperimentOptions: ParsableArguments {
    @Option(help: "The config preset to start from: smoke, cpu or paper (default: cpu).")
    public var preset: String?

    @Option(help: ArgumentHelp("A config file to start from instead of a preset.", valueName: "file"))
    public var config: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "Override one config field; repeatable (e.g. --set training.epochs=5).", valueName: "key.path=value"))
    public var overrides: [String] = []

    @Option(help: "The random seed (same as --set seed=N).")
    public var seed: Int?

    @Option(
        help: ArgumentHelp(
            "The results registry: a file path, sqlite:PATH or postgres://user@host[:port]/db (default: $SNN_REGISTRY, else \(Self.defaultRegistry)).",
            valueName: "location"))
    public var registry: String?

    @Option(help: ArgumentHelp("Where datasets live (default: $SNN_DATA_DIR).", valueName: "path"))
    public var dataDir: String?

    @Option(
        help: ArgumentHelp("Continue this run from its last checkpoint, with its stored config.", valueName: "run-id"))
    public var resume: Int64?

    @Option(help: ArgumentHelp("Where checkpoints are written (default: \(Self.defaultOutput)).", valueName: "path"))
    public var outputDir: String?

    @Flag(help: "Print nothing but errors.")
    public var quiet = false

    public static let defaultRegistry = "runs/registry.sqlite"
    public static let defaultOutput = "runs"
    public static let defaultPreset = "cpu"

    public init() {}

    public func validate() throws {
        if preset != nil && config != nil {
            throw ValidationError("--preset and --config both choose the config; pass one of them")
        }
        if let resume {
            let conflicting = [
                preset.map { _ in "--preset" }, config.map { _ in "--config" }, overrides.isEmpty ? nil : "--set",
                seed.map { _ in "--seed" },
            ].compactMap { $0 }
            if !conflicting.isEmpty {
                throw ValidationError(
                    "--resume \(resume) continues with the run's stored config; drop \(conflicting.joined(separator: ", "))"
                )
            }
        }
        for override in overrides {
            do { _ = try ConfigOverride(parsing: override) } catch { throw ValidationError(error.description) }
        }
    }

    /// These options as command-line arguments (without `--resume`), for child processes such
    /// as search workers that must resolve the same config against the same registry and data.
    public var commandLine: [String] {
        var arguments: [String] = []
        for (flag, value) in [
            ("--preset", preset), ("--config", config), ("--seed", seed.map(String.init)), ("--registry", registry),
            ("--data-dir", dataDir), ("--output-dir", outputDir),
        ] {
            if let value { arguments += [flag, value] }
        }
        for override in overrides { arguments += ["--set", override] }
        if quiet { arguments.append("--quiet") }
        return arguments
    }

    /// The registry location (see `RegistryLocation`): `--registry`, else `$SNN_REGISTRY`, else `runs/registry.sqlite`.
    public func registryPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        registry ?? environment["SNN_REGISTRY"] ?? Self.defaultRegistry
    }

    /// The data directory: `--data-dir`, else `$SNN_DATA_DIR`, else nil (the experiment's default).
    public func dataDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        (dataDir ?? environment["SNN_DATA_DIR"]).map { URL(fileURLWithPath: $0) }
    }

    /// Where checkpoints go.
    public var outputDirectory: URL { URL(fileURLWithPath: outputDir ?? Self.defaultOutput) }

    /// The config's source: `--config`, else the `--preset` (default `cpu`) from `presets`.
    public func configSource(experiment: String, presets: URL) -> ConfigSource {
        if let config { return .file(URL(fileURLWithPath: config)) }
        return .preset(name: preset ?? Self.defaultPreset, experiment: experiment, directory: presets)
    }

    /// Every `--set`, then `--seed`, then the experiment's own shorthands in the given order.
    public func configOverrides(adding shorthands: [ConfigOverride] = []) throws(ConfigError) -> [ConfigOverride] {
        var all: [ConfigOverride] = []
        for text in overrides { all.append(try ConfigOverride(parsing: text)) }
        if let seed { all.append(ConfigOverride(path: ["seed"], text: String(seed))) }
        return all + shorthands
    }

    /// The config to run: the resumed run's stored config with `--resume`, else the preset or
    /// file with every override applied.
    public func resolveConfig<Config: Codable & Sendable>(
        _ type: Config.Type, experiment: String, presets: URL, registry: RunRegistry,
        adding shorthands: [ConfigOverride] = []
    ) throws -> ResolvedConfig<Config> {
        if let resume {
            return try ResumePoint.storedConfig(type, of: RunID(resume), in: registry)
        }
        return try ConfigLoader.load(
            type, from: configSource(experiment: experiment, presets: presets),
            overrides: configOverrides(adding: shorthands))
    }
}
