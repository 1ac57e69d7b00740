import Foundation

/// The registry in a PostgreSQL database, for workers on several machines. One connection per
/// registry object, used by one thread at a time (libpq connections are not thread-safe); a
/// process's parallelism is its worker processes, each with its own connection.
///
/// Writes run at READ COMMITTED: updates re-check their WHERE clause against the newest committed
/// row, so the registry's conditional updates (`… WHERE state = 'running' AND worker = ?`) stay
/// atomic, and `claim` locks the trial it takes with `FOR UPDATE SKIP LOCKED`.
final class PostgresStore: RegistryStore, @unchecked Sendable {
    /// Guards `connection`; the only mutable state.
    private let lock = NSLock()
    private let connection: PostgresConnection
    private let location: String
    var dialect: SQLDialect { .postgres }

    init(conninfo: String, location: String) throws {
        self.location = location
        self.connection = try PostgresConnection(conninfo: conninfo, location: location)
        try migrate()
    }

    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try transaction("BEGIN", body)
    }

    func appliedMigrations() throws -> Set<String> {
        try read { db in Set(try db.rows("SELECT identifier FROM schema_migrations").map { $0.string("identifier") }) }
    }

    /// Runs `body` between `begin` and COMMIT, again (up to 5 times) when the server aborts it as
    /// a deadlock victim. A connection the server dropped since the last transaction (a restart)
    /// is re-established first; one dropped during a transaction is an error, because whether its
    /// COMMIT took effect is unknown.
    private func transaction<T>(_ begin: String, _ body: (any SQLConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        try beginOnLiveConnection(begin)
        let db = PostgresTransaction(connection: connection)
        var attempt = 1
        while true {
            do {
                let result = try body(db)
                _ = try connection.run("COMMIT", [])
                return result
            } catch let error as PostgresError {
                _ = try? connection.run("ROLLBACK", [])
                guard error.isTransient, attempt < 5 else {
                    throw RegistryError.database(location: location, reason: error.description)
                }
                attempt += 1
                _ = try connection.run(begin, [])
            } catch {
                _ = try? connection.run("ROLLBACK", [])
                throw error
            }
        }
    }

    /// Starts a transaction, reconnecting once when the connection turns out to be dead: libpq
    /// notices a server restart only when a statement fails, and nothing has been done yet.
    private func beginOnLiveConnection(_ begin: String) throws {
        if connection.isBroken { try connection.reset() }
        do {
            _ = try connection.run(begin, [])
        } catch RegistryError.unreachable where connection.isBroken {
            try connection.reset()
            _ = try connection.run(begin, [])
        }
    }

    /// Applies missing migrations in one transaction under an advisory lock, so processes
    /// creating one registry at once apply each migration exactly once.
    private func migrate() throws {
        try write { db in
            try db.execute("SELECT pg_advisory_xact_lock(?)", [Self.migrationLock])
            try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            let applied = Set(try db.rows("SELECT identifier FROM schema_migrations").map { $0.string("identifier") })
            let known = Set(Schema.migrations.map(\.identifier))
            guard applied.isSubset(of: known) else {
                throw RegistryError.newerSchema(path: location, unknownMigrations: applied.subtracting(known).sorted())
            }
            for migration in Schema.migrations where !applied.contains(migration.identifier) {
                try db.execute(migration.postgres)
                try db.execute("INSERT INTO schema_migrations (identifier) VALUES (?)", [migration.identifier])
            }
        }
    }

    /// The advisory lock key of migrations ("snnregis" in ASCII), the same in every process.
    private static let migrationLock: Int64 = 0x736e_6e72_6567_6973
}

/// The connection as the registry sees it inside a transaction.
private struct PostgresTransaction: SQLConnection {
    let connection: PostgresConnection
    var dialect: SQLDialect { .postgres }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try connection.run(sql, arguments).changes
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try connection.run(sql, arguments).rows
    }
}
