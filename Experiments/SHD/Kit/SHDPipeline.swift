import ExperimentKit
import Datasets
import Foundation
import Registry

/// Paper 1's protocol as stages over one registry: a hyperparameter search per event-driven
/// model (same space, same budget), the best configuration of each retrained with several
/// seeds, the discrete-time comparison row, the landscapes, and the report. Each stage is
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

    public init(options: ExperimentOptions, runner: ExperimentRunner<SHDTraining> = .shd, log: @escaping @Sendable (String) -> Void) throws {
        self.options = options
        self.runner = runner
        self.log = log
        registry = try RunRegistry.open(location: options.registryPath())
        config = try options.resolveConfig(SHDConfig.self, experiment: runner.experiment, presets: runner.presets, registry: registry)
        runWorkers = { study, count, overrides in
            try LocalWorkerPool(command: Self.workerCommand(study: study, options: options, overrides: overrides), count: count).run()
        }
    }

    /// `snn-shd worker STUDY` with this invocation's options and `overrides`: what the local
    /// worker pool runs, and what the study records for a cluster job array to run.
    static func workerCommand(study: String, options: ExperimentOptions, overrides: [ConfigOverride]) -> [String] {
        let extra = overrides.flatMap { ["--set", "\($0.path.joined(separator: "."))=\($0.text)"] }
        return [LocalWorkerPool.currentExecutable.path, "worker", study] + options.commandLine + extra
    }

    var preset: String { config.preset ?? "custom" }

    /// Searches the preset's space for `neuron` and returns the best trial.
    @discardableResult
    public func search(_ neuron: String) throws -> Trial {
        let plan = config.value.search
        let name = searchStudyName(neuron)
        // Every trial of the search runs this neuron and is marked as a search run.
        let fixed = [ConfigOverride(path: ["neuron"], text: neuron), ConfigOverride(path: ["purpose"], text: "search")]
        let spec = StudySpec(
            name: name, experiment: runner.experiment, objective: "val/accuracy", direction: .maximize,
            workerCommand: Self.workerCommand(study: name, options: options, overrides: fixed))
        log("search \(neuron): study \(spec.name), \(plan.trials) trials, \(plan.workers) workers")
        let search = HyperparameterSearch(spec: spec, plan: plan, queue: registry)
        try search.run {
            guard enqueueOnly else { return try runWorkers(spec.name, plan.workers, fixed) }
            if let left = try TrialsEnqueued(study: spec.name, in: registry, registry: options.registryPath()) { throw left }
        }
        guard let best = try search.best() else {
            let failures = try registry.trials(in: try studyID(spec.name)).compactMap(\.lastError)
            throw SHDError.missingRuns(
                "search \(spec.name): no trial completed" + (failures.first.map { "; first failure: \($0)" } ?? ""))
        }
        log("search \(neuron): best val/accuracy \(best.result.map { String(format: "%.4f", $0) } ?? "—") with \(best.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
        return best
    }

    /// The study of `neuron`'s search under this config: a changed config gets a study of its own.
    func searchStudyName(_ neuron: String) -> String {
        let base = "wenig-shd.\(preset).\(neuron).search.\(Self.digest(config.json))"
        return HyperparameterSearch.studyName(base: base, plan: config.value.search)
    }

    /// Retrains `parameters` (a search's best) with every seed of the preset.
    public func seeds(_ neuron: String, parameters: TrialParameters, purpose: String = "seeds") throws {
        var base = parameters
        base["neuron"] = .string(neuron)
        base["purpose"] = .string(purpose)
        let trials = StudyPlan.seeds(config.value.seeds, base: base)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let name = "wenig-shd.\(preset).\(neuron).\(purpose).\(Self.digest(config.json + String(decoding: try encoder.encode(trials), as: UTF8.self)))"
        let spec = StudySpec(
            name: name, experiment: runner.experiment, objective: "val/accuracy", direction: .maximize,
            workerCommand: Self.workerCommand(study: name, options: options, overrides: []))
        let study = try StudyPlan.prepare(spec, trials: trials, in: registry)
        log("\(purpose) \(neuron): study \(name), seeds \(config.value.seeds)")
        if enqueueOnly {
            if let left = try TrialsEnqueued(study: name, in: registry, registry: options.registryPath()) { throw left }
        } else {
            try runWorkers(name, min(config.value.search.workers, trials.count), [])
        }
        let failed = try registry.trials(in: study.id).filter { $0.state == .failed }
        if let first = failed.first {
            throw SHDError.missingRuns("\(purpose) \(neuron): \(failed.count) of \(trials.count) seed runs failed; first: \(first.lastError ?? "no reason recorded")")
        }
    }

    /// Search → seeds for both exact models, the discrete comparison, landscapes, report.
    public func reproduce(reportDirectory: URL) throws -> URL {
        try prepareData()
        for neuron in Self.exactNeurons {
            let best = try search(neuron)
            try seeds(neuron, parameters: best.parameters)
        }
        for neuron in Self.discreteNeurons {
            try seeds(neuron, parameters: [:], purpose: "comparison")
        }
        try SHDLandscapeStage(pipeline: self).run()
        return try SHDReport(pipeline: self).write(to: reportDirectory)
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

    /// 64-bit FNV-1a in hex: enough to tell configs apart in a study name (not a security hash).
    static func digest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }
}

extension ExperimentRunner where E == SHDTraining {
    /// Paper 1's runner: registry experiment `shd`, presets in `papers/wenig2026-qif-shd/configs`.
    public static var shd: ExperimentRunner<SHDTraining> {
        ExperimentRunner(experiment: "shd", paper: SHDReport.paper, presets: SHDReport.paperDirectory.appendingPathComponent("configs"))
    }
}
