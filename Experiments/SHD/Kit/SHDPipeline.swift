import Datasets
import ExperimentKit
import Foundation
import Neurons
import Registry

/// Paper 1's protocol as stages over one registry: a hyperparameter search per model (the exact
/// models share one space, the discrete-time comparison models search their own; all with the
/// same budget and objective), the best configuration of each retrained with several seeds,
/// the landscapes, and the report. Each stage is
/// resumable: its trials live in a registry study named after the config it came from, so
/// rerunning a stage continues it, and a changed config starts a new study.
public struct SHDPipeline {
    /// The paper's two models, in the order tables list them.
    public static let exactNeurons = ["qif-exact", "lif-exact"]
    /// The discrete-time surrogate-gradient models of the comparison row.
    public static let discreteNeurons = ["lif", "dqif"]

    public let runner: ExperimentRunner<SHDTraining>
    public let options: ExperimentOptions
    public let registry: RunRegistry
    /// The preset (or config file) with every override applied.
    public let config: ResolvedConfig<SHDConfig>
    /// Works through a study's queued trials with `count` workers, each resolving the config
    /// with `overrides` added: by default `snn-shd worker STUDY` processes; tests replace it
    /// with an in-process worker.
    public var runWorkers: (_ study: String, _ count: Int, _ overrides: [ConfigOverride]) throws -> Void
    /// Stop with `TrialsEnqueued` where the workers would start (`--enqueue-only`), leaving the
    /// queued trials to workers elsewhere, such as a Slurm job array.
    public var enqueueOnly = false
    public var log: @Sendable (String) -> Void

    public init(
        options: ExperimentOptions, runner: ExperimentRunner<SHDTraining> = .shd,
        log: @escaping @Sendable (String) -> Void
    ) throws {
        self.options = options
        self.runner = runner
        self.log = log
        registry = try RunRegistry.open(location: options.registryPath())
        config = try options.resolveConfig(
            SHDConfig.self, experiment: runner.experiment, presets: runner.presets, registry: registry)
        runWorkers = { study, count, overrides in
            try LocalWorkerPool(
                command: Self.workerCommand(study: study, options: options, overrides: overrides), count: count
            ).run()
        }
    }

    /// `snn-shd worker STUDY` with this invocation's options and `overrides`: what the local
    /// worker pool runs, and what the study records for a cluster job array to run.
    static func workerCommand(study: String, options: ExperimentOptions, overrides: [ConfigOverride]) -> [String] {
        let extra = overrides.flatMap { ["--set", "\($0.path.joined(separator: "."))=\($0.text)"] }
        return [LocalWorkerPool.currentExecutable.path, "worker", study] + options.commandLine + extra
    }

    var preset: String { config.preset ?? "custom" }

    /// Why the seed runs of `neuron` exist: `seeds` for the exact models, `comparison` for the
    /// discrete-time row (the report selects runs by it).
    public static func purpose(of neuron: String) -> String {
        NeuronCatalogue.kind(of: neuron) == .eventDriven ? "seeds" : "comparison"
    }

    /// The search of `neuron`: the preset's budget, sampler and objective, over `search.space`
    /// for the exact models and `discrete.space[neuron]` for a discrete-time one.
    func searchPlan(_ neuron: String) throws -> SearchPlan {
        var plan = config.value.search
        if NeuronCatalogue.kind(of: neuron) != .eventDriven {
            guard let space = config.value.discrete.space[neuron] else {
                throw ConfigIssue(
                    path: "discrete.space.\(neuron)", expected: "the search space of the discrete neuron \(neuron)",
                    got: "nothing")
            }
            plan.space = space
        }
        return plan
    }

    /// Searches the preset's space for `neuron` and returns the best trial.
    @discardableResult
    public func search(_ neuron: String) throws -> Trial {
        let plan = try searchPlan(neuron)
        let name = try searchStudyName(neuron)
        // Every trial of the search runs this neuron and is marked as a search run.
        let fixed = [ConfigOverride(path: ["neuron"], text: neuron), ConfigOverride(path: ["purpose"], text: "search")]
        let spec = StudySpec(
            name: name, experiment: runner.experiment, objective: "val/accuracy", direction: .maximize,
            workerCommand: Self.workerCommand(study: name, options: options, overrides: fixed))
        log("search \(neuron): study \(spec.name), \(plan.trials) trials, \(plan.workers) workers")
        let search = try coordinator(overrides: fixed).search(spec, plan: plan)
        guard let best = try search.best() else {
            let failures = try registry.trials(in: try studyID(spec.name)).compactMap(\.lastError)
            throw SHDError.missingRuns(
                "search \(spec.name): no trial completed" + (failures.first.map { "; first failure: \($0)" } ?? ""))
        }
        log(
            "search \(neuron): best val/accuracy \(best.result.map { String(format: "%.4f", $0) } ?? "—") with \(best.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))"
        )
        return best
    }

    /// The study of `neuron`'s search under this config: a changed config or plan gets a study of
    /// its own.
    func searchStudyName(_ neuron: String) throws -> String {
        let fingerprint = try StudyFingerprint.of(
            ["config": StudyFingerprint.config(config.json), "search": try searchPlan(neuron)])
        return "wenig-shd.\(preset).\(neuron).search.\(fingerprint)"
    }

    /// Retrains `parameters` (a search's best) with every seed of the preset.
    public func seeds(_ neuron: String, parameters: TrialParameters, purpose: String) throws {
        var base = parameters
        base["neuron"] = .string(neuron)
        base["purpose"] = .string(purpose)
        let trials = StudyPlan.seeds(config.value.seeds, base: base)
        let fingerprint = try StudyFingerprint.of(["config": StudyFingerprint.config(config.json), "trials": trials])
        let name = "wenig-shd.\(preset).\(neuron).\(purpose).\(fingerprint)"
        let spec = StudySpec(
            name: name, experiment: runner.experiment, objective: "val/accuracy", direction: .maximize,
            workerCommand: Self.workerCommand(study: name, options: options, overrides: []))
        log("\(purpose) \(neuron): study \(name), seeds \(config.value.seeds)")
        let outcome = try coordinator(overrides: []).run(
            spec, trials: trials, workers: min(config.value.search.workers, trials.count))
        guard outcome.unfinished.isEmpty, outcome.workerFailures.isEmpty else {
            let list = outcome.unfinished.map { trial in
                let why =
                    trial.state == .failed
                    ? trial.lastError ?? "no reason recorded" : "\(trial.state.rawValue), never finished"
                return "seed \(trial.parameters["seed"].map { "\($0)" } ?? "?"): \(why)"
            }
            throw SHDError.missingRuns(
                "\(purpose) \(neuron): \(outcome.unfinished.count) of \(trials.count) seed runs failed "
                    + "(\((list + outcome.workerFailures).joined(separator: "; ")))")
        }
    }

    /// Runs this pipeline's studies: `runWorkers` with the trials' fixed `overrides`, or none
    /// under `enqueueOnly`.
    private func coordinator(overrides: [ConfigOverride]) -> StudyCoordinator {
        StudyCoordinator(
            queue: registry, registryLocation: options.registryPath(), enqueueOnly: enqueueOnly
        ) { spec, count in
            try runWorkers(spec.name, count, overrides)
        }
    }

    /// Search → seeds for every model (the exact ones, then the discrete comparison),
    /// landscapes, report. A stage whose runs failed does not stop the others: the report says
    /// what the rest can, and then `RunsFailed` lists the failures.
    public func reproduce(reportDirectory: URL) throws -> URL {
        try prepareData()
        var failures: [String] = []
        func stage(_ body: () throws -> Void) throws {
            do {
                try body()
            } catch SHDError.missingRuns(let text) {
                log("failed: \(text)")
                failures.append(text)
            }
        }
        for neuron in Self.exactNeurons + Self.discreteNeurons {
            try stage {
                try seeds(neuron, parameters: try search(neuron).parameters, purpose: Self.purpose(of: neuron))
            }
        }
        try stage { try SHDLandscapeStage(pipeline: self).run() }
        let report = try SHDReport(pipeline: self).write(to: reportDirectory)
        guard failures.isEmpty else { throw RunsFailed(report: report, failures: failures) }
        return report
    }

    /// Fetches or generates the data files once, before workers start (they would race).
    public func prepareData() throws {
        let directory = options.dataDirectory() ?? DataDirectory.resolve()
        _ = try SHDData.files(config.value.data, directory: directory, log: log)
    }

    private func studyID(_ name: String) throws -> StudyID {
        guard let study = try registry.study(named: name) else { throw RegistryError.unknownStudy(name) }
        return study.id
    }
}

/// `reproduce` finished with failed runs: the report at `report` says what the other runs can.
public struct RunsFailed: Error, CustomStringConvertible {
    public var report: URL
    public var failures: [String]

    public var description: String {
        "\(failures.count) stage\(failures.count == 1 ? "" : "s") of the reproduction had failed runs "
            + "(report written to \(report.relativePath) without them):\n"
            + failures.map { "  - \($0)" }.joined(separator: "\n")
    }
}

extension ExperimentRunner where E == SHDTraining {
    /// Paper 1's runner: registry experiment `shd`, presets in `papers/wenig2026-qif-shd/configs`.
    public static var shd: ExperimentRunner<SHDTraining> {
        ExperimentRunner(
            experiment: "shd", paper: SHDReport.paper,
            presets: SHDReport.paperDirectory.appendingPathComponent("configs"))
    }
}
