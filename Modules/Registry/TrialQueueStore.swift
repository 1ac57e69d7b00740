import Foundation

/// The `TrialQueue` of the registry, on either store. Every method is one write transaction; the
/// claim's select-and-update is atomic on SQLite by its single write lock, on PostgreSQL by
/// `FOR UPDATE SKIP LOCKED` (see `SQLDialect.nextQueuedTrial`).
extension RunRegistry: TrialQueue {
    public func createStudy(_ spec: StudySpec) throws -> Study {
        let time = now
        let command = String(decoding: try Self.jsonEncoder.encode(spec.workerCommand), as: UTF8.self)
        return try store.write { db in
            // ON CONFLICT: of several workers creating the study at once, one inserts and the others
            // find its row below (on PostgreSQL they wait for the inserter's commit).
            let inserted = try db.row(
                """
                INSERT INTO studies (name, experiment, objective, direction, max_attempts, worker_command, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO NOTHING
                RETURNING id
                """,
                [spec.name, spec.experiment, spec.objective, spec.direction.rawValue, spec.maxAttempts, command, time]
                    as [any SQLBindable])
            if let inserted {
                return Study(
                    id: StudyID(inserted.int64("id")), spec: spec, createdAt: Date(timeIntervalSince1970: time))
            }
            guard var existing = try Self.study(db, named: spec.name, lock: true) else {
                throw RegistryError.unknownStudy(spec.name)
            }
            try Self.requireSameSettings(existing.spec, spec)
            if !spec.workerCommand.isEmpty, spec.workerCommand != existing.spec.workerCommand {
                try db.execute("UPDATE studies SET worker_command = ? WHERE id = ?", [command, existing.id.rawValue])
                existing.spec.workerCommand = spec.workerCommand
            }
            return existing
        }
    }

    public func study(named name: String) throws -> Study? {
        try store.read { db in try Self.study(db, named: name, lock: false) }
    }

    /// All studies, oldest first.
    public func studies() throws -> [Study] {
        try store.read { db in try db.rows("SELECT * FROM studies ORDER BY id").map(Self.studyRecord) }
    }

    @discardableResult
    public func enqueue(_ parameters: [TrialParameters], in study: StudyID) throws -> [Trial] {
        let encoded = try parameters.map { String(decoding: try Self.jsonEncoder.encode($0), as: UTF8.self) }
        return try store.write { db in
            // Locking the study row serialises enqueuers of one study, which would otherwise take
            // the same numbers.
            try Self.requireStudy(db, study, lock: true)
            let next =
                try db.row(
                    "SELECT COALESCE(MAX(number) + 1, 0) AS next FROM trials WHERE study_id = ?", [study.rawValue]
                )?.int("next") ?? 0
            var trials: [Trial] = []
            for (offset, json) in encoded.enumerated() {
                let row = try db.row(
                    "INSERT INTO trials (study_id, number, parameters, state) VALUES (?, ?, ?, 'queued') RETURNING *",
                    [study.rawValue, next + offset, json] as [any SQLBindable])
                if let row { trials.append(try Self.trialRecord(row)) }
            }
            return trials
        }
    }

    /// Re-queues abandoned trials first (so a search heals itself without an operator), then takes
    /// the lowest-numbered queued trial.
    public func claim(from study: StudyID, worker: Worker) throws -> Trial? {
        let time = now
        let threshold = time - options.staleAfter
        let localHost = ProcessInfo.processInfo.hostName
        return try store.write { db in
            try Self.requireStudy(db, study, lock: false)
            _ = try Self.requeueAbandonedTrials(db, threshold: threshold, host: localHost, now: time)
            let row = try db.row(
                """
                UPDATE trials
                SET state = 'running', worker = ?, worker_host = ?, worker_pid = ?, attempts = attempts + 1,
                    claimed_at = ?, heartbeat_at = ?
                WHERE id = (\(db.dialect.nextQueuedTrial))
                RETURNING *
                """,
                [worker.description, worker.host, worker.pid, time, time, study.rawValue] as [any SQLBindable])
            return try row.map(Self.trialRecord)
        }
    }

    public func heartbeat(_ trial: TrialID, worker: Worker) throws {
        let time = now
        try store.write { db in
            try Self.updateOwned(
                db, trial, worker: worker, sql: "UPDATE trials SET heartbeat_at = ?", arguments: [time])
        }
    }

    public func complete(_ trial: TrialID, worker: Worker, result: Double, run: RunID?) throws {
        let time = now
        try store.write { db in
            try Self.updateOwned(
                db, trial, worker: worker,
                sql: "UPDATE trials SET state = 'completed', result = ?, run_id = ?, finished_at = ?, heartbeat_at = ?",
                arguments: [result, run?.rawValue, time, time])
        }
    }

    public func fail(_ trial: TrialID, worker: Worker, reason: String) throws {
        let time = now
        try store.write { db in
            try Self.updateOwned(
                db, trial, worker: worker,
                sql: "UPDATE trials SET state = 'failed', last_error = ?, finished_at = ?, heartbeat_at = ?",
                arguments: [reason, time, time])
        }
    }

    @discardableResult
    public func requeueStale(olderThan age: TimeInterval) throws -> [TrialID] {
        let time = now
        return try store.write { db in
            // An impossible host name switches the pid check off: the protocol promises heartbeats only.
            try Self.requeueAbandonedTrials(db, threshold: time - age, host: "", now: time)
        }
    }

    public func trials(in study: StudyID) throws -> [Trial] {
        try store.read { db in
            try Self.requireStudy(db, study, lock: false)
            return try db.rows("SELECT * FROM trials WHERE study_id = ? ORDER BY number", [study.rawValue]).map(
                Self.trialRecord)
        }
    }

    /// One trial by id.
    public func trial(_ id: TrialID) throws -> Trial {
        let trial = try store.read { db in
            try db.row("SELECT * FROM trials WHERE id = ?", [id.rawValue]).map(Self.trialRecord)
        }
        guard let trial else { throw RegistryError.unknownTrial(id) }
        return trial
    }

    // MARK: Helpers

    /// Applies `sql` (an UPDATE without WHERE) to the trial only while `worker` still holds it.
    private static func updateOwned(
        _ db: any SQLConnection, _ trial: TrialID, worker: Worker, sql: String, arguments: [any SQLBindable]
    ) throws {
        let changed = try db.execute(
            sql + " WHERE id = ? AND state = 'running' AND worker = ?",
            arguments + [trial.rawValue, worker.description])
        guard changed == 0 else { return }
        guard let row = try db.row("SELECT state, worker FROM trials WHERE id = ?", [trial.rawValue])
        else { throw RegistryError.unknownTrial(trial) }
        throw RegistryError.trialNotOwned(
            trial, worker: worker.description, state: TrialState(rawValue: row.string("state")) ?? .failed,
            owner: row.optionalString("worker"))
    }

    private static func study(_ db: any SQLConnection, named name: String, lock: Bool) throws -> Study? {
        try db.row("SELECT * FROM studies WHERE name = ?" + (lock ? db.dialect.forUpdate : ""), [name]).map(studyRecord)
    }

    private static func requireStudy(_ db: any SQLConnection, _ study: StudyID, lock: Bool) throws {
        guard
            try db.row("SELECT id FROM studies WHERE id = ?" + (lock ? db.dialect.forUpdate : ""), [study.rawValue])
                != nil
        else { throw RegistryError.unknownStudy(study.description) }
    }

    private static func requireSameSettings(_ existing: StudySpec, _ requested: StudySpec) throws {
        let fields: [(String, String, String)] = [
            ("experiment", existing.experiment, requested.experiment),
            ("objective", existing.objective, requested.objective),
            ("direction", existing.direction.rawValue, requested.direction.rawValue),
            ("maxAttempts", String(existing.maxAttempts), String(requested.maxAttempts)),
        ]
        for (field, old, new) in fields where old != new {
            throw RegistryError.studyMismatch(name: existing.name, field: field, existing: old, requested: new)
        }
    }

    static func studyRecord(_ row: SQLRow) throws -> Study {
        let workerCommand: [String]
        do {
            workerCommand = try JSONDecoder().decode([String].self, from: Data(row.string("worker_command").utf8))
        } catch {
            throw RegistryError.invalidJSON(
                field: "studies.worker_command of study \(row.string("name"))", reason: "\(error)")
        }
        return Study(
            id: StudyID(row.int64("id")),
            spec: StudySpec(
                name: row.string("name"), experiment: row.string("experiment"), objective: row.string("objective"),
                direction: OptimizationDirection(rawValue: row.string("direction")) ?? .minimize,
                maxAttempts: row.int("max_attempts"), workerCommand: workerCommand),
            createdAt: Date(timeIntervalSince1970: row.double("created_at")))
    }

    static func trialRecord(_ row: SQLRow) throws -> Trial {
        let parameters: TrialParameters
        do {
            parameters = try JSONDecoder().decode(TrialParameters.self, from: Data(row.string("parameters").utf8))
        } catch {
            throw RegistryError.invalidJSON(field: "trials.parameters of trial \(row.int64("id"))", reason: "\(error)")
        }
        let date = { (column: String) -> Date? in row.optionalDouble(column).map(Date.init(timeIntervalSince1970:)) }
        return Trial(
            id: TrialID(row.int64("id")), studyID: StudyID(row.int64("study_id")), number: row.int("number"),
            parameters: parameters, state: TrialState(rawValue: row.string("state")) ?? .failed,
            worker: row.optionalString("worker"), attempts: row.int("attempts"), claimedAt: date("claimed_at"),
            heartbeatAt: date("heartbeat_at"), finishedAt: date("finished_at"), result: row.optionalDouble("result"),
            runID: row.optionalInt64("run_id").map { RunID($0) }, lastError: row.optionalString("last_error"))
    }
}
