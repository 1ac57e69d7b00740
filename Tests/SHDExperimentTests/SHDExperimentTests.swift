import ArgumentParser
import Datasets
import EventSim
import ExperimentKit
import Foundation
import Neurons
import Registry
import TensorRuntime
import TestSupport
import XCTest

@testable import SHDExperiment

/// The repository's root, found from this file so tests do not depend on the working directory.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let presets = repositoryRoot.appendingPathComponent("papers/wenig2026-qif-shd/configs")

/// A quiet smoke-preset pipeline (with `overrides`, `key.path=value`) with its registry, data
/// and runs in `directory`, and the runner its in-process workers use.
func smokePipeline(
    in directory: URL, overrides: [String] = []
) throws -> (pipeline: SHDPipeline, runner: ExperimentRunner<SHDTraining>, options: ExperimentOptions) {
    let options = try ExperimentOptions.parse(
        [
            "--preset", "smoke", "--registry", directory.appendingPathComponent("registry.sqlite").path,
            "--output-dir", directory.appendingPathComponent("runs").path,
            "--data-dir", directory.appendingPathComponent("data").path, "--quiet",
        ] + overrides.flatMap { ["--set", $0] })
    let runner = ExperimentRunner<SHDTraining>(
        experiment: "shd", paper: SHDReport.paper, presets: presets, interrupt: InterruptFlag())
    return (try SHDPipeline(options: options, runner: runner) { _ in }, runner, options)
}

/// The smoke preset with `overrides`, as the commands would resolve it.
func smokeConfig(_ overrides: [String] = []) throws -> SHDConfig {
    try ConfigLoader.load(
        SHDConfig.self, from: .preset(name: "smoke", experiment: "shd", directory: presets),
        overrides: overrides.map { try ConfigOverride(parsing: $0) }
    ).value
}

final class SHDConfigTests: XCTestCase {
    func testEveryPresetLoadsAndValidates() throws {
        for preset in ["smoke", "cpu", "paper"] {
            let config = try ConfigLoader.load(
                SHDConfig.self, from: .preset(name: preset, experiment: "shd", directory: presets)
            ).value
            XCTAssertTrue(config.isEventDriven, preset)
            XCTAssertGreaterThanOrEqual(
                config.seeds.count, preset == "smoke" ? 2 : 3, "\(preset): seeds for mean ± std")
            XCTAssertFalse(config.search.space.dimensions.isEmpty, "\(preset): a search space")
            for neuron in SHDPipeline.discreteNeurons {
                let space = config.discrete.space[neuron]?.dimensions ?? [:]
                XCTAssertFalse(space.isEmpty, "\(preset): a search space for \(neuron)")
            }
        }
    }

    func testBadFieldsAreNamed() throws {
        let cases: [(String, String)] = [
            ("data.encoding=spectrogram", "data.encoding"), ("model.tau=-1", "model.tau"), ("purpose=fun", "purpose"),
            ("training.optimizer=sgd", "training.optimizer"), ("landscape.points=2", "landscape.points"),
            ("data.dataset=files", "data.trainFile"), ("model.pseudoRate=rate", "model.pseudoRate"),
            ("model.qifReset=zero", "model.qifReset"),
            ("discrete.encoding=spectrogram", "discrete.encoding"), ("discrete.frames=rates", "discrete.frames"),
            ("discrete.surrogate=relu", "discrete.surrogate"), ("discrete.optimizer=sgd", "discrete.optimizer"),
        ]
        for (override, field) in cases {
            XCTAssertThrowsError(try smokeConfig([override]), override) { error in
                XCTAssertTrue("\(error)".contains(field), "\(override): \(error)")
                XCTAssertTrue("\(error)".contains("shd.smoke.json"), "names the file: \(error)")
            }
        }
    }
}

final class SHDCommandLineTests: XCTestCase {
    func testRejectsBadArguments() throws {
        let directory = try temporaryDirectory(self)
        let existing = directory.appendingPathComponent("train.h5")
        FileManager.default.createFile(atPath: existing.path, contents: Data())
        let cases: [([String], String)] = [
            (["train", "--train-file", existing.path], "--train-file and --test-file go together"),
            (
                ["train", "--train-file", existing.path, "--test-file", "/nonexistent/test.h5"],
                "/nonexistent/test.h5: no such file"
            ),
            (["train", "--epochs", "0"], "--epochs must be at least 1"),
            (["train", "--preset", "smoke", "--config", "x.json"], "--preset and --config"),
            (["train", "--set", "nonsense"], "nonsense"),
            (["search"], "--neuron"),
            (["reproduce", "--resume", "3"], "snn-shd train --resume 3"),
        ]
        for (arguments, message) in cases {
            XCTAssertThrowsError(try SHDCommand.parseAsRoot(arguments), "\(arguments)") { error in
                let text = SHDCommand.message(for: error)
                XCTAssertTrue(text.contains(message), "\(arguments): \(text)")
            }
        }
    }

    func testDataFlagsBecomeOverrides() throws {
        let directory = try temporaryDirectory(self)
        for name in ["a.h5", "b.h5"] {
            FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: Data())
        }
        let flags = try SHDDataFlags.parse([
            "--train-file", directory.appendingPathComponent("a.h5").path, "--test-file",
            directory.appendingPathComponent("b.h5").path,
            "--epochs", "3",
        ])
        XCTAssertEqual(flags.setArguments.first, "data.dataset=files")
        XCTAssertTrue(flags.setArguments.contains("training.epochs=3"))
        let config = try smokeConfig(flags.setArguments)
        XCTAssertEqual(config.data.dataset, "files")
        XCTAssertEqual(config.training.epochs, 3)
    }

    func testBadDataFileIsNamed() throws {
        let directory = try temporaryDirectory(self)
        let train = directory.appendingPathComponent("train.h5")
        let test = directory.appendingPathComponent("test.h5")
        try Data("not an HDF5 file".utf8).write(to: train)
        try Data("not an HDF5 file".utf8).write(to: test)
        let config = try smokeConfig([
            "data.dataset=files", "data.trainFile=\(train.path)", "data.testFile=\(test.path)",
        ])
        XCTAssertThrowsError(try SHDTraining(config: config, context: ExperimentContext(dataDirectory: directory))) {
            error in
            XCTAssertTrue("\(error)".contains(train.path), "\(error)")
        }
    }
}

final class InputEncodingTests: XCTestCase {
    /// Two samples on 4 channels written in the SHD layout and read back.
    func dataset() throws -> SpikeDataset {
        let url = try temporaryDirectory(self).appendingPathComponent("tiny.h5")
        try SpikeFileWriter().write(
            to: url, times: [[0.1, 0.2, 0.25, 0.9], [0.5]], units: [[0, 0, 3, 1], [2]], labels: [0, 1],
            speakers: [0, 1])
        return try SpikeDataset(contentsOf: url)
    }

    func testEventsMapSecondsToTrialTime() throws {
        let config = try smokeConfig(["data.duration=2", "data.recordingSeconds=1"]).data
        let encoded = try InputEncoding(config, channels: 4).encode(try dataset())
        XCTAssertEqual(encoded.inputs[0].times, [0.2, 0.4, 0.5, 1.8].map { $0 }, accuracy: 1e-6)
        XCTAssertEqual(encoded.inputs[0].channels, [0, 0, 3, 1])
        XCTAssertEqual(encoded.labels, [0, 1])
    }

    func testBinnedLatencyCode() throws {
        // T = 1, 2 bins: sample 0 has cell (ch0, bin0) with 2 spikes, (ch3, bin0) and (ch1, bin1) with 1.
        let config = try smokeConfig([
            "data.encoding=binned", "data.bins=2", "data.duration=1", "data.recordingSeconds=1",
        ]).data
        let encoding = try InputEncoding(config, channels: 4)
        XCTAssertEqual(encoding.inputCount, 8)
        let train = try encoding.encode(try dataset()).inputs[0]
        // Busiest cell spikes at 0, half as busy at T/2; unit = channel · bins + bin.
        XCTAssertEqual(train.times, [0, 0.5, 0.5], accuracy: 1e-12)
        XCTAssertEqual(train.channels, [0, 3, 6])
    }

    func testVirtualAddsClockChannels() throws {
        let config = try smokeConfig(["data.encoding=virtual", "data.virtualChannels=2", "data.duration=1"]).data
        let encoding = try InputEncoding(config, channels: 4)
        XCTAssertEqual(encoding.inputCount, 6)
        let train = try encoding.encode(try dataset()).inputs[0]
        XCTAssertEqual(train.channels.filter { $0 >= 4 }, [4, 5])
        XCTAssertEqual(train.times.first, 0)
        XCTAssertLessThan(train.times.last!, 1)
    }
}

final class SHDTrainingTests: XCTestCase {
    /// The discrete row's `recording` representation bins every channel of the recording over
    /// [0, recordingSeconds), whatever the exact models' encoding pools or stretches; `exact`
    /// keeps the frames of the exact models' pooled, time-normalised spikes.
    func testDiscreteRecordingEncodingBinsEveryChannelOfTheRecording() throws {
        let directory = try temporaryDirectory(self)
        let config = try smokeConfig([
            "neuron=lif", "data.channelPooling=4", "data.normalizeTime=true", "discrete.timesteps=10",
            "discrete.frames=counts",
        ])
        let data = try SHDData.load(config.data, discrete: config.discrete, seed: 0, dataDirectory: directory)
        XCTAssertEqual(data.train.frameChannels, config.data.synthetic.channels)
        let frames = try data.train.frames([0, 1], timesteps: 10, mode: .counts)
        XCTAssertEqual(frames.shape, [10, 2, config.data.synthetic.channels])
        // Every recorded spike before recordingSeconds lands in its own (bin, channel) cell.
        var expected = [Float](repeating: 0, count: frames.count)
        let recording = data.train.frameSource
        let seconds = config.data.recordingSeconds
        for (position, sample) in [0, 1].enumerated() {
            for index in recording.eventRange(sample) where Double(recording.times[index]) < seconds {
                let bin = Int(Double(recording.times[index]) / seconds * 10)
                expected[(bin * 2 + position) * config.data.synthetic.channels + Int(recording.units[index])] += 1
            }
        }
        XCTAssertEqual(frames.floats, expected)
        XCTAssertGreaterThan(expected.reduce(0, +), 0)
        XCTAssertEqual(Set(try data.train.frames([0, 1], timesteps: 10, mode: .binary).floats), [0, 1])

        let exactFrames = try smokeConfig(["discrete.encoding=exact"]).discrete
        let exact = try SHDData.load(config.data, discrete: exactFrames, seed: 0, dataDirectory: directory)
        XCTAssertEqual(exact.train.frameChannels, config.data.synthetic.channels / 4)
    }

    /// The discrete network is the configured one: plugin fields, surrogate, reset gradient,
    /// hidden size, and PyTorch's default initialisation U(±1/√fan_in).
    func testDiscreteNetworkTakesItsOwnConfiguration() throws {
        let config = try smokeConfig([
            "discrete.neurons.lif.decay=0.75", "discrete.hiddenSize=12", "discrete.surrogate=atan",
        ])
        let network = try DiscreteSHDNetwork(neuron: "lif", sizes: [40, 12, 4], config: config.discrete, seed: 0)
        let layer = try XCTUnwrap(network.layers.first)
        XCTAssertEqual(layer.neurons.parameterVector.doubles, [0.75, 1.0])
        XCTAssertEqual(layer.neurons.options, EngineOptions(surrogate: .atan, detachReset: true))
        XCTAssertEqual(layer.linear.weight.shape, [12, 40])
        let bound = 1 / Float(40).squareRoot()
        XCTAssertTrue(layer.linear.weight.value.floats.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(layer.linear.weight.value.floats.map(abs).max()!, 0.9 * bound)
        let bad = try smokeConfig(["discrete.neurons.lif.decay=fast"]).discrete
        XCTAssertThrowsError(try DiscreteSHDNetwork(neuron: "lif", sizes: [40, 12, 4], config: bad, seed: 0))
    }

    /// Every neuron family with every encoding builds and takes a training step: the discrete
    /// models bin the recording, so their input size must not follow the spike encoding's.
    func testEveryModelTrainsOnEveryEncoding() throws {
        let directory = try temporaryDirectory(self)
        for encoding in SHDDataConfig.encodings {
            for neuron in ["qif-exact", "lif-exact", "lif", "dqif"] {
                let config = try smokeConfig(["neuron=\(neuron)", "data.encoding=\(encoding)", "data.bins=4"])
                let training = try SHDTraining(config: config, context: ExperimentContext(dataDirectory: directory))
                let outcome = try training.network.forward(Array(0..<4), of: training.data.train)
                outcome.loss.backward()
                XCTAssertTrue(outcome.loss.item.isFinite, "\(neuron), \(encoding)")
                XCTAssertTrue(
                    training.network.parameters().allSatisfy { $0.grad != nil },
                    "\(neuron), \(encoding): every parameter gets a gradient")
            }
        }
    }
}

final class LineTallyTests: XCTestCase {
    func testMidTrialAndEndOfTrialChanges() {
        let a = [NetworkSpike(time: 0.2, layer: 1, unit: 0), NetworkSpike(time: 0.5, layer: 1, unit: 1)]
        let vanishedMidTrial = [NetworkSpike(time: 0.2, layer: 1, unit: 0)]
        XCTAssertTrue(LineTally.hasMidTrialChange(a, vanishedMidTrial, before: 0.95))
        let late = a + [NetworkSpike(time: 0.99, layer: 2, unit: 0)]
        XCTAssertFalse(
            LineTally.hasMidTrialChange(a, late, before: 0.95), "a spike entering at the trial end is not mid-trial")
        XCTAssertFalse(LineTally.hasMidTrialChange(a, a, before: 0.95))
    }

    func testCoincidences() throws {
        var tally = LineTally()
        // One spike at 0.2 until the step 0.55, where it vanishes mid-trial and the loss jumps.
        let rasterAt = { (step: Double) in step < 0.55 ? [NetworkSpike(time: 0.2, layer: 1, unit: 0)] : [] }
        let lossAt = { (step: Double) in (step < 0.55 ? 1 : 2) + 0.004 * step }
        let steps = [0, 0.25, 0.5, 0.75, 1.0]
        try tally.add(steps: steps, losses: steps.map(lossAt), duration: 1, rasterAt: rasterAt, lossAt: lossAt)
        XCTAssertEqual(tally.steps, 4)
        XCTAssertEqual(tally.lossJumps, 1)
        XCTAssertEqual(tally.spikeChanges, 1)
        XCTAssertEqual(tally.jumpsWithSpikeChange, 1)
        XCTAssertEqual(tally.midTrialChanges, 1)
    }

    func testSteepButContinuousIsNotAJump() throws {
        // A smooth step (tanh) much steeper than the rest of the line: large change, no jump.
        let lossAt = { (step: Double) in tanh((step - 0.5) * 40) + 0.001 * step }
        XCTAssertFalse(
            try LineTally.containsDiscontinuity(from: (0.45, lossAt(0.45)), to: (0.55, lossAt(0.55)), lossAt: lossAt))
        let jump = { (step: Double) in (step < 0.5 ? 0 : 1) + 0.5 * step }
        XCTAssertTrue(
            try LineTally.containsDiscontinuity(from: (0.45, jump(0.45)), to: (0.55, jump(0.55)), lossAt: jump))
    }

    func testBisectionFindsASpikeLeavingThroughTheTrialEnd() throws {
        // The spike's time rises continuously towards T = 1 and leaves there at step 0.6, as a
        // QIF spike does: on the coarse grid it is last seen at 0.5 (time 0.83), mid-trial.
        let rasterAt = { (step: Double) in step < 0.6 ? [NetworkSpike(time: 1 - (0.6 - step), layer: 1, unit: 0)] : [] }
        var tally = LineTally()
        try tally.add(steps: [0, 0.5, 1], losses: [1, 1, 1], duration: 1, rasterAt: rasterAt, lossAt: { _ in 1 })
        XCTAssertEqual(tally.spikeChanges, 1)
        XCTAssertEqual(tally.midTrialChanges, 0, "located by bisection, the spike leaves at T")
        XCTAssertTrue(
            LineTally.hasMidTrialChange(rasterAt(0.5), rasterAt(1), before: 0.95),
            "the coarse step alone would call it mid-trial")
    }
}

private func XCTAssertEqual(
    _ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, "\(a) vs \(b)", file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, "\(a) vs \(b)", file: file, line: line) }
}
