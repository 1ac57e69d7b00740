import Registry

/// Why the loop stopped a run early.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A loss or metric became NaN or infinite; the point says where.
    case nonFiniteMetric(MetricPoint)
    /// A parameter holds NaN or infinite values at the end of an epoch.
    case nonFiniteParameter(name: String, epoch: Int)
    /// SIGINT or SIGTERM arrived; `step` is nil between epochs.
    case interrupted(epoch: Int, step: Int?)

    public var description: String {
        switch self {
        case .nonFiniteMetric(let point):
            let place = ["epoch \(point.epoch ?? 0)", point.step.map { "step \($0)" }].compactMap { $0 }.joined(
                separator: ", ")
            return "\(place): \(point.split)/\(point.name) is \(point.value)"
        case .nonFiniteParameter(let name, let epoch):
            return "epoch \(epoch): parameter \(name) holds NaN or infinite values"
        case .interrupted(let epoch, let step):
            return step.map { "interrupted in epoch \(epoch) at step \($0)" } ?? "interrupted before epoch \(epoch)"
        }
    }
}

/// A run the loop ended early, after recording `status` and `reason` in the registry.
public struct RunStopped: Error, CustomStringConvertible {
    public var run: RunID
    /// `failed` or `interrupted`.
    public var status: RunStatus
    /// The reason stored in the registry, with the last good checkpoint.
    public var reason: String
    /// What stopped the run.
    public var underlying: any Error

    public var description: String { "run \(run) \(status.rawValue): \(reason)" }
}

/// Why `--resume` cannot continue a run.
public enum ResumeError: Error, Equatable, CustomStringConvertible {
    case alreadyCompleted(RunID)
    case stillRunning(RunID, pid: Int32, host: String)
    case noCheckpoint(RunID)
    case checkpointMissing(RunID, path: String)
    case checkpointChanged(RunID, path: String, recordedBytes: Int64, actualBytes: Int64)
    case foreignCheckpoint(RunID, path: String, metadata: [String: String])

    public var description: String {
        switch self {
        case .alreadyCompleted(let run):
            return "run \(run) completed; there is nothing to resume"
        case .stillRunning(let run, let pid, let host):
            return "run \(run) is still running (pid \(pid) on \(host)); stop it first"
        case .noCheckpoint(let run):
            return "run \(run) stopped before its first checkpoint; start a new run instead"
        case .checkpointMissing(let run, let path):
            return "run \(run)'s last checkpoint \(path) no longer exists"
        case .checkpointChanged(let run, let path, let recorded, let actual):
            return
                "run \(run)'s last checkpoint \(path) has \(actual) bytes, but \(recorded) were recorded; it was changed"
        case .foreignCheckpoint(let run, let path, let metadata):
            return "\(path) is not a checkpoint of run \(run) (its metadata: \(metadata.sorted { $0.key < $1.key }))"
        }
    }
}
