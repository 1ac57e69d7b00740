import Foundation
import Registry
import RegistryFixtures
import Reporting
import TestSupport
import XCTest

/// Reports judge numbers the registry returns through its public API, whose answers are the same
/// on every backend (RegistryTests runs them on SQLite and PostgreSQL), so these run on SQLite.
final class ReportTests: XCTestCase {
    /// The golden file; regenerate it with `UPDATE_GOLDEN=1 swift test --filter ReportTests` and review the diff.
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/RESULTS.golden.md")

    func testReportMatchesGoldenFile() throws {
        let registry = try makeRegistry(self)
        try fillFixture(registry)
        let papers = try temporaryDirectory(self)
        let file = try ReportGenerator(registry: registry).write(
            paper: "fixture-paper", title: "Fixture paper: results", sections: Self.sections, papersDirectory: papers)
        XCTAssertEqual(file.path, papers.appendingPathComponent("fixture-paper/RESULTS.md").path)
        let markdown = try String(contentsOf: file, encoding: .utf8)

        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try markdown.write(to: Self.golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: Self.golden, encoding: .utf8)
        XCTAssertEqual(markdown, expected, "report differs from \(Self.golden.path)")
    }

    func testVerdictsFollowRules() throws {
        let registry = try makeRegistry(self)
        try fillFixture(registry)
        let results = try Self.sections.flatMap(\.claims).map(ReportGenerator(registry: registry).evaluate)
        XCTAssertEqual(results.map(\.verdict), [.reproduced, .notReproduced, .notYetRun, .reproduced])
        XCTAssertEqual(results[0].ours.n, 3)
        XCTAssertEqual(results[0].ours.mean!, 83.5, accuracy: 1e-9)
    }

    // MARK: Comparison rule (SeedComparison)

    func summary(_ values: [Double], firstRun: Int64 = 1) -> MetricSummary {
        MetricSummary(values: values, runs: values.indices.map { RunID(firstRun + Int64($0)) })
    }

    func comparison(_ variant: [Double], _ baseline: [Double], lowerIsBetter: Bool = false) throws -> SeedComparison {
        try SeedComparison(
            variant: summary(variant), baseline: summary(baseline, firstRun: 100), lowerIsBetter: lowerIsBetter,
            metric: "test/accuracy")
    }

    func testEveryComparisonVerdictIsReachable() throws {
        XCTAssertEqual(try comparison([0.8, 0.82], []).verdict, .notYetRun, "baseline without runs")
        XCTAssertEqual(try comparison([], [0.8, 0.82]).verdict, .notYetRun, "variant without runs")
        XCTAssertEqual(try comparison([0.99], [0.1, 0.11]).verdict, .inconclusive, "a single seed never reproduces")
        XCTAssertEqual(try comparison([0.9, 0.91], [0.5]).verdict, .inconclusive, "a single baseline seed")
        // SE = √(0.01²/2 + 0.01²/2) = 0.01: a difference of 0.05 is beyond 2 SE, 0.015 is not.
        XCTAssertEqual(try comparison([0.84, 0.86], [0.79, 0.81]).verdict, .reproduced)
        XCTAssertEqual(try comparison([0.80, 0.83], [0.79, 0.81]).verdict, .inconclusive)
        XCTAssertEqual(try comparison([0.79, 0.81], [0.79, 0.81]).verdict, .notReproduced, "equal means")
        XCTAssertEqual(try comparison([0.70, 0.72], [0.79, 0.81]).verdict, .notReproduced, "the other way round")
        // Lower is better (a loss): the same numbers flip.
        XCTAssertEqual(try comparison([0.70, 0.72], [0.79, 0.81], lowerIsBetter: true).verdict, .reproduced)
        XCTAssertEqual(try comparison([0.84, 0.86], [0.79, 0.81], lowerIsBetter: true).verdict, .notReproduced)
        // Identical seeds on both sides (std 0): any difference in the claimed direction is beyond noise.
        XCTAssertEqual(try comparison([0.5, 0.5], [0.4, 0.4]).verdict, .reproduced)
    }

    func testMinimalDetectableDifferenceFollowsTheFormula() throws {
        let result = try comparison([0.80, 0.84, 0.82], [0.70, 0.76])
        let (sa, sb) = (0.02, 0.06 / 2.0.squareRoot())
        let expected = (1.959_963_984_540_054 + 0.841_621_233_572_914) * (sa * sa / 3 + sb * sb / 2).squareRoot()
        XCTAssertEqual(try XCTUnwrap(result.minimalDetectableDifference), expected, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(result.difference), 0.82 - 0.73, accuracy: 1e-12)
        XCTAssertEqual(
            result.noise { String(format: "%.3f", $0) },
            String(format: "seed std 0.020 (n = 3) vs %.3f (n = 2); MDD %.3f", sb, expected))
        XCTAssertNil(try comparison([0.8], [0.7, 0.71]).minimalDetectableDifference)
    }

    func testNonFiniteValuesAreRejected() {
        XCTAssertThrowsError(try comparison([0.8, .nan], [0.7, 0.71])) { error in
            XCTAssertTrue("\(error)".contains("run 2: test/accuracy is nan"), "\(error)")
        }
        XCTAssertThrowsError(try comparison([0.8, 0.81], [.infinity, 0.71])) { error in
            XCTAssertTrue("\(error)".contains("run 100: test/accuracy is inf"), "\(error)")
        }
    }

    // MARK: Verdicts of claims

    /// Every verdict a claim can get from planted runs, and the noise printed next to a comparison.
    func testClaimVerdictsFromPlantedRuns() throws {
        let registry = try makeRegistry(self)
        let planted: [(neuron: String, values: [Double])] = [
            ("strong", [0.90, 0.91, 0.92]), ("weak", [0.80, 0.81, 0.82]), ("close", [0.805, 0.83]),
            ("single", [0.95]), ("broken", [0.9, .nan]),
        ]
        for (neuron, values) in planted {
            for (seed, value) in values.enumerated() {
                let run = try registry.startRun(spec(paper: "p", neuron: neuron, seed: seed))
                try registry.logMetric(run, MetricPoint(split: "test", name: "accuracy", value: value, epoch: 1))
                try registry.finish(run, status: .completed)
            }
        }
        func query(_ neuron: String) -> MetricQuery {
            MetricQuery(paper: "p", neuron: neuron, split: "test", name: "accuracy")
        }
        func beats(_ variant: String, _ baseline: String, lower: Bool = false) -> Claim {
            Claim(
                id: variant, text: "\(variant) beats \(baseline)", paperValue: .nan, query: query(variant),
                rule: .beats(baseline: query(baseline), description: "above \(baseline)", lowerIsBetter: lower),
                decimals: 3)
        }
        let generator = ReportGenerator(registry: registry)
        let cases: [(Claim, Verdict)] = [
            (beats("strong", "weak"), .reproduced), (beats("weak", "strong"), .notReproduced),
            (beats("strong", "weak", lower: true), .notReproduced), (beats("close", "weak"), .inconclusive),
            (beats("single", "weak"), .inconclusive), (beats("strong", "missing"), .notYetRun),
            (beats("missing", "weak"), .notYetRun),
            (
                Claim(
                    id: "A", text: "one seed at the paper's number", paperValue: 0.95, query: query("single"),
                    rule: .atLeast(margin: 0)), .inconclusive
            ),
            (
                Claim(
                    id: "B", text: "absolute, synthetic", paperValue: 0.9, query: query("strong"),
                    rule: .notJudgedOnSyntheticData), .notJudgedSyntheticData
            ),
            (
                Claim(
                    id: "C", text: "absolute, synthetic, no runs", paperValue: 0.9, query: query("missing"),
                    rule: .notJudgedOnSyntheticData), .notYetRun
            ),
        ]
        for (claim, verdict) in cases {
            XCTAssertEqual(try generator.evaluate(claim).verdict, verdict, claim.text)
        }
        let result = try generator.evaluate(beats("strong", "weak"))
        XCTAssertEqual(result.noise, "seed std 0.010 (n = 3) vs 0.010 (n = 3); MDD 0.023")
        XCTAssertEqual(result.baseline?.n, 3)
        for claim in [
            beats("broken", "weak"), beats("weak", "broken"),
            Claim(id: "D", text: "absolute", paperValue: 0.9, query: query("broken"), rule: .within(1)),
        ] {
            XCTAssertThrowsError(try generator.evaluate(claim), claim.text) { error in
                XCTAssertTrue("\(error)".contains("test/accuracy is nan"), "\(error)")
            }
        }
        // The table prints the noise next to the verdict, and the header counts every verdict.
        let markdown = try generator.markdown(
            paper: "p", title: "T", sections: [ReportSection(title: "S", claims: cases.map(\.0))],
            banner: "**Synthetic data.** x")
        for row in [
            "| Claim | Paper | Ours | n | Rule | Verdict | Seed noise (ours vs baseline) |",
            "| reproduced | seed std 0.010 (n = 3) vs 0.010 (n = 3); MDD 0.023 |",
        ] {
            XCTAssertTrue(markdown.contains(row), markdown)
        }
        XCTAssertTrue(
            markdown.contains(
                "Verdicts: 1 reproduced, 2 not reproduced, 3 inconclusive, "
                    + "1 not judged: synthetic data, 3 not yet run."), markdown)
        XCTAssertTrue(markdown.contains("\n\n> **Synthetic data.** x\n"), markdown)
    }

    // MARK: Provenance

    /// The report lists the commit, the dirty flag and the data checksums of its runs; runs
    /// recorded without checksums are named.
    func testProvenanceSectionNamesCommitDirtyFlagAndDataChecksums() throws {
        let registry = try makeRegistry(self)
        let directory = try temporaryDirectory(self)
        let file = directory.appendingPathComponent("train.h5")
        try Data("abc".utf8).write(to: file)
        var clean = testProvenance
        clean.dataFiles = [try DataFileDigest.of(file)]
        var dirty = clean
        dirty.gitCommit = "feedface"
        dirty.gitDirty = true
        var runs: [RunID] = []
        for provenance in [clean, dirty, testProvenance] {
            var run = spec(config: "{}")
            run.provenance = provenance
            runs.append(try registry.startRun(run))
        }
        let lines = try ReportGenerator(registry: registry).provenance(of: runs + [runs[0]])
        XCTAssertEqual(
            lines,
            [
                "## Provenance", "",
                "| Code (git commit) | Working tree | Runs |", "| --- | --- | --- |",
                "| `0123456789abcdef0123456789abcdef01234567` | clean | 1, 3 |",
                "| `feedface` | uncommitted changes | 2 |", "",
                "| Data file | SHA-256 | Runs |", "| --- | --- | --- |",
                "| `train.h5` | `ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad` | 1, 2 |", "",
                "No data file checksums recorded with runs 3 (made before they were recorded, or "
                    + "reading no data files of their own).",
            ])
        let none = try ReportGenerator(registry: registry).provenance(of: [])
        XCTAssertEqual(none, ["## Provenance", "", "*No runs yet.*"])
    }

    // MARK: Fixture

    /// Three seeds of LIF (one rerun, one failed run that must not count) and two of QIF.
    private func fillFixture(_ registry: RunRegistry) throws {
        let rows: [(neuron: String, seed: Int, accuracy: Double, status: RunStatus)] = [
            ("lif", 0, 70.0, .completed), ("lif", 0, 83.0, .completed), ("lif", 1, 84.5, .completed),
            ("lif", 2, 83.0, .completed), ("lif", 3, 12.0, .failed),
            ("qif", 0, 79.0, .completed), ("qif", 1, 80.0, .completed),
        ]
        for row in rows {
            let run = try registry.startRun(
                spec(experiment: "shd", paper: "fixture-paper", neuron: row.neuron, preset: "cpu", seed: row.seed))
            try registry.logMetric(run, MetricPoint(split: "test", name: "accuracy", value: row.accuracy, epoch: 9))
            try registry.logMetric(run, MetricPoint(split: "test", name: "spikes", value: row.accuracy / 10, epoch: 9))
            try registry.finish(run, status: row.status, reason: row.status == .failed ? "NaN loss" : nil)
        }
    }

    static let sections: [ReportSection] = [
        ReportSection(
            title: "Table 1: SHD test accuracy",
            claims: [
                Claim(
                    id: "C1", text: "LIF reaches 84% on SHD", paperValue: 84.0,
                    query: MetricQuery(paper: "fixture-paper", neuron: "lif", split: "test", name: "accuracy"),
                    rule: .within(1.0)),
                Claim(
                    id: "C2", text: "QIF beats LIF (85.1%)", paperValue: 85.1,
                    query: MetricQuery(paper: "fixture-paper", neuron: "qif", split: "test", name: "accuracy"),
                    rule: .atLeast(margin: 0.5)),
                Claim(
                    id: "C3", text: "CF neuron reaches 86%", paperValue: 86,
                    query: MetricQuery(paper: "fixture-paper", neuron: "cf", split: "test", name: "accuracy"),
                    rule: .within(1.0), decimals: 1),
            ],
            figures: [
                ReportFigure(path: "figures/accuracy.png", caption: "Test accuracy per epoch, mean ± std over seeds")
            ],
            note: "Smoke-sized fixture; the numbers are made up."),
        ReportSection(
            title: "Spike counts",
            claims: [
                Claim(
                    id: "C4", text: "LIF fires at most 9 spikes | neuron", paperValue: 9,
                    query: MetricQuery(
                        paper: "fixture-paper", neuron: "lif", split: "test", name: "spikes", reduction: .max),
                    rule: .atMost(margin: 0), decimals: 3)
            ]),
    ]
}
