import ArgumentParser
import Registry

/// `--enqueue-only`, for the commands that fill a study's queue and then run workers on it.
public struct EnqueueOnlyFlag: ParsableArguments {
    @Flag(
        help: ArgumentHelp(
            "Create the study and enqueue its trials (a search: its next round), then stop without running them.",
            discussion: "Run them elsewhere, e.g. `snn cluster submit STUDY --workers N`, then rerun the same command: "
                + "it picks up the results from the registry and enqueues the next round."))
    public var enqueueOnly = false

    public init() {}
}

/// What a command run with `--enqueue-only` stops with in place of running workers: the study
/// whose trials wait in the registry for workers elsewhere (a Slurm job array). Nothing is lost
/// by stopping: the registry holds the queue, so rerunning the command continues from it.
public struct TrialsEnqueued: Error, Equatable, CustomStringConvertible {
    public var study: String
    /// Trials queued or running.
    public var open: Int
    /// The registry location the trials are in, as given.
    public var registry: String

    /// The study's open trials, or nil when it has none (its workers are done).
    public init?(study: String, in queue: any TrialQueue, registry: String) throws {
        guard let found = try queue.study(named: study) else { throw RegistryError.unknownStudy(study) }
        let open = try queue.trials(in: found.id).filter(\.isOpen).count
        guard open > 0 else { return nil }
        self.study = study
        self.open = open
        self.registry = registry
    }

    public var description: String {
        let submit = ShellQuoting.commandLine([
            "snn", "cluster", "submit", study, "--workers", String(open), "--registry", registry,
        ])
        return "study \(study): \(open) trial(s) queued or running, left for other workers.\n"
            + "Run them on a cluster with `\(submit)`, then rerun this command to continue."
    }
}
