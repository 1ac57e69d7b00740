import Foundation

/// Which value of a run's metric series stands for the run.
public enum MetricReduction: String, Sendable {
    /// The last logged value (the end of training).
    case last
    /// The best value, for metrics where larger is better (accuracy).
    case max
    /// The best value, for metrics where smaller is better (loss).
    case min
}

/// Selects completed runs and one metric of each, for a results table. Nil fields match every run.
public struct MetricQuery: Sendable, Equatable {
    public var paper: String?
    public var experiment: String?
    public var neuron: String?
    public var preset: String?
    /// The `ConfigFingerprint` runs must have: the resolved config the table row stands for.
    public var fingerprint: String?
    /// Config fields that must match, by JSON path inside the config (`"timesteps"`, `"model.width"`).
    public var config: [String: ParameterValue]
    public var split: String
    public var name: String
    public var reduction: MetricReduction

    public init(
        paper: String? = nil, experiment: String? = nil, neuron: String? = nil, preset: String? = nil,
        fingerprint: String? = nil, config: [String: ParameterValue] = [:], split: String, name: String,
        reduction: MetricReduction = .last
    ) {
        self.paper = paper
        self.experiment = experiment
        self.neuron = neuron
        self.preset = preset
        self.fingerprint = fingerprint
        self.config = config
        self.split = split
        self.name = name
        self.reduction = reduction
    }
}

/// Mean ± sample standard deviation of one value per seed.
public struct MetricSummary: Sendable, Equatable {
    /// One value per seed, ordered by seed.
    public var values: [Double]
    /// The runs the values come from, in the same order.
    public var runs: [RunID]

    public init(values: [Double], runs: [RunID]) {
        self.values = values
        self.runs = runs
    }

    public var n: Int { values.count }
    public var mean: Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }

    /// The sample standard deviation (n − 1 in the denominator); 0 for a single seed.
    public var std: Double? {
        guard let mean else { return nil }
        guard values.count > 1 else { return 0 }
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (squares / Double(values.count - 1)).squareRoot()
    }
}

/// A metric at one epoch (or step) across seeds.
public struct CurvePoint: Sendable, Equatable {
    /// The epoch, or the step for metrics logged without an epoch.
    public var position: Int
    public var summary: MetricSummary
}

extension RunRegistry {
    /// Summarises a metric over the completed runs the query selects. Each seed counts once: when a
    /// seed was run again, its newest completed run wins, so reruns do not inflate n.
    public func summarize(_ query: MetricQuery) throws -> MetricSummary {
        let picked = try selectRuns(query)
        return MetricSummary(values: picked.map(\.value), runs: picked.map(\.run))
    }

    /// The metric per epoch (or per step, for points without an epoch), summarised over the same
    /// runs as `summarize`: the mean ± std curve of a training-curve figure. The query's reduction
    /// does not apply; every logged point counts, the last one when a run logged an epoch twice.
    public func curve(_ query: MetricQuery) throws -> [CurvePoint] {
        let runs = try selectRuns(query).map(\.run)
        var byPosition: [Int: [(run: RunID, value: Double)]] = [:]
        for run in runs {
            var last: [Int: Double] = [:]
            for point in try metrics(of: run, split: query.split, name: query.name) {
                guard let position = point.epoch ?? point.step else { continue }
                last[position] = point.value
            }
            for (position, value) in last { byPosition[position, default: []].append((run, value)) }
        }
        return byPosition.keys.sorted().map { position in
            let points = byPosition[position]!
            return CurvePoint(
                position: position, summary: MetricSummary(values: points.map(\.value), runs: points.map(\.run)))
        }
    }

    /// One value per selected run: the newest completed run of each seed, by seed, then unseeded runs.
    /// The fingerprint is checked here rather than in SQL: it is computed from the stored config.
    private func selectRuns(_ query: MetricQuery) throws -> [(run: RunID, value: Double)] {
        var clauses = ["runs.status = 'completed'"]
        var arguments: [SQLValue] = [.text(query.split), .text(query.name)]
        for (column, value) in [
            ("paper", query.paper), ("experiment", query.experiment), ("neuron", query.neuron),
            ("preset", query.preset),
        ] {
            guard let value else { continue }
            clauses.append("runs.\(column) = ?")
            arguments.append(.text(value))
        }
        for (path, value) in query.config.sorted(by: { $0.key < $1.key }) {
            let condition = store.dialect.jsonField("runs.config", path: path, equals: value)
            clauses.append(condition.sql)
            arguments += condition.arguments
        }
        let pick: String
        switch query.reduction {
        case .last:
            pick =
                "(SELECT value FROM metrics m WHERE m.run_id = runs.id AND m.split = ?1 AND m.name = ?2 ORDER BY m.id DESC LIMIT 1)"
        case .max: pick = "(SELECT MAX(value) FROM metrics m WHERE m.run_id = runs.id AND m.split = ?1 AND m.name = ?2)"
        case .min: pick = "(SELECT MIN(value) FROM metrics m WHERE m.run_id = runs.id AND m.split = ?1 AND m.name = ?2)"
        }
        let sql = """
            SELECT runs.id, runs.seed, runs.config, \(pick) AS picked FROM runs
            WHERE \(clauses.joined(separator: " AND "))
              AND EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = runs.id AND m.split = ?1 AND m.name = ?2)
            ORDER BY runs.id
            """
        let rows = try store.read { db in try db.rows(sql, arguments) }
        var newestPerSeed: [Int: (RunID, Double)] = [:]
        var unseeded: [(RunID, Double)] = []
        for row in rows {
            if let fingerprint = query.fingerprint {
                guard try ConfigFingerprint.of(configJSON: row.string("config")) == fingerprint else { continue }
            }
            let run = RunID(row.int64("id"))
            let value = row.optionalDouble("picked") ?? .nan
            if let seed = row.optionalInt("seed") {
                newestPerSeed[seed] = (run, value)
            } else {
                unseeded.append((run, value))
            }
        }
        return (newestPerSeed.sorted { $0.key < $1.key }.map(\.value) + unseeded).map { (run: $0.0, value: $0.1) }
    }
}
