import ArgumentParser
import ExperimentKit
import Foundation
import Neurons
import Registry

/// `snn-shd`: paper 1's protocol from the command line. Each stage is a subcommand; `reproduce`
/// runs them all (what `make reproduce-shd` calls).
public struct SHDCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "snn-shd",
        abstract: "Paper 1 (Wenig et al. 2026): QIF vs LIF networks trained with exact gradients on SHD.",
        discussion: """
            Configs are the presets in papers/wenig2026-qif-shd/configs (smoke, cpu, paper); every field can be \
            overridden with --set path=value. Results go to the registry (--registry, default runs/registry.sqlite).
            """,
        subcommands: [Train.self, Search.self, Seeds.self, Landscape.self, Report.self, Reproduce.self, Worker.self])

    public init() {}
}

/// Flags shared by the stages that load data: any SHD-layout file pair and a quick epoch count.
public struct SHDDataFlags: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A training file in the SHD layout (with --test-file; sets data.dataset=files).", valueName: "file"))
    public var trainFile: String?

    @Option(help: ArgumentHelp("A test file in the SHD layout (with --train-file).", valueName: "file"))
    public var testFile: String?

    @Option(help: "Epochs per run (same as --set training.epochs=N).")
    public var epochs: Int?

    public init() {}

    public func validate() throws {
        guard (trainFile == nil) == (testFile == nil) else {
            throw ValidationError("--train-file and --test-file go together: pass both or neither")
        }
        for (flag, path) in [("--train-file", trainFile), ("--test-file", testFile)] {
            if let path, !FileManager.default.fileExists(atPath: path) {
                throw ValidationError("\(flag) \(path): no such file")
            }
        }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
    }

    /// The flags as config overrides, in the order `--set` would apply them.
    public var overrides: [ConfigOverride] {
        var result: [ConfigOverride] = []
        if let trainFile, let testFile {
            let absolute = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.path }
            result += [
                ConfigOverride(path: ["data", "dataset"], text: "files"),
                ConfigOverride(path: ["data", "trainFile"], text: absolute(trainFile)),
                ConfigOverride(path: ["data", "testFile"], text: absolute(testFile)),
            ]
        }
        if let epochs { result.append(ConfigOverride(path: ["training", "epochs"], text: String(epochs))) }
        return result
    }

    /// The flags as `--set` values (`path=value`), so child processes resolve the same config.
    var setArguments: [String] {
        overrides.map { "\($0.path.joined(separator: "."))=\($0.text)" }
    }
}

extension SHDCommand {
    /// Trains one network.
    public struct Train: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Train one network (resumable with --resume RUN).")
        @OptionGroup var common: ExperimentOptions
        @OptionGroup var data: SHDDataFlags
        @Option(
            help:
                "Neuron model: qif-exact, lif-exact, or a discrete-time plugin such as lif or dqif (same as --set neuron=NAME)."
        )
        var neuron: String?

        public init() {}

        public func run() throws {
            var shorthands = data.overrides
            if let neuron { shorthands.append(ConfigOverride(path: ["neuron"], text: neuron)) }
            let summary = try ExperimentRunner.shd.train(common, adding: shorthands)
            let shown = summary.finalMetrics.filter { $0.split != "train" || $0.name == "loss" }
                .map { "\($0.split)/\($0.name) \(String(format: "%.4f", $0.value))" }
            print("run \(summary.run) completed: \(shown.joined(separator: ", "))")
        }
    }

    /// Runs the hyperparameter search of one model.
    public struct Search: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Search hyperparameters for one model (resumable: rerun to continue).")
        @OptionGroup var stage: StageOptions
        @OptionGroup var enqueue: EnqueueOnlyFlag
        @Option(help: "qif-exact or lif-exact, or a discrete comparison model (lif, dqif: space discrete.space.NAME).")
        var neuron: String

        public init() {}

        public func run() throws {
            try NeuronCatalogue.lookup(neuron, kinds: [.eventDriven])
            var pipeline = try stage.pipeline(preparingData: true)
            pipeline.enqueueOnly = enqueue.enqueueOnly
            do {
                let best = try pipeline.search(neuron)
                print(
                    "best trial \(best.number): val/accuracy \(best.result ?? .nan), run \(best.runID.map { "\($0)" } ?? "—")"
                )
            } catch let left as TrialsEnqueued {
                print(left)
            }
        }
    }

    /// Retrains a model's best configuration with every seed.
    public struct Seeds: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Retrain one model's best searched configuration with the preset's seeds.")
        @OptionGroup var stage: StageOptions
        @OptionGroup var enqueue: EnqueueOnlyFlag
        @Option(help: "qif-exact, lif-exact, lif or dqif (its search runs first, or resumes, if unfinished).")
        var neuron: String

        public init() {}

        public func run() throws {
            try NeuronCatalogue.lookup(neuron)
            var pipeline = try stage.pipeline(preparingData: true)
            pipeline.enqueueOnly = enqueue.enqueueOnly
            do {
                let best = try pipeline.search(neuron)
                try pipeline.seeds(neuron, parameters: best.parameters, purpose: SHDPipeline.purpose(of: neuron))
            } catch let left as TrialsEnqueued {
                print(left)
            }
        }
    }

    /// Scans the landscapes of both models.
    public struct Landscape: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Scan loss and gradient landscapes around both models' trained networks.")
        @OptionGroup var stage: StageOptions

        public init() {}

        public func run() throws {
            try SHDLandscapeStage(pipeline: try stage.pipeline()).run()
        }
    }

    /// Writes the report from the registry.
    public struct Report: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Write RESULTS.md and its figures from the registry.")
        @OptionGroup var stage: StageOptions
        @OptionGroup var output: ReportOptions

        public init() {}

        public func run() throws {
            let pipeline = try stage.pipeline()
            let file = try SHDReport(pipeline: pipeline).write(to: output.directory)
            print("report: \(file.relativePath)")
        }
    }

    /// Every stage in order.
    public struct Reproduce: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Searches → seeds → comparison → landscapes → report (what make reproduce-shd runs).")
        @OptionGroup var stage: StageOptions
        @OptionGroup var output: ReportOptions

        public init() {}

        public func run() throws {
            let pipeline = try stage.pipeline()
            let start = Date()
            let file: URL
            var failed: RunsFailed?
            do {
                file = try pipeline.reproduce(reportDirectory: output.directory)
            } catch let error as RunsFailed {
                (file, failed) = (error.report, error)
            }
            let registry = try RegistryLocation(stage.common.registryPath()).description  // Without a password.
            print(
                """
                reproduce-shd (\(pipeline.preset)) \(failed == nil ? "finished" : "FAILED") \
                in \(Int(Date().timeIntervalSince(start))) s
                  report:   \(file.relativePath)
                  figures:  \(file.deletingLastPathComponent().appendingPathComponent("figures").relativePath)/
                  registry: \(registry)  (snn runs list --registry \(registry))
                """)
            // A non-zero exit status with the list of failed runs.
            if let failed { throw failed }
        }
    }

    /// A search or seed worker (started by the other stages).
    public struct Worker: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Work through a study's queued trials (started by search/seeds).")
        @Argument(help: "The study's name.") var study: String
        @OptionGroup var common: ExperimentOptions

        public init() {}

        public func run() throws {
            _ = try ExperimentRunner.shd.work(study: study, options: common)
        }
    }

}

/// What every stage command takes: the shared experiment options and the data flags.
public struct StageOptions: ParsableArguments {
    @OptionGroup public var common: ExperimentOptions
    @OptionGroup public var data: SHDDataFlags

    public init() {}

    public func validate() throws {
        if let run = common.resume {
            throw ValidationError(
                "--resume continues one training run: use `snn-shd train --resume \(run)`; stages resume by themselves")
        }
    }

    /// The pipeline of these options, the data flags folded into `--set` overrides so worker
    /// processes resolve the same config; with `preparingData`, the data files are fetched or
    /// generated first, before any worker starts.
    func pipeline(preparingData: Bool = false) throws -> SHDPipeline {
        var options = common
        options.overrides += data.setArguments
        let quiet = common.quiet
        let pipeline = try SHDPipeline(options: options) { text in
            if !quiet { ProgressReporter.standardError("[shd] \(text)\n") }
        }
        if preparingData { try pipeline.prepareData() }
        return pipeline
    }
}

/// Where a report goes.
public struct ReportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where RESULTS.md and figures/ go.", valueName: "dir"))
    var reportDir: String = SHDReport.paperDirectory.relativePath

    public init() {}

    var directory: URL { URL(fileURLWithPath: reportDir, isDirectory: true) }
}
