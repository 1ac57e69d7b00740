import ArgumentParser
import ExperimentKit
import Foundation
import Registry

/// A paper's command line: `train`, `reproduce`, `report` and `worker` over the shared image
/// experiment. Each executable's main.swift is `ImageCommand<ThatPaper>.main()`.
public protocol PaperDefinition {
    static var paper: ImagePaper { get }
    /// The executable's name, for help texts.
    static var commandName: String { get }
}

public struct ImageCommand<P: PaperDefinition>: ParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: P.commandName,
            abstract: "\(P.paper.title): training, the reproduction protocol and its report.",
            subcommands: [Train.self, Reproduce.self, Report.self, Work.self])
    }

    public init() {}

    /// One training run.
    public struct Train: ParsableCommand {
        public static var configuration: CommandConfiguration {
            CommandConfiguration(abstract: "Train one network (preset cifar.<preset>.json plus overrides).")
        }
        @OptionGroup var common: ExperimentOptions
        @Option(help: "Neuron model (same as --set neuron.name=NAME).") var neuron: String?
        @Option(help: "Epochs (same as --set training.epochs=N).") var epochs: Int?

        public init() {}

        public func run() throws {
            let shorthands = [
                neuron.map { ConfigOverride(path: ["neuron", "name"], text: $0) },
                epochs.map { ConfigOverride(path: ["training", "epochs"], text: String($0)) },
            ].compactMap { $0 }
            let summary = try P.paper.runner.train(common, adding: shorthands)
            print(
                "run \(summary.run): "
                    + summary.finalMetrics.filter { $0.split == "test" }
                    .map { "\($0.split)/\($0.name) \(String(format: "%.4f", $0.value))" }.joined(separator: ", "))
        }
    }

    /// Every variant of the protocol over its seeds, then the report.
    public struct Reproduce: ParsableCommand {
        public static var configuration: CommandConfiguration {
            CommandConfiguration(abstract: "Run the paper's protocol (protocol.<preset>.json) and write its report.")
        }
        @OptionGroup var common: ExperimentOptions
        @OptionGroup var enqueue: EnqueueOnlyFlag
        @Option(help: "Worker processes (default: the protocol's).") var workers: Int?
        @Option(
            help: ArgumentHelp(
                "Only the protocol variants whose names start with this (e.g. sst2- for paper 3's text ladder).",
                valueName: "prefix"))
        var only: String?
        @Option(help: ArgumentHelp("Where <paper>/RESULTS.md and its figures go.", valueName: "dir")) var reportDir =
            "papers"

        public init() {}

        public func validate() throws {
            if common.seed != nil || common.resume != nil {
                throw ValidationError(
                    "reproduce runs every seed of the protocol and resumes by itself when rerun; drop --seed and --resume"
                )
            }
        }

        public func run() throws {
            let paper = P.paper
            let preset = common.preset ?? ExperimentOptions.defaultPreset
            var plan = try paper.plan(preset: preset)
            if let only {
                plan.variants = plan.variants.filter { $0.name.hasPrefix(only) }
                guard !plan.variants.isEmpty else {
                    throw ValidationError("no variant of protocol.\(preset).json starts with \(only)")
                }
            }
            let registry = try RunRegistry.open(location: common.registryPath())
            // Resolve every variant's config before anything trains: a bad override or missing
            // data fails now, with its message, not once per trial.
            let configs = try plan.trials.map { try paper.runner.trialConfig($0, options: common) }
            var checked: [(ImageConfig.DataSection, Int, ImageConfig.TextSection?)] = []
            for config in configs {
                let key = (config.value.data, config.value.timesteps, config.value.text)
                guard !checked.contains(where: { $0.0 == key.0 && $0.1 == key.1 && $0.2 == key.2 }) else { continue }
                _ = try ImageData(config: key.0, timesteps: key.1, dataDirectory: common.dataDirectory(), text: key.2)
                checked.append(key)
            }
            // Named by what its workers run: a changed protocol, preset or --set gets a study of
            // its own, while rerunning an unchanged one resumes it.
            let fingerprint = try StudyFingerprint.of(
                ["configs": try configs.map { try StudyFingerprint.config($0.json) }])
            let studyName = "\(paper.id)/\(preset)/\(fingerprint)"
            let workerCommand =
                [LocalWorkerPool.currentExecutable.path, "worker", studyName] + Self.arguments(common, preset: preset)
            let spec = StudySpec(
                name: studyName, experiment: ImagePaper.experiment, objective: "test/accuracy", direction: .maximize,
                workerCommand: workerCommand)
            let count = workers ?? plan.workers
            if !common.quiet {
                print(
                    "\(paper.id): \(plan.trials.count) runs (\(plan.variants.count) variants × \(plan.seeds.count) seeds), \(count) worker(s), study \(studyName)"
                )
            }
            let coordinator = StudyCoordinator(
                queue: registry, registryLocation: common.registryPath(), enqueueOnly: enqueue.enqueueOnly
            ) { spec, count in
                // One worker trains in this process.
                guard count > 1 else {
                    _ = try paper.runner.work(study: spec.name, options: common)
                    return
                }
                try StudyCoordinator.localProcesses(spec, count: count)
            }
            let outcome: StudyOutcome
            do {
                outcome = try coordinator.run(spec, trials: plan.trials, workers: count)
            } catch let left as TrialsEnqueued {
                // Once the workers elsewhere have finished every run, a rerun goes on to the report.
                return print(left)
            }
            let file = try paper.writeReport(
                registry: registry, preset: preset, overrides: common.overrides,
                directory: URL(fileURLWithPath: reportDir))
            print("\(paper.id): report \(file.path)")
            guard outcome.unfinished.isEmpty, outcome.workerFailures.isEmpty else {
                let summary = Self.failureSummary(
                    paper: paper.id, unfinished: outcome.unfinished, workers: outcome.workerFailures)
                FileHandle.standardError.write(Data(summary.utf8))
                throw ExitCode.failure
            }
        }

        /// What went wrong, for the end of a reproduction that did not complete: each run that
        /// failed (with its error) or never finished, by variant and seed, and each worker
        /// process that did not exit cleanly.
        static func failureSummary(paper: String, unfinished: [Trial], workers: [String]) -> String {
            var lines = ["\(paper): \(unfinished.count) run(s) did not complete; the report covers the runs that did:"]
            for trial in unfinished {
                let name = trial.parameters["variant"]?.description ?? "?"
                let seed = trial.parameters["seed"]?.description ?? "?"
                let why =
                    trial.state == .failed
                    ? (trial.lastError ?? "failed") : "\(trial.state.rawValue), never finished"
                lines.append("  \(name) seed \(seed): \(why)")
            }
            lines += workers.map { "  \($0)" }
            return lines.joined(separator: "\n") + "\n"
        }

        /// The options a worker process needs to resolve the same configs.
        static func arguments(_ common: ExperimentOptions, preset: String) -> [String] {
            var arguments = [
                "--preset", preset, "--registry", common.registryPath(), "--output-dir", common.outputDirectory.path,
            ]
            if let config = common.config { arguments = ["--config", config] + arguments.dropFirst(2) }
            if let data = common.dataDirectory() { arguments += ["--data-dir", data.path] }
            for text in common.overrides { arguments += ["--set", text] }
            if common.quiet { arguments.append("--quiet") }
            return arguments
        }
    }

    /// The report alone, from the registry.
    public struct Report: ParsableCommand {
        public static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: "Write <report-dir>/<paper>/RESULTS.md and figures from the registry's runs of one preset.")
        }
        @Option(help: "The preset whose runs to report (default: cpu).") var preset: String?
        @Option(
            help: ArgumentHelp(
                "The results registry (default: $SNN_REGISTRY, else \(ExperimentOptions.defaultRegistry)).",
                valueName: "path"))
        var registry: String?
        @Option(help: ArgumentHelp("Where <paper>/RESULTS.md and its figures go.", valueName: "dir")) var reportDir =
            "papers"
        @Option(
            name: .customLong("set"),
            help: ArgumentHelp(
                "The --set options the runs were reproduced with (the report takes only their runs).",
                valueName: "key.path=value"))
        var overrides: [String] = []

        public init() {}

        public func run() throws {
            var options = ExperimentOptions()
            options.registry = registry
            let store = try RunRegistry.open(location: options.registryPath())
            let file = try P.paper.writeReport(
                registry: store, preset: preset ?? ExperimentOptions.defaultPreset, overrides: overrides,
                directory: URL(fileURLWithPath: reportDir))
            print(file.path)
        }
    }

    /// A worker process of `reproduce`: trains queued trials of a study until none is left.
    public struct Work: ParsableCommand {
        public static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: "worker",
                abstract: "Train the queued runs of a study (started by reproduce; one per Slurm task on a cluster).")
        }
        @OptionGroup var common: ExperimentOptions
        @Argument(help: "The study's name.") var study: String

        public init() {}

        public func run() throws {
            _ = try P.paper.runner.work(study: study, options: common)
        }
    }
}
