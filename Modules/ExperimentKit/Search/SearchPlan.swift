import Foundation

/// Which sampler proposes a search's trials.
public enum SamplerKind: String, Codable, Sendable {
    /// Independent uniform draws (`RandomSampler`).
    case random
    /// Tree-structured Parzen estimators after `startupTrials` random trials (`TPESampler`).
    case tpe
}

/// What a preset's "search" section holds:
///
///     "search": {
///       "space": {"training.learningRate": {"logUniform": [1e-4, 1e-2]}},
///       "trials": 64, "sampler": "tpe", "startupTrials": 16, "workers": 2, "seed": 1
///     }
///
/// Every key is required, so two neuron models' presets state the same budget explicitly
/// instead of inheriting it from a default that might change between them.
public struct SearchPlan: Codable, Sendable, Equatable {
    public var space: SearchSpace
    /// The total budget: the number of trials the search enqueues.
    public var trials: Int
    public var sampler: SamplerKind
    /// Random trials before TPE takes over (JSON `startupTrials`); random search ignores it.
    public var startupTrials: Int
    /// Parallel worker processes, and so the number of trials proposed per round (JSON `workers`).
    public var workers: Int
    /// Seeds the samplers: proposal n draws from a generator derived from this and n.
    public var seed: Int

    public init(space: SearchSpace, trials: Int, sampler: SamplerKind, startupTrials: Int, workers: Int, seed: Int) {
        self.space = space
        self.trials = trials
        self.sampler = sampler
        self.startupTrials = startupTrials
        self.workers = workers
        self.seed = seed
    }

    enum CodingKeys: String, CodingKey {
        case space, trials, sampler, startupTrials, workers, seed
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            space: try container.decode(SearchSpace.self, forKey: .space),
            trials: try container.decode(Int.self, forKey: .trials),
            sampler: try container.decode(SamplerKind.self, forKey: .sampler),
            startupTrials: try container.decode(Int.self, forKey: .startupTrials),
            workers: try container.decode(Int.self, forKey: .workers),
            seed: try container.decode(Int.self, forKey: .seed))
        try validate(at: DottedPath.of(decoder))
    }

    /// Throws unless the budget, worker count and startup count are in range and the space is
    /// valid; fields are named as in a preset's `search` section (`search.trials`).
    public func validate() throws(ConfigIssue) {
        try validate(at: "search")
    }

    /// `validate()` for a plan found at `path` instead of `search` (the empty path for a plan
    /// file of its own).
    public func validate(at path: String) throws(ConfigIssue) {
        try ConfigIssue.require(trials >= 1, DottedPath.join(path, "trials"), mustBe: "an integer ≥ 1", got: trials)
        try ConfigIssue.require(workers >= 1, DottedPath.join(path, "workers"), mustBe: "an integer ≥ 1", got: workers)
        try ConfigIssue.require(
            startupTrials >= 0, DottedPath.join(path, "startupTrials"), mustBe: "an integer ≥ 0", got: startupTrials)
        try space.validate(at: DottedPath.join(path, "space"))
    }

    /// The plan as compact JSON with sorted keys: equal plans give equal text, so it can name
    /// or fingerprint a search.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A plan holds only numbers, strings and booleans; encoding it cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}
