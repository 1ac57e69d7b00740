import Foundation
import NIR
import NN
import Neurons
import TensorRuntime
import TestSupport
import XCTest

/// Optional: the `nir` Python package reads our export and snnTorch simulates it to the same
/// spikes. Runs only when the peer venv (`$SNN_PEER_PYTHON`, else /work/venv-peer/bin/python)
/// imports nir, nirtorch and snntorch; skipped with a message otherwise.
final class NIRCrossCheckTests: XCTestCase {
    private func peerPython() throws -> URL {
        let path = ProcessInfo.processInfo.environment["SNN_PEER_PYTHON"] ?? "/work/venv-peer/bin/python"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw XCTSkip("no peer Python at \(path) (set SNN_PEER_PYTHON to a venv with nir, nirtorch and snntorch)")
        }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: path)
        probe.arguments = ["-c", "import nir, nirtorch, snntorch"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        try probe.run()
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else {
            throw XCTSkip("\(path) cannot import nir, nirtorch and snntorch (pip install nir nirtorch snntorch)")
        }
        return URL(fileURLWithPath: path)
    }

    func testSnnTorchSimulatesOurExportToTheSameSpikes() throws {
        let python = try peerPython()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Benchmarks/peers/nir_crosscheck.py")
        var rng = SeededRNG(seed: 21)
        let fc1 = Linear(inFeatures: 10, outFeatures: 12, rng: &rng)
        fc1.weight.value = fc1.weight.value * 3
        let fc2 = Linear(inFeatures: 12, outFeatures: 4, rng: &rng)
        fc2.weight.value = fc2.weight.value * 3
        // snnTorch's Leaky(reset_mechanism="zero", reset_delay=False): spike when H > θ, reset to 0.
        let configuration: [String: Any] = ["decay": 0.9, "threshold": 0.7, "strictThreshold": true]
        let lif1 = try SpikingNeurons(neuron: "lif", configuration: configuration)
        let lif2 = try SpikingNeurons(neuron: "lif", configuration: configuration)
        let (steps, batch) = (50, 4)
        let input = NIRTests.spikes(steps: steps, batch: batch, features: 10, seed: 8)
        let ours = lif2(fc2(lif1(fc1(input))))
        XCTAssertGreaterThan(ours.sum().item, 20, "the test network must spike to test anything")

        let directory = try temporaryDirectory(self)
        let model = directory.appendingPathComponent("model.nir")
        // snnTorch's NIR import assumes dt = 1e-4 s.
        try NIRFile.write(
            NIRExport.graph(
                [.linear(fc1), .neurons(lif1), .linear(fc2), .neurons(lif2)],
                inputShape: [10], dt: 1e-4), to: model)
        let inputFile = directory.appendingPathComponent("input.f32")
        let outputFile = directory.appendingPathComponent("output.f32")
        try input.floats.withUnsafeBytes { Data($0) }.write(to: inputFile)
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path, model.path, inputFile.path, "\(steps)", "\(batch)", "10", outputFile.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, message)
        let data = try Data(contentsOf: outputFile)
        let theirs = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertEqual(theirs, ours.floats)
    }
}
