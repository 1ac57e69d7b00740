import Foundation
import Registry
import TestSupport
import XCTest

@testable import ExperimentKit

final class TrialTests: XCTestCase {
    func testStudyPlanEnqueuesOnceAndRefusesADifferentSearch() throws {
        let registry = try RunRegistry.open(path: temporaryDirectory(self).appendingPathComponent("r.sqlite").path)
        let spec = StudySpec(name: "seeds", experiment: "toy", objective: "val/loss", direction: .minimize)
        let trials = StudyPlan.seeds([1, 2, 3], base: ["training.epochs": .int(2)])
        XCTAssertEqual(trials[1], ["training.epochs": .int(2), "seed": .int(2)])
        let study = try StudyPlan.prepare(spec, trials: trials, in: registry)
        XCTAssertEqual(try StudyPlan.prepare(spec, trials: trials, in: registry), study)
        XCTAssertEqual(try registry.trials(in: study.id).count, 3, "preparing again does not enqueue again")
        XCTAssertThrowsError(try StudyPlan.prepare(spec, trials: Array(trials.prefix(2)), in: registry)) {
            XCTAssertEqual(
                "\($0)",
                "study seeds: already holds 3 trials that differ from the 2 requested; give a changed search a new study name"
            )
        }
    }

    func testWorkerRunsEveryTrialThroughTheLoop() throws {
        let directory = try temporaryDirectory(self)
        try writePresets(in: directory)
        let registryPath = directory.appendingPathComponent("r.sqlite").path
        let registry = try RunRegistry.open(path: registryPath)
        let spec = StudySpec(name: "lr", experiment: "toy", objective: "val/loss", direction: .minimize)
        let trials: [TrialParameters] = [
            ["training.learningRate": .double(0.05)], ["training.learningRate": .double(0.01)],
            ["training.epochs": .int(0)],
        ]
        let study = try StudyPlan.prepare(spec, trials: trials, in: registry)

        let options = try ExperimentOptions.parse([
            "--registry", registryPath, "--output-dir", directory.appendingPathComponent("runs").path, "--quiet",
            "--set", "training.epochs=2",
        ])
        let runner = ExperimentRunner<ToyRegression>(
            experiment: "toy", paper: "tests", presets: directory, interrupt: InterruptFlag())
        let finished = try runner.work(study: "lr", options: options)

        let stored = try registry.trials(in: study.id)
        XCTAssertEqual(finished, Array(stored.prefix(2).map(\.id)))
        XCTAssertEqual(stored.map(\.state), [.completed, .completed, .failed])
        XCTAssertEqual(
            stored[2].lastError,
            "\(directory.appendingPathComponent("toy.cpu.json").path): training.epochs must be an integer ≥ 1, got 0")
        for trial in stored.prefix(2) {
            let run = try registry.run(XCTUnwrap(trial.runID))
            XCTAssertEqual(run.status, .completed)
            XCTAssertEqual(run.preset, "cpu")
            XCTAssertEqual(run.seed, 7)
            XCTAssertEqual(trial.result, try registry.finalMetrics(of: run.id)[MetricKey(split: "val", name: "loss")])
            XCTAssertEqual(try registry.metrics(of: run.id, split: "val").count, 2, "the options' override applies too")
        }
        XCTAssertTrue(try registry.run(stored[0].runID!).configJSON.contains(#""learningRate":0.05"#))
        XCTAssertTrue(try registry.run(stored[1].runID!).configJSON.contains(#""learningRate":0.01"#))
    }

    func testTrialParametersBecomeOverrides() {
        let overrides = ExperimentRunner<ToyRegression>.overrides(for: [
            "b.c": .double(0.5), "a": .string("lif"), "d": .bool(true),
        ])
        XCTAssertEqual(overrides.map(\.description), ["--set a=lif", "--set b.c=0.5", "--set d=true"])
    }

    func testLocalWorkerPoolWaitsForEveryWorkerAndReportsFailures() throws {
        let directory = try temporaryDirectory(self)
        let shell = URL(fileURLWithPath: "/bin/sh")
        try LocalWorkerPool(executable: shell, arguments: ["-c", "touch \(directory.path)/$$"], count: 3).run()
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).count, 3, "three separate processes ran"
        )

        XCTAssertThrowsError(try LocalWorkerPool(executable: shell, arguments: ["-c", "exit 3"], count: 2).run()) {
            error in
            let failures = (error as? WorkerPoolError)?.failures ?? []
            XCTAssertEqual(failures.count, 2)
            XCTAssertTrue(failures.allSatisfy { $0.hasSuffix("ended with exit status 3") }, "\(failures)")
        }
    }
}

final class ExperimentRunnerTests: XCTestCase {
    func testTrainAndResumeFromTheCommandLineOptions() throws {
        let directory = try temporaryDirectory(self)
        try writePresets(in: directory)
        let runner = ExperimentRunner<ToyRegression>(
            experiment: "toy", paper: "tests", presets: directory, interrupt: InterruptFlag())
        let common = [
            "--registry", directory.appendingPathComponent("r.sqlite").path,
            "--output-dir", directory.appendingPathComponent("runs").path, "--quiet",
        ]

        let smoke = try runner.train(ExperimentOptions.parse(common + ["--preset", "smoke", "--seed", "11"]))
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("r.sqlite").path)
        let record = try registry.run(smoke.run)
        XCTAssertEqual(
            [record.preset, record.experiment, record.paper, record.neuron], ["smoke", "toy", "tests", "none"])
        XCTAssertEqual(record.seed, 11)
        XCTAssertEqual(record.status, .completed)

        XCTAssertThrowsError(try runner.train(ExperimentOptions.parse(common + ["--set", "nanAtEpoch=2"])))
        let failed = try XCTUnwrap(registry.runs(RunFilter(status: .failed)).last)
        // The stored config still diverges at epoch 2: the resumed run loads epoch 1's
        // checkpoint, trains epoch 2 again and fails the same way, under the same id.
        XCTAssertThrowsError(try runner.train(ExperimentOptions.parse(common + ["--resume", failed.id.description]))) {
            XCTAssertEqual(($0 as? RunStopped)?.run, failed.id)
        }
        XCTAssertEqual(try registry.runs().count, 2)
        XCTAssertEqual(try registry.run(failed.id).failureReason, failed.failureReason)
        XCTAssertEqual(try registry.metrics(of: failed.id, split: "train").compactMap(\.step), [2, 2])
        XCTAssertEqual(try registry.metrics(of: failed.id, split: "val").map(\.epoch), [1])
    }
}

final class StudyCoordinatorTests: XCTestCase {
    private let spec = StudySpec(name: "seeds", experiment: "toy", objective: "val/loss", direction: .minimize)

    /// A worker in this process: completes every queued trial with its seed as the result, and
    /// fails the one with seed `failing`.
    private func work(_ registry: RunRegistry, failing: Int? = nil) throws {
        let study = try XCTUnwrap(try registry.study(named: spec.name))
        let worker = Worker(host: "here", pid: 1)
        while let trial = try registry.claim(from: study.id, worker: worker) {
            guard case .int(let seed)? = trial.parameters["seed"] else {
                return XCTFail("no seed in \(trial.parameters)")
            }
            if seed == failing {
                try registry.fail(trial.id, worker: worker, reason: "diverged")
            } else {
                try registry.complete(trial.id, worker: worker, result: Double(seed), run: nil)
            }
        }
    }

    func testRunEnqueuesOnceRunsTheWorkersAndCollectsHowTrialsEnded() throws {
        let registry = try RunRegistry.open(path: temporaryDirectory(self).appendingPathComponent("r.sqlite").path)
        var calls: [Int] = []
        let coordinator = StudyCoordinator(queue: registry, registryLocation: "r.sqlite") { spec, count in
            calls.append(count)
            try self.work(registry, failing: 2)
        }
        let outcome = try coordinator.run(spec, trials: StudyPlan.seeds([1, 2, 3]), workers: 2)
        XCTAssertEqual(calls, [2])
        XCTAssertEqual(outcome.trials.map(\.state), [.completed, .failed, .completed])
        XCTAssertEqual(outcome.unfinished.map(\.parameters), [["seed": .int(2)]])
        XCTAssertEqual(outcome.workerFailures, [])
        let again = try coordinator.run(spec, trials: StudyPlan.seeds([1, 2, 3]), workers: 2)
        XCTAssertEqual(again.trials.map(\.id), outcome.trials.map(\.id), "a rerun resumes the study")
    }

    func testCrashedWorkersAreCollectedAndEnqueueOnlyLeavesTheQueue() throws {
        let registry = try RunRegistry.open(path: temporaryDirectory(self).appendingPathComponent("r.sqlite").path)
        let crashing = StudyCoordinator(queue: registry, registryLocation: "r.sqlite") { _, _ in
            throw WorkerPoolError(failures: ["worker 1 (pid 7) ended with signal 9"])
        }
        let outcome = try crashing.run(spec, trials: StudyPlan.seeds([1, 2]), workers: 2)
        XCTAssertEqual(outcome.workerFailures, ["worker 1 (pid 7) ended with signal 9"])
        XCTAssertEqual(outcome.unfinished.count, 2)

        let elsewhere = StudyCoordinator(queue: registry, registryLocation: "r.sqlite", enqueueOnly: true) { _, _ in
            XCTFail("--enqueue-only ran workers")
        }
        XCTAssertThrowsError(try elsewhere.run(spec, trials: StudyPlan.seeds([1, 2]), workers: 2)) {
            XCTAssertEqual(($0 as? TrialsEnqueued)?.open, 2)
        }
        try work(registry)
        XCTAssertEqual(try elsewhere.run(spec, trials: StudyPlan.seeds([1, 2]), workers: 2).unfinished, [])
    }

    func testFingerprintsTellConfigsApartIncludingTheirSeeds() throws {
        let config = try StudyFingerprint.config(#"{"seed": 1, "model": {"width": 8}}"#)
        let same = try StudyFingerprint.config(#"{"model":{"width":8},"seed":1}"#)
        let name = try StudyFingerprint.of(["config": config])
        XCTAssertNotNil(name.wholeMatch(of: /[0-9a-f]{16}/), name)
        XCTAssertEqual(try StudyFingerprint.of(["config": same]), name, "key order and spacing do not matter")
        let reseeded = try StudyFingerprint.config(#"{"seed": 2, "model": {"width": 8}}"#)
        XCTAssertNotEqual(try StudyFingerprint.of(["config": reseeded]), name)
        XCTAssertNotEqual(try StudyFingerprint.of(["config": config, "trials": StudyPlan.seeds([1])]), name)
    }
}
