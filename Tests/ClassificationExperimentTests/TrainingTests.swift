import ExperimentKit
import Foundation
import Registry
import RegistryFixtures
import TestSupport
import XCTest

@testable import ClassificationExperiment

final class TrainingTests: XCTestCase {
    /// The smoke network learns the synthetic classes well above chance (10 %) in a few epochs,
    /// and the run logs what the reports read.
    func testSmokeNetworkLearnsSyntheticCIFAR() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        let summary = try trainSmoke(
            DQIFPaper.paper, ["training.epochs=3", "variant=lif-c10-t2"], registry: registry, directory: directory)
        let accuracy = try summary.value(of: "test/accuracy")
        XCTAssertGreaterThan(accuracy, 0.3, "test accuracy \(accuracy)")
        let names = Set(try registry.metrics(of: summary.run).map { "\($0.split)/\($0.name)" })
        for name in [
            "train/loss", "train/accuracy", "test/loss", "potentials/layer0.positive", "potentials/imbalance",
            "potentials/layer2.bin29",
        ] {
            XCTAssertTrue(names.contains(name), "missing \(name)")
        }
    }

    /// With the learnable surrogate, α is logged per layer and step and moves away from its start.
    func testLearnableSharpnessIsLoggedAndMoves() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        let summary = try trainSmoke(
            CircFirePaper.paper, ["neuron.name=cf", "neuron.sharpnessMode=learnable", "training.epochs=1"],
            registry: registry, directory: directory)
        let alphas = try registry.metrics(of: summary.run, split: "surrogate")
        XCTAssertEqual(alphas.count, 3 * 2)  // small-vgg: 3 spiking layers, T = 2
        XCTAssertTrue(alphas.contains { abs($0.value - 4) > 1e-4 }, "\(alphas)")
    }

    /// The PNB term is trained and logged.
    func testPNBTermIsLogged() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        let summary = try trainSmoke(
            CircFirePaper.paper, ["neuron.name=cf", "training.pnbWeight=0.5", "training.epochs=1"], registry: registry,
            directory: directory)
        XCTAssertEqual(try registry.metrics(of: summary.run, split: "train", name: "pnb").count, 1)
    }
}

final class ResumeTests: XCTestCase {
    /// A run stopped after epoch 1 and resumed from its checkpoint ends exactly where an
    /// uninterrupted run ends: an epoch's shuffling and augmentation come from the seed and the
    /// epoch, and the schedule from the step count, not from state a checkpoint lacks.
    func testResumedRunMatchesAnUninterruptedOne() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        let overrides = ["training.epochs=2", "data.cropPadding=2", "data.flip=true"]
        let straight = try trainSmoke(CircFirePaper.paper, overrides, registry: registry, directory: directory)

        let config = try smokeConfig(CircFirePaper.paper, overrides)
        let context = ExperimentContext(dataDirectory: directory.appendingPathComponent("data"))
        let interrupt = InterruptFlag()
        // Raise the stop as epoch 1's line is printed; the loop checks it before epoch 2.
        let reporter = ProgressReporter(style: .lines, write: { if $0.hasPrefix("epoch 1/2") { interrupt.raise() } })
        let first = TrainingLoop(
            registry: registry, outputDirectory: directory.appendingPathComponent("checkpoints"),
            progress: reporter, interrupt: interrupt)
        var spec = try checkedOut(CircFirePaper.paper).runner.spec(for: config, neuron: "lif")
        spec.provenance = testProvenance
        var stopped: RunID?
        do {
            _ = try first.run(try ImageExperiment(config: config.value, context: context), start: .new(spec))
            XCTFail("the run was not interrupted")
        } catch let error as RunStopped {
            XCTAssertEqual(error.status, .interrupted)
            stopped = error.run
        }
        let second = TrainingLoop(
            registry: registry, outputDirectory: directory.appendingPathComponent("checkpoints"),
            progress: ProgressReporter(style: .quiet), interrupt: InterruptFlag())
        let resumed = try second.run(
            try ImageExperiment(config: config.value, context: context), start: .resume(try XCTUnwrap(stopped)))
        for metric in ["train/loss", "test/loss", "test/accuracy"] {
            XCTAssertEqual(try resumed.value(of: metric), try straight.value(of: metric), metric)
        }
    }
}

final class EventDataTests: XCTestCase {
    /// The CIFAR10-DVS path: synthetic recordings framed into one frame per step, fed to VGGSNN-style
    /// layers with two input channels, train and evaluate.
    func testSyntheticDVSRunTrainsOnOneFramePerStep() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        let summary = try trainSmoke(
            DQIFPaper.paper,
            [
                "data.dataset=synthetic-cifar10-dvs", "data.frameSize=32", "timesteps=4", "data.trainSubset=300",
                "data.validationSubset=0",
                "training.epochs=4",
            ],
            registry: registry, directory: directory)
        let accuracy = try summary.value(of: "test/accuracy")
        XCTAssertGreaterThan(accuracy, 0.2, "test accuracy \(accuracy) on 10 classes")
    }
}
