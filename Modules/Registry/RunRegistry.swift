import Crypto
import Foundation
import GRDB

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
    /// How long a write waits for another process's transaction before failing.
    public var busyTimeout: TimeInterval = 30
    /// When false, opening a path with no registry throws `missingRegistry` (read-only tools use this).
    public var createIfMissing = true
    /// The time source, injectable so tests can age heartbeats without sleeping.
    public var clock: @Sendable () -> Date = { Date() }

    public init() {}
}

/// The results registry: every run, its metrics and artifacts, and the studies of hyperparameter
/// searches, in one SQLite file in WAL mode that several processes read and write at once.
///
/// Opening the registry migrates its schema and recovers what dead processes left behind: runs
/// still `running` without a recent heartbeat (or whose process on this host is gone) become
/// `interrupted`, and their trials go back to the queue.
///
/// A training process uses it like this:
///
/// ```swift
/// let registry = try RunRegistry.open(path: "runs/registry.sqlite")
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
    /// The database file.
    public let path: String
    let pool: DatabasePool
    let options: RegistryOptions

    public static func open(path: String, options: RegistryOptions = RegistryOptions()) throws -> RunRegistry {
        try RunRegistry(path: path, options: options)
    }

    private init(path: String, options: RegistryOptions) throws {
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: path) {
            guard options.createIfMissing else { throw RegistryError.missingRegistry(path: path) }
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(options.busyTimeout)
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL never corrupts; a power cut may lose the last commits only.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        self.path = path
        self.options = options
        self.pool = try DatabasePool(path: path, configuration: configuration)
        try migrate()
        try recoverAbandoned()
    }

    /// The number of schema migrations applied to this file.
    public func schemaVersion() throws -> Int {
        try pool.read { db in try Schema.migrator.appliedIdentifiers(db).count }
    }

    /// Applies missing migrations under a cross-process file lock: GRDB's migrator checks what is
    /// applied outside its transactions, so two processes creating one registry would race.
    private func migrate() throws {
        let migrator = Schema.migrator
        let (complete, superseded, applied) = try pool.read { db in
            (try migrator.hasCompletedMigrations(db), try migrator.hasBeenSuperseded(db), try migrator.appliedIdentifiers(db))
        }
        if superseded {
            let unknown = applied.subtracting(migrator.migrations).sorted()
            throw RegistryError.newerSchema(path: path, unknownMigrations: unknown)
        }
        if complete { return }
        let lockPath = path + ".migrate-lock"
        try withFileLock(lockPath) { try migrator.migrate(pool) }
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
        return try pool.write { db in
            let runs = try Self.markAbandonedRuns(db, threshold: threshold, host: host)
            let trials = try Self.requeueAbandonedTrials(db, threshold: threshold, host: host, now: time)
            return (runs, trials)
        }
    }

    private static func markAbandonedRuns(_ db: Database, threshold: Double, host: String) throws -> [RunID] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT id, host, pid, heartbeat_at FROM runs WHERE status = 'running'")
        var marked: [RunID] = []
        for row in rows {
            let heartbeat: Double = row["heartbeat_at"]
            guard let reason = abandonment(
                heartbeat: heartbeat, threshold: threshold, host: row["host"], pid: row["pid"], localHost: host)
            else { continue }
            try db.execute(
                sql: """
                    UPDATE runs SET status = 'interrupted', failure_reason = ?, ended_at = heartbeat_at
                    WHERE id = ? AND status = 'running'
                    """,
                arguments: [reason, row["id"] as Int64])
            marked.append(RunID(row["id"] as Int64))
        }
        return marked
    }

    static func requeueAbandonedTrials(_ db: Database, threshold: Double, host: String, now: Double) throws -> [TrialID] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT trials.id, worker_host, worker_pid, heartbeat_at, attempts, max_attempts
                FROM trials JOIN studies ON studies.id = trials.study_id
                WHERE trials.state = 'running'
                """)
        var requeued: [TrialID] = []
        for row in rows {
            guard let reason = abandonment(
                heartbeat: row["heartbeat_at"], threshold: threshold, host: row["worker_host"], pid: row["worker_pid"],
                localHost: host)
            else { continue }
            let exhausted = (row["attempts"] as Int) >= (row["max_attempts"] as Int)
            try db.execute(
                sql: """
                    UPDATE trials SET state = ?, worker = NULL, worker_host = NULL, worker_pid = NULL,
                        heartbeat_at = NULL, last_error = ?, finished_at = ?
                    WHERE id = ? AND state = 'running'
                    """,
                arguments: [
                    exhausted ? "failed" : "queued",
                    exhausted ? "\(reason); gave up after \(row["attempts"] as Int) attempts" : reason,
                    exhausted ? now : nil, row["id"] as Int64,
                ])
            if !exhausted { requeued.append(TrialID(row["id"] as Int64)) }
        }
        return requeued
    }

    /// Why a `running` row is taken as abandoned, or nil while its process may still be alive.
    private static func abandonment(heartbeat: Double, threshold: Double, host: String?, pid: Int32?, localHost: String) -> String? {
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
        let id = try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO runs (experiment, paper, neuron, preset, config, seed, git_commit, git_dirty, host,
                                      machine, pid, started_at, heartbeat_at, status)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')
                    """,
                arguments: [
                    spec.experiment, spec.paper, spec.neuron, spec.preset, spec.configJSON, spec.seed,
                    // The host column is where the process runs (for the liveness check), whatever the
                    // caller put in the provenance.
                    provenance.gitCommit, provenance.gitDirty, ProcessInfo.processInfo.hostName, machine, pid, time, time,
                ])
            return db.lastInsertedRowID
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
        try pool.write { db in
            try Self.requireRunning(db, run)
            for point in points {
                try db.execute(
                    sql: """
                        INSERT INTO metrics (run_id, split, name, epoch, step, value, recorded_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        run.rawValue, point.split, point.name, point.epoch, point.step,
                        point.value.isNaN ? nil : point.value, time,
                    ])
            }
            try db.execute(sql: "UPDATE runs SET heartbeat_at = ? WHERE id = ?", arguments: [time, run.rawValue])
        }
    }

    /// Records a file the run produced, with its SHA-256 computed here, and returns it.
    @discardableResult
    public func addArtifact(_ run: RunID, kind: String, path: String) throws -> Artifact {
        let artifact = try Self.hashFile(kind: kind, path: path)
        let time = now
        try pool.write { db in
            try Self.requireExists(db, run)
            try db.execute(
                sql: "INSERT INTO artifacts (run_id, kind, path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [run.rawValue, artifact.kind, artifact.path, artifact.sha256, artifact.bytes, time])
        }
        return artifact
    }

    /// Tells the registry the run's process is alive.
    public func heartbeat(_ run: RunID) throws {
        let time = now
        try pool.write { db in
            try Self.requireRunning(db, run)
            try db.execute(sql: "UPDATE runs SET heartbeat_at = ? WHERE id = ?", arguments: [time, run.rawValue])
        }
    }

    /// Ends the run with a terminal status; `reason` says why a run failed or was interrupted.
    public func finish(_ run: RunID, status: RunStatus, reason: String? = nil) throws {
        guard status.isTerminal else { throw RegistryError.notTerminal(status) }
        let time = now
        try pool.write { db in
            try Self.requireRunning(db, run)
            try db.execute(
                sql: "UPDATE runs SET status = ?, failure_reason = ?, ended_at = ?, heartbeat_at = ? WHERE id = ?",
                arguments: [status.rawValue, reason, time, time, run.rawValue])
        }
    }

    /// Moves a failed or interrupted run back to `running`, owned by this process, so that a
    /// resumed training keeps logging under the same id. Atomic: of two processes resuming one
    /// run, the second gets `runNotResumable` with status `running`.
    public func reopen(_ run: RunID) throws {
        let time = now
        let info = ProcessInfo.processInfo
        try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE runs SET status = 'running', failure_reason = NULL, ended_at = NULL, heartbeat_at = ?,
                        host = ?, pid = ?
                    WHERE id = ? AND status IN ('failed', 'interrupted')
                    """,
                arguments: [time, info.hostName, info.processIdentifier, run.rawValue])
            guard db.changesCount == 1 else {
                let status = try String.fetchOne(db, sql: "SELECT status FROM runs WHERE id = ?", arguments: [run.rawValue])
                guard let status, let known = RunStatus(rawValue: status) else { throw RegistryError.unknownRun(run) }
                throw RegistryError.runNotResumable(run, status: known)
            }
        }
    }

    // MARK: Queries

    /// The run with this id.
    public func run(_ id: RunID) throws -> RunRecord {
        let record = try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id.rawValue]).map(Self.runRecord)
        }
        guard let record else { throw RegistryError.unknownRun(id) }
        return record
    }

    /// Runs matching the filter, oldest first.
    public func runs(_ filter: RunFilter = RunFilter()) throws -> [RunRecord] {
        var clauses: [String] = []
        var arguments = StatementArguments()
        func match(_ column: String, _ value: String?) {
            guard let value else { return }
            clauses.append("\(column) = ?")
            arguments += [value]
        }
        match("paper", filter.paper)
        match("experiment", filter.experiment)
        match("neuron", filter.neuron)
        match("preset", filter.preset)
        match("status", filter.status?.rawValue)
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let limitClause = filter.limit.map { " LIMIT \($0)" } ?? ""
        let sql = filter.limit == nil
            ? "SELECT * FROM runs \(whereClause) ORDER BY id"
            // The newest `limit` runs, still shown oldest first.
            : "SELECT * FROM (SELECT * FROM runs \(whereClause) ORDER BY id DESC\(limitClause)) ORDER BY id"
        return try pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.runRecord)
        }
    }

    /// The run's metric values in the order they were logged, optionally of one split and name.
    public func metrics(of run: RunID, split: String? = nil, name: String? = nil) throws -> [MetricPoint] {
        try pool.read { db in
            try Self.requireExists(db, run)
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT split, name, epoch, step, value FROM metrics
                    WHERE run_id = ? AND (?2 IS NULL OR split = ?2) AND (?3 IS NULL OR name = ?3)
                    ORDER BY id
                    """,
                arguments: [run.rawValue, split, name]
            ).map(Self.metricPoint)
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
        try pool.read { db in
            try Self.requireExists(db, run)
            return try Row.fetchAll(
                db, sql: "SELECT kind, path, sha256, bytes FROM artifacts WHERE run_id = ? ORDER BY id",
                arguments: [run.rawValue]
            ).map { row in Artifact(kind: row["kind"], path: row["path"], sha256: row["sha256"], bytes: row["bytes"]) }
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

    static func requireExists(_ db: Database, _ run: RunID) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [run.rawValue]) != nil else {
            throw RegistryError.unknownRun(run)
        }
    }

    static func requireRunning(_ db: Database, _ run: RunID) throws {
        guard let status = try String.fetchOne(db, sql: "SELECT status FROM runs WHERE id = ?", arguments: [run.rawValue])
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

    static func runRecord(_ row: Row) throws -> RunRecord {
        let machine: String = row["machine"]
        let provenance = try JSONDecoder().decode(Provenance.self, from: Data(machine.utf8))
        let ended: Double? = row["ended_at"]
        let status: String = row["status"]
        return RunRecord(
            id: RunID(row["id"] as Int64), experiment: row["experiment"], paper: row["paper"], neuron: row["neuron"],
            preset: row["preset"], configJSON: row["config"], seed: row["seed"], provenance: provenance,
            pid: row["pid"], startedAt: Date(timeIntervalSince1970: row["started_at"]),
            heartbeatAt: Date(timeIntervalSince1970: row["heartbeat_at"]),
            endedAt: ended.map(Date.init(timeIntervalSince1970:)),
            status: RunStatus(rawValue: status) ?? .interrupted, failureReason: row["failure_reason"])
    }

    static func metricPoint(_ row: Row) -> MetricPoint {
        let value: Double? = row["value"]
        return MetricPoint(split: row["split"], name: row["name"], value: value ?? .nan, epoch: row["epoch"], step: row["step"])
    }
}

/// Runs `body` while holding an exclusive `flock` on `path`, which other processes wait for.
private func withFileLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
    let descriptor = open(path, O_CREAT | O_RDWR, 0o644)
    guard descriptor >= 0 else {
        throw RegistryError.fileSystem(path: path, reason: String(cString: strerror(errno)))
    }
    defer { close(descriptor) }
    guard flock(descriptor, LOCK_EX) == 0 else {
        throw RegistryError.fileSystem(path: path, reason: "cannot lock: \(String(cString: strerror(errno)))")
    }
    defer { flock(descriptor, LOCK_UN) }
    return try body()
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
