/// Where a registry lives, as given to `--registry` or `$SNN_REGISTRY`:
///
/// - a file path, or `sqlite:PATH`: an SQLite file, for the processes of one machine;
/// - `postgres://user@host[:port]/database` or `postgresql://…` (a libpq connection URI, so
///   `?host=/run/postgresql` and the other libpq parameters work): a PostgreSQL database, for
///   workers on several machines. Give the password through `~/.pgpass` or `$PGPASSWORD` rather
///   than in the URI, where it shows in process listings.
public enum RegistryLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(conninfo: String)

    public init(_ text: String) throws {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(conninfo: text)
        } else if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw RegistryError.invalidLocation(text, reason: "sqlite: needs a file path after it")
            }
            self = .sqlite(path: path)
        } else if let scheme = text.range(of: "://").map({ text[..<$0.lowerBound] }), !scheme.contains("/") {
            throw RegistryError.invalidLocation(
                Self.redacted(text), reason: "unknown scheme '\(scheme)://'")
        } else if text.isEmpty {
            throw RegistryError.invalidLocation(text, reason: "empty")
        } else {
            self = .sqlite(path: text)
        }
    }

    /// The location for messages and listings: a PostgreSQL URI loses its password.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let conninfo): return Self.redacted(conninfo)
        }
    }

    /// `scheme://user:secret@host/db?password=secret&x=y` becomes `scheme://user@host/db?x=y`.
    static func redacted(_ uri: String) -> String {
        guard let schemeEnd = uri.range(of: "://") else { return uri }
        let rest = uri[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = String(rest[..<authorityEnd])
        if let at = authority.lastIndex(of: "@") {
            let user = authority[..<at].split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            authority = user + authority[at...]
        }
        var tail = String(rest[authorityEnd...])
        if let question = tail.firstIndex(of: "?") {
            let parameters = tail[tail.index(after: question)...].split(separator: "&")
                .filter { !$0.lowercased().hasPrefix("password=") }
            tail = String(tail[..<question]) + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
        }
        return uri[..<schemeEnd.upperBound] + authority + tail
    }
}
