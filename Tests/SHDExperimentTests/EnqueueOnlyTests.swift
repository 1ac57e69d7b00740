import ExperimentKit
import Foundation
import Registry
import TestSupport
import XCTest

@testable import SHDExperiment

/// `--enqueue-only`: the stages fill their study's queue and stop, leaving the trials to workers
/// elsewhere (a Slurm job array running the study's recorded worker command); rerunning a stage
/// picks up what those workers stored and enqueues the next round.
final class EnqueueOnlyTests: XCTestCase {
    func testSearchEnqueuesRoundByRoundAndNeverRunsWorkersItself() throws {
        let (pipeline, runner) = try enqueueOnlyPipeline()
        let plan = pipeline.config.value.search
        XCTAssertLessThan(plan.workers, plan.trials, "the smoke search has more than one round")

        // First call: one round of proposals is queued, nothing trained.
        let first = try stopped { try pipeline.search("qif-exact") }
        XCTAssertEqual(first.open, plan.workers)
        let study = try XCTUnwrap(try pipeline.registry.study(named: first.study))
        XCTAssertEqual(
            try pipeline.registry.trials(in: study.id).map(\.state), Array(repeating: .queued, count: plan.workers))
        XCTAssertTrue(try pipeline.registry.runs().isEmpty)

        // Rerunning while the trials are still open enqueues nothing more.
        XCTAssertEqual(try stopped { try pipeline.search("qif-exact") }, first)
        XCTAssertEqual(try pipeline.registry.trials(in: study.id).count, plan.workers)

        // A cluster task: the study's recorded command, run here in process.
        try runRecordedWorker(of: study, runner: runner)
        XCTAssertEqual(
            try pipeline.registry.trials(in: study.id).map(\.state), Array(repeating: .completed, count: plan.workers))

        // Rerunning picks up the results and enqueues the next round, up to the budget.
        let second = try stopped { try pipeline.search("qif-exact") }
        XCTAssertEqual(second.study, first.study)
        XCTAssertEqual(second.open, min(plan.workers, plan.trials - plan.workers))
        XCTAssertEqual(
            try pipeline.registry.trials(in: study.id).filter { $0.state == .queued }.map(\.number),
            Array(plan.workers..<plan.workers + second.open))
    }

    func testSeedsEnqueueEverySeedAndStop() throws {
        let (pipeline, _) = try enqueueOnlyPipeline()
        let left = try stopped { try pipeline.seeds("lif", parameters: [:], purpose: "comparison") }
        XCTAssertEqual(left.open, pipeline.config.value.seeds.count)
        let study = try XCTUnwrap(try pipeline.registry.study(named: left.study))
        XCTAssertEqual(
            try pipeline.registry.trials(in: study.id).compactMap { $0.parameters["seed"] },
            pipeline.config.value.seeds.map { .int($0) })
        XCTAssertEqual(Array(study.spec.workerCommand.dropFirst().prefix(2)), ["worker", left.study])
        XCTAssertTrue(try pipeline.registry.runs().isEmpty)
    }

    // MARK: Helpers

    /// A smoke-preset pipeline with `enqueueOnly` set whose in-process workers fail the test when called.
    private func enqueueOnlyPipeline() throws -> (SHDPipeline, ExperimentRunner<SHDTraining>) {
        let (smoke, runner, _) = try smokePipeline(in: try temporaryDirectory(self))
        var pipeline = smoke
        pipeline.runWorkers = { study, _, _ in XCTFail("--enqueue-only ran workers on \(study)") }
        pipeline.enqueueOnly = true
        try pipeline.prepareData()
        return (pipeline, runner)
    }

    /// What `body` stopped with; throws (failing the test) when it returned or threw anything else.
    private func stopped(_ body: () throws -> Void) throws -> TrialsEnqueued {
        do {
            try body()
        } catch let left as TrialsEnqueued {
            return left
        }
        return try XCTUnwrap(nil as TrialsEnqueued?, "returned instead of stopping with TrialsEnqueued")
    }

    /// Runs the study's recorded worker command as an array task would, but in this process:
    /// `EXECUTABLE worker STUDY OPTIONS…` parsed into the worker's options.
    private func runRecordedWorker(of study: Study, runner: ExperimentRunner<SHDTraining>) throws {
        let command = study.spec.workerCommand
        XCTAssertEqual(Array(command.dropFirst().prefix(2)), ["worker", study.spec.name])
        let options = try ExperimentOptions.parse(Array(command.dropFirst(3)))
        _ = try runner.work(study: study.spec.name, options: options)
    }
}
