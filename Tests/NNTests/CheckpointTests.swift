import Checkpoint
import Foundation
import NN
import TensorRuntime
import TestSupport
import XCTest

final class CheckpointTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nn-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    private func makeModel(seed: UInt64, hidden: Int = 6, dtype: DType = .float32) -> Sequential {
        var rng = SeededRNG(seed: seed)
        return Sequential(
            Conv2d(inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, dtype: dtype, rng: &rng),
            BatchNorm2d(channels: 2, dtype: dtype), ReLU(), Flatten(),
            Linear(inFeatures: 2 * 4 * 4, outFeatures: hidden, dtype: dtype, rng: &rng), ReLU(),
            Linear(inFeatures: hidden, outFeatures: 3, dtype: dtype, rng: &rng))
    }

    private func trainStep(_ model: Sequential, _ optimizer: any Optimizer, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        let x = Tensor.normal([4, 1, 4, 4], dtype: model.parameters()[0].dtype, using: &rng)
        optimizer.zeroGrad()
        crossEntropy(logits: model(x), labels: [0, 1, 2, 1]).backward()
        optimizer.step()
    }

    private func bits(_ t: Tensor) -> [UInt64] {
        t.dtype == .float32 ? t.floats.map { UInt64($0.bitPattern) } : t.doubles.map(\.bitPattern)
    }

    func testRoundTripIsBitExactIncludingOptimizerState() throws {
        for dtype in [DType.float32, .float64] {
            let model = makeModel(seed: 1, dtype: dtype)
            let optimizer = Adam(model.parameters(), learningRate: 0.01)
            for step in 0..<3 { trainStep(model, optimizer, seed: UInt64(10 + step)) }
            optimizer.learningRate = 0.005
            let url = directory.appendingPathComponent("model-\(dtype).h5")
            try Checkpoint.save(model, optimizer: optimizer, metadata: ["epoch": "3", "preset": "smoke"], to: url)

            let restored = makeModel(seed: 2, dtype: dtype)
            let restoredOptimizer = Adam(restored.parameters(), learningRate: 0.1)
            let metadata = try Checkpoint.load(into: restored, optimizer: restoredOptimizer, from: url)
            XCTAssertEqual(metadata, ["epoch": "3", "preset": "smoke"])
            XCTAssertEqual(restoredOptimizer.state.stepCount, 3)
            XCTAssertEqual(restoredOptimizer.learningRate, 0.005)
            for ((name, a), (_, b)) in zip(model.namedTensors(), restored.namedTensors()) {
                XCTAssertEqual(bits(a.value), bits(b.value), name)
            }
            for (a, b) in zip(optimizer.parameters, restoredOptimizer.parameters) {
                for slot in optimizer.state.slotNames {
                    XCTAssertEqual(
                        bits(optimizer.state.tensor(slot, for: a)!), bits(restoredOptimizer.state.tensor(slot, for: b)!)
                    )
                }
            }
            // Training on from the checkpoint continues exactly as the original run does.
            trainStep(model, optimizer, seed: 99)
            trainStep(restored, restoredOptimizer, seed: 99)
            for (a, b) in zip(model.parameters(), restored.parameters()) {
                XCTAssertEqual(bits(a.value), bits(b.value))
            }
        }
    }

    func testMomentumStateOfSGDRoundTrips() throws {
        let model = makeModel(seed: 3)
        let optimizer = SGD(model.parameters(), learningRate: 0.1, momentum: 0.9)
        trainStep(model, optimizer, seed: 5)
        let url = directory.appendingPathComponent("sgd.h5")
        try Checkpoint.save(makeModel(seed: 9), to: url)
        try Checkpoint.save(model, optimizer: optimizer, to: url)  // replaces the first file
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["sgd.h5"])
        let restored = makeModel(seed: 4)
        let restoredOptimizer = SGD(restored.parameters(), learningRate: 0.1, momentum: 0.9)
        try Checkpoint.load(into: restored, optimizer: restoredOptimizer, from: url)
        let a = optimizer.state.tensor("momentum_buffer", for: model.parameters()[0])!
        let b = restoredOptimizer.state.tensor("momentum_buffer", for: restored.parameters()[0])!
        XCTAssertEqual(bits(a), bits(b))
    }

    func testLoadingIntoADifferentlyShapedModelNamesTheTensor() throws {
        let url = directory.appendingPathComponent("small.h5")
        try Checkpoint.save(makeModel(seed: 1, hidden: 6), to: url)
        let wider = makeModel(seed: 2, hidden: 7)
        let before = wider.parameters().map { bits($0.value) }
        XCTAssertThrowsError(try Checkpoint.load(into: wider, from: url)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("parameters/4.weight"), message)
            XCTAssertTrue(message.contains("[6, 32]") && message.contains("[7, 32]"), message)
        }
        XCTAssertEqual(wider.parameters().map { bits($0.value) }, before, "a failed load changes nothing")

        var rng = SeededRNG(seed: 3)
        let other = Sequential(Linear(inFeatures: 2, outFeatures: 2, rng: &rng))
        XCTAssertThrowsError(try Checkpoint.load(into: other, from: url)) { error in
            XCTAssertTrue("\(error)".contains("'parameters/0.weight' has shape [2, 1, 3, 3]"), "\(error)")
        }
    }

    func testOptimizerMismatchAndNonCheckpointFilesAreReported() throws {
        let model = makeModel(seed: 1)
        let url = directory.appendingPathComponent("adam.h5")
        try Checkpoint.save(model, optimizer: Adam(model.parameters()), to: url)
        XCTAssertThrowsError(
            try Checkpoint.load(into: model, optimizer: SGD(model.parameters(), learningRate: 1), from: url)
        ) {
            XCTAssertTrue("\($0)".contains("Adam"), "\($0)")
        }
        let modelOnly = directory.appendingPathComponent("model-only.h5")
        try Checkpoint.save(makeModel(seed: 2), to: modelOnly)
        let before = model.parameters().map { bits($0.value) }
        XCTAssertThrowsError(try Checkpoint.load(into: model, optimizer: Adam(model.parameters()), from: modelOnly)) {
            XCTAssertTrue("\($0)".contains("holds no optimizer state"), "\($0)")
        }
        XCTAssertEqual(model.parameters().map { bits($0.value) }, before, "a failed load changes nothing")
        let text = directory.appendingPathComponent("not.h5")
        try Data("hello".utf8).write(to: text)
        XCTAssertThrowsError(try Checkpoint.load(into: model, from: text)) {
            XCTAssertTrue("\($0)".contains("not an HDF5 file"), "\($0)")
        }
    }
}
