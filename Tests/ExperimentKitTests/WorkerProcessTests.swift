import ExperimentKit
import Foundation
import Registry
import TestSupport
import XCTest

/// Several worker processes draining one study through the registry: a fixed list of trials, and
/// a search whose rounds TPE proposes. The workers are this test binary again, running
/// `testActAsWorker` with the test's directory in the environment and the study's name in the
/// directory's `study` file, as an experiment's own executable runs in `--worker STUDY` mode.
final class WorkerProcessTests: XCTestCase {
    private static let variable = "EXPERIMENTKIT_TEST_WORKER_DIRECTORY"

    func testActAsWorker() throws {
        guard let path = ProcessInfo.processInfo.environment[Self.variable] else {
            throw XCTSkip("runs only inside the worker processes of the other tests of this class")
        }
        let directory = URL(fileURLWithPath: path)
        let runner = ExperimentRunner<ToyRegression>(
            experiment: "toy", paper: "tests", presets: directory, interrupt: InterruptFlag())
        let study = try String(contentsOf: directory.appendingPathComponent("study"), encoding: .utf8)
        _ = try runner.work(study: study, options: options(in: directory))
    }

    /// Runs `count` workers on the study named in `directory/study`.
    private func runWorkers(in directory: URL, count: Int) throws {
        setenv(Self.variable, directory.path, 1)
        defer { unsetenv(Self.variable) }
        try LocalWorkerPool.thisExecutable(
            arguments: ["ExperimentKitTests.WorkerProcessTests/testActAsWorker"], count: count
        ).run()
    }

    func testLocalWorkersShareOneStudy() throws {
        let directory = try temporaryDirectory(self)
        try writePresets(in: directory)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("r.sqlite").path)
        let spec = StudySpec(name: "parallel", experiment: "toy", objective: "val/loss", direction: .minimize)
        let study = try StudyPlan.prepare(spec, trials: StudyPlan.seeds(Array(1...8)), in: registry)
        try spec.name.write(to: directory.appendingPathComponent("study"), atomically: true, encoding: .utf8)
        try runWorkers(in: directory, count: 2)

        let trials = try registry.trials(in: study.id)
        XCTAssertEqual(trials.map(\.state), Array(repeating: .completed, count: 8))
        XCTAssertEqual(trials.map(\.attempts), Array(repeating: 1, count: 8), "no trial was handed out twice")
        XCTAssertFalse(trials.contains { $0.worker?.hasSuffix(":\(getpid())") == true }, "the workers did the work")
        let runs = try trials.map { try registry.run(XCTUnwrap($0.runID)) }
        XCTAssertEqual(runs.map(\.seed), Array(1...8))
        XCTAssertTrue(runs.allSatisfy { $0.status == .completed })
    }

    func testSearchTrainsInWorkerProcesses() throws {
        let directory = try temporaryDirectory(self)
        try writePresets(in: directory)
        let plan = try JSONDecoder().decode(
            SearchPlan.self,
            from: Data(
                """
                {"space": {"training.learningRate": {"logUniform": [0.001, 0.1]}, "training.batchSize": {"choice": [4, 8]}},
                 "trials": 4, "sampler": "tpe", "startupTrials": 2, "workers": 2, "seed": 5}
                """.utf8))
        let name = "toy-lr." + (try StudyFingerprint.of(["search": plan]))
        try name.write(to: directory.appendingPathComponent("study"), atomically: true, encoding: .utf8)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("r.sqlite").path)
        let search = HyperparameterSearch(
            spec: StudySpec(name: name, experiment: "toy", objective: "val/loss", direction: .minimize), plan: plan,
            queue: registry)

        let study = try search.run { try runWorkers(in: directory, count: plan.workers) }

        let trials = try registry.trials(in: study.id)
        XCTAssertEqual(trials.map(\.state), Array(repeating: .completed, count: 4))
        XCTAssertFalse(trials.contains { $0.worker?.hasSuffix(":\(getpid())") == true }, "the workers did the work")
        for trial in trials {
            let run = try registry.run(XCTUnwrap(trial.runID))
            let learningRate = try XCTUnwrap(trial.parameters["training.learningRate"]?.doubleValue)
            XCTAssertTrue((0.001...0.1).contains(learningRate))
            XCTAssertTrue(
                run.configJSON.contains(#""learningRate":\#(learningRate)"#), "\(run.configJSON) has \(learningRate)")
            XCTAssertEqual(trial.result, try registry.finalMetrics(of: run.id)[MetricKey(split: "val", name: "loss")])
        }
        XCTAssertEqual(try search.best()?.result, trials.compactMap(\.result).min())
    }

    private func options(in directory: URL) throws -> ExperimentOptions {
        try ExperimentOptions.parse([
            "--registry", directory.appendingPathComponent("r.sqlite").path,
            "--output-dir", directory.appendingPathComponent("runs").path, "--quiet", "--set", "training.epochs=2",
        ])
    }
}

/// Ctrl-C on a real training process: the run ends `interrupted` and resumes to completion.
final class InterruptedProcessTests: XCTestCase {
    private static let variable = "EXPERIMENTKIT_TEST_TRAINER_DIRECTORY"

    func testActAsTrainer() throws {
        guard let path = ProcessInfo.processInfo.environment[Self.variable] else {
            throw XCTSkip("runs only inside the process that testSIGINTInterruptsAndResumeFinishes starts")
        }
        let directory = URL(fileURLWithPath: path)
        let runner = ExperimentRunner<ToyRegression>(experiment: "toy", paper: "tests", presets: directory)
        let slow = try options(in: directory, ["--set", "training.epochs=20", "--set", "stepPauseMilliseconds=20"])
        XCTAssertThrowsError(try runner.train(slow)) {
            XCTAssertEqual(($0 as? RunStopped)?.status, .interrupted)
        }
    }

    func testSIGINTInterruptsAndResumeFinishes() throws {
        let directory = try temporaryDirectory(self)
        try writePresets(in: directory)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("r.sqlite").path)

        setenv(Self.variable, directory.path, 1)
        let trainer = Process()
        trainer.executableURL = Bundle.main.executableURL
        trainer.arguments = ["ExperimentKitTests.InterruptedProcessTests/testActAsTrainer"]
        trainer.standardOutput = FileHandle.nullDevice
        try trainer.run()
        unsetenv(Self.variable)

        let deadline = Date().addingTimeInterval(20)
        var run: RunID?
        while Date() < deadline {
            if let started = try registry.runs().first, try registry.artifacts(of: started.id).count >= 2 {
                run = started.id
                break
            }
            usleep(10_000)
        }
        let id = try XCTUnwrap(run, "the trainer wrote two checkpoints")
        kill(trainer.processIdentifier, SIGINT)
        trainer.waitUntilExit()
        XCTAssertEqual(trainer.terminationReason, .exit)
        XCTAssertEqual(trainer.terminationStatus, 0, "the trainer saw RunStopped(interrupted)")

        let stopped = try registry.run(id)
        XCTAssertEqual(stopped.status, .interrupted)
        XCTAssertTrue(stopped.failureReason?.hasPrefix("interrupted ") == true, stopped.failureReason ?? "nil")
        let checkpoints = try registry.artifacts(of: id).count
        XCTAssertLessThan(checkpoints, 20)

        let runner = ExperimentRunner<ToyRegression>(
            experiment: "toy", paper: "tests", presets: directory, interrupt: InterruptFlag())
        let summary = try runner.train(options(in: directory, ["--resume", id.description]))
        XCTAssertEqual(summary.run, id)
        XCTAssertEqual(try registry.run(id).status, .completed)
        XCTAssertEqual(try registry.artifacts(of: id).count, 20)
        XCTAssertEqual(Set(try registry.metrics(of: id, split: "val").compactMap(\.epoch)), Set(1...20))
    }

    private func options(in directory: URL, _ extra: [String]) throws -> ExperimentOptions {
        try ExperimentOptions.parse(
            [
                "--registry", directory.appendingPathComponent("r.sqlite").path,
                "--output-dir", directory.appendingPathComponent("runs").path, "--quiet",
            ] + extra)
    }
}
