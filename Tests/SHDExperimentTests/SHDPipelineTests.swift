import ExperimentKit
import Foundation
import Neurons
import Registry
import TestSupport
import XCTest

@testable import SHDExperiment

/// The whole protocol on a cut-down smoke preset (synthetic data), in process: search → seeds →
/// comparison → landscapes → report, checked against the registry it leaves behind.
final class SHDPipelineTests: XCTestCase {
    /// The smoke preset at its smallest that still has every stage, two seeds and a search of
    /// each model: `make test` runs the smoke preset itself end to end right after the suite
    /// (`scripts/reproduce-shd.sh smoke`), so these tests need not train it a second time.
    static let lean = [
        "training.epochs=1", "data.synthetic.trainSamples=32", "data.synthetic.testSamples=16",
        "search.trials=2", "discrete.timesteps=10", "landscape.points=3", "landscape.linePoints=3",
        "landscape.subsetSamples=4",
    ]

    func testSmokeReproductionEndToEnd() throws {
        let directory = try temporaryDirectory(self)
        let (smoke, runner, options) = try smokePipeline(in: directory, overrides: Self.lean)
        var pipeline = smoke
        pipeline.runWorkers = { study, _, overrides in
            _ = try runner.work(study: study, options: options, adding: overrides)
        }
        let reportDirectory = directory.appendingPathComponent("report")
        let report = try String(contentsOf: pipeline.reproduce(reportDirectory: reportDirectory), encoding: .utf8)

        // Searches spent exactly their budget; every seed of both models and the comparison ran.
        let config = pipeline.config.value
        for neuron in SHDPipeline.exactNeurons {
            let study = try XCTUnwrap(try SHDReport(pipeline: pipeline).searchStudy(neuron))
            XCTAssertEqual(try pipeline.registry.trials(in: study.id).count, config.search.trials, neuron)
        }
        let reader = SHDReport(pipeline: pipeline)
        for neuron in SHDPipeline.exactNeurons + SHDPipeline.discreteNeurons {
            let test = try reader.summary(neuron, split: "test", name: "accuracy")
            XCTAssertEqual(test.n, config.seeds.count, "\(neuron): one test accuracy per seed")
            XCTAssertTrue(test.values.allSatisfy { (0...1).contains($0) })
            XCTAssertNotNil(
                try reader.landscape(NeuronCatalogue.kind(of: neuron) == .eventDriven ? neuron : "qif-exact"))
        }
        // The exact gradient agrees with finite differences around the trained QIF network.
        let qif = try XCTUnwrap(try reader.landscape("qif-exact")).metrics
        XCTAssertLessThan(try XCTUnwrap(qif["gradient_check_relative_error"]), 1e-4)

        // The report has every section, a verdict per claim, and the figures it links.
        for heading in [
            "## Verdicts", "## Accuracy", "## Hyperparameter searches", "## Learning curves and silent neurons",
            "## Loss landscapes",
        ] {
            XCTAssertTrue(report.contains(heading), heading)
        }
        XCTAssertTrue(report.contains("Synthetic data"))
        for claim in 1...5 { XCTAssertTrue(report.contains("| C\(claim): "), "claim \(claim)") }
        XCTAssertFalse(report.contains("not yet run"), report)
        let linked = report.components(separatedBy: "](figures/").dropFirst().map { String($0.prefix { $0 != ")" }) }
        XCTAssertGreaterThanOrEqual(linked.count, 11)
        // Every linked PNG has its vector versions and its data beside it, landscapes included.
        for figure in linked {
            let png = reportDirectory.appendingPathComponent("figures/\(figure)")
            for sibling in [
                png, png.deletingPathExtension().appendingPathExtension("svg"),
                png.deletingPathExtension().appendingPathExtension("pdf"),
                png.deletingPathExtension().appendingPathExtension("csv"),
            ] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: sibling.path), sibling.lastPathComponent)
            }
        }

        // Rerunning resumes: nothing new is trained and the report is byte-identical.
        let runs = try pipeline.registry.runs().count
        let again = try String(contentsOf: pipeline.reproduce(reportDirectory: reportDirectory), encoding: .utf8)
        XCTAssertEqual(try pipeline.registry.runs().count, runs)
        XCTAssertEqual(again, report)
    }

    /// Failed runs do not stop the reproduction before the report: it is written from the runs
    /// that completed, and then `RunsFailed` names the stage and every failed seed.
    func testFailedSeedRunsAreListedAfterTheReport() throws {
        let directory = try temporaryDirectory(self)
        let (smoke, runner, options) = try smokePipeline(in: directory, overrides: Self.lean)
        var pipeline = smoke
        pipeline.runWorkers = { study, _, overrides in
            // Only the dqif comparison seeds get a plugin field its neuron cannot take.
            let bad = ConfigOverride(path: ["discrete", "neurons", "dqif", "a"], text: "bad")
            let broken = study.contains(".dqif.comparison.") ? [bad] : []
            _ = try runner.work(study: study, options: options, adding: overrides + broken)
        }
        let reportDirectory = directory.appendingPathComponent("report")
        XCTAssertThrowsError(try pipeline.reproduce(reportDirectory: reportDirectory)) { error in
            guard let failed = error as? RunsFailed else { return XCTFail("\(error)") }
            XCTAssertEqual(failed.failures.count, 1, "\(failed)")
            XCTAssertTrue(failed.failures[0].hasPrefix("comparison dqif: 2 of 2 seed runs failed"), failed.failures[0])
            let failure = failed.failures[0]
            XCTAssertTrue(failure.contains("seed 0: ") && failure.contains("seed 1: "), failure)
            XCTAssertTrue(FileManager.default.fileExists(atPath: failed.report.path))
        }
        let lif = try SHDReport(pipeline: pipeline).summary("lif", split: "test", name: "accuracy")
        XCTAssertEqual(lif.n, 2, "the other stages ran")
    }
}
