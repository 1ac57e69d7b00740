import Foundation

/// Runs `count` copies of one worker command side by side and waits for them all.
///
/// The command is the experiment's own executable in `--worker STUDY` mode; the workers share
/// nothing but the registry, where they claim trials. On a cluster the identical command runs
/// once per Slurm array task (`srun <command>`), so local and cluster searches are one code path.
public struct LocalWorkerPool: Sendable {
    /// The executable and its arguments.
    public var executable: URL
    public var arguments: [String]
    public var count: Int
    /// Variables added to this process's environment for the workers. Unless this process has
    /// `SNN_NUM_THREADS` set, it defaults to the cores divided among the workers, so N workers
    /// do not each start one thread per core.
    public var environment: [String: String]

    public init(executable: URL, arguments: [String], count: Int, environment: [String: String] = [:]) {
        precondition(count >= 1, "LocalWorkerPool: count must be at least 1, got \(count)")
        self.executable = executable
        self.arguments = arguments
        self.count = count
        var defaults: [String: String] = [:]
        if ProcessInfo.processInfo.environment["SNN_NUM_THREADS"] == nil {
            defaults["SNN_NUM_THREADS"] = String(max(1, ProcessInfo.processInfo.activeProcessorCount / count))
        }
        self.environment = defaults.merging(environment) { _, given in given }
    }

    /// `count` workers running `command` (executable, then arguments), e.g. a study's recorded
    /// `workerCommand`.
    public init(command: [String], count: Int, environment: [String: String] = [:]) {
        precondition(!command.isEmpty, "LocalWorkerPool: the command must name an executable")
        self.init(
            executable: URL(fileURLWithPath: command[0]), arguments: Array(command.dropFirst()), count: count,
            environment: environment)
    }

    /// This process's executable: experiments run their own workers with it.
    public static var currentExecutable: URL {
        Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    }

    /// `count` workers running this very executable with `arguments` (typically this process's
    /// own arguments plus `--worker STUDY`).
    public static func thisExecutable(arguments: [String], count: Int, environment: [String: String] = [:])
        -> LocalWorkerPool
    {
        LocalWorkerPool(executable: currentExecutable, arguments: arguments, count: count, environment: environment)
    }

    /// Starts the workers (their output goes to this process's standard output and error) and
    /// waits; throws when any of them exited unsuccessfully.
    public func run() throws {
        let processes = try (0..<count).map { _ in
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
            try process.run()
            return process
        }
        var failures: [String] = []
        for (index, process) in processes.enumerated() {
            process.waitUntilExit()
            guard process.terminationReason != .exit || process.terminationStatus != 0 else { continue }
            let how = process.terminationReason == .exit ? "exit status" : "signal"
            failures.append(
                "worker \(index + 1) (pid \(process.processIdentifier)) ended with \(how) \(process.terminationStatus)")
        }
        guard failures.isEmpty else { throw WorkerPoolError(failures: failures) }
    }
}

/// Workers that did not exit cleanly, one line each.
public struct WorkerPoolError: Error, Equatable, CustomStringConvertible {
    public var failures: [String]
    public var description: String { failures.joined(separator: "\n") }
}
