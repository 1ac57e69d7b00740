import ExperimentKit
import Foundation
import Registry
import TestSupport
import XCTest

@testable import SHDExperiment

/// The report's verdict rules on planted values, and its selection of runs by the fingerprint
/// of their resolved config.
final class SHDReportTests: XCTestCase {
    typealias Landscape = (run: RunRecord, metrics: [String: Double])

    func summary(_ values: [Double], firstRun: Int64 = 1) -> MetricSummary {
        MetricSummary(values: values, runs: values.indices.map { RunID(firstRun + Int64($0)) })
    }

    /// Landscape metrics where every claim holds: LIF more fragmented on all four measures, LIF
    /// spikes vanishing mid-trial behind most of its loss jumps, QIF with none, both gradients exact.
    static let holding: (lif: [String: Double], qif: [String: Double]) = (
        lif: [
            "gradient_check_relative_error": 1e-7, "subset_jump_fraction": 0.3, "subset_relative_total_variation": 2,
            "single_jump_fraction": 0.4, "single_relative_total_variation": 3, "line_mid_trial_spike_changes": 5,
            "line_loss_jumps": 4, "line_jumps_with_spike_change": 3,
        ],
        qif: [
            "gradient_check_relative_error": 1e-8, "subset_jump_fraction": 0, "subset_relative_total_variation": 1,
            "single_jump_fraction": 0, "single_relative_total_variation": 1, "line_mid_trial_spike_changes": 0,
            "line_loss_jumps": 0, "line_jumps_with_spike_change": 0,
        ]
    )

    /// Two registry runs to hang planted landscape metrics on (the rules name them in errors).
    func landscapeRuns() throws -> (lif: RunRecord, qif: RunRecord) {
        let file = try temporaryDirectory(self).appendingPathComponent("registry.sqlite")
        let registry = try RunRegistry.open(path: file.path)
        let records = try ["lif-exact", "qif-exact"].map { neuron in
            let spec = RunSpec(experiment: "shd-landscape", paper: SHDReport.paper, neuron: neuron)
            return try registry.run(try registry.startRun(spec))
        }
        return (records[0], records[1])
    }

    func verdicts(
        qif: [Double] = [0.80, 0.82, 0.84], lif: [Double] = [0.70, 0.71, 0.72],
        silentLIF: [Double] = [0.20, 0.22, 0.24], silentQIF: [Double] = [0, 0.01, 0],
        lifLandscape: [String: Double]? = holding.lif, qifLandscape: [String: Double]? = holding.qif
    ) throws -> [String: String] {
        let runs = try landscapeRuns()
        let landscapes: [String: Landscape?] = [
            "lif-exact": lifLandscape.map { (runs.lif, $0) }, "qif-exact": qifLandscape.map { (runs.qif, $0) },
        ]
        let result = try SHDReport.verdicts(
            accuracy: ["qif-exact": summary(qif), "lif-exact": summary(lif, firstRun: 10)],
            silent: ["qif-exact": summary(silentQIF), "lif-exact": summary(silentLIF, firstRun: 10)],
            landscapes: landscapes)
        return Dictionary(uniqueKeysWithValues: result.map { (String($0.claim.prefix(2)), $0.verdict) })
    }

    func testEveryClaimHoldsOnHoldingValues() throws {
        XCTAssertEqual(
            try verdicts(),
            ["C1": "reproduced", "C2": "holds", "C3": "reproduced", "C4": "reproduced", "C5": "reproduced"])
    }

    func testC1AndC5NeedTwoSeedsAndADifferenceBeyondSeedNoise() throws {
        XCTAssertEqual(try verdicts(qif: [0.70, 0.71], lif: [0.80, 0.82])["C1"], "not reproduced")
        XCTAssertEqual(try verdicts(qif: [0.72, 0.74], lif: [0.70, 0.75])["C1"], "inconclusive", "within 2 SE")
        XCTAssertEqual(try verdicts(qif: [0.99], lif: [0.10, 0.11])["C1"], "inconclusive", "a single seed")
        XCTAssertEqual(try verdicts(lif: [])["C1"], "not yet run", "no LIF runs")
        XCTAssertEqual(try verdicts(silentLIF: [0.5])["C5"], "inconclusive", "a single seed")
        XCTAssertEqual(
            try verdicts(silentLIF: [0, 0], silentQIF: [0, 0])["C5"], "not reproduced", "no silent neurons")
        XCTAssertEqual(try verdicts(silentLIF: [0.01, 0.2], silentQIF: [0, 0])["C5"], "inconclusive", "within 2 SE")
        XCTAssertEqual(try verdicts(silentLIF: [], silentQIF: [])["C5"], "not yet run")
    }

    func testC2ChecksBothModels() throws {
        var lif = Self.holding.lif
        lif["gradient_check_relative_error"] = 0.3
        XCTAssertEqual(try verdicts(lifLandscape: lif)["C2"], "check failed (LIF)")
        var qif = Self.holding.qif
        qif["gradient_check_relative_error"] = .nan
        XCTAssertEqual(try verdicts(lifLandscape: lif, qifLandscape: qif)["C2"], "check failed (QIF, LIF)")
    }

    func testC3CountsMeasures() throws {
        var lif = Self.holding.lif
        lif["subset_jump_fraction"] = 0
        XCTAssertEqual(try verdicts(lifLandscape: lif)["C3"], "partly (3 of 4 measures)")
        let flat = Self.holding.qif.merging(["gradient_check_relative_error": 1e-7]) { _, new in new }
        XCTAssertEqual(try verdicts(lifLandscape: flat)["C3"], "not reproduced")
    }

    func testC4IsNotVacuous() throws {
        var lif = Self.holding.lif
        lif["line_loss_jumps"] = 0
        lif["line_jumps_with_spike_change"] = 0
        XCTAssertEqual(try verdicts(lifLandscape: lif)["C4"], "not reproduced", "no LIF loss discontinuity to explain")
        var qif = Self.holding.qif
        qif["line_mid_trial_spike_changes"] = 1
        XCTAssertEqual(try verdicts(qifLandscape: qif)["C4"], "not reproduced", "QIF spikes vanish mid-trial too")
        lif = Self.holding.lif
        lif["line_jumps_with_spike_change"] = 1
        XCTAssertEqual(try verdicts(lifLandscape: lif)["C4"], "not reproduced", "most LIF jumps without a spike change")
    }

    func testLandscapeClaimsWaitForTheLandscapeStage() throws {
        let result = try verdicts(lifLandscape: nil)
        XCTAssertEqual([result["C2"], result["C3"], result["C4"]], ["not yet run", "not yet run", "not yet run"])
        XCTAssertEqual(result["C1"], "reproduced")
    }

    func testMissingOrNonFiniteInputsAreRejected() throws {
        var lif = Self.holding.lif
        lif["line_loss_jumps"] = nil
        XCTAssertThrowsError(try verdicts(lifLandscape: lif)) { error in
            XCTAssertTrue("\(error)".contains("has no landscape/line_loss_jumps"), "\(error)")
        }
        lif = Self.holding.lif
        lif["line_mid_trial_spike_changes"] = .nan
        XCTAssertThrowsError(try verdicts(lifLandscape: lif)) { error in
            XCTAssertTrue("\(error)".contains("landscape/line_mid_trial_spike_changes is nan"), "\(error)")
        }
        XCTAssertThrowsError(try verdicts(qif: [0.8, .nan])) { error in
            XCTAssertTrue("\(error)".contains("run 2: test/accuracy is nan"), "\(error)")
        }
    }

    // MARK: Selection by fingerprint

    /// Planted runs of the smoke preset: every row waits while its model's search has no
    /// completed trial, then takes the runs of the search's best parameters only — the discrete
    /// row its two seeds but not a run with a manual `--set`, the QIF row not the runs of a worse
    /// trial's parameters.
    func testRowsTakeRunsByResolvedConfig() throws {
        let directory = try temporaryDirectory(self)
        let (pipeline, runner, options) = try smokePipeline(in: directory)
        let registry = pipeline.registry
        func plant(_ parameters: TrialParameters, accuracy: Double) throws -> RunID {
            let config = try runner.trialConfig(parameters, options: options)
            let run = try registry.startRun(try runner.spec(for: config, neuron: config.value.neuron))
            try registry.logMetric(run, MetricPoint(split: "test", name: "accuracy", value: accuracy, epoch: 1))
            try registry.finish(run, status: .completed)
            return run
        }
        /// A search study of `neuron` whose trials completed with the given results, in order.
        func search(_ neuron: String, _ trials: [(TrialParameters, Double)]) throws {
            let study = try registry.createStudy(
                StudySpec(
                    name: try pipeline.searchStudyName(neuron), experiment: "shd", objective: "val/accuracy",
                    direction: .maximize))
            _ = try registry.enqueue(trials.map(\.0), in: study.id)
            let worker = Worker(host: "test", pid: 1)
            for (_, result) in trials {
                let trial = try XCTUnwrap(try registry.claim(from: study.id, worker: worker))
                try registry.complete(trial.id, worker: worker, result: result, run: nil)
            }
        }
        let report = SHDReport(pipeline: pipeline)

        let discreteBest: TrialParameters = ["discrete.learningRate": .double(0.002)]
        let comparison = discreteBest.merging(["neuron": .string("lif"), "purpose": .string("comparison")]) { $1 }
        _ = try plant(comparison.merging(["seed": .int(0)]) { $1 }, accuracy: 0.5)
        _ = try plant(comparison.merging(["seed": .int(1)]) { $1 }, accuracy: 0.6)
        _ = try plant(comparison.merging(["seed": .int(1), "training.epochs": .int(9)]) { $1 }, accuracy: 0.99)
        XCTAssertEqual(try report.summary("lif", split: "test", name: "accuracy").n, 0, "no search yet")
        try search("lif", [(discreteBest, 0.8)])
        XCTAssertEqual(try report.summary("lif", split: "test", name: "accuracy").values, [0.5, 0.6])

        let best: TrialParameters = [
            "training.learningRate": .double(0.01), "model.tau": .double(1), "model.weightMean": .double(1),
        ]
        let seeds = best.merging(["neuron": .string("qif-exact"), "purpose": .string("seeds")]) { $1 }
        let planted = try plant(seeds.merging(["seed": .int(0)]) { $1 }, accuracy: 0.7)
        XCTAssertEqual(try report.summary("qif-exact", split: "test", name: "accuracy").n, 0, "no search yet")

        let worse = best.merging(["training.learningRate": .double(0.02)]) { $1 }
        try search("qif-exact", [(best, 0.9), (worse, 0.4)])
        let worseSeeds = worse.merging(
            ["neuron": .string("qif-exact"), "purpose": .string("seeds"), "seed": .int(1)]) { $1 }
        _ = try plant(worseSeeds, accuracy: 0.1)
        let qif = try report.summary("qif-exact", split: "test", name: "accuracy")
        XCTAssertEqual(qif.runs, [planted], "only the best parameters' runs")
    }
}
