import ArgumentParser
import Foundation
import Registry
import Reporting

/// `--registry LOCATION`, shared by the commands that read the results registry.
struct RegistryOption: ParsableArguments {
    @Option(
        name: .customLong("registry"),
        help: ArgumentHelp(
            "The registry: a file path, sqlite:PATH or postgres://user@host[:port]/db.",
            discussion: "Defaults to $SNN_REGISTRY, else runs/registry.sqlite.", valueName: "location"),
        completion: .file(extensions: ["sqlite"]))
    var location: String?

    var resolvedLocation: String {
        location ?? ProcessInfo.processInfo.environment["SNN_REGISTRY"] ?? "runs/registry.sqlite"
    }

    /// Opens an existing registry; a missing file is an error rather than a new empty registry.
    func open() throws -> RunRegistry {
        var options = RegistryOptions()
        options.createIfMissing = false
        return try RunRegistry.open(location: resolvedLocation, options: options)
    }
}

/// `snn runs …`: list, inspect, compare and export the runs in the registry.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, show, compare and export runs.",
        subcommands: [List.self, Show.self, Compare.self, Export.self, PlotCurves.self])

    /// Filters shared by `list` and `export`.
    struct Filter: ParsableArguments {
        @Option(help: "Only runs of this paper.") var paper: String?
        @Option(help: "Only runs of this experiment.") var experiment: String?
        @Option(help: "Only runs with this neuron.") var neuron: String?
        @Option(help: "Only runs of this preset.") var preset: String?
        @Option(help: "Only runs in this status.") var status: RunStatus?
        @Option(help: "Only the newest N runs.") var limit: Int?

        var runFilter: RunFilter {
            RunFilter(
                paper: paper, experiment: experiment, neuron: neuron, preset: preset, status: status, limit: limit)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, oldest first.")

        @OptionGroup var registry: RegistryOption
        @OptionGroup var filter: Filter

        func run() throws {
            let runs = try registry.open().runs(filter.runFilter)
            guard !runs.isEmpty else { return print("no runs match") }
            var table = TextTable(
                headers: [
                    "ID", "Paper", "Experiment", "Neuron", "Preset", "Seed", "Status", "Started (UTC)", "Duration",
                    "Commit",
                ],
                alignments: [.right, .left, .left, .left, .left, .right, .left, .left, .right, .left])
            for run in runs {
                table.append([
                    run.id.description, run.paper, run.experiment, run.neuron ?? "", run.preset ?? "",
                    run.seed.map(String.init) ?? "", run.status.rawValue, Format.date(run.startedAt),
                    Format.duration(from: run.startedAt, to: run.endedAt ?? run.heartbeatAt),
                    Format.commit(run.provenance),
                ])
            }
            print(table.render(), terminator: "")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one run: provenance, config, final metrics, artifacts.")

        @OptionGroup var registry: RegistryOption
        @Argument(help: "The run's id.") var id: Int64

        func run() throws {
            let registry = try registry.open()
            let run = try registry.run(RunID(id))
            var fields = TextTable(headers: ["Field", "Value"])
            let machine = run.provenance
            for (field, value) in [
                ("paper", run.paper), ("experiment", run.experiment), ("neuron", run.neuron ?? "—"),
                ("preset", run.preset ?? "—"),
                ("seed", run.seed.map(String.init) ?? "—"), ("status", run.status.rawValue),
                ("failure reason", run.failureReason ?? "—"), ("started", Format.date(run.startedAt)),
                ("ended", run.endedAt.map(Format.date) ?? "—"), ("last heartbeat", Format.date(run.heartbeatAt)),
                ("commit", Format.commit(machine)), ("host / pid", "\(machine.host) / \(run.pid)"),
                ("cpu", "\(machine.cpuModel ?? "unknown") × \(machine.cpuCount)"),
                ("memory", String(format: "%.1f GiB", Double(machine.memoryBytes) / 1_073_741_824)), ("os", machine.os),
            ] {
                fields.append([field, value])
            }
            print("Run \(run.id)\n")
            print(fields.render())
            print("Config:\n" + Format.prettyJSON(run.configJSON) + "\n")

            let finals = try registry.finalMetrics(of: run.id)
            var metrics = TextTable(headers: ["Metric", "Last value", "Points"], alignments: [.left, .right, .right])
            let all = try registry.metrics(of: run.id)
            for key in finals.keys.sorted() {
                let count = all.filter { $0.split == key.split && $0.name == key.name }.count
                metrics.append([key.description, Format.number(finals[key]!), String(count)])
            }
            print(finals.isEmpty ? "No metrics.\n" : "Metrics:\n" + metrics.render())

            let artifacts = try registry.artifacts(of: run.id)
            var table = TextTable(
                headers: ["Kind", "Path", "Bytes", "SHA-256"], alignments: [.left, .left, .right, .left])
            for artifact in artifacts {
                table.append([
                    artifact.kind, artifact.path, String(artifact.bytes), String(artifact.sha256.prefix(16)) + "…",
                ])
            }
            print(
                artifacts.isEmpty ? "No artifacts." : "Artifacts:\n" + table.render(),
                terminator: artifacts.isEmpty ? "\n" : "")
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare runs side by side: the config fields that differ and the final metrics.")

        @OptionGroup var registry: RegistryOption
        @Flag(help: "Show every config field, not only those that differ.") var all = false
        @Argument(help: "Two or more run ids.") var ids: [Int64]

        func validate() throws {
            guard ids.count >= 2 else { throw ValidationError("compare needs at least two run ids, got \(ids.count)") }
        }

        func run() throws {
            let registry = try registry.open()
            let runs = try ids.map { try registry.run(RunID($0)) }
            var table = TextTable(
                headers: ["Field"] + runs.map { "run \($0.id)" }, alignments: [.left] + runs.map { _ in .right })
            func row(_ name: String, _ values: [String]) { table.append([name] + values) }
            row("experiment", runs.map(\.experiment))
            row("neuron", runs.map { $0.neuron ?? "" })
            row("preset", runs.map { $0.preset ?? "" })
            row("seed", runs.map { $0.seed.map(String.init) ?? "" })
            row("status", runs.map(\.status.rawValue))
            row("commit", runs.map { Format.commit($0.provenance) })

            let configs = runs.map { Format.flatten(json: $0.configJSON) }
            for key in Set(configs.flatMap(\.keys)).sorted() {
                let values = configs.map { $0[key] ?? "—" }
                if all || Set(values).count > 1 { row("config." + key, values) }
            }
            let finals = try runs.map { try registry.finalMetrics(of: $0.id) }
            for key in Set(finals.flatMap(\.keys)).sorted() {
                row(key.description, finals.map { $0[key].map(Format.number) ?? "—" })
            }
            print(table.render(), terminator: "")
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export runs as CSV (one row per run, final metrics as columns) or JSON (everything).")

        enum Format: String, EnumerableFlag {
            case csv, json

            static func help(for value: Format) -> ArgumentHelp? {
                switch value {
                case .csv: return "One row per run with its final metrics as columns."
                case .json: return "Every run with config, provenance, all metric points and artifacts."
                }
            }
        }

        @OptionGroup var registry: RegistryOption
        @OptionGroup var filter: Filter
        @Flag var format: Format
        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

        func run() throws {
            let registry = try registry.open()
            let runs = try registry.runs(filter.runFilter)
            let text = format == .csv ? try registry.exportCSV(runs) : try registry.exportJSON(runs)
            if let output {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
                print("wrote \(runs.count) runs to \(output)")
            } else {
                print(text, terminator: "")
            }
        }
    }
}

extension RunStatus: ExpressibleByArgument {}

/// How the CLI prints values: UTC dates to the minute, short commits, compact numbers.
enum Format {
    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    static func duration(from start: Date, to end: Date) -> String {
        let seconds = max(0, Int(end.timeIntervalSince(start)))
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s" }
        return "\(seconds / 3600)h\(String(format: "%02d", seconds / 60 % 60))m"
    }

    /// The first 8 hex digits of the commit, with `*` when the tree had uncommitted changes.
    static func commit(_ provenance: Provenance) -> String {
        guard let commit = provenance.gitCommit else { return "—" }
        return String(commit.prefix(8)) + (provenance.gitDirty == true ? "*" : "")
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value != 0 && (abs(value) >= 1e6 || abs(value) < 1e-3) { return String(format: "%.4e", value) }
        return String(format: "%.4f", value).replacingOccurrences(of: "\\.?0+$", with: "", options: .regularExpression)
    }

    static func prettyJSON(_ text: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        else { return text }
        return String(decoding: data, as: UTF8.self)
    }

    /// A JSON object's leaves by dotted path (`model.width` → `128`), for comparing configs.
    static func flatten(json text: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return [:] }
        var leaves: [String: String] = [:]
        func visit(_ value: Any, _ path: String) {
            if let dictionary = value as? [String: Any] {
                for (key, child) in dictionary { visit(child, path.isEmpty ? key : path + "." + key) }
            } else if let data = try? JSONSerialization.data(
                withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
            {
                leaves[path] = String(decoding: data, as: UTF8.self)
            }
        }
        visit(object, "")
        return leaves
    }
}
