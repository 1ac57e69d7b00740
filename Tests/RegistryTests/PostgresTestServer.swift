import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL server for the registry tests, from the distribution's server binaries
/// (Debian: package `postgresql`, in /usr/lib/postgresql/<version>/bin; or the directory in
/// `$SNN_PG_BIN`). It is started on first use, once per test process, with its data directory and
/// unix socket in a temporary directory and no TCP listener, and stopped when the process exits.
/// PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user.
final class PostgresTestServer: Sendable {
    static let skipMessage = """
        PostgreSQL tests skipped: no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin \
        or $SNN_PG_BIN. Install them with `apt-get install postgresql` (or run `make deps`).
        """

    let binaries: URL
    let directory: URL

    /// The running server, nil when the binaries are absent; throws when they are present but the
    /// server does not start (that is a failure, not a reason to skip).
    static func shared() throws -> PostgresTestServer? {
        try started.get()
    }

    /// The running server, or an error saying it is absent.
    static func required() throws -> PostgresTestServer {
        guard let server = try shared() else { throw ServerError(message: skipMessage) }
        return server
    }

    private static let started: Result<PostgresTestServer?, any Error> = Result {
        guard let binaries = findBinaries() else { return nil }
        return try PostgresTestServer(binaries: binaries)
    }

    private init(binaries: URL) throws {
        self.binaries = binaries
        directory = URL(fileURLWithPath: "/tmp/snn-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if Self.asRoot {
            try Self.run(URL(fileURLWithPath: "/bin/chown"), ["postgres:postgres", directory.path], asPostgres: false)
        }
        let data = directory.appendingPathComponent("data").path
        try Self.run(
            binaries.appendingPathComponent("initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"])
        let settings = "-k \(directory.path) -c listen_addresses= -c fsync=off -c max_connections=100"
        try Self.run(
            binaries.appendingPathComponent("pg_ctl"),
            ["-D", data, "-o", settings, "-l", directory.appendingPathComponent("log").path, "-w", "start"])
        runningServer.withLock { $0 = (binaries.appendingPathComponent("pg_ctl").path, data, directory.path) }
        atexit {
            guard let (pgctl, data, directory) = runningServer.withLock({ $0 }) else { return }
            try? PostgresTestServer.run(URL(fileURLWithPath: pgctl), ["-D", data, "-m", "immediate", "-w", "stop"])
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Creates an empty database and returns its registry location.
    func createDatabase() throws -> String {
        let name = "registry_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try Self.run(
            binaries.appendingPathComponent("createdb"), ["-h", directory.path, "-U", "postgres", name],
            asPostgres: false)
        return location(database: name)
    }

    func location(database: String) -> String {
        "postgresql://postgres@/\(database)?host=\(directory.path)"
    }

    /// Restarts the server, which drops every client connection.
    func restart() throws {
        try Self.run(
            binaries.appendingPathComponent("pg_ctl"),
            ["-D", directory.appendingPathComponent("data").path, "-m", "fast", "-w", "restart"])
    }

    /// Runs SQL with psql in the database of `location`, for tests that tamper with a registry.
    func psql(_ sql: String, location: String) throws {
        guard let start = location.range(of: "@/")?.upperBound, let end = location.firstIndex(of: "?") else {
            throw ServerError(message: "no database in \(location)")
        }
        let database = location[start..<end]
        try Self.run(
            binaries.appendingPathComponent("psql"),
            ["-h", directory.path, "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql, String(database)],
            asPostgres: false)
    }

    struct ServerError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private static var asRoot: Bool { getuid() == 0 }

    private static func findBinaries() -> URL? {
        if let explicit = ProcessInfo.processInfo.environment["SNN_PG_BIN"] { return URL(fileURLWithPath: explicit) }
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return versions.compactMap(Int.init).sorted().reversed()
            .map { root.appendingPathComponent("\($0)/bin") }
            .first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("initdb").path) }
    }

    /// Runs a tool to completion, as the `postgres` user when we are root, and throws with its
    /// output when it fails. Spawned directly rather than with `Process`: Foundation notices a
    /// child's exit through a descriptor the child inherits, which the server that `pg_ctl start`
    /// leaves running would hold open forever.
    static func run(_ tool: URL, _ arguments: [String], asPostgres: Bool = true) throws {
        // `env -C /tmp`: the postgres user must be able to enter its working directory.
        let command =
            asPostgres && asRoot
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", "/usr/bin/env", "-C", "/tmp", tool.path] + arguments
            : [tool.path] + arguments
        let outputPath = "/tmp/snn-pg-tool-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = command.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw ServerError(message: "cannot start \(command[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw ServerError(
                message:
                    "\(tool.lastPathComponent) \(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
        }
    }
}

/// What the exit handler stops: pg_ctl, the data directory and the temporary directory.
private let runningServer = Mutex<(String, String, String)?>(nil)
