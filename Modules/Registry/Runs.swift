import Foundation

/// Where a run is in its life. Every run ends in one of the three terminal states; a run whose
/// process died is moved from `running` to `interrupted` by the next open of the registry.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case running, completed, failed, interrupted

    public var isTerminal: Bool { self != .running }
}

/// What a training process declares when it starts a run.
public struct RunSpec: Sendable {
    public var experiment: String
    public var paper: String
    public var neuron: String?
    public var preset: String?
    /// The full resolved config as a JSON object, so a run can be repeated from the registry alone.
    public var configJSON: String
    public var seed: Int?
    /// Git commit, dirty flag and machine; collected at `startRun` when nil.
    public var provenance: Provenance?

    public init(
        experiment: String, paper: String, neuron: String? = nil, preset: String? = nil,
        configJSON: String = "{}", seed: Int? = nil, provenance: Provenance? = nil
    ) {
        self.experiment = experiment
        self.paper = paper
        self.neuron = neuron
        self.preset = preset
        self.configJSON = configJSON
        self.seed = seed
        self.provenance = provenance
    }

    /// Builds the spec from any encodable config (keys sorted, so equal configs compare equal as text).
    public init(
        experiment: String, paper: String, neuron: String? = nil, preset: String? = nil,
        config: some Encodable, seed: Int? = nil, provenance: Provenance? = nil
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(config), as: UTF8.self)
        self.init(
            experiment: experiment, paper: paper, neuron: neuron, preset: preset, configJSON: json,
            seed: seed, provenance: provenance)
    }
}

/// One run as stored.
public struct RunRecord: Sendable, Equatable {
    public var id: RunID
    public var experiment: String
    public var paper: String
    public var neuron: String?
    public var preset: String?
    public var configJSON: String
    public var seed: Int?
    public var provenance: Provenance
    public var pid: Int32
    public var startedAt: Date
    public var heartbeatAt: Date
    public var endedAt: Date?
    public var status: RunStatus
    public var failureReason: String?
    /// Set when the run executes a study's trial.
    public var trialID: TrialID?
}

/// One value of one metric at one point of training.
public struct MetricPoint: Sendable, Equatable, Codable {
    /// The data split the value was measured on: `train`, `val`, `test`, …
    public var split: String
    public var name: String
    public var value: Double
    public var epoch: Int?
    public var step: Int?

    public init(split: String, name: String, value: Double, epoch: Int? = nil, step: Int? = nil) {
        self.split = split
        self.name = name
        self.value = value
        self.epoch = epoch
        self.step = step
    }
}

/// A file a run produced, with its SHA-256 so a later reader can tell it has not changed.
public struct Artifact: Sendable, Equatable, Codable {
    public var kind: String
    public var path: String
    public var sha256: String
    public var bytes: Int64
}
