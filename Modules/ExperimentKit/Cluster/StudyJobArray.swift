import Registry

extension SlurmArrayScript {
    /// The job array that works through the queue of the study named `study`: its recorded
    /// worker command, with `--registry` set to `registry`, the location the study was read
    /// from, so every task claims trials where they are. `registry` is passed through as given
    /// (a path or a database URL); `queue` is that registry, opened.
    public static func working(
        through study: String, in queue: any TrialQueue, registry: String, tasks: Int, resources: SlurmResources
    ) throws -> SlurmArrayScript {
        guard let found = try queue.study(named: study) else {
            throw ClusterError.unknownStudy(study: study, registry: registry)
        }
        guard !found.spec.workerCommand.isEmpty else {
            throw ClusterError.noWorkerCommand(study: study, registry: registry)
        }
        return try SlurmArrayScript(
            study: study, tasks: tasks, resources: resources,
            command: settingRegistry(of: found.spec.workerCommand, to: registry))
    }

    /// `command` with its `--registry VALUE` (or `--registry=VALUE`) replaced by `location`, or
    /// with `--registry location` appended when it names none and so would use the default.
    static func settingRegistry(of command: [String], to location: String) -> [String] {
        var result: [String] = []
        var replaced = false
        var index = command.startIndex
        while index < command.endIndex {
            let word = command[index]
            if word == "--registry" || word.hasPrefix("--registry=") {
                if !replaced { result += ["--registry", location] }
                replaced = true
                index += word == "--registry" ? 2 : 1
                continue
            }
            result.append(word)
            index += 1
        }
        return replaced ? result : result + ["--registry", location]
    }

    /// A warning when `location` is an SQLite file (`sqlite:PATH` or a plain path): the tasks
    /// of an array run on many nodes, which must all reach one database, and SQLite's locking
    /// does not work over the network file systems clusters share; nil for a database server.
    public static func sharedRegistryWarning(for location: String) -> String? {
        guard case .sqlite = try? RegistryLocation(location) else { return nil }
        return "warning: registry \(location) is an SQLite file; tasks on other nodes reach it only through a shared "
            + "file system, where SQLite's locking is unreliable. Use a PostgreSQL registry "
            + "(--registry postgres://user@host/db, see docs/cluster.md)."
    }
}
