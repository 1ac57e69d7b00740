import ExperimentKit
import Foundation
import Registry
import XCTest

final class TrainingLoopTests: XCTestCase {
    func testRunCompletesWithMetricsPerEpochAndCheckpointArtifacts() throws {
        let (loop, transcript) = try makeLoop(self)
        let experiment = try ToyRegression(config: toyConfig, context: ExperimentContext())
        let summary = try loop.run(experiment, start: .new(toySpec(toyConfig)))

        let record = try loop.registry.run(summary.run)
        XCTAssertEqual(record.status, .completed)
        XCTAssertNil(record.failureReason)
        XCTAssertEqual(record.neuron, "none")
        XCTAssertEqual(
            record.configJSON, #"{"seed":7,"tag":"baseline","training":{"batchSize":8,"epochs":4,"learningRate":0.05}}"#
        )

        let metrics = try loop.registry.metrics(of: summary.run)
        XCTAssertEqual(
            metrics.map { "\($0.split)/\($0.name)@\($0.epoch!)" },
            (1...4).flatMap { ["train/loss@\($0)", "val/loss@\($0)"] })
        let validation = metrics.filter { $0.split == "val" }.map(\.value)
        XCTAssertLessThan(validation.last!, validation.first!, "the toy model learns: \(validation)")
        XCTAssertEqual(summary.finalMetrics.map(\.value), Array(metrics.suffix(2).map(\.value)))
        XCTAssertEqual(try summary.value(of: "val/loss"), validation.last!)

        let artifacts = try loop.registry.artifacts(of: summary.run)
        XCTAssertEqual(artifacts.map(\.kind), Array(repeating: TrainingLoop.checkpointKind, count: 4))
        XCTAssertEqual(
            artifacts.map { URL(fileURLWithPath: $0.path).lastPathComponent },
            ["epoch-0001.h5", "epoch-0002.h5", "epoch-0003.h5", "epoch-0004.h5"])
        for artifact in artifacts {
            XCTAssertEqual(artifact.sha256, try sha256(artifact.path), artifact.path)
        }
        XCTAssertEqual(summary.checkpoint?.path, artifacts.last?.path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: artifacts.last!.path + ".partial"))

        let lines = transcript.text.split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertEqual(lines[0], "run \(summary.run): 4 epochs")
        XCTAssertTrue(lines[1].hasPrefix("epoch 1/4  train/loss "), String(lines[1]))
    }

    func testNaNStopsTheRunAsFailedAndKeepsTheLastGoodCheckpoint() throws {
        let (loop, transcript) = try makeLoop(self)
        var config = toyConfig
        config.nanAtEpoch = 2
        let experiment = try ToyRegression(config: config, context: ExperimentContext())
        var stopped: RunStopped?
        XCTAssertThrowsError(try loop.run(experiment, start: .new(toySpec(config)))) { stopped = $0 as? RunStopped }
        let stop = try XCTUnwrap(stopped)
        XCTAssertEqual(stop.status, .failed)
        guard case .nonFiniteMetric(let point)? = stop.underlying as? TrainingError else {
            return XCTFail("stopped by \(stop.underlying), not by the NaN")
        }
        XCTAssertEqual([point.split, point.name, "\(point.epoch!)", "\(point.step!)"], ["train", "loss", "2", "2"])
        XCTAssertTrue(point.value.isNaN)

        let checkpoint = loop.outputDirectory.appendingPathComponent("run-\(stop.run)/epoch-0001.h5")
            .standardizedFileURL.path
        let record = try loop.registry.run(stop.run)
        XCTAssertEqual(record.status, .failed)
        XCTAssertEqual(
            record.failureReason, "epoch 2, step 2: train/loss is nan; last good checkpoint: \(checkpoint) (epoch 1)")
        XCTAssertEqual(stop.reason, record.failureReason)
        XCTAssertNotNil(record.endedAt)
        XCTAssertTrue(transcript.text.hasSuffix("run \(stop.run) failed: \(record.failureReason!)\n"), transcript.text)

        XCTAssertEqual(try loop.registry.artifacts(of: stop.run).map(\.path), [checkpoint])
        XCTAssertEqual(try loop.registry.artifacts(of: stop.run).first?.sha256, try sha256(checkpoint))
        let directory = loop.outputDirectory.appendingPathComponent("run-\(stop.run)").path
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["epoch-0001.h5"])
        let diverged = try loop.registry.metrics(of: stop.run).last
        XCTAssertEqual(diverged?.epoch, 2)
        XCTAssertEqual(diverged?.step, 2)
        XCTAssertTrue(diverged?.value.isNaN == true, "the diverged loss is logged")
    }

    func testResumeContinuesToTheSameStateAsAnUninterruptedRun() throws {
        let (loop, transcript) = try makeLoop(self)
        let straight = try ToyRegression(config: toyConfig, context: ExperimentContext())
        let reference = try loop.run(straight, start: .new(toySpec(toyConfig)))

        let stopping = try ToyRegression(config: toyConfig, context: ExperimentContext())
        stopping.interrupt = (2, loop.interrupt)
        var stopped: RunStopped?
        XCTAssertThrowsError(try loop.run(stopping, start: .new(toySpec(toyConfig)))) { stopped = $0 as? RunStopped }
        let run = try XCTUnwrap(stopped?.run)
        XCTAssertEqual(try loop.registry.run(run).status, .interrupted)
        XCTAssertTrue(
            try loop.registry.run(run).failureReason!.hasPrefix("interrupted before epoch 3; last good checkpoint: "))
        XCTAssertEqual(try loop.registry.artifacts(of: run).count, 2)

        var resumed = loop
        resumed.interrupt = InterruptFlag()
        let config = try ResumePoint.storedConfig(ToyConfig.self, of: run, in: loop.registry)
        XCTAssertEqual(config.value, toyConfig)
        XCTAssertEqual(config.preset, "cpu")
        let fresh = try ToyRegression(config: config.value, context: ExperimentContext())
        let summary = try resumed.run(fresh, start: .resume(run))

        XCTAssertEqual(summary.run, run, "the resumed run keeps its id")
        XCTAssertEqual(fresh.parameterBits, straight.parameterBits, "bit-exact with the uninterrupted run")
        let record = try loop.registry.run(run)
        XCTAssertEqual(record.status, .completed)
        XCTAssertNil(record.failureReason)
        XCTAssertEqual(try loop.registry.metrics(of: run, split: "val").map(\.epoch), [1, 2, 3, 4])
        XCTAssertEqual(
            try loop.registry.metrics(of: run, split: "val").map(\.value),
            try loop.registry.metrics(of: reference.run, split: "val").map(\.value))
        XCTAssertEqual(try loop.registry.artifacts(of: run).count, 4)
        XCTAssertTrue(transcript.text.contains("run \(run): resuming after epoch 2 of 4\nepoch 3/4"), transcript.text)
    }

    func testResumeRefusesRunsItCannotContinue() throws {
        let (loop, _) = try makeLoop(self)
        let done = try loop.run(
            try ToyRegression(config: toyConfig, context: ExperimentContext()), start: .new(toySpec(toyConfig)))
        XCTAssertThrowsError(
            try loop.run(try ToyRegression(config: toyConfig, context: ExperimentContext()), start: .resume(done.run))
        ) {
            XCTAssertEqual("\($0)", "run \(done.run) completed; there is nothing to resume")
        }

        let early = try ToyRegression(config: toyConfig, context: ExperimentContext())
        early.failure = (1, CocoaError(.fileNoSuchFile))
        XCTAssertThrowsError(try loop.run(early, start: .new(toySpec(toyConfig))))
        let failed = try XCTUnwrap(loop.registry.runs(RunFilter(status: .failed)).last)
        XCTAssertTrue(failed.failureReason!.hasSuffix("; no checkpoint was written"), failed.failureReason!)
        XCTAssertThrowsError(try loop.run(early, start: .resume(failed.id))) {
            XCTAssertEqual("\($0)", "run \(failed.id) stopped before its first checkpoint; start a new run instead")
        }
        XCTAssertEqual(try loop.registry.run(failed.id).status, .failed, "a refused resume leaves the run as it was")
    }

    func testAnErrorFromTheExperimentLeavesTheRegistryConsistent() throws {
        let (loop, _) = try makeLoop(self)
        let experiment = try ToyRegression(config: toyConfig, context: ExperimentContext())
        experiment.failure = (3, ConfigError(source: "data", message: "file vanished"))
        XCTAssertThrowsError(try loop.run(experiment, start: .new(toySpec(toyConfig))))
        let record = try XCTUnwrap(loop.registry.runs().last)
        XCTAssertEqual(record.status, .failed)
        XCTAssertTrue(
            record.failureReason!.hasPrefix("data: file vanished; last good checkpoint: "), record.failureReason!)
        XCTAssertTrue(record.failureReason!.hasSuffix("epoch-0002.h5 (epoch 2)"), record.failureReason!)
        XCTAssertEqual(try loop.registry.artifacts(of: record.id).count, 2)
    }

    /// The only test that touches the process's signal flag: once raised, it stays raised.
    func testSIGINTRaisesTheProcessFlag() throws {
        let flag = InterruptFlag.signals
        kill(getpid(), SIGINT)
        let deadline = Date().addingTimeInterval(5)
        while !flag.isRaised && Date() < deadline { usleep(1000) }
        XCTAssertTrue(flag.isRaised)
    }
}

/// The SHA-256 of a file, from coreutils, independent of the registry's own hashing.
func sha256(_ path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sha256sum", path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: data, as: UTF8.self).prefix(64))
}
