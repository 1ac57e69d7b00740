import ExperimentKit
import Foundation
import Registry
import TestSupport
import XCTest

@testable import ClassificationExperiment

final class ReportTests: XCTestCase {
    /// Runs made with `--set training.epochs=1`, reported with the same option.
    static let quick = ["training.epochs=1"]

    /// Two variants of paper 2 in a temporary registry give a report whose DQIF-vs-LIF claim
    /// has numbers and a verdict, claims without runs say so, and the figures exist.
    func testDQIFReportFromATemporaryRegistry() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        for variant in ["lif-c10-t2", "dqif-c10-t2"] {
            try trainVariant(DQIFPaper.paper, variant, options: Self.quick, registry: registry, directory: directory)
        }
        let file = try checkedOut(DQIFPaper.paper).writeReport(
            registry: registry, preset: "smoke", overrides: Self.quick, directory: directory)
        let text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertTrue(text.contains("| D2: DQIF beats LIF"), text)
        XCTAssertTrue(text.contains("above lif-c10-t2 ("), text)
        XCTAssertTrue(text.contains("| D1: DQIF beats LIF") && text.contains("not yet run"), text)
        // One seed a side: the comparison cannot be reproduced, and says why next to the verdict.
        let d2 = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("| D2:") })
        XCTAssertTrue(d2.contains("| inconclusive |") && d2.contains("MDD — (needs ≥ 2 seeds a side)"), String(d2))
        for figure in ["learning-curves-c10.png", "dqif-recurrence-map.png"] {
            XCTAssertTrue(
                FileManager.default.fileExists(
                    atPath: directory.appendingPathComponent("jahns2025-dqif/figures/\(figure)").path), figure)
            XCTAssertTrue(text.contains("figures/\(figure)"), figure)
        }
    }

    /// Synthetic data: the report carries the banner, and the paper's absolute numbers are not
    /// judged (even though ours exist); the provenance names the commit and the data's checksum.
    func testSyntheticReportHasBannerAndDoesNotJudgeAbsoluteClaims() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        try trainVariant(DQIFPaper.paper, "dqif-c10-t2", options: Self.quick, registry: registry, directory: directory)
        let text = try String(
            contentsOf: checkedOut(DQIFPaper.paper).writeReport(
                registry: registry, preset: "smoke", overrides: Self.quick, directory: directory), encoding: .utf8)
        let banner =
            "> **Synthetic data.** This report comes from synthetic data (`synthetic-cifar10`, 5 of 5 variants)"
        XCTAssertTrue(text.contains(banner), text)
        let a2 = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("| A2:") })
        XCTAssertTrue(a2.contains("| 1 | judged on real data only | not judged: synthetic data |"), String(a2))
        XCTAssertTrue(text.contains("| `0123456789abcdef0123456789abcdef01234567` | clean | 1 |"), text)
        let data = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("| `synthetic-cifar10-") }, text)
        XCTAssertNotNil(data.range(of: "` | `[0-9a-f]{64}` | 1 |", options: .regularExpression), String(data))
    }

    /// A run of the variant with another setting (a manual `--set`, or a preset as it was before
    /// a change) is left out of the variant's row; a second seed of the right config counts.
    func testReportTakesRunsByResolvedConfig() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        for seed in [1, 2] {
            try trainVariant(
                DQIFPaper.paper, "lif-c10-t2", options: Self.quick, seed: seed, registry: registry, directory: directory
            )
        }
        // Same variant label, preset and seed, but another width: not the protocol's run.
        try trainVariant(
            DQIFPaper.paper, "lif-c10-t2", options: Self.quick + ["model.width=4"], seed: 2,
            registry: registry, directory: directory)
        // The preset's own epochs (not the reported --set): also another config.
        try trainVariant(DQIFPaper.paper, "lif-c10-t2", seed: 3, registry: registry, directory: directory)
        let paper = checkedOut(DQIFPaper.paper)
        let text = try String(
            contentsOf: paper.writeReport(
                registry: registry, preset: "smoke", overrides: Self.quick, directory: directory), encoding: .utf8)
        let row = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("| lif-c10-t2 |") })
        XCTAssertTrue(row.hasSuffix("| 2 |"), "two seeds of the protocol's config: \(row)")
        // Reported without the option, the row has only the run made without it.
        let plain = try String(
            contentsOf: paper.writeReport(registry: registry, preset: "smoke", directory: directory), encoding: .utf8)
        let plainRow = try XCTUnwrap(plain.split(separator: "\n").first { $0.hasPrefix("| lif-c10-t2 |") })
        XCTAssertTrue(plainRow.hasSuffix("| 1 |"), plain)
    }

    /// The paper-3 report plots the learned sharpness and the potential histograms with and without PNB.
    func testCircFireReportHasSharpnessAndPotentialFigures() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        for variant in ["cf-learnable", "cf-learnable-pnb"] {
            try trainVariant(
                CircFirePaper.paper, variant, options: Self.quick, registry: registry, directory: directory)
        }
        let file = try checkedOut(CircFirePaper.paper).writeReport(
            registry: registry, preset: "smoke", overrides: Self.quick, directory: directory)
        let text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertTrue(text.contains("| Z3: The PNB loss improves"), text)
        XCTAssertTrue(text.contains("| Z6: The PNB loss balances"), text)
        XCTAssertTrue(text.contains("> **Synthetic data.**"), text)
        for figure in [
            "surrogate-sharpness.png", "potential-histogram.png", "potential-balance.png",
            "learning-curves-ablation.png",
        ] {
            XCTAssertTrue(
                FileManager.default.fileExists(
                    atPath: directory.appendingPathComponent("zhou2026-circulate-firing/figures/\(figure)").path),
                figure)
        }
    }
}
