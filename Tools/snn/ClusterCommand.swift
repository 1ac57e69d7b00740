import ArgumentParser
import ExperimentKit
import Foundation

/// `snn cluster …`: run a study's queued trials on a Slurm cluster.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Run a study's queued trials as a Slurm job array (see docs/cluster.md).",
        subcommands: [Submit.self])

    struct Submit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit a job array whose every task runs the study's recorded worker command.",
            discussion: """
                The study must exist in the registry with its worker command, as the stage commands record it \
                (e.g. `snn-shd search --neuron qif-exact --enqueue-only`). Each task claims queued trials until \
                none is left; the workers use the registry the study was read from, which on a cluster should \
                be a database every node reaches (postgres://…). Without sbatch on PATH the script is written \
                and not submitted.
                """)

        @Argument(help: "The study's name.") var study: String
        @Option(help: "Array tasks, i.e. workers running side by side.") var workers: Int
        @Option(help: "Slurm partition.") var partition: String?
        @Option(help: ArgumentHelp("Wall-clock limit per task.", valueName: "HH:MM:SS")) var time: String?
        @Option(help: "Cores per task; the workers use as many threads.") var cpusPerTask: Int?
        @Option(help: ArgumentHelp("Memory per node (e.g. 8G).", valueName: "M")) var mem: String?
        @Option(help: "Slurm account to charge.") var account: String?
        @Option(help: ArgumentHelp("Each task's output file (default: Slurm's slurm-%A_%a.out).", valueName: "pattern"))
        var output: String?
        @OptionGroup var registry: RegistryOption
        @Flag(help: "Print the script and submit nothing.") var dryRun = false
        @Option(help: ArgumentHelp("Where to write the script (default: runs/slurm/<job name>.sh).", valueName: "file"))
        var scriptOut: String?

        func run() throws {
            let location = registry.resolvedLocation
            let script = try SlurmArrayScript.working(
                through: study, in: try registry.open(), registry: location, tasks: workers,
                resources: SlurmResources(
                    partition: partition, time: time, cpusPerTask: cpusPerTask, memory: mem, account: account,
                    output: output))
            if let warning = SlurmArrayScript.sharedRegistryWarning(for: location) {
                FileHandle.standardError.write(Data((warning + "\n").utf8))
            }
            if dryRun {
                print(script.text, terminator: "")
                if let scriptOut { try write(script, to: URL(fileURLWithPath: scriptOut)) }
                return
            }
            let file = URL(
                fileURLWithPath: scriptOut ?? "runs/slurm/\(script.jobName.replacingOccurrences(of: "/", with: "_")).sh"
            )
            try write(script, to: file)
            let job = try SlurmSubmitter().submit(script: file) { warnings in
                FileHandle.standardError.write(Data((warnings + "\n").utf8))
            }
            print(
                """
                submitted job \(job): \(workers) task(s) working on study \(study) (script \(file.path))
                  squeue -j \(job)    snn studies show \(ShellQuoting.quote(study)) --registry \(ShellQuoting.quote(location))
                """)
        }

        private func write(_ script: SlurmArrayScript, to file: URL) throws {
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try script.text.write(to: file, atomically: true, encoding: .utf8)
        }
    }
}
