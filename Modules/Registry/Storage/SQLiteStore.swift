import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The registry in one SQLite file in WAL mode, which several processes on one machine read and
/// write at once. Every write runs in a `BEGIN IMMEDIATE` transaction (GRDB's default), which takes
/// SQLite's single write lock before reading, so a read-then-update cannot interleave with another
/// process's.
final class SQLiteStore: RegistryStore {
    let path: String
    private let pool: DatabasePool
    var dialect: SQLDialect { .sqlite }

    init(path: String, options: RegistryOptions) throws {
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
        self.pool = try DatabasePool(path: path, configuration: configuration)
        try migrate()
    }

    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try pool.read { db in try body(SQLiteConnection(db: db)) }
    }

    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try pool.write { db in try body(SQLiteConnection(db: db)) }
    }

    func appliedMigrations() throws -> Set<String> {
        try pool.read { db in try Schema.sqliteMigrator.appliedIdentifiers(db) }
    }

    /// Applies missing migrations under a cross-process file lock: GRDB's migrator checks what is
    /// applied outside its transactions, so two processes creating one registry would race.
    private func migrate() throws {
        let migrator = Schema.sqliteMigrator
        let (complete, superseded, applied) = try pool.read { db in
            (
                try migrator.hasCompletedMigrations(db), try migrator.hasBeenSuperseded(db),
                try migrator.appliedIdentifiers(db)
            )
        }
        if superseded {
            let unknown = applied.subtracting(migrator.migrations).sorted()
            throw RegistryError.newerSchema(path: path, unknownMigrations: unknown)
        }
        if complete { return }
        try withFileLock(path + ".migrate-lock") { try migrator.migrate(pool) }
    }
}

/// A GRDB database handle seen through `SQLConnection`.
private struct SQLiteConnection: SQLConnection {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
        return db.changesCount
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try Row.fetchAll(db, sql: sql, arguments: Self.arguments(arguments)).map { row in
            var columns: [String: SQLValue] = [:]
            for (column, value) in row {
                switch value.storage {
                case .null: columns[column] = .null
                case .int64(let int): columns[column] = .integer(int)
                case .double(let double): columns[column] = .real(double)
                case .string(let string): columns[column] = .text(string)
                case .blob(let data): columns[column] = .text(String(decoding: data, as: UTF8.self))
                }
            }
            return SQLRow(columns: columns)
        }
    }

    private static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(
            values.map { value -> DatabaseValue in
                switch value {
                case .null: return .null
                case .integer(let int): return int.databaseValue
                case .real(let double): return double.databaseValue
                case .text(let string): return string.databaseValue
                }
            })
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
