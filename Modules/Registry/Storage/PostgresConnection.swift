import CLibPQ
import Foundation

/// One libpq connection to the registry's PostgreSQL database. Like libpq's connection it is not
/// thread-safe; `PostgresStore` serialises every use.
final class PostgresConnection {
    /// The location without its password, for messages.
    let location: String
    private let handle: OpaquePointer

    init(conninfo: String, location: String) throws {
        try Self.validate(conninfo, location: location)
        guard let handle = PQconnectdb(conninfo) else {
            throw RegistryError.unreachable(location: location, reason: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let reason = Self.message(handle)
            PQfinish(handle)
            throw RegistryError.unreachable(location: location, reason: reason)
        }
        self.handle = handle
        self.location = location
        // Server notices ("relation already exists, skipping") are not the user's business.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        // Doubles print with every digit, so timestamps and metrics round-trip exactly (PostgreSQL
        // 12 and newer do this by default; older servers need 3).
        _ = try run("SET extra_float_digits = 3", [])
    }

    deinit {
        PQfinish(handle)
    }

    /// Whether the server connection is broken (a server restart): `PostgresStore` then reconnects.
    var isBroken: Bool { PQstatus(handle) != CONNECTION_OK }

    /// Re-establishes a broken connection.
    func reset() throws {
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw RegistryError.unreachable(location: location, reason: Self.message(handle))
        }
        _ = try run("SET extra_float_digits = 3", [])
    }

    /// Runs one statement with `?`-style placeholders and returns its rows and the number of rows it changed.
    func run(_ sql: String, _ arguments: [SQLValue]) throws -> (rows: [SQLRow], changes: Int) {
        let statement = Self.numberPlaceholders(sql)
        let types: [Oid] = arguments.map { value in
            switch value {
            case .null: return 0  // The server infers the type from where the value goes.
            case .integer: return 20  // int8
            case .real: return 701  // float8
            case .text: return 25  // text
            }
        }
        let texts: [String?] = arguments.map { value in
            switch value {
            case .null: return nil
            case .integer(let int): return String(int)
            case .real(let double): return Self.text(double)
            case .text(let string): return string
            }
        }
        let pointers = texts.map { $0.map { strdup($0) } ?? nil }
        defer { for pointer in pointers { free(pointer) } }
        // Without arguments the simple protocol runs it, which allows several statements (migrations).
        let result =
            arguments.isEmpty
            ? PQexec(handle, statement)
            : pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
                types.withUnsafeBufferPointer { types in
                    PQexecParams(
                        handle, statement, Int32(arguments.count), types.baseAddress, values.baseAddress, nil, nil, 0)
                }
            }
        guard let result else { throw failure(sqlState: nil, reason: Self.message(handle)) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK:
            return ([], Int(String(cString: PQcmdTuples(result))) ?? 0)
        case PGRES_TUPLES_OK:
            return (Self.rows(result), Int(String(cString: PQcmdTuples(result))) ?? 0)
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            throw failure(sqlState: state, reason: String(cString: PQresultErrorMessage(result)))
        }
    }

    /// A broken connection is the server's absence; anything else is an error of the statement.
    private func failure(sqlState: String?, reason: String) -> Error {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if isBroken { return RegistryError.unreachable(location: location, reason: reason) }
        return PostgresError(sqlState: sqlState ?? "", message: reason)
    }

    private static func rows(_ result: OpaquePointer) -> [SQLRow] {
        let fields = Int32(0)..<PQnfields(result)
        let names = fields.map { String(cString: PQfname(result, $0)) }
        let types = fields.map { PQftype(result, $0) }
        return (Int32(0)..<PQntuples(result)).map { row in
            var columns: [String: SQLValue] = [:]
            for field in fields {
                let index = Int(field)
                guard PQgetisnull(result, row, field) == 0 else {
                    columns[names[index]] = .null
                    continue
                }
                let text = String(cString: PQgetvalue(result, row, field))
                switch types[index] {
                case 20, 21, 23: columns[names[index]] = Int64(text).map(SQLValue.integer) ?? .text(text)
                case 16: columns[names[index]] = .integer(text == "t" ? 1 : 0)
                case 700, 701, 1700: columns[names[index]] = Double(text).map(SQLValue.real) ?? .text(text)
                default: columns[names[index]] = .text(text)
                }
            }
            return SQLRow(columns: columns)
        }
    }

    /// A double as PostgreSQL's float8 input reads it back exactly.
    private static func text(_ double: Double) -> String {
        if double.isInfinite { return double < 0 ? "-Infinity" : "Infinity" }
        return String(double)
    }

    /// Rewrites SQLite-style placeholders to PostgreSQL's: `?N` becomes `$N`, and a bare `?` takes
    /// the number after the largest used so far (SQLite's rule), outside quoted literals.
    static func numberPlaceholders(_ sql: String) -> String {
        var out = ""
        var largest = 0
        var inQuote = false
        var characters = sql.makeIterator()
        var pending = characters.next()
        while let character = pending {
            pending = characters.next()
            if character == "'" { inQuote.toggle() }
            guard character == "?", !inQuote else {
                out.append(character)
                continue
            }
            var digits = ""
            while let next = pending, next.isASCII, next.isNumber {
                digits.append(next)
                pending = characters.next()
            }
            let number = Int(digits) ?? largest + 1
            largest = max(largest, number)
            out += "$\(number)"
        }
        return out
    }

    /// Checks the connection string's syntax before connecting, so a typo is reported as such.
    private static func validate(_ conninfo: String, location: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &error) else {
            // libpq quotes the URI, password included, in its message.
            let reason =
                error.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }?
                .replacingOccurrences(of: conninfo, with: location) ?? "out of memory"
            if let error { PQfreemem(error) }
            throw RegistryError.invalidLocation(location, reason: reason)
        }
        PQconninfoFree(options)
    }

    private static func message(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// An error the server reported for a statement, with its SQLSTATE code.
struct PostgresError: Error, CustomStringConvertible {
    var sqlState: String
    var message: String

    /// Deadlocks and serialization failures: the transaction may simply be run again.
    var isTransient: Bool { sqlState == "40P01" || sqlState == "40001" }

    var description: String { "PostgreSQL error \(sqlState): \(message)" }
}
