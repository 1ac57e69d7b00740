/// Everything the registry refuses, each naming the file, server or field at fault and what was expected.
/// Locations appear without their password.
public enum RegistryError: Error, Equatable, CustomStringConvertible {
    /// `--registry` or `$SNN_REGISTRY` is neither a path nor a PostgreSQL URI libpq accepts.
    case invalidLocation(String, reason: String)
    /// The PostgreSQL server could not be reached, refused the login, or dropped the connection.
    case unreachable(location: String, reason: String)
    /// The PostgreSQL server rejected a statement.
    case database(location: String, reason: String)
    /// `migrate` writes into an empty registry only, unless told to append.
    case targetNotEmpty(location: String, runs: Int, studies: Int)
    /// Appending a study whose name the target already uses would merge two searches.
    case studyExists(name: String, location: String)
    /// The registry file does not exist and the caller asked not to create it.
    case missingRegistry(path: String)
    /// The file was written by a newer toolkit whose migrations this build does not know.
    case newerSchema(path: String, unknownMigrations: [String])
    /// A config or parameter field that must hold JSON does not.
    case invalidJSON(field: String, reason: String)
    case unknownRun(RunID)
    case unknownStudy(String)
    case unknownTrial(TrialID)
    /// A study with this name exists but was created with different settings.
    case studyMismatch(name: String, field: String, existing: String, requested: String)
    /// The worker no longer owns the trial (it was re-queued as stale, or finished by someone else).
    case trialNotOwned(TrialID, worker: String, state: TrialState, owner: String?)
    /// A run can be finished only once, and only from `running`.
    case runNotRunning(RunID, status: RunStatus)
    /// Only a failed or interrupted run can be reopened (resumed).
    case runNotResumable(RunID, status: RunStatus)
    /// `finish` takes a terminal status; `running` is not one.
    case notTerminal(RunStatus)
    case artifactUnreadable(path: String, reason: String)
    case fileSystem(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidLocation(let location, let reason):
            return "registry location '\(location)' is invalid: \(reason); expected a file path, sqlite:PATH, "
                + "or postgres://user@host[:port]/database"
        case .unreachable(let location, let reason):
            return "cannot reach the registry at \(location): \(reason); expected a running PostgreSQL server "
                + "that accepts this user and database (password from ~/.pgpass or $PGPASSWORD)"
        case .database(let location, let reason):
            return "registry \(location): \(reason)"
        case .targetNotEmpty(let location, let runs, let studies):
            return "registry \(location) already holds \(runs) runs and \(studies) studies; migrate into an empty "
                + "registry, or pass --append to add the copied rows under new ids"
        case .studyExists(let name, let location):
            return "registry \(location) already has a study named '\(name)'; appending would merge two searches"
        case .missingRegistry(let path):
            return "no registry at \(path) (pass --registry PATH or set SNN_REGISTRY)"
        case .newerSchema(let path, let unknown):
            return "registry \(path) has migrations this build does not know (\(unknown.joined(separator: ", "))); "
                + "update the toolkit before opening it"
        case .invalidJSON(let field, let reason):
            return "\(field) must be a JSON object: \(reason)"
        case .unknownRun(let id):
            return "no run with id \(id)"
        case .unknownStudy(let name):
            return "no study named or numbered '\(name)'"
        case .unknownTrial(let id):
            return "no trial with id \(id)"
        case .studyMismatch(let name, let field, let existing, let requested):
            return "study '\(name)' already exists with \(field) = \(existing); requested \(requested)"
        case .trialNotOwned(let id, let worker, let state, let owner):
            return "trial \(id) is \(state.rawValue) and owned by \(owner ?? "nobody"), not by \(worker); "
                + "it was probably re-queued after a missed heartbeat"
        case .runNotRunning(let id, let status):
            return "run \(id) is already \(status.rawValue); only a running run can be finished"
        case .runNotResumable(let id, let status):
            return "run \(id) is \(status.rawValue); only a failed or interrupted run can be resumed"
        case .notTerminal(let status):
            return "finish(status:) expects completed, failed or interrupted, got \(status.rawValue)"
        case .artifactUnreadable(let path, let reason):
            return "cannot read artifact \(path) to hash it: \(reason)"
        case .fileSystem(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
