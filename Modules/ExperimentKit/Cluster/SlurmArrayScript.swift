/// What a job array asks Slurm for, besides its tasks; nil leaves the cluster's default.
public struct SlurmResources: Sendable, Equatable {
    public var partition: String?
    /// The wall-clock limit of each task, e.g. `04:00:00`.
    public var time: String?
    /// Cores per task; the workers' thread count follows it (`SNN_NUM_THREADS`).
    public var cpusPerTask: Int?
    /// Memory per node, e.g. `8G`.
    public var memory: String?
    public var account: String?
    /// Where each task's output goes, a Slurm file pattern such as `logs/%x-%A_%a.out`.
    public var output: String?

    public init(
        partition: String? = nil, time: String? = nil, cpusPerTask: Int? = nil, memory: String? = nil,
        account: String? = nil, output: String? = nil
    ) {
        self.partition = partition
        self.time = time
        self.cpusPerTask = cpusPerTask
        self.memory = memory
        self.account = account
        self.output = output
    }
}

/// A Slurm batch script that runs one worker command in every task of a job array; its fields
/// are checked once, by the initializer.
///
/// The command is the one a study records (`StudySpec.workerCommand`) and the local worker pool
/// runs: each task claims queued trials from the registry until none is left, so N tasks are N
/// workers and local and cluster searches share one code path. The script only starts workers;
/// which trial each runs is decided by the registry, not by `SLURM_ARRAY_TASK_ID`.
public struct SlurmArrayScript: Sendable, Equatable {
    /// The job's name (`--job-name`), the study's name with anything sbatch might misread replaced.
    public let jobName: String
    /// Array tasks, numbered 0..<tasks.
    public let tasks: Int
    public let resources: SlurmResources
    /// The argv each task runs through `srun`.
    public let command: [String]

    /// Throws `ClusterError.invalidOption` for a task count below 1, an empty command, or a
    /// resource value sbatch would read differently from what was given (whitespace, quotes).
    public init(study: String, tasks: Int, resources: SlurmResources, command: [String]) throws(ClusterError) {
        guard tasks >= 1 else { throw .invalidOption("--workers", String(tasks), "must be at least 1") }
        guard !command.isEmpty else { throw .invalidOption("worker command", "", "must name an executable") }
        if let cpus = resources.cpusPerTask, cpus < 1 {
            throw .invalidOption("--cpus-per-task", String(cpus), "must be at least 1")
        }
        for (option, value) in [
            ("--partition", resources.partition), ("--time", resources.time), ("--mem", resources.memory),
            ("--account", resources.account), ("--output", resources.output),
        ] {
            if let value, value.isEmpty || value.unicodeScalars.contains(where: Self.isMisread) {
                throw .invalidOption(option, value, "must be non-empty, without spaces, quotes, backslashes or #")
            }
        }
        self.jobName = String(String.UnicodeScalarView(study.unicodeScalars.map { Self.isMisread($0) ? "_" : $0 }))
        self.tasks = tasks
        self.resources = resources
        self.command = command
    }

    /// The script, ready for `sbatch`.
    public var text: String {
        var directives = ["--job-name=\(jobName)", "--array=0-\(tasks - 1)"]
        for (option, value) in [
            ("--partition", resources.partition), ("--time", resources.time),
            ("--cpus-per-task", resources.cpusPerTask.map(String.init)), ("--mem", resources.memory),
            ("--account", resources.account), ("--output", resources.output),
        ] {
            if let value { directives.append("\(option)=\(value)") }
        }
        return """
            #!/bin/bash
            \(directives.map { "#SBATCH \($0)" }.joined(separator: "\n"))
            #
            # Written by `snn cluster submit`. Each array task is one worker: it claims queued
            # trials of the study from the registry until none is left. A task that dies stops
            # sending heartbeats; its trial goes back to the queue (up to the study's attempt limit).
            set -euo pipefail
            # One thread per allocated core (Slurm allocates one when --cpus-per-task is not set).
            export SNN_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"
            srun \(ShellQuoting.commandLine(command))

            """
    }

    /// Characters sbatch splits, unquotes or ends a directive at, and control characters.
    private static func isMisread(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7f
            || ["\"", "'", "\\", "#"].contains(scalar)
    }
}
