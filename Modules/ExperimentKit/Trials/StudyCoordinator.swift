import Foundation
import Registry

/// The process that fills a study's queue, has workers train its trials and collects how they
/// ended: what every experiment's `reproduce` (or search) command does once per study.
///
/// Workers are `runWorkers`: by default local processes of the study's recorded worker command
/// (`LocalWorkerPool`); a test runs them in-process; with `enqueueOnly` none start here and the
/// coordinator stops with `TrialsEnqueued`, leaving the queue to workers elsewhere (a Slurm job
/// array) until a rerun finds it drained.
public struct StudyCoordinator {
    public var queue: any TrialQueue
    /// The registry location as given on the command line, for the `--enqueue-only` message.
    public var registryLocation: String
    public var enqueueOnly: Bool
    /// Runs `count` workers on the study until none of its trials is queued.
    public var runWorkers: (_ spec: StudySpec, _ count: Int) throws -> Void

    public init(
        queue: any TrialQueue, registryLocation: String, enqueueOnly: Bool = false,
        runWorkers: @escaping (_ spec: StudySpec, _ count: Int) throws -> Void = Self.localProcesses
    ) {
        self.queue = queue
        self.registryLocation = registryLocation
        self.enqueueOnly = enqueueOnly
        self.runWorkers = runWorkers
    }

    /// `count` local processes of the study's worker command.
    public static func localProcesses(_ spec: StudySpec, count: Int) throws {
        try LocalWorkerPool(command: spec.workerCommand, count: count).run()
    }

    /// Enqueues `trials` in the study `spec` (the first time; a rerun resumes it), has `workers`
    /// workers train them and returns how they ended. A worker process that crashed does not
    /// cost the results of the others: it is listed in the outcome.
    public func run(_ spec: StudySpec, trials: [TrialParameters], workers: Int) throws -> StudyOutcome {
        let study = try StudyPlan.prepare(spec, trials: trials, in: queue)
        var workerFailures: [String] = []
        do {
            try work(spec, workers: workers)
        } catch let error as WorkerPoolError {
            workerFailures = error.failures
        }
        return StudyOutcome(study: study, trials: try queue.trials(in: study.id), workerFailures: workerFailures)
    }

    /// Runs the search `plan` in the study `spec`, round by round, and returns it (for its best
    /// trial); a crashed worker stops the search, resumably.
    public func search(_ spec: StudySpec, plan: SearchPlan) throws -> HyperparameterSearch {
        let search = HyperparameterSearch(spec: spec, plan: plan, queue: queue)
        try search.run { try work(spec, workers: plan.workers) }
        return search
    }

    /// Workers on the study's open trials, or `TrialsEnqueued` when they are left to others.
    private func work(_ spec: StudySpec, workers: Int) throws {
        guard enqueueOnly else { return try runWorkers(spec, workers) }
        if let left = try TrialsEnqueued(study: spec.name, in: queue, registry: registryLocation) { throw left }
    }
}

/// How a study's trials ended.
public struct StudyOutcome {
    public var study: Study
    public var trials: [Trial]
    /// Worker processes that did not exit cleanly, one line each.
    public var workerFailures: [String]

    /// The trials that did not complete: failed, or left queued or running.
    public var unfinished: [Trial] { trials.filter { $0.state != .completed } }
}

/// The fingerprint in a study's name: a changed command (config, plan, trials) gets a study of
/// its own, while rerunning an unchanged one resumes its study.
public enum StudyFingerprint {
    /// The first `length` hex digits of `ConfigFingerprint` (SHA-256 of the canonical JSON) of the
    /// object whose members are `parts`, e.g. `["config": resolved config, "trials": [...]]`.
    /// Named parts keep every config's own `seed`, which `ConfigFingerprint` leaves out only at
    /// the top level.
    public static func of(_ parts: [String: any Encodable], length: Int = 16) throws -> String {
        let encoder = JSONEncoder()
        var members: [String: JSONValue] = [:]
        for (name, part) in parts { members[name] = try JSONValue.parse(encoder.encode(part)) }
        return String(try ConfigFingerprint.of(configJSON: JSONValue.object(members).jsonText).prefix(length))
    }

    /// A resolved config's JSON text as a part.
    public static func config(_ json: String) throws -> JSONValue {
        try JSONValue.parse(Data(json.utf8))
    }
}
