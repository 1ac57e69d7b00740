import Foundation

/// Turns runs into files other tools read: CSV (one row per run, final metrics as columns, for a
/// spreadsheet or pandas) and JSON (everything, including each run's full metric series).
extension RunRegistry {
    /// One row per run; a column `split/name` per metric any of the runs logged, holding its last value.
    public func exportCSV(_ runs: [RunRecord]) throws -> String {
        let finals = try runs.map { try finalMetrics(of: $0.id) }
        let metricKeys = Set(finals.flatMap(\.keys)).sorted()
        let fixed = [
            "id", "experiment", "paper", "neuron", "preset", "seed", "status", "started_at", "ended_at", "git_commit",
            "git_dirty", "host", "failure_reason", "config",
        ]
        var lines = [(fixed + metricKeys.map(\.description)).map(Self.csvField).joined(separator: ",")]
        for (run, final) in zip(runs, finals) {
            let cells: [String] =
                [
                    run.id.description, run.experiment, run.paper, run.neuron ?? "", run.preset ?? "",
                    run.seed.map(String.init) ?? "", run.status.rawValue, Self.iso(run.startedAt),
                    run.endedAt.map(Self.iso) ?? "", run.provenance.gitCommit ?? "",
                    run.provenance.gitDirty.map { $0 ? "true" : "false" } ?? "", run.provenance.host,
                    run.failureReason ?? "", run.configJSON,
                ] + metricKeys.map { key in final[key].map { String($0) } ?? "" }
            lines.append(cells.map(Self.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A JSON array with every field of each run, its config as an object, all metric points and artifacts.
    public func exportJSON(_ runs: [RunRecord]) throws -> String {
        let objects: [[String: Any]] = try runs.map { run in
            let config = try JSONSerialization.jsonObject(with: Data(run.configJSON.utf8))
            let provenance = try JSONSerialization.jsonObject(with: try Self.jsonEncoder.encode(run.provenance))
            let metrics: [[String: Any]] = try metrics(of: run.id).map { point in
                [
                    "split": point.split, "name": point.name, "value": point.value.isFinite ? point.value : NSNull(),
                    "epoch": point.epoch ?? NSNull(), "step": point.step ?? NSNull(),
                ]
            }
            let artifacts: [[String: Any]] = try artifacts(of: run.id).map { artifact in
                ["kind": artifact.kind, "path": artifact.path, "sha256": artifact.sha256, "bytes": artifact.bytes]
            }
            return [
                "id": run.id.rawValue, "experiment": run.experiment, "paper": run.paper,
                "neuron": run.neuron ?? NSNull(),
                "preset": run.preset ?? NSNull(), "seed": run.seed ?? NSNull(), "status": run.status.rawValue,
                "started_at": Self.iso(run.startedAt), "ended_at": run.endedAt.map(Self.iso) ?? NSNull(),
                "failure_reason": run.failureReason ?? NSNull(), "config": config, "provenance": provenance,
                "metrics": metrics, "artifacts": artifacts,
            ]
        }
        let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func iso(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    /// Quotes a field when it holds a comma, quote or line break (RFC 4180).
    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
