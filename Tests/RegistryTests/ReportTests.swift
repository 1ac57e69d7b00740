import Foundation
import Registry
import XCTest

final class ReportTests: RegistryTestCase {
    /// The golden file; regenerate it with `UPDATE_GOLDEN=1 swift test --filter ReportTests` and review the diff.
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/RESULTS.golden.md")

    func testReportMatchesGoldenFile() throws {
        try forEachBackend { backend in
            let registry = try makeRegistry(backend)
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
    }

    func testVerdictsFollowRules() throws {
        try forEachBackend { backend in
            let registry = try makeRegistry(backend)
            try fillFixture(registry)
            let results = try Self.sections.flatMap(\.claims).map(ReportGenerator(registry: registry).evaluate)
            XCTAssertEqual(results.map(\.verdict), [.reproduced, .notReproduced, .notYetRun, .reproduced])
            XCTAssertEqual(results[0].ours.n, 3)
            XCTAssertEqual(results[0].ours.mean!, 83.5, accuracy: 1e-9)
        }
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
            figures: [ReportFigure(path: "figures/accuracy.png", caption: "Test accuracy per epoch, mean ± std over seeds")],
            note: "Smoke-sized fixture; the numbers are made up."),
        ReportSection(
            title: "Spike counts",
            claims: [
                Claim(
                    id: "C4", text: "LIF fires at most 9 spikes | neuron", paperValue: 9,
                    query: MetricQuery(paper: "fixture-paper", neuron: "lif", split: "test", name: "spikes", reduction: .max),
                    rule: .atMost(margin: 0), decimals: 3)
            ]),
    ]
}
