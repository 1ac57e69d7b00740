import ExperimentKit
import Foundation
import NN
import Registry
import RegistryFixtures
import TensorRuntime
import TestSupport
import XCTest

/// The config of `ToyRegression`, shaped like a real experiment's: nested sections, a seed, a
/// string field and one range rule.
struct ToyConfig: Codable, Sendable, Equatable, ValidatedConfig {
    struct Training: Codable, Sendable, Equatable {
        var epochs: Int
        var learningRate: Double
        var batchSize: Int
    }

    var seed: Int
    var tag: String
    var training: Training
    /// Reports a NaN loss at step 2 of this epoch (divergence injected by the tests).
    var nanAtEpoch: Int?
    /// Sleeps this long after each step, so a test can interrupt a run midway.
    var stepPauseMilliseconds: Int?

    func validate() throws(ConfigIssue) {
        try ConfigIssue.require(training.epochs >= 1, "training.epochs", mustBe: "an integer ≥ 1", got: training.epochs)
        try ConfigIssue.require(
            training.batchSize >= 1, "training.batchSize", mustBe: "an integer ≥ 1", got: training.batchSize)
    }
}

let toyPreset = """
    {
      "seed": 7,
      "tag": "baseline",
      "training": { "epochs": 4, "learningRate": 0.05, "batchSize": 8 },
      "nanAtEpoch": null,
      "stepPauseMilliseconds": null
    }
    """

/// Writes `toy.cpu.json` (and `toy.smoke.json`) into `directory`.
@discardableResult
func writePresets(in directory: URL, cpu: String = toyPreset) throws -> URL {
    try cpu.write(to: directory.appendingPathComponent("toy.cpu.json"), atomically: true, encoding: .utf8)
    try toyPreset.replacingOccurrences(of: "\"epochs\": 4", with: "\"epochs\": 1")
        .write(to: directory.appendingPathComponent("toy.smoke.json"), atomically: true, encoding: .utf8)
    return directory
}

/// A linear model fitted to a noisy linear target by SGD with momentum (so the optimizer has
/// state a checkpoint must carry). Every epoch shuffles with a generator seeded by (seed,
/// epoch), as the `Experiment` protocol asks, so a resumed run repeats an uninterrupted one.
final class ToyRegression: Experiment {
    typealias Config = ToyConfig

    let config: ToyConfig
    let linear: Linear
    let optimizer: any Optimizer
    let inputs: Tensor
    let targets: Tensor
    /// Raised at the end of this epoch, as Ctrl-C would be.
    var interrupt: (epoch: Int, flag: InterruptFlag)?
    /// Thrown at the start of this epoch.
    var failure: (epoch: Int, error: any Error)?

    init(config: ToyConfig, context: ExperimentContext) throws {
        self.config = config
        var rng = SeededRNG(seed: UInt64(config.seed))
        linear = Linear(inFeatures: 3, outFeatures: 1, rng: &rng)
        optimizer = SGD(linear.parameters(), learningRate: config.training.learningRate, momentum: 0.5)
        inputs = Tensor.normal([48, 3], using: &rng)
        let truth = Tensor(shape: [3, 1], values: [0.5, -1.0, 2.0], dtype: .float32)
        targets = Tensor.matmul(inputs, truth) + Tensor.normal([48, 1], std: 0.1, using: &rng)
    }

    var model: any ParameterTree { linear }
    var epochs: Int { config.training.epochs }
    var neuron: String? { "none" }

    func trainEpoch(_ epoch: Int, progress: EpochProgress) throws -> [MetricPoint] {
        if let failure, failure.epoch == epoch { throw failure.error }
        var rng = SeededRNG(seed: UInt64(config.seed) &* 1_000_003 &+ UInt64(epoch))
        let order = Array(0..<32).shuffled(using: &rng)
        let batch = config.training.batchSize
        progress.expectedSteps = order.count / batch
        var total = 0.0
        for start in stride(from: 0, to: order.count - batch + 1, by: batch) {
            let rows = Array(order[start..<start + batch])
            optimizer.zeroGrad()
            let loss = meanSquaredError(linear(select(inputs, rows)), select(targets, rows))
            loss.backward()
            optimizer.step()
            let injected = config.nanAtEpoch == epoch && progress.step == 1 ? Double.nan : loss.item
            if let pause = config.stepPauseMilliseconds { usleep(UInt32(pause) * 1000) }
            try progress.completedStep(["loss": injected])
            total += loss.item
        }
        if let interrupt, interrupt.epoch == epoch { interrupt.flag.raise() }
        return [MetricPoint(split: "train", name: "loss", value: total / Double(order.count / batch))]
    }

    func evaluate(_ epoch: Int) throws -> [MetricPoint] {
        let rows = Array(32..<48)
        let loss = Tape.withoutGradient { meanSquaredError(linear(select(inputs, rows)), select(targets, rows)) }
        return [MetricPoint(split: "val", name: "loss", value: loss.item)]
    }

    /// The parameter values, bit for bit.
    var parameterBits: [[UInt32]] { linear.parameters().map { $0.value.floats.map(\.bitPattern) } }

    private func select(_ tensor: Tensor, _ rows: [Int]) -> Tensor {
        let width = tensor.shape[1]
        let values = tensor.floats
        let picked = rows.flatMap { values[$0 * width..<($0 + 1) * width] }
        return Tensor(shape: [rows.count, width], values: picked.map(Double.init), dtype: .float32)
    }
}

/// Collects what a reporter writes.
final class Transcript {
    var text = ""
    func write(_ piece: String) { text += piece }
}

/// A registry in a temporary directory, and a loop writing checkpoints next to it.
func makeLoop(_ test: XCTestCase, interrupt: InterruptFlag = InterruptFlag()) throws -> (TrainingLoop, Transcript) {
    let directory = try temporaryDirectory(test)
    let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
    let transcript = Transcript()
    let loop = TrainingLoop(
        registry: registry, outputDirectory: directory.appendingPathComponent("runs"),
        progress: ProgressReporter(style: .lines, clock: { 0 }, write: transcript.write), interrupt: interrupt)
    return (loop, transcript)
}

/// A run spec for `config`, as `ExperimentRunner` would make it.
func toySpec(_ config: ToyConfig) throws -> RunSpec {
    try RunSpec(
        experiment: "toy", paper: "tests", neuron: "none", preset: "cpu", config: config, seed: config.seed,
        provenance: testProvenance)
}

let toyConfig = ToyConfig(seed: 7, tag: "baseline", training: .init(epochs: 4, learningRate: 0.05, batchSize: 8))
