import ExperimentKit
import Foundation
import Registry
import XCTest

@testable import ImageExperiment

final class ReportTests: XCTestCase {
    /// Two variants of paper 2 in a temporary registry give a report whose DQIF-vs-LIF claim
    /// has numbers and a verdict, claims without runs say so, and the figures exist.
    func testDQIFReportFromATemporaryRegistry() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        for (variant, neuron) in [("lif-c10-t2", ["neuron.name=lif"]), ("dqif-c10-t2", ["neuron.name=dqif", "neuron.sharpnessMode=analytic"])] {
            try trainSmoke(DQIFPaper.paper, ["variant=\(variant)", "training.epochs=1"] + neuron, registry: registry, directory: directory)
        }
        let file = try checkedOut(DQIFPaper.paper).writeReport(registry: registry, preset: "smoke", directory: directory)
        let text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertTrue(text.contains("| D2: DQIF beats LIF"), text)
        XCTAssertTrue(text.contains("above lif-c10-t2 ("), text)
        XCTAssertTrue(text.contains("| D1: DQIF beats LIF") && text.contains("not yet run"), text)
        for figure in ["learning-curves-c10.png", "dqif-recurrence-map.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("jahns2025-dqif/figures/\(figure)").path), figure)
            XCTAssertTrue(text.contains("figures/\(figure)"), figure)
        }
    }

    /// The paper-3 report plots the learned sharpness and the potential histograms with and without PNB.
    func testCircFireReportHasSharpnessAndPotentialFigures() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        for (variant, pnb) in [("cf-learnable", "0.0"), ("cf-learnable-pnb", "0.1")] {
            try trainSmoke(
                CircFirePaper.paper, ["variant=\(variant)", "neuron.name=cf", "neuron.sharpnessMode=learnable", "training.pnbWeight=\(pnb)", "training.epochs=1"],
                registry: registry, directory: directory)
        }
        let file = try checkedOut(CircFirePaper.paper).writeReport(registry: registry, preset: "smoke", directory: directory)
        let text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertTrue(text.contains("| Z3: The PNB loss improves"), text)
        XCTAssertTrue(text.contains("| Z6: The PNB loss balances"), text)
        for figure in ["surrogate-sharpness.png", "potential-histogram.png", "potential-balance.png", "learning-curves-ablation.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("zhou2026-circulate-firing/figures/\(figure)").path), figure)
        }
    }
}
