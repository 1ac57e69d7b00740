import Foundation
import Registry

/// The whole path from an experiment's command line to a finished run: resolve the config,
/// open the registry, build the experiment, train it. An experiment executable is then
///
/// ```swift
/// struct Train: ParsableCommand {
///     @OptionGroup var common: ExperimentOptions
///     func run() throws {
///         let runner = ExperimentRunner<SHDExperiment>(
///             experiment: "shd", paper: "wenig2026-qif-shd", presets: URL(fileURLWithPath: "papers/wenig2026-qif-shd/configs"))
///         _ = try runner.train(common)
///     }
/// }
/// ```
public struct ExperimentRunner<E: Experiment> {
    /// The registry's `experiment` column and the presets' file prefix.
    public var experiment: String
    public var paper: String
    /// The folder of `<experiment>.<preset>.json` files.
    public var presets: URL
    /// What stops training early; Ctrl-C and SIGTERM by default.
    public var interrupt: InterruptFlag

    public init(experiment: String, paper: String, presets: URL, interrupt: InterruptFlag = .signals) {
        self.experiment = experiment
        self.paper = paper
        self.presets = presets
        self.interrupt = interrupt
    }

    /// Trains one run, or continues `--resume`'s, as `options` say; `shorthands` are the
    /// experiment's own flags turned into overrides.
    public func train(_ options: ExperimentOptions, adding shorthands: [ConfigOverride] = []) throws -> TrainingSummary
    {
        let registry = try RunRegistry.open(location: options.registryPath())
        let config = try options.resolveConfig(
            E.Config.self, experiment: experiment, presets: presets, registry: registry, adding: shorthands)
        let built = try E(config: config.value, context: ExperimentContext(dataDirectory: options.dataDirectory()))
        let start =
            try options.resume.map { RunStart.resume(RunID($0)) }
            ?? .new(spec(for: config, neuron: built.neuron, dataFiles: built.dataFiles))
        return try loop(options, registry: registry).run(built, start: start)
    }

    /// The registry row of a new run of `config`. Its seed is the config's top-level `seed`; its
    /// provenance holds the checksums of `dataFiles`.
    public func spec(for config: ResolvedConfig<E.Config>, neuron: String?, dataFiles: [URL] = []) throws -> RunSpec {
        var seed: Int?
        if case .int(let value)? = (try? JSONValue.parse(Data(config.json.utf8)))?[path: ["seed"]] { seed = value }
        return RunSpec(
            experiment: experiment, paper: paper, neuron: neuron, preset: config.preset, configJSON: config.json,
            seed: seed, provenance: try Provenance.collect(hashing: dataFiles))
    }

    func loop(_ options: ExperimentOptions, registry: RunRegistry) -> TrainingLoop {
        TrainingLoop(
            registry: registry, outputDirectory: options.outputDirectory,
            progress: .forStandardError(quiet: options.quiet), interrupt: interrupt)
    }
}
