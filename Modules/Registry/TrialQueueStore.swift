import Foundation
import GRDB

/// The SQLite implementation of `TrialQueue`. Every write runs in a `BEGIN IMMEDIATE` transaction
/// (GRDB's default for writes), which takes SQLite's single write lock before reading, so the
/// select-and-update of `claim` cannot interleave with another process's claim.
extension RunRegistry: TrialQueue {
    public func createStudy(_ spec: StudySpec) throws -> Study {
        let time = now
        return try pool.write { db in
            let command = String(decoding: try Self.jsonEncoder.encode(spec.workerCommand), as: UTF8.self)
            if var existing = try Self.study(db, named: spec.name) {
                try Self.requireSameSettings(existing.spec, spec)
                if !spec.workerCommand.isEmpty, spec.workerCommand != existing.spec.workerCommand {
                    try db.execute(
                        sql: "UPDATE studies SET worker_command = ? WHERE id = ?", arguments: [command, existing.id.rawValue])
                    existing.spec.workerCommand = spec.workerCommand
                }
                return existing
            }
            try db.execute(
                sql: """
                    INSERT INTO studies (name, experiment, objective, direction, max_attempts, worker_command, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    spec.name, spec.experiment, spec.objective, spec.direction.rawValue, spec.maxAttempts, command, time,
                ])
            return Study(id: StudyID(db.lastInsertedRowID), spec: spec, createdAt: Date(timeIntervalSince1970: time))
        }
    }

    public func study(named name: String) throws -> Study? {
        try pool.read { db in try Self.study(db, named: name) }
    }

    /// All studies, oldest first.
    public func studies() throws -> [Study] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM studies ORDER BY id").map(Self.studyRecord) }
    }

    @discardableResult
    public func enqueue(_ parameters: [TrialParameters], in study: StudyID) throws -> [Trial] {
        let encoded = try parameters.map { String(decoding: try Self.jsonEncoder.encode($0), as: UTF8.self) }
        return try pool.write { db in
            try Self.requireStudy(db, study)
            let next = try Int.fetchOne(
                db, sql: "SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE study_id = ?",
                arguments: [study.rawValue]) ?? 0
            var trials: [Trial] = []
            for (offset, json) in encoded.enumerated() {
                let row = try Row.fetchOne(
                    db,
                    sql: "INSERT INTO trials (study_id, number, parameters, state) VALUES (?, ?, ?, 'queued') RETURNING *",
                    arguments: [study.rawValue, next + offset, json])
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
        return try pool.write { db in
            try Self.requireStudy(db, study)
            _ = try Self.requeueAbandonedTrials(db, threshold: threshold, host: localHost, now: time)
            let row = try Row.fetchOne(
                db,
                sql: """
                    UPDATE trials
                    SET state = 'running', worker = ?, worker_host = ?, worker_pid = ?, attempts = attempts + 1,
                        claimed_at = ?, heartbeat_at = ?
                    WHERE id = (SELECT id FROM trials WHERE study_id = ? AND state = 'queued' ORDER BY number LIMIT 1)
                    RETURNING *
                    """,
                arguments: [worker.description, worker.host, worker.pid, time, time, study.rawValue])
            return try row.map(Self.trialRecord)
        }
    }

    public func heartbeat(_ trial: TrialID, worker: Worker) throws {
        let time = now
        try pool.write { db in
            try Self.updateOwned(
                db, trial, worker: worker, sql: "UPDATE trials SET heartbeat_at = ?", arguments: [time])
        }
    }

    public func complete(_ trial: TrialID, worker: Worker, result: Double, run: RunID?) throws {
        let time = now
        try pool.write { db in
            try Self.updateOwned(
                db, trial, worker: worker,
                sql: "UPDATE trials SET state = 'completed', result = ?, run_id = ?, finished_at = ?, heartbeat_at = ?",
                arguments: [result.isNaN ? nil : result, run?.rawValue, time, time])
        }
    }

    public func fail(_ trial: TrialID, worker: Worker, reason: String) throws {
        let time = now
        try pool.write { db in
            try Self.updateOwned(
                db, trial, worker: worker,
                sql: "UPDATE trials SET state = 'failed', last_error = ?, finished_at = ?, heartbeat_at = ?",
                arguments: [reason, time, time])
        }
    }

    @discardableResult
    public func requeueStale(olderThan age: TimeInterval) throws -> [TrialID] {
        let time = now
        return try pool.write { db in
            // An impossible host name switches the pid check off: the protocol promises heartbeats only.
            try Self.requeueAbandonedTrials(db, threshold: time - age, host: "", now: time)
        }
    }

    public func trials(in study: StudyID) throws -> [Trial] {
        try pool.read { db in
            try Self.requireStudy(db, study)
            return try Row.fetchAll(
                db, sql: "SELECT * FROM trials WHERE study_id = ? ORDER BY number", arguments: [study.rawValue]
            ).map(Self.trialRecord)
        }
    }

    /// One trial by id.
    public func trial(_ id: TrialID) throws -> Trial {
        let trial = try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM trials WHERE id = ?", arguments: [id.rawValue]).map(Self.trialRecord)
        }
        guard let trial else { throw RegistryError.unknownTrial(id) }
        return trial
    }

    // MARK: Helpers

    /// Applies `sql` (an UPDATE without WHERE) to the trial only while `worker` still holds it.
    private static func updateOwned(
        _ db: Database, _ trial: TrialID, worker: Worker, sql: String, arguments: StatementArguments
    ) throws {
        try db.execute(
            sql: sql + " WHERE id = ? AND state = 'running' AND worker = ?",
            arguments: arguments + [trial.rawValue, worker.description])
        guard db.changesCount == 0 else { return }
        guard let row = try Row.fetchOne(db, sql: "SELECT state, worker FROM trials WHERE id = ?", arguments: [trial.rawValue])
        else { throw RegistryError.unknownTrial(trial) }
        let state: String = row["state"]
        throw RegistryError.trialNotOwned(
            trial, worker: worker.description, state: TrialState(rawValue: state) ?? .failed, owner: row["worker"])
    }

    private static func study(_ db: Database, named name: String) throws -> Study? {
        try Row.fetchOne(db, sql: "SELECT * FROM studies WHERE name = ?", arguments: [name]).map(studyRecord)
    }

    private static func requireStudy(_ db: Database, _ study: StudyID) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM studies WHERE id = ?", arguments: [study.rawValue]) != nil else {
            throw RegistryError.unknownStudy(study.description)
        }
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

    static func studyRecord(_ row: Row) throws -> Study {
        let direction: String = row["direction"]
        let command: String = row["worker_command"]
        let workerCommand: [String]
        do {
            workerCommand = try JSONDecoder().decode([String].self, from: Data(command.utf8))
        } catch {
            throw RegistryError.invalidJSON(field: "studies.worker_command of study \(row["name"] as String)", reason: "\(error)")
        }
        return Study(
            id: StudyID(row["id"] as Int64),
            spec: StudySpec(
                name: row["name"], experiment: row["experiment"], objective: row["objective"],
                direction: OptimizationDirection(rawValue: direction) ?? .minimize, maxAttempts: row["max_attempts"],
                workerCommand: workerCommand),
            createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    static func trialRecord(_ row: Row) throws -> Trial {
        let json: String = row["parameters"]
        let parameters: TrialParameters
        do {
            parameters = try JSONDecoder().decode(TrialParameters.self, from: Data(json.utf8))
        } catch {
            throw RegistryError.invalidJSON(field: "trials.parameters of trial \(row["id"] as Int64)", reason: "\(error)")
        }
        let state: String = row["state"]
        let date = { (column: String) -> Date? in (row[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
        return Trial(
            id: TrialID(row["id"] as Int64), studyID: StudyID(row["study_id"] as Int64), number: row["number"],
            parameters: parameters, state: TrialState(rawValue: state) ?? .failed, worker: row["worker"],
            attempts: row["attempts"], claimedAt: date("claimed_at"), heartbeatAt: date("heartbeat_at"),
            finishedAt: date("finished_at"), result: row["result"], runID: (row["run_id"] as Int64?).map { RunID($0) },
            lastError: row["last_error"])
    }
}
