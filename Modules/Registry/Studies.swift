import Foundation

/// One hyperparameter value. Kept to the scalar kinds a search space uses so parameters stay
/// comparable across stores (SQLite and PostgreSQL) and encode as plain JSON.
///
/// JSON does not tell 2.0 from 2, so a double with an integral value comes back as `.int`; read
/// numbers through `doubleValue`, which accepts both.
public enum ParameterValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        }
    }

    /// The value as a number, for `.int` and `.double`; nil for strings and booleans.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        case .string, .bool: return nil
        }
    }

    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .string(let value): return value
        case .bool(let value): return String(value)
        }
    }
}

/// A trial's hyperparameters by name.
public typealias TrialParameters = [String: ParameterValue]

/// Whether a study's objective is to be made small or large.
public enum OptimizationDirection: String, Codable, Sendable {
    case minimize, maximize
}

/// What creating a study asks for. Creating the same study twice returns the existing one, so
/// every worker of a search can call `createStudy` without coordinating who goes first.
public struct StudySpec: Sendable, Equatable {
    public var name: String
    public var experiment: String
    /// The metric a trial's result reports, e.g. `val/accuracy`.
    public var objective: String
    public var direction: OptimizationDirection
    /// A trial whose worker died this many times is marked failed instead of re-queued again,
    /// so one poisonous configuration cannot kill workers forever.
    public var maxAttempts: Int
    /// The command (executable, then arguments) that works through this study's queue, as the
    /// local worker pool runs it; a cluster job array runs the same command once per task.
    /// Empty when the study was created without one. Not part of a study's identity: the latest
    /// `createStudy` call that gives one replaces it (a resumed search may run from a new build).
    public var workerCommand: [String]

    public init(
        name: String, experiment: String, objective: String, direction: OptimizationDirection,
        maxAttempts: Int = 3, workerCommand: [String] = []
    ) {
        self.name = name
        self.experiment = experiment
        self.objective = objective
        self.direction = direction
        self.maxAttempts = maxAttempts
        self.workerCommand = workerCommand
    }
}

/// A stored study.
public struct Study: Sendable, Equatable {
    public var id: StudyID
    public var spec: StudySpec
    public var createdAt: Date
}

/// Where a trial is: waiting, held by a worker, or done.
public enum TrialState: String, Codable, Sendable, CaseIterable {
    case queued, running, completed, failed
}

/// The process that works on a trial. `host` and `pid` let the local store tell at once that a
/// worker on this machine has died; other hosts are judged by their heartbeat alone.
public struct Worker: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var pid: Int32

    public init(host: String, pid: Int32) {
        self.host = host
        self.pid = pid
    }

    /// This process.
    public static var current: Worker {
        Worker(host: ProcessInfo.processInfo.hostName, pid: ProcessInfo.processInfo.processIdentifier)
    }

    public var description: String { "\(host):\(pid)" }
}

/// One trial as stored.
public struct Trial: Sendable, Equatable {
    public var id: TrialID
    public var studyID: StudyID
    /// Position in the study, from 0, in enqueue order; trials are claimed in this order.
    public var number: Int
    public var parameters: TrialParameters
    public var state: TrialState
    public var worker: String?
    /// How many times a worker has claimed the trial; above 1 means a worker died on it before.
    public var attempts: Int
    public var claimedAt: Date?
    public var heartbeatAt: Date?
    public var finishedAt: Date?
    public var result: Double?
    public var runID: RunID?
    /// Why the last attempt failed or was re-queued.
    public var lastError: String?
}

/// The work queue of a hyperparameter search, independent of the database behind it.
///
/// Every method is atomic with respect to other processes using the same store: `claim` hands each
/// queued trial to exactly one worker. Workers call `heartbeat` while they train; a trial whose
/// worker stopped beating is handed to another worker by `requeueStale`. `RunRegistry` implements it,
/// on SQLite for one machine and on PostgreSQL for a cluster, with the same contract.
///
/// Every worker, local process or Slurm array task, runs the same loop:
///
/// ```swift
/// let study = try queue.createStudy(spec)          // idempotent: all workers may call it
/// while let trial = try queue.claim(from: study.id, worker: .current) {
///     do {
///         let result = try train(trial.parameters) { try queue.heartbeat(trial.id, worker: .current) }
///         try queue.complete(trial.id, worker: .current, result: result, run: runID)
///     } catch {
///         try queue.fail(trial.id, worker: .current, reason: "\(error)")
///     }
/// }
/// ```
public protocol TrialQueue: Sendable {
    /// Creates the study, or returns the existing one with the same name and settings.
    func createStudy(_ spec: StudySpec) throws -> Study
    /// The study with this name, or nil.
    func study(named name: String) throws -> Study?
    /// Appends trials to the study in the given order and returns them as stored.
    @discardableResult
    func enqueue(_ parameters: [TrialParameters], in study: StudyID) throws -> [Trial]
    /// Takes the first queued trial for `worker`, or returns nil when none is queued.
    func claim(from study: StudyID, worker: Worker) throws -> Trial?
    /// Tells the queue the worker is still alive and working on the trial.
    func heartbeat(_ trial: TrialID, worker: Worker) throws
    /// Records the trial's objective value (and the run that produced it).
    func complete(_ trial: TrialID, worker: Worker, result: Double, run: RunID?) throws
    /// Marks the trial failed for good, with the reason.
    func fail(_ trial: TrialID, worker: Worker, reason: String) throws
    /// Re-queues running trials whose last heartbeat is older than `olderThan` seconds; returns them.
    @discardableResult
    func requeueStale(olderThan: TimeInterval) throws -> [TrialID]
    /// All trials of the study, in enqueue order.
    func trials(in study: StudyID) throws -> [Trial]
}
