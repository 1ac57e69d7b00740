/// A value passed to or read from either database, in the four storage classes the registry's
/// schema uses. Both stores convert to and from it, so the registry's SQL is written once.
enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// Turns the Swift values the registry binds into `SQLValue`s.
protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension Int64: SQLBindable { var sqlValue: SQLValue { .integer(self) } }
extension Int: SQLBindable { var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int32: SQLBindable { var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Bool: SQLBindable { var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension String: SQLBindable { var sqlValue: SQLValue { .text(self) } }
/// NaN becomes NULL: SQLite cannot store it, and both stores must read back the same thing.
extension Double: SQLBindable { var sqlValue: SQLValue { isNaN ? .null : .real(self) } }
extension SQLValue: SQLBindable { var sqlValue: SQLValue { self } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    var sqlValue: SQLValue { map(\.sqlValue) ?? .null }
}

/// One result row, by column name. The typed accessors trap on a type the schema rules out
/// (like GRDB's subscripts), because that is a broken database, not a recoverable condition.
struct SQLRow: Sendable {
    let columns: [String: SQLValue]

    func value(_ column: String) -> SQLValue {
        guard let value = columns[column] else { preconditionFailure("query returned no column \(column)") }
        return value
    }

    func optionalInt64(_ column: String) -> Int64? {
        switch value(column) {
        case .null: return nil
        case .integer(let value): return value
        case .real(let value): return Int64(value)
        case .text(let text): return Int64(text)
        }
    }

    func optionalDouble(_ column: String) -> Double? {
        switch value(column) {
        case .null: return nil
        case .integer(let value): return Double(value)
        case .real(let value): return value
        case .text(let text): return Double(text)
        }
    }

    func optionalString(_ column: String) -> String? {
        switch value(column) {
        case .null: return nil
        case .text(let text): return text
        case .integer(let value): return String(value)
        case .real(let value): return String(value)
        }
    }

    func optionalInt(_ column: String) -> Int? { optionalInt64(column).map { Int($0) } }
    func optionalInt32(_ column: String) -> Int32? { optionalInt64(column).map { Int32(truncatingIfNeeded: $0) } }

    func int64(_ column: String) -> Int64 { required(optionalInt64(column), column) }
    func int(_ column: String) -> Int { required(optionalInt(column), column) }
    func int32(_ column: String) -> Int32 { required(optionalInt32(column), column) }
    func double(_ column: String) -> Double { required(optionalDouble(column), column) }
    func string(_ column: String) -> String { required(optionalString(column), column) }

    private func required<T>(_ value: T?, _ column: String) -> T {
        guard let value else {
            preconditionFailure("column \(column) is NULL or not convertible: \(self.value(column))")
        }
        return value
    }
}
