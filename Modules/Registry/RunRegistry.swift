import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a registry is opened.
public struct RegistryOptions: Sendable {
    /// A running run or trial whose heartbeat is older than this many seconds is taken as dead.
    /// Training loops heartbeat every step or epoch; pick this well above the longest gap.
    public var staleAfter: TimeInterval = 300
    /// How long an SQLite write waits for another process's transaction before failing.
    /// (PostgreSQL writers wait on row locks for as long as the server lets them.)
    public var busyTimeout: TimeInterval = 30
    /// When false, opening a path with no registry file throws `missingRegistry` (read-only tools
    /// use this). A PostgreSQL database must exist beforehand either way; its tables are created.
    public var createIfMissing = true
    /// The time source, injectable so tests can age heartbeats without sleeping.
    public var clock: @Sendable () -> Date = { Date() }

    public init() {}
}

/// The results registry: every run, its metrics and artifacts, and the studies of hyperparameter
/// searches. It lives in one SQLite file in WAL mode that the processes of one machine share, or in
/// a PostgreSQL database that workers on several machines share (see `RegistryLocation`); the
/// registry's logic is the same for both, only the store below it differs.
///
/// Opening the registry migrates its schema and recovers what dead processes left behind: runs
/// still `running` without a recent heartbeat (or whose process on this host is gone) become
/// `interrupted`, and their trials go back to the queue.
///
/// A training process uses it like this:
///
/// ```swift
/// let registry = try RunRegistry.open(location: "runs/registry.sqlite")  // or "postgres://snn@db/registry"
/// let run = try registry.startRun(RunSpec(experiment: "shd", paper: "shd-qif", neuron: "lif",
///                                         preset: "cpu", configJSON: configText, seed: 0))
/// for epoch in 0..<epochs {
///     // … train …
///     try registry.logMetric(run, MetricPoint(split: "val", name: "accuracy", value: accuracy, epoch: epoch))
/// }
/// try registry.addArtifact(run, kind: "checkpoint", path: checkpointPath)
/// try registry.finish(run, status: .completed)   // or .failed with the reason
/// ```
public final class RunRegistry: Sendable {
    /// Where the registry lives.
    public let location: RegistryLocation
    let store: any RegistryStore
    let options: RegistryOptions

    /// Opens the registry at `location`: a file path, `sqlite:PATH` or a `postgres://` URI.
    public static func open(location: String, options: RegistryOptions = RegistryOptions()) throws -> RunRegistry {
        try open(location: RegistryLocation(location), options: options)
    }

    public static func open(location: RegistryLocation, options: RegistryOptions = RegistryOptions()) throws
        -> RunRegistry
    {
        let store: any RegistryStore
        switch location {
        case .sqlite(let path): store = try SQLiteStore(path: path, options: options)
        case .postgres(let conninfo): store = try PostgresStore(conninfo: conninfo, location: location.description)
        }
        let registry = RunRegistry(location: location, store: store, options: options)
        try registry.recoverAbandoned()
        return registry
    }

    /// Opens the SQLite registry file at `path`.
    public static func open(path: String, options: RegistryOptions = RegistryOptions()) throws -> RunRegistry {
        try open(location: .sqlite(path: path), options: options)
    }

    private init(location: RegistryLocation, store: any RegistryStore, options: RegistryOptions) {
        self.location = location
        self.store = store
        self.options = options
    }

    /// The number of schema migrations applied to this registry.
    public func schemaVersion() throws -> Int {
        try store.appliedMigrations().count
    }

    var now: Double { options.clock().timeIntervalSince1970 }

    // MARK: Recovery

    /// Marks runs and re-queues trials whose process is gone, and returns what it changed. Called on
    /// open; call it again in long-lived tools. A process counts as gone when its heartbeat is older
    /// than `staleAfter`, or at once when it ran on this host and its pid no longer exists.
    @discardableResult
    public func recoverAbandoned() throws -> (runs: [RunID], trials: [TrialID]) {
        let time = now
        let threshold = time - options.staleAfter
        let host = ProcessInfo.processInfo.hostName
        return try store.write { db in
            let runs = try Self.markAbandonedRuns(db, threshold: threshold, host: host)
            let trials = try Self.requeueAbandonedTrials(db, threshold: threshold, host: host, now: time)
            return (runs, trials)
        }
    }

    private static func markAbandonedRuns(_ db: any SQLConnection, threshold: Double, host: String) throws -> [RunID] {
        let rows = try db.rows("SELECT id, host, pid, heartbeat_at FROM runs WHERE status = 'running' ORDER BY id")
        var marked: [RunID] = []
        for row in rows {
            guard
                let reason = abandonment(
                    heartbeat: row.double("heartbeat_at"), threshold: threshold, host: row.optionalString("host"),
                    pid: row.optionalInt32("pid"), localHost: host)
            else { continue }
            let changed = try db.execute(
                """
                UPDATE runs SET status = 'interrupted', failure_reason = ?, ended_at = heartbeat_at
                WHERE id = ? AND status = 'running'
                """,
                [reason, row.int64("id")])
            if changed == 1 { marked.append(RunID(row.int64("id"))) }
        }
        return marked
    }

    static func requeueAbandonedTrials(_ db: any SQLConnection, threshold: Double, host: String, now: Double) throws
        -> [TrialID]
    {
        let rows = try db.rows(
            """
            SELECT trials.id, worker_host, worker_pid, heartbeat_at, attempts, max_attempts
            FROM trials JOIN studies ON studies.id = trials.study_id
            WHERE trials.state = 'running'
            ORDER BY trials.id
            """)
        var requeued: [TrialID] = []
        for row in rows {
            guard
                let reason = abandonment(
                    heartbeat: row.double("heartbeat_at"), threshold: threshold,
                    host: row.optionalString("worker_host"),
                    pid: row.optionalInt32("worker_pid"), localHost: host)
            else { continue }
            let attempts = row.int("attempts")
            let exhausted = attempts >= row.int("max_attempts")
            // The state condition makes this a no-op when another worker re-queued the trial first.
            let changed = try db.execute(
                """
                UPDATE trials SET state = ?, worker = NULL, worker_host = NULL, worker_pid = NULL,
                    heartbeat_at = NULL, last_error = ?, finished_at = ?
                WHERE id = ? AND state = 'running'
                """,
                [
                    exhausted ? "failed" : "queued",
                    exhausted ? "\(reason); gave up after \(attempts) attempts" : reason,
                    exhausted ? now : nil, row.int64("id"),
                ] as [any SQLBindable])
            if !exhausted, changed == 1 { requeued.append(TrialID(row.int64("id"))) }
        }
        return requeued
    }

    /// Why a `running` row is taken as abandoned, or nil while its process may still be alive.
    private static func abandonment(heartbeat: Double, threshold: Double, host: String?, pid: Int32?, localHost: String)
        -> String?
    {
        if let host, let pid, host == localHost, !processExists(pid) {
            return "process \(pid) on \(host) exited without finishing"
        }
        if heartbeat < threshold {
            let stamp = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: heartbeat))
            return "no heartbeat since \(stamp)"
        }
        return nil
    }

    private static func processExists(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    // MARK: Runs

    /// Records a new run in state `running` and returns its id. Collects provenance when the spec has none.
    public func startRun(_ spec: RunSpec) throws -> RunID {
        try Self.validateJSONObject(spec.configJSON, field: "config")
        let provenance = spec.provenance ?? Provenance.collect()
        let machine = String(decoding: try Self.jsonEncoder.encode(provenance), as: UTF8.self)
        let pid = ProcessInfo.processInfo.processIdentifier
        let time = now
        let id = try store.write { db in
            try db.row(
                """
                INSERT INTO runs (experiment, paper, neuron, preset, config, seed, git_commit, git_dirty, host,
                                  machine, pid, started_at, heartbeat_at, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')
                RETURNING id
                """,
                [
                    spec.experiment, spec.paper, spec.neuron, spec.preset, spec.configJSON, spec.seed,
                    // The host column is where the process runs (for the liveness check), whatever the
                    // caller put in the provenance.
                    provenance.gitCommit, provenance.gitDirty, ProcessInfo.processInfo.hostName, machine, pid, time,
                    time,
                ] as [any SQLBindable]
            )?.int64("id")
        }
        guard let id else {
            throw RegistryError.database(location: location.description, reason: "INSERT returned no id")
        }
        return RunID(id)
    }

    /// Records one metric value and counts as a heartbeat.
    public func logMetric(_ run: RunID, _ point: MetricPoint) throws {
        try logMetrics(run, [point])
    }

    /// Records several metric values in one transaction and counts as a heartbeat.
    public func logMetrics(_ run: RunID, _ points: [MetricPoint]) throws {
        let time = now
        try store.write { db in
            try Self.requireRunning(db, run)
            for point in points {
                try db.execute(
                    """
                    INSERT INTO metrics (run_id, split, name, epoch, step, value, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                    [run.rawValue, point.split, point.name, point.epoch, point.step, point.value, time]
                        as [any SQLBindable])
            }
            try db.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", [time, run.rawValue])
        }
    }

    /// Records a file the run produced, with its SHA-256 computed here, and returns it.
    @discardableResult
    public func addArtifact(_ run: RunID, kind: String, path: String) throws -> Artifact {
        let artifact = try Self.hashFile(kind: kind, path: path)
        let time = now
        try store.write { db in
            try Self.requireExists(db, run)
            try db.execute(
                "INSERT INTO artifacts (run_id, kind, path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [run.rawValue, artifact.kind, artifact.path, artifact.sha256, artifact.bytes, time] as [any SQLBindable]
            )
        }
        return artifact
    }

    /// Tells the registry the run's process is alive.
    public func heartbeat(_ run: RunID) throws {
        let time = now
        try store.write { db in
            try Self.requireRunning(db, run)
            try db.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", [time, run.rawValue])
        }
    }

    /// Ends the run with a terminal status; `reason` says why a run failed or was interrupted.
    public func finish(_ run: RunID, status: RunStatus, reason: String? = nil) throws {
        guard status.isTerminal else { throw RegistryError.notTerminal(status) }
        let time = now
        try store.write { db in
            try Self.requireRunning(db, run)
            try db.execute(
                "UPDATE runs SET status = ?, failure_reason = ?, ended_at = ?, heartbeat_at = ? WHERE id = ?",
                [status.rawValue, reason, time, time, run.rawValue] as [any SQLBindable])
        }
    }

    /// Moves a failed or interrupted run back to `running`, owned by this process, so that a
    /// resumed training keeps logging under the same id. Atomic: of two processes resuming one
    /// run, the second gets `runNotResumable` with status `running`.
    public func reopen(_ run: RunID) throws {
        let time = now
        let info = ProcessInfo.processInfo
        try store.write { db in
            let changed = try db.execute(
                """
                UPDATE runs SET status = 'running', failure_reason = NULL, ended_at = NULL, heartbeat_at = ?,
                    host = ?, pid = ?
                WHERE id = ? AND status IN ('failed', 'interrupted')
                """,
                [time, info.hostName, info.processIdentifier, run.rawValue] as [any SQLBindable])
            guard changed == 1 else {
                let status = try db.row("SELECT status FROM runs WHERE id = ?", [run.rawValue])?.string("status")
                guard let status, let known = RunStatus(rawValue: status) else { throw RegistryError.unknownRun(run) }
                throw RegistryError.runNotResumable(run, status: known)
            }
        }
    }

    // MARK: Queries

    /// The run with this id.
    public func run(_ id: RunID) throws -> RunRecord {
        let record = try store.read { db in
            try db.row("SELECT * FROM runs WHERE id = ?", [id.rawValue]).map(Self.runRecord)
        }
        guard let record else { throw RegistryError.unknownRun(id) }
        return record
    }

    /// Runs matching the filter, oldest first.
    public func runs(_ filter: RunFilter = RunFilter()) throws -> [RunRecord] {
        var clauses: [String] = []
        var arguments: [any SQLBindable] = []
        func match(_ column: String, _ value: String?) {
            guard let value else { return }
            clauses.append("\(column) = ?")
            arguments.append(value)
        }
        match("paper", filter.paper)
        match("experiment", filter.experiment)
        match("neuron", filter.neuron)
        match("preset", filter.preset)
        match("status", filter.status?.rawValue)
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let limitClause = filter.limit.map { " LIMIT \($0)" } ?? ""
        let sql =
            filter.limit == nil
            ? "SELECT * FROM runs \(whereClause) ORDER BY id"
            // The newest `limit` runs, still shown oldest first.
            : "SELECT * FROM (SELECT * FROM runs \(whereClause) ORDER BY id DESC\(limitClause)) AS newest ORDER BY id"
        return try store.read { db in
            try db.rows(sql, arguments).map(Self.runRecord)
        }
    }

    /// The run's metric values in the order they were logged, optionally of one split and name.
    public func metrics(of run: RunID, split: String? = nil, name: String? = nil) throws -> [MetricPoint] {
        var sql = "SELECT split, name, epoch, step, value FROM metrics WHERE run_id = ?"
        var arguments: [any SQLBindable] = [run.rawValue]
        for (column, value) in [("split", split), ("name", name)] {
            guard let value else { continue }
            sql += " AND \(column) = ?"
            arguments.append(value)
        }
        return try store.read { db in
            try Self.requireExists(db, run)
            return try db.rows(sql + " ORDER BY id", arguments).map(Self.metricPoint)
        }
    }

    /// The last logged value of each (split, name) of the run: the numbers a results table shows.
    public func finalMetrics(of run: RunID) throws -> [MetricKey: Double] {
        let points = try metrics(of: run)
        var last: [MetricKey: Double] = [:]
        for point in points { last[MetricKey(split: point.split, name: point.name)] = point.value }
        return last
    }

    /// The run's artifacts in the order they were added.
    public func artifacts(of run: RunID) throws -> [Artifact] {
        try store.read { db in
            try Self.requireExists(db, run)
            return try db.rows(
                "SELECT kind, path, sha256, bytes FROM artifacts WHERE run_id = ? ORDER BY id", [run.rawValue]
            )
            .map { row in
                Artifact(
                    kind: row.string("kind"), path: row.string("path"), sha256: row.string("sha256"),
                    bytes: row.int64("bytes"))
            }
        }
    }

    // MARK: Helpers

    static let jsonEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func validateJSONObject(_ text: String, field: String) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw RegistryError.invalidJSON(field: field, reason: "not valid JSON (\(text.prefix(40)))")
        }
        guard object is [String: Any] else {
            throw RegistryError.invalidJSON(field: field, reason: "got a JSON value that is not an object")
        }
    }

    static func requireExists(_ db: any SQLConnection, _ run: RunID) throws {
        guard try db.row("SELECT id FROM runs WHERE id = ?", [run.rawValue]) != nil else {
            throw RegistryError.unknownRun(run)
        }
    }

    static func requireRunning(_ db: any SQLConnection, _ run: RunID) throws {
        guard let status = try db.row("SELECT status FROM runs WHERE id = ?", [run.rawValue])?.string("status")
        else { throw RegistryError.unknownRun(run) }
        guard status == RunStatus.running.rawValue else {
            throw RegistryError.runNotRunning(run, status: RunStatus(rawValue: status) ?? .interrupted)
        }
    }

    static func hashFile(kind: String, path: String) throws -> Artifact {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RegistryError.artifactUnreadable(path: path, reason: "no such file or not readable")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var bytes: Int64 = 0
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                hasher.update(data: chunk)
                bytes += Int64(chunk.count)
            }
        } catch {
            throw RegistryError.artifactUnreadable(path: path, reason: "\(error)")
        }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return Artifact(kind: kind, path: path, sha256: digest, bytes: bytes)
    }

    static func runRecord(_ row: SQLRow) throws -> RunRecord {
        let provenance = try JSONDecoder().decode(Provenance.self, from: Data(row.string("machine").utf8))
        return RunRecord(
            id: RunID(row.int64("id")), experiment: row.string("experiment"), paper: row.string("paper"),
            neuron: row.optionalString("neuron"), preset: row.optionalString("preset"),
            configJSON: row.string("config"),
            seed: row.optionalInt("seed"), provenance: provenance, pid: row.int32("pid"),
            startedAt: Date(timeIntervalSince1970: row.double("started_at")),
            heartbeatAt: Date(timeIntervalSince1970: row.double("heartbeat_at")),
            endedAt: row.optionalDouble("ended_at").map(Date.init(timeIntervalSince1970:)),
            status: RunStatus(rawValue: row.string("status")) ?? .interrupted,
            failureReason: row.optionalString("failure_reason"))
    }

    static func metricPoint(_ row: SQLRow) -> MetricPoint {
        MetricPoint(
            split: row.string("split"), name: row.string("name"), value: row.optionalDouble("value") ?? .nan,
            epoch: row.optionalInt("epoch"), step: row.optionalInt("step"))
    }
}

/// Selects runs by their descriptive fields; nil fields match everything.
public struct RunFilter: Sendable {
    public var paper: String?
    public var experiment: String?
    public var neuron: String?
    public var preset: String?
    public var status: RunStatus?
    /// Keep only the newest `limit` runs.
    public var limit: Int?

    public init(
        paper: String? = nil, experiment: String? = nil, neuron: String? = nil, preset: String? = nil,
        status: RunStatus? = nil, limit: Int? = nil
    ) {
        self.paper = paper
        self.experiment = experiment
        self.neuron = neuron
        self.preset = preset
        self.status = status
        self.limit = limit
    }
}

/// A metric's identity within a run, e.g. `test/accuracy`.
public struct MetricKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var split: String
    public var name: String

    public init(split: String, name: String) {
        self.split = split
        self.name = name
    }

    public var description: String { "\(split)/\(name)" }
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.split, lhs.name) < (rhs.split, rhs.name) }
}
