import Foundation

/// The registry's access to its database inside one transaction. The registry's SQL is written
/// once, in the subset both SQLite and PostgreSQL accept, with `?` placeholders (`?N` to reuse an
/// argument, as SQLite numbers them); the PostgreSQL store rewrites them to `$N`. What the two
/// databases spell differently is asked of `dialect`.
protocol SQLConnection {
    var dialect: SQLDialect { get }
    /// Runs a statement and returns how many rows it inserted, updated or deleted.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int
    /// Runs a query and returns all its rows.
    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
}

extension SQLConnection {
    @discardableResult
    func execute(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> Int {
        try execute(sql, arguments.map(\.sqlValue))
    }

    func rows(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> [SQLRow] {
        try rows(sql, arguments.map(\.sqlValue))
    }

    func row(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> SQLRow? {
        try rows(sql, arguments.map(\.sqlValue)).first
    }
}

/// A database holding the registry's tables: it runs transactions and keeps the schema current.
protocol RegistryStore: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` in a transaction that sees one consistent state and writes nothing.
    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// Runs `body` in a write transaction, committed when it returns and rolled back when it throws.
    /// `body` may run more than once when the database asks to retry (a PostgreSQL deadlock), so it
    /// must have no effects outside the transaction.
    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// The identifiers of the applied migrations.
    func appliedMigrations() throws -> Set<String>
}

/// What SQLite and PostgreSQL spell differently in the registry's statements.
enum SQLDialect: Sendable {
    case sqlite, postgres

    /// Appended to a SELECT of a row the transaction will update, so that PostgreSQL writers of
    /// the same row queue up; SQLite has one writer at a time anyway.
    var forUpdate: String {
        self == .postgres ? " FOR UPDATE" : ""
    }

    /// The id of the next queued trial of a study (argument: the study id). PostgreSQL skips rows
    /// another transaction is claiming, so concurrent workers take different trials without waiting.
    var nextQueuedTrial: String {
        let select = "SELECT id FROM trials WHERE study_id = ? AND state = 'queued' ORDER BY number LIMIT 1"
        return self == .postgres ? select + " FOR UPDATE SKIP LOCKED" : select
    }

    /// After rows were inserted with explicit ids: the statement that moves the table's id
    /// generator past them. SQLite's AUTOINCREMENT does that by itself.
    func identityCatchUp(table: String) -> String? {
        guard self == .postgres else { return nil }
        return
            "SELECT setval(pg_get_serial_sequence('\(table)', 'id'), MAX(id)) FROM \(table) HAVING MAX(id) IS NOT NULL"
    }

    /// A condition that a JSON text column has `value` at the dotted `path`, with its arguments.
    func jsonField(_ column: String, path: String, equals value: ParameterValue) -> (sql: String, arguments: [SQLValue])
    {
        switch self {
        case .sqlite:
            let bound: SQLValue
            switch value {
            case .int(let int): bound = .integer(Int64(int))
            case .double(let double): bound = double.sqlValue
            case .string(let string): bound = .text(string)
            case .bool(let bool): bound = .integer(bool ? 1 : 0)
            }
            return ("json_extract(\(column), ?) = ?", [.text("$." + path), bound])
        case .postgres:
            // jsonb compares numbers by value (100 = 100.0) and booleans as booleans, as SQLite's
            // json_extract does with 1 for true.
            let elements = path.split(separator: ".").map { element in
                "\"" + element.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    + "\""
            }
            let json: String
            switch value {
            case .int(let int): json = String(int)
            case .double(let double): json = double.isFinite ? String(double) : "null"
            case .string(let string):
                json = String(decoding: (try? JSONEncoder().encode(string)) ?? Data("null".utf8), as: UTF8.self)
            case .bool(let bool): json = bool ? "true" : "false"
            }
            return (
                "(\(column)::jsonb #> ?::text[]) = ?::jsonb",
                [.text("{" + elements.joined(separator: ",") + "}"), .text(json)]
            )
        }
    }
}
