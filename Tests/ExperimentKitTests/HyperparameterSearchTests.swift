import ExperimentKit
import Foundation
import Registry
import RegistryFixtures
import TestSupport
import XCTest

final class HyperparameterSearchTests: XCTestCase {
    /// Minimum 0 at lr = 1e-3, x = 0.3.
    private static func toyObjective(_ parameters: TrialParameters) -> Double {
        let lr = parameters["training.learningRate"]!.doubleValue!
        let x = parameters["model.x"]!.doubleValue!
        return pow(log10(lr) + 3, 2) + pow(x - 0.3, 2)
    }

    private static let toySpace = SearchSpace([
        "training.learningRate": .logUniform(lo: 1e-5, hi: 1e-1), "model.x": .uniform(lo: 0, hi: 1),
        "model.hidden": .choice([.int(64), .int(128)]),
    ])

    private func plan(_ sampler: SamplerKind = .tpe, trials: Int = 10, workers: Int = 3, seed: Int = 1) -> SearchPlan {
        SearchPlan(
            space: Self.toySpace, trials: trials, sampler: sampler, startupTrials: 4, workers: workers, seed: seed)
    }

    private func registry() throws -> RunRegistry {
        try RunRegistry.open(path: temporaryDirectory(self).appendingPathComponent("registry.sqlite").path)
    }

    private func spec() -> StudySpec {
        StudySpec(name: "toy-search", experiment: "toy", objective: "val/loss", direction: .minimize)
    }

    /// An in-process worker: claims the study's trials until none is queued and completes each
    /// with `objective`, or fails it where `objective` gives nil.
    private func drain(
        _ registry: RunRegistry, study name: String, objective: (TrialParameters) -> Double? = toyObjective
    ) throws {
        let study = try XCTUnwrap(registry.study(named: name))
        while let trial = try registry.claim(from: study.id, worker: .current) {
            if let result = objective(trial.parameters) {
                try registry.complete(trial.id, worker: .current, result: result, run: nil)
            } else {
                try registry.fail(trial.id, worker: .current, reason: "diverged")
            }
        }
    }

    func testRunsInRoundsOfOneTrialPerWorkerWithinTheBudget() throws {
        let registry = try registry()
        let search = HyperparameterSearch(spec: spec(), plan: plan(trials: 10, workers: 3), queue: registry)
        var rounds: [[TrialState]] = []
        let study = try search.run {
            let study = try XCTUnwrap(registry.study(named: "toy-search"))
            rounds.append(try registry.trials(in: study.id).map(\.state))
            try drain(registry, study: "toy-search")
        }
        XCTAssertEqual(
            rounds.map { $0.count { $0 == .queued } }, [3, 3, 3, 1], "one proposal per worker, then the remainder")
        XCTAssertEqual(
            rounds.map { $0.count { $0 == .completed } }, [0, 3, 6, 9], "each round sees the previous rounds finished")
        let trials = try registry.trials(in: study.id)
        XCTAssertEqual(trials.map(\.number), Array(0..<10))
        XCTAssertTrue(trials.allSatisfy { $0.state == .completed })

        let best = try XCTUnwrap(search.best())
        XCTAssertEqual(best.result, trials.compactMap(\.result).min())
        XCTAssertNoThrow(try search.run { XCTFail("a finished search runs no workers") })
        XCTAssertEqual(try registry.trials(in: study.id).count, 10)
    }

    func testSamePlanAndResultsGiveTheSameTrials() throws {
        func parameters(_ plan: SearchPlan) throws -> [TrialParameters] {
            let registry = try registry()
            let study = try HyperparameterSearch(spec: spec(), plan: plan, queue: registry).run {
                try drain(registry, study: "toy-search")
            }
            return try registry.trials(in: study.id).map(\.parameters)
        }
        let first = try parameters(plan())
        XCTAssertEqual(first.count, 10)
        XCTAssertEqual(Set(first).count, 10)
        XCTAssertEqual(try parameters(plan()), first)
        XCTAssertNotEqual(try parameters(plan(seed: 2)), first)
    }

    func testResumesWhereAnInterruptedSearchStopped() throws {
        struct Interrupted: Error {}
        let registry = try registry()
        let search = HyperparameterSearch(spec: spec(), plan: plan(trials: 10, workers: 3), queue: registry)
        var calls = 0
        XCTAssertThrowsError(
            try search.run {
                calls += 1
                if calls == 2 { throw Interrupted() }  // stop before round 2's trials run
                try drain(registry, study: "toy-search")
            }
        ) { XCTAssertTrue($0 is Interrupted) }
        let study = try XCTUnwrap(registry.study(named: "toy-search"))
        XCTAssertEqual(
            try registry.trials(in: study.id).map(\.state),
            [.completed, .completed, .completed, .queued, .queued, .queued])
        // A worker that dies holding a trial leaves it running; the next worker re-queues it.
        let dead = Worker(host: ProcessInfo.processInfo.hostName, pid: Int32.max)
        _ = try XCTUnwrap(registry.claim(from: study.id, worker: dead))

        var resumedRounds: [Int] = []
        try search.run {
            resumedRounds.append(try registry.trials(in: study.id).count)
            try drain(registry, study: "toy-search")
        }
        XCTAssertEqual(resumedRounds, [6, 9, 10], "the open trials of round 2 are drained before round 3 is proposed")
        let trials = try registry.trials(in: study.id)
        XCTAssertEqual(trials.map(\.number), Array(0..<10))
        XCTAssertTrue(trials.allSatisfy { $0.state == .completed })
        XCTAssertEqual(Set(trials.map(\.parameters)).count, 10, "no trial was proposed twice")
        XCTAssertEqual(trials[3].attempts, 2, "the dead worker's trial ran again")

        let uninterrupted = try self.registry()
        let reference = try HyperparameterSearch(spec: spec(), plan: plan(trials: 10, workers: 3), queue: uninterrupted)
            .run {
                try drain(uninterrupted, study: "toy-search")
            }
        XCTAssertEqual(try uninterrupted.trials(in: reference.id).map(\.parameters), trials.map(\.parameters))
    }

    func testFailedTrialsCountTowardsTheBudget() throws {
        let registry = try registry()
        let search = HyperparameterSearch(spec: spec(), plan: plan(trials: 8, workers: 2), queue: registry)
        let study = try search.run {
            try drain(registry, study: "toy-search") { $0["model.hidden"] == .int(64) ? nil : Self.toyObjective($0) }
        }
        let trials = try registry.trials(in: study.id)
        XCTAssertEqual(trials.count, 8)
        XCTAssertTrue(trials.contains { $0.state == .failed } && trials.contains { $0.state == .completed })
        XCTAssertEqual(try search.best()?.parameters["model.hidden"], .int(128))
    }

    func testRefusesAStudyFromAnotherSpace() throws {
        let registry = try registry()
        try HyperparameterSearch(spec: spec(), plan: plan(trials: 2, workers: 2), queue: registry).run {
            try drain(registry, study: "toy-search")
        }
        var other = plan(trials: 4, workers: 2)
        other.space.dimensions["model.hidden"] = nil
        other.space.dimensions["model.depth"] = .intUniform(lo: 1, hi: 3)
        XCTAssertThrowsError(try HyperparameterSearch(spec: spec(), plan: other, queue: registry).run {}) {
            XCTAssertEqual(
                "\($0)",
                "study toy-search: trial 0 does not come from this search space (it lacks model.depth and has model.hidden);"
                    + " give a changed search a new study name (StudyFingerprint)")
        }
    }

    func testWorkersThatLeaveTheQueueAloneStopTheSearch() throws {
        let registry = try registry()
        XCTAssertThrowsError(try HyperparameterSearch(spec: spec(), plan: plan(), queue: registry).run {}) {
            XCTAssertEqual($0 as? SearchError, .stalled(study: "toy-search", open: [0, 1, 2]))
        }
        var invalid = plan()
        invalid.trials = 0
        XCTAssertThrowsError(try HyperparameterSearch(spec: spec(), plan: invalid, queue: registry).run {}) {
            XCTAssertEqual("\($0)", "study toy-search: search.trials must be an integer ≥ 1, got 0")
        }
    }

    func testBestTakesTheDirectionAndTheLowestNumberOnTies() throws {
        let registry = try registry()
        var spec = spec()
        spec.direction = .maximize
        let search = HyperparameterSearch(spec: spec, plan: plan(.random, trials: 5, workers: 5), queue: registry)
        XCTAssertNil(try search.best(), "no study yet")
        var scores = [0.5, 0.9, 0.2, 0.9, 0.1][...]  // in claim order, which is trial order
        try search.run { try drain(registry, study: "toy-search") { _ in scores.popFirst() } }
        let best = try XCTUnwrap(search.best())
        XCTAssertEqual(best.number, 1)
        XCTAssertEqual(best.result, 0.9)
    }

    func testTPEFindsBetterTrialsThanRandomSearch() throws {
        func bestResult(_ sampler: SamplerKind, seed: Int) throws -> Double {
            let registry = try registry()
            let plan = SearchPlan(
                space: Self.toySpace, trials: 40, sampler: sampler, startupTrials: 10, workers: 4, seed: seed)
            let search = HyperparameterSearch(spec: spec(), plan: plan, queue: registry)
            try search.run { try drain(registry, study: "toy-search") }
            return try XCTUnwrap(search.best()?.result)
        }
        let seeds = 1...8
        let tpe = try seeds.map { try bestResult(.tpe, seed: $0) }
        let random = try seeds.map { try bestResult(.random, seed: $0) }
        XCTAssertLessThan(median(tpe), median(random) / 3, "best results over seeds: TPE \(tpe), random \(random)")
    }
}
