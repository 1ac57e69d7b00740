import ExperimentKit
import Foundation
import Registry
import XCTest

@testable import ImageExperiment

final class TrainingTests: XCTestCase {
    /// The smoke network learns the synthetic classes well above chance (10 %) in a few epochs,
    /// and the run logs what the reports read.
    func testSmokeNetworkLearnsSyntheticCIFAR() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        let summary = try trainSmoke(DQIFPaper.paper, ["training.epochs=3", "variant=lif-c10-t2"], registry: registry, directory: directory)
        let accuracy = try summary.value(of: "test/accuracy")
        XCTAssertGreaterThan(accuracy, 0.3, "test accuracy \(accuracy)")
        let names = Set(try registry.metrics(of: summary.run).map { "\($0.split)/\($0.name)" })
        for name in ["train/loss", "train/accuracy", "test/loss", "potentials/layer0.positive", "potentials/imbalance", "potentials/layer2.bin29"] {
            XCTAssertTrue(names.contains(name), "missing \(name)")
        }
    }

    /// With the learnable surrogate, α is logged per layer and step and moves away from its start.
    func testLearnableSharpnessIsLoggedAndMoves() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        let summary = try trainSmoke(
            CircFirePaper.paper, ["neuron.name=cf", "neuron.sharpnessMode=learnable", "training.epochs=1"], registry: registry, directory: directory)
        let alphas = try registry.metrics(of: summary.run, split: "surrogate")
        XCTAssertEqual(alphas.count, 3 * 2)  // small-vgg: 3 spiking layers, T = 2
        XCTAssertTrue(alphas.contains { abs($0.value - 4) > 1e-4 }, "\(alphas)")
    }

    /// The PNB term is trained and logged.
    func testPNBTermIsLogged() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        let summary = try trainSmoke(
            CircFirePaper.paper, ["neuron.name=cf", "training.pnbWeight=0.5", "training.epochs=1"], registry: registry, directory: directory)
        XCTAssertEqual(try registry.metrics(of: summary.run, split: "train", name: "pnb").count, 1)
    }
}
