import ExperimentKit
import Foundation
import Registry
import XCTest

/// A search of `ToyRegression`'s learning rate whose trials train in worker processes: this test
/// binary again, running `testActAsSearchWorker`, as an experiment's own executable would run in
/// `--worker STUDY` mode.
final class SearchWorkerProcessTests: XCTestCase {
    private static let variable = "EXPERIMENTKIT_TEST_SEARCH_DIRECTORY"

    func testActAsSearchWorker() throws {
        guard let path = ProcessInfo.processInfo.environment[Self.variable] else {
            throw XCTSkip("runs only inside the worker processes of testSearchTrainsInWorkerProcesses")
        }
        let directory = URL(fileURLWithPath: path)
        let runner = ExperimentRunner<ToyRegression>(
            experiment: "toy", paper: "tests", presets: directory, interrupt: InterruptFlag())
        _ = try runner.work(
            study: String(contentsOf: directory.appendingPathComponent("study"), encoding: .utf8), options: options(in: directory)
        )
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
        let name = HyperparameterSearch.studyName(base: "toy-lr", plan: plan)
        try name.write(to: directory.appendingPathComponent("study"), atomically: true, encoding: .utf8)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("r.sqlite").path)
        let search = HyperparameterSearch(
            spec: StudySpec(name: name, experiment: "toy", objective: "val/loss", direction: .minimize), plan: plan,
            queue: registry)

        setenv(Self.variable, directory.path, 1)
        defer { unsetenv(Self.variable) }
        let study = try search.run {
            try LocalWorkerPool.thisExecutable(
                arguments: ["ExperimentKitTests.SearchWorkerProcessTests/testActAsSearchWorker"], count: plan.workers
            ).run()
        }

        let trials = try registry.trials(in: study.id)
        XCTAssertEqual(trials.map(\.state), Array(repeating: .completed, count: 4))
        XCTAssertFalse(trials.contains { $0.worker?.hasSuffix(":\(getpid())") == true }, "the workers did the work")
        for trial in trials {
            let run = try registry.run(XCTUnwrap(trial.runID))
            let learningRate = try XCTUnwrap(trial.parameters["training.learningRate"]?.doubleValue)
            XCTAssertTrue((0.001...0.1).contains(learningRate))
            XCTAssertTrue(run.configJSON.contains(#""learningRate":\#(learningRate)"#), "\(run.configJSON) has \(learningRate)")
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
