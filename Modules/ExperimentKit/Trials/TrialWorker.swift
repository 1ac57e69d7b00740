import Foundation
import Registry

extension ExperimentRunner {
    /// Works through the queued trials of the study named `study` in this process, one training
    /// run each, until none is left or the user interrupts; returns the trials it finished.
    ///
    /// This is the body of an experiment's `--worker STUDY` mode. A trial's parameters are
    /// dotted config paths (`training.learning_rate`), applied after the options' own overrides
    /// and the experiment's `shorthands`;
    /// its result is the study's objective from the run's last epoch. A trial whose run fails
    /// is marked failed and the worker moves on; an interrupted worker leaves its trial claimed,
    /// and the registry hands it to another worker once this process is gone. Local worker
    /// processes (`LocalWorkerPool`) and Slurm array tasks run this same code.
    public func work(
        study name: String, options: ExperimentOptions, adding shorthands: [ConfigOverride] = []
    ) throws -> [TrialID] {
        let registry = try RunRegistry.open(location: options.registryPath())
        guard let study = try registry.study(named: name) else { throw RegistryError.unknownStudy(name) }
        let worker = Worker.current
        var finished: [TrialID] = []
        while !interrupt.isRaised, let trial = try registry.claim(from: study.id, worker: worker) {
            do {
                let config = try trialConfig(trial.parameters, options: options, adding: shorthands)
                let built = try E(
                    config: config.value, context: ExperimentContext(dataDirectory: options.dataDirectory()))
                var loop = loop(options, registry: registry)
                loop.onHeartbeat = { try registry.heartbeat(trial.id, worker: worker) }
                let start = RunStart.new(try spec(for: config, neuron: built.neuron, dataFiles: built.dataFiles))
                let summary = try loop.run(built, start: start)
                try registry.complete(
                    trial.id, worker: worker, result: try summary.value(of: study.spec.objective), run: summary.run)
                finished.append(trial.id)
            } catch let stopped as RunStopped where stopped.status == .interrupted {
                throw stopped
            } catch {
                try registry.fail(trial.id, worker: worker, reason: "\(error)")
            }
        }
        return finished
    }

    /// The config a worker runs for a trial with `parameters`: the options' config source and
    /// overrides, the shorthands, then the parameters. Reports resolve the config a table row
    /// stands for with it, so they select exactly the runs the workers made.
    public func trialConfig(
        _ parameters: TrialParameters, options: ExperimentOptions, adding shorthands: [ConfigOverride] = []
    ) throws -> ResolvedConfig<E.Config> {
        let overrides = try options.configOverrides(adding: shorthands) + Self.overrides(for: parameters)
        return try ConfigLoader.load(
            E.Config.self, from: options.configSource(experiment: experiment, presets: presets), overrides: overrides)
    }

    /// A trial's parameters as `--set` overrides, in key order.
    static func overrides(for parameters: TrialParameters) -> [ConfigOverride] {
        parameters.sorted { $0.key < $1.key }.map { key, value in
            ConfigOverride(
                path: key.split(separator: ".", omittingEmptySubsequences: false).map(String.init),
                text: value.description)
        }
    }
}

/// Sets up the trials of a search or of a seed sweep.
public enum StudyPlan {
    /// Creates the study and enqueues `trials` the first time; later calls with the same trials
    /// return the study as it is, so rerunning a search command resumes it instead of repeating
    /// it. Call it from one coordinating process, before the workers start.
    public static func prepare(_ spec: StudySpec, trials: [TrialParameters], in queue: any TrialQueue) throws -> Study {
        let study = try queue.createStudy(spec)
        let existing = try queue.trials(in: study.id).map(\.parameters)
        if existing.isEmpty {
            try queue.enqueue(trials, in: study.id)
        } else if existing != trials {
            throw ConfigError(
                source: "study \(spec.name)",
                message: "already holds \(existing.count) trials that differ from the \(trials.count) requested; "
                    + "give a changed search a new study name")
        }
        return study
    }

    /// One trial per seed, each `base` with its `seed`.
    public static func seeds(_ seeds: [Int], base: TrialParameters = [:]) -> [TrialParameters] {
        seeds.map { base.merging(["seed": .int($0)]) { _, seed in seed } }
    }
}
