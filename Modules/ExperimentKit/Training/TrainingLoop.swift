import Checkpoint
import Foundation
import NN
import Registry

/// How a run begins: as a new registry run, or by continuing a stopped one (`--resume`).
public enum RunStart: Sendable {
    case new(RunSpec)
    case resume(RunID)
}

/// What a finished run reports back, e.g. to a hyperparameter search.
public struct TrainingSummary: Sendable {
    public var run: RunID
    /// The metrics of the last epoch trained by this process (empty if none was left to train).
    public var finalMetrics: [MetricPoint]
    /// The last checkpoint, if any epoch has finished.
    public var checkpoint: URL?

    /// The last value of `objective` (`split/name`, as in `StudySpec.objective`).
    public func value(of objective: String) throws -> Double {
        let key = objective.split(separator: "/", maxSplits: 1).map(String.init)
        guard key.count == 2, let point = finalMetrics.last(where: { $0.split == key[0] && $0.name == key[1] }) else {
            let reported = finalMetrics.map { "\($0.split)/\($0.name)" }.joined(separator: ", ")
            throw ConfigError(
                source: "run \(run)",
                message: "the objective \(objective) was not reported; the metrics are: \(reported)")
        }
        return point.value
    }
}

/// Drives an `Experiment` through its epochs and keeps the registry and the checkpoints right.
///
/// Per epoch: train, evaluate, log every metric, stop on NaN/Inf (in a metric or a parameter),
/// write a checkpoint atomically and record it as an artifact. Whatever stops the run — a
/// non-finite loss, Ctrl-C, an error the experiment throws — is recorded: the run ends `failed`
/// or `interrupted` with the reason and its last good checkpoint, and `RunStopped` is thrown.
/// Such a run continues under the same id with `.resume(id)`.
public struct TrainingLoop {
    public var registry: RunRegistry
    /// Checkpoints go to `<outputDirectory>/run-<id>/epoch-<n>.h5`.
    public var outputDirectory: URL
    public var progress: ProgressReporter
    public var interrupt: InterruptFlag
    /// The least time between heartbeats inside an epoch; keep it well under the registry's
    /// `staleAfter`.
    public var heartbeatInterval: TimeInterval = 30
    /// Called with each heartbeat, e.g. to keep a search trial claimed.
    public var onHeartbeat: (() throws -> Void)?

    /// The artifact kind of checkpoints in the registry.
    public static let checkpointKind = "checkpoint"
    static let epochKey = "epoch"
    static let runKey = "run"

    public init(
        registry: RunRegistry, outputDirectory: URL, progress: ProgressReporter, interrupt: InterruptFlag,
        onHeartbeat: (() throws -> Void)? = nil
    ) {
        self.registry = registry
        self.outputDirectory = outputDirectory
        self.progress = progress
        self.interrupt = interrupt
        self.onHeartbeat = onHeartbeat
    }

    /// Trains `experiment` from `start` to its last epoch.
    public func run(_ experiment: some Experiment, start: RunStart) throws -> TrainingSummary {
        let run: RunID
        var resumePoint: ResumePoint?
        switch start {
        case .new(let spec):
            run = try registry.startRun(spec)
            try saveRunFiles(experiment, run: run)
        case .resume(let id):
            let point = try ResumePoint.locate(id, in: registry)
            do {
                try registry.reopen(id)
            } catch RegistryError.runNotResumable(_, let status) {
                if status == .completed { throw ResumeError.alreadyCompleted(id) }
                let record = try registry.run(id)
                throw ResumeError.stillRunning(id, pid: record.pid, host: record.provenance.host)
            }
            run = id
            resumePoint = point
        }
        var lastGood: (url: URL, epoch: Int)?
        var nextEpoch = 1
        do {
            if let resumePoint {
                let epoch = try resumePoint.restore(into: experiment)
                lastGood = (resumePoint.checkpoint, epoch)
                nextEpoch = epoch + 1
                progress.note("run \(run): resuming after epoch \(epoch) of \(experiment.epochs)")
            } else {
                progress.note("run \(run): \(experiment.epochs) epochs")
            }
            var finalMetrics: [MetricPoint] = []
            let heartbeat = Heartbeat(interval: heartbeatInterval) {
                try registry.heartbeat(run)
                try onHeartbeat?()
            }
            for epoch in nextEpoch..<max(nextEpoch, experiment.epochs + 1) {
                if interrupt.isRaised { throw TrainingError.interrupted(epoch: epoch, step: nil) }
                progress.epochStarted(epoch, of: experiment.epochs)
                let metrics = try train(experiment, epoch: epoch, run: run, heartbeat: heartbeat)
                lastGood = (try saveCheckpoint(experiment, run: run, epoch: epoch), epoch)
                progress.epochFinished(epoch, metrics: metrics)
                finalMetrics = metrics
            }
            try registry.finish(run, status: .completed)
            return TrainingSummary(run: run, finalMetrics: finalMetrics, checkpoint: lastGood?.url)
        } catch {
            throw stop(run, because: error, lastGood: lastGood)
        }
    }

    /// Trains and evaluates one epoch, logs its metrics, and throws if a metric or a parameter
    /// is not finite (after logging, so the diverged values are on record).
    private func train(_ experiment: some Experiment, epoch: Int, run: RunID, heartbeat: Heartbeat) throws
        -> [MetricPoint]
    {
        let steps = EpochProgress(epoch: epoch, reporter: progress, heartbeat: heartbeat, interrupt: interrupt)
        experiment.model.train()
        let trained = try experiment.trainEpoch(epoch, progress: steps)
        experiment.model.eval()
        let evaluated = try experiment.evaluate(epoch)
        let metrics = (trained + evaluated).map { point in
            var point = point
            point.epoch = epoch
            return point
        }
        try registry.logMetrics(run, metrics)
        try onHeartbeat?()
        if let bad = metrics.first(where: { !$0.value.isFinite }) { throw TrainingError.nonFiniteMetric(bad) }
        if let bad = experiment.model.namedTensors().first(where: { !$0.parameter.value.doubles.allSatisfy(\.isFinite) }
        ) {
            throw TrainingError.nonFiniteParameter(name: bad.name, epoch: epoch)
        }
        return metrics
    }

    /// Copies the experiment's `runFiles` into the run's folder and records them.
    private func saveRunFiles(_ experiment: some Experiment, run: RunID) throws {
        guard !experiment.runFiles.isEmpty else { return }
        let directory = outputDirectory.appendingPathComponent("run-\(run)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (kind, file) in experiment.runFiles {
            let url = directory.appendingPathComponent(file.lastPathComponent).standardizedFileURL
            try? FileManager.default.removeItem(at: url)
            try FileManager.default.copyItem(at: file, to: url)
            try registry.addArtifact(run, kind: kind, path: url.path)
        }
    }

    /// Writes the epoch's checkpoint (atomically: `Checkpoint.save` renames a finished file into
    /// place) and records it with its SHA-256.
    private func saveCheckpoint(_ experiment: some Experiment, run: RunID, epoch: Int) throws -> URL {
        let directory = outputDirectory.appendingPathComponent("run-\(run)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(String(format: "epoch-%04d.h5", epoch)).standardizedFileURL
        try Checkpoint.save(
            experiment.model, optimizer: experiment.optimizer,
            metadata: [Self.epochKey: String(epoch), Self.runKey: run.description], to: url)
        try registry.addArtifact(run, kind: Self.checkpointKind, path: url.path)
        return url
    }

    /// Records why the run stopped and returns the error to throw. Registry failures here are
    /// ignored: the original error matters more, and the registry's own recovery marks a run
    /// whose process is gone as interrupted.
    private func stop(_ run: RunID, because error: any Error, lastGood: (url: URL, epoch: Int)?) -> RunStopped {
        var status = RunStatus.failed
        switch error as? TrainingError {
        case .interrupted?:
            status = .interrupted
        case .nonFiniteMetric(let point)? where point.step != nil:
            // A diverged step loss is part of the record; the registry stores NaN as NULL.
            try? registry.logMetric(run, point)
        default:
            break
        }
        let checkpoint =
            lastGood.map { "last good checkpoint: \($0.url.path) (epoch \($0.epoch))" } ?? "no checkpoint was written"
        let reason = "\(error); \(checkpoint)"
        try? registry.finish(run, status: status, reason: reason)
        progress.note("run \(run) \(status.rawValue): \(reason)")
        return RunStopped(run: run, status: status, reason: reason, underlying: error)
    }
}
