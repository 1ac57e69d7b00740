import ExperimentKit
import Foundation
import Registry
import TestSupport
import XCTest

@testable import SHDExperiment

/// Same seed, same bits: paper 1's training gives identical metrics whatever the thread timing,
/// and a run killed with SIGKILL and resumed ends where an uninterrupted one does.
final class DeterminismTests: XCTestCase {
    /// Set to a directory, the child process started by `testKilledAndResumedRunEqualsAnUninterruptedOne`.
    static let trainerVariable = "SHD_DETERMINISM_TRAINER_DIR"
    /// Enough epochs of the smoke preset that the child is still training when it is killed.
    static let killedEpochs = 40

    /// The smoke preset's options in `directory`, or `--resume`'s (which takes the stored config).
    static func options(in directory: URL, _ extra: [String]) throws -> ExperimentOptions {
        try ExperimentOptions.parse(
            (extra.contains("--resume") ? [] : ["--preset", "smoke"]) + [
                "--registry", directory.appendingPathComponent("registry.sqlite").path,
                "--output-dir", directory.appendingPathComponent("runs").path,
                "--data-dir", directory.appendingPathComponent("data").path, "--quiet",
            ] + extra)
    }

    static func runner() -> ExperimentRunner<SHDTraining> {
        ExperimentRunner<SHDTraining>(
            experiment: "shd", paper: SHDReport.paper, presets: presets, interrupt: InterruptFlag())
    }

    /// Every metric of `run` keyed by split, name, epoch and step, as bit patterns. A step logged
    /// twice (an epoch redone after a kill) keeps its last value.
    static func metricBits(of run: RunID, in directory: URL) throws -> [String: UInt64] {
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        var bits: [String: UInt64] = [:]
        for m in try registry.metrics(of: run) {
            bits["\(m.split)/\(m.name)/\(m.epoch ?? -1)/\(m.step ?? -1)"] = m.value.bitPattern
        }
        return bits
    }

    func testTwoTrainingsWithTheSameSeedAgreeBitForBit() throws {
        let directory = try temporaryDirectory(self)
        for neuron in ["qif-exact", "lif-exact", "lif"] {
            let options = try Self.options(in: directory, ["--set", "neuron=\(neuron)", "--set", "training.epochs=3"])
            let first = try Self.runner().train(options)
            let second = try Self.runner().train(options)
            let a = try Self.metricBits(of: first.run, in: directory)
            let b = try Self.metricBits(of: second.run, in: directory)
            XCTAssertGreaterThan(a.count, 20, neuron)
            XCTAssertEqual(a, b, "\(neuron): runs \(first.run) and \(second.run) differ")
        }
    }

    /// The child: trains `killedEpochs` epochs of qif-exact in the directory the parent names.
    func testActAsTrainer() throws {
        guard let path = ProcessInfo.processInfo.environment[Self.trainerVariable] else {
            throw XCTSkip("runs only inside the process that testKilledAndResumedRunEqualsAnUninterruptedOne starts")
        }
        let epochs = ["--set", "training.epochs=\(Self.killedEpochs)"]
        _ = try Self.runner().train(Self.options(in: URL(fileURLWithPath: path), epochs))
    }

    func testKilledAndResumedRunEqualsAnUninterruptedOne() throws {
        let directory = try temporaryDirectory(self)
        let registryPath = directory.appendingPathComponent("registry.sqlite").path
        // The uninterrupted reference first: it also writes the synthetic data the child reads.
        let epochs = ["--set", "training.epochs=\(Self.killedEpochs)"]
        let reference = try Self.runner().train(Self.options(in: directory, epochs))

        let trainer = Process()
        trainer.executableURL = Bundle.main.executableURL
        trainer.arguments = ["SHDExperimentTests.DeterminismTests/testActAsTrainer"]
        trainer.environment = ProcessInfo.processInfo.environment.merging([Self.trainerVariable: directory.path]) { $1 }
        trainer.standardOutput = FileHandle.nullDevice
        trainer.standardError = FileHandle.nullDevice
        try trainer.run()
        addTeardownBlock { if trainer.isRunning { kill(trainer.processIdentifier, SIGKILL) } }

        // Kill it once it has checkpointed two epochs: mid-run, at whatever point of an epoch.
        let registry = try RunRegistry.open(path: registryPath)
        let deadline = Date().addingTimeInterval(120)
        var killed: RunID?
        while Date() < deadline, killed == nil {
            if let run = try registry.runs().first(where: { $0.id != reference.run }),
                try registry.artifacts(of: run.id).filter({ $0.kind == TrainingLoop.checkpointKind }).count >= 2
            {
                kill(trainer.processIdentifier, SIGKILL)
                killed = run.id
            }
            usleep(5_000)
        }
        trainer.waitUntilExit()
        let run = try XCTUnwrap(killed, "the trainer checkpointed two epochs within the deadline")
        XCTAssertEqual(trainer.terminationReason, .uncaughtSignal)
        // Reopening finds the killed process gone and marks its run interrupted.
        let reopened = try RunRegistry.open(path: registryPath)
        XCTAssertEqual(try reopened.run(run).status, .interrupted, "killed before it completed")
        let epochsBefore = Set(try reopened.metrics(of: run, split: "val").compactMap(\.epoch))
        XCTAssertLessThan(epochsBefore.count, Self.killedEpochs)

        let resumed = try Self.runner().train(Self.options(in: directory, ["--resume", "\(run)"]))
        XCTAssertEqual(resumed.run, run)
        XCTAssertEqual(try reopened.run(run).status, .completed)
        let resumedBits = try Self.metricBits(of: run, in: directory)
        XCTAssertEqual(resumedBits, try Self.metricBits(of: reference.run, in: directory))
    }
}
