import Foundation
import Registry

/// Runs a search through the registry in rounds: enqueue up to `plan.workers` proposals (TPE
/// proposals see every trial completed before the round), run the workers until the queue is
/// empty, repeat until `plan.trials` trials exist and none is queued or running.
///
/// Rounds keep a model-based sampler informed while the workers stay busy: each round proposes
/// one trial per worker from everything finished so far. Everything lives in the registry, so
/// calling `run` again on the same study continues where it stopped: trials left queued or
/// running (by workers that died) are drained first, then the rest of the budget is proposed.
/// Proposal n draws from a generator derived from the seed and n, so the same plan, seed and
/// results give the same trials, whether the search ran in one go or was resumed.
///
/// An experiment's search command, with the plan from its preset's `search` section:
///
/// ```swift
/// let name = "shd-\(neuron).search." + (try StudyFingerprint.of(["config": config, "search": plan]))
/// let worker = [LocalWorkerPool.currentExecutable.path, "worker", name] + options.commandLine
/// let spec = StudySpec(
///     name: name, experiment: "shd", objective: "val/accuracy", direction: .maximize, workerCommand: worker)
/// let search = HyperparameterSearch(spec: spec, plan: plan, queue: registry)
/// try search.run { try LocalWorkerPool(command: worker, count: plan.workers).run() }
/// let best = try search.best()
/// ```
///
/// (`StudyCoordinator.search` is this, with `--enqueue-only` handled.)
public struct HyperparameterSearch: Sendable {
    public var spec: StudySpec
    public var plan: SearchPlan
    public var queue: any TrialQueue

    public init(spec: StudySpec, plan: SearchPlan, queue: any TrialQueue) {
        self.spec = spec
        self.plan = plan
        self.queue = queue
    }

    /// Runs the search to its end and returns its study. `runWorkers` runs workers until the
    /// queue is empty (e.g. a `LocalWorkerPool` of the experiment's own executable in worker
    /// mode, or in tests an in-process loop); what it throws stops the search, resumably.
    @discardableResult
    public func run(runWorkers: () throws -> Void) throws -> Study {
        do {
            try plan.validate()
        } catch {
            throw ConfigError(source: "study \(spec.name)", message: error.description)
        }
        let study = try queue.createStudy(spec)
        let sampler = self.sampler
        while true {
            var trials = try queue.trials(in: study.id)
            try requireFromThisSpace(trials)
            if !trials.contains(where: \.isOpen) {
                guard trials.count < plan.trials else { return study }
                // One at a time, so each proposal sees the round's earlier ones as queued trials.
                for number in trials.count..<min(trials.count + plan.workers, plan.trials) {
                    let parameters = sampler.propose(
                        number: number, history: trials, space: plan.space, direction: spec.direction)
                    trials += try queue.enqueue([parameters], in: study.id)
                }
            }
            try runWorkers()
            let after = try queue.trials(in: study.id)
            guard after.map(\.state) != trials.map(\.state) || after.map(\.attempts) != trials.map(\.attempts) else {
                throw SearchError.stalled(study: spec.name, open: after.filter(\.isOpen).map(\.number))
            }
        }
    }

    /// The completed trial with the best result (ties: lowest number), nil if none completed.
    public func best() throws -> Trial? {
        guard let study = try queue.study(named: spec.name) else { return nil }
        return try queue.trials(in: study.id)
            .filter { $0.state == .completed && $0.result.map { !$0.isNaN } == true }
            .min(by: spec.direction.ranks)
    }

    /// The plan's sampler, seeded with the plan's seed.
    var sampler: any TrialSampler {
        switch plan.sampler {
        case .random: return RandomSampler(seed: plan.seed)
        case .tpe: return TPESampler(seed: plan.seed, startupTrials: plan.startupTrials)
        }
    }

    /// Throws unless every stored trial sets exactly the space's paths: a study filled by another
    /// search would feed the sampler values it cannot place.
    private func requireFromThisSpace(_ trials: [Trial]) throws {
        let paths = Set(plan.space.dimensions.keys)
        for trial in trials where Set(trial.parameters.keys) != paths {
            throw SearchError.foreignTrial(
                study: spec.name, trial: trial.number,
                missing: paths.subtracting(trial.parameters.keys).sorted(),
                extra: Set(trial.parameters.keys).subtracting(paths).sorted())
        }
    }
}

/// Why a search cannot go on, naming its study.
public enum SearchError: Error, Equatable, CustomStringConvertible {
    /// A stored trial's parameter paths differ from the search space's.
    case foreignTrial(study: String, trial: Int, missing: [String], extra: [String])
    /// The workers returned without claiming or finishing any of the open trials (numbers).
    case stalled(study: String, open: [Int])

    public var description: String {
        switch self {
        case .foreignTrial(let study, let trial, let missing, let extra):
            let differences = [("lacks", missing), ("has", extra)].filter { !$0.1.isEmpty }
                .map { "\($0.0) \($0.1.joined(separator: ", "))" }.joined(separator: " and ")
            return "study \(study): trial \(trial) does not come from this search space (it \(differences));"
                + " give a changed search a new study name (StudyFingerprint)"
        case .stalled(let study, let open):
            return "study \(study): the workers returned but trials \(open.map(String.init).joined(separator: ", "))"
                + " are still queued or running; check that the workers use this registry and study,"
                + " or wait for the process holding them"
        }
    }
}
