import GRDB

/// The registry's tables, as an ordered list of migrations. A migration, once released, is never
/// edited: a schema change is a new migration appended here, so old registries upgrade in place.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs, metrics, artifacts, studies, trials") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    experiment TEXT NOT NULL,
                    paper TEXT NOT NULL,
                    neuron TEXT,
                    preset TEXT,
                    config TEXT NOT NULL CHECK (json_valid(config)),
                    seed INTEGER,
                    git_commit TEXT,
                    git_dirty INTEGER,
                    host TEXT NOT NULL,
                    machine TEXT NOT NULL CHECK (json_valid(machine)),
                    pid INTEGER NOT NULL,
                    started_at REAL NOT NULL,
                    heartbeat_at REAL NOT NULL,
                    ended_at REAL,
                    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
                    failure_reason TEXT
                );
                CREATE INDEX runs_by_paper ON runs(paper, experiment, status);
                CREATE INDEX runs_by_status ON runs(status);

                -- value is NULL for NaN: SQLite cannot store NaN, and a diverged loss must still be logged.
                CREATE TABLE metrics (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    split TEXT NOT NULL,
                    name TEXT NOT NULL,
                    epoch INTEGER,
                    step INTEGER,
                    value REAL,
                    recorded_at REAL NOT NULL
                );
                CREATE INDEX metrics_by_run ON metrics(run_id, split, name);

                CREATE TABLE artifacts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    path TEXT NOT NULL,
                    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
                    bytes INTEGER NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX artifacts_by_run ON artifacts(run_id);

                CREATE TABLE studies (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    experiment TEXT NOT NULL,
                    objective TEXT NOT NULL,
                    direction TEXT NOT NULL CHECK (direction IN ('minimize', 'maximize')),
                    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
                    created_at REAL NOT NULL
                );

                CREATE TABLE trials (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    parameters TEXT NOT NULL CHECK (json_valid(parameters)),
                    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed')),
                    worker TEXT,
                    worker_host TEXT,
                    worker_pid INTEGER,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    claimed_at REAL,
                    heartbeat_at REAL,
                    finished_at REAL,
                    result REAL,
                    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
                    last_error TEXT,
                    UNIQUE (study_id, number)
                );
                CREATE INDEX trials_queue ON trials(study_id, state, number);
                """)
        }
        migrator.registerMigration("v2: studies.worker_command") { db in
            try db.execute(sql: """
                ALTER TABLE studies ADD COLUMN worker_command TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(worker_command))
                """)
        }
        return migrator
    }
}
