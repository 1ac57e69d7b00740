import Foundation
import HDF5
import NIR
import NN
import Neurons
import TensorRuntime
import TestSupport
import XCTest

final class NIRTests: XCTestCase {
    /// Input spikes [T, B, N], about one in four set, fixed by `seed`.
    static func spikes(steps: Int, batch: Int, features: Int, seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        let values = (0..<(steps * batch * features)).map { _ in
            Double.random(in: 0..<1, using: &rng) < 0.25 ? 1.0 : 0.0
        }
        return Tensor(shape: [steps, batch, features], values: values, dtype: .float32)
    }

    /// A feed-forward SHD-style network: linear → lif → linear → cuba-lif → linear → leaky readout.
    private func network() throws -> (layers: [NIRExport.Layer], run: (Tensor) -> Tensor, spikes: (Tensor) -> Tensor) {
        var rng = SeededRNG(seed: 3)
        let fc1 = Linear(inFeatures: 20, outFeatures: 16, rng: &rng)
        fc1.weight.value = fc1.weight.value * 3
        let lif = try SpikingNeurons(
            neuron: "lif", configuration: ["decay": 0.9, "threshold": 0.7, "strictThreshold": true])
        let fc2 = Linear(inFeatures: 16, outFeatures: 8, rng: &rng)
        fc2.weight.value = fc2.weight.value * 3
        let cuba = try SpikingNeurons(neuron: "cuba-lif", configuration: ["membraneDecay": 0.8, "synapticDecay": 0.6])
        let readout = Linear(inFeatures: 8, outFeatures: 3, rng: &rng)
        let decay = Tensor(shape: [1], values: [0.85], dtype: .float32)
        let layers: [NIRExport.Layer] = [
            .linear(fc1), .neurons(lif), .linear(fc2), .neurons(cuba), .linear(readout),
            .leakyIntegrator(decay: 0.85, features: 3),
        ]
        let hidden = { (x: Tensor) in cuba(fc2(lif(fc1(x)))) }
        return (layers, { Tensor.leakyIntegrate(readout(hidden($0)), decay: decay) }, hidden)
    }

    func testExportImportRoundTripGivesIdenticalOutputs() throws {
        let (layers, run, hidden) = try network()
        let input = Self.spikes(steps: 40, batch: 3, features: 20, seed: 11)
        let url = try temporaryDirectory(self).appendingPathComponent("model.nir")
        try NIRFile.write(try NIRExport.graph(layers, inputShape: [20], dt: 1e-4), to: url)
        let graph = try NIRFile.read(url)
        // Nodes come back in name order, as h5py lists a group; edges keep the chain.
        XCTAssertEqual(
            graph.nodes.map { "\($0.name):\($0.node.typeName)" },
            [
                "cubalif1:CubaLIF", "input:Input", "li1:LI", "lif1:LIF", "linear1:Affine", "linear2:Affine",
                "linear3:Affine", "output:Output",
            ])
        XCTAssertEqual(
            graph.edges.map { "\($0.source)→\($0.target)" },
            [
                "input→linear1", "linear1→lif1", "lif1→linear2", "linear2→cubalif1", "cubalif1→linear3",
                "linear3→li1", "li1→output",
            ])
        let imported = try NIRNetwork(graph, dt: 1e-4)
        let expected = run(input)
        XCTAssertGreaterThan(hidden(input).sum().item, 10, "the test network must spike to test anything")
        XCTAssertEqual(imported(input).shape, [40, 3, 3])
        XCTAssertEqual(imported(input).floats, expected.floats)
    }

    /// A file in NIR's layout written here field by field (as `nir.write` lays it out: scalar
    /// UTF-8 `type`, an [E, 2] string `edges`, float32 parameters, int64 shapes), read and run
    /// against the forward-Euler equations written out by hand.
    func testHandWrittenNIRFileIsReadAndSimulated() throws {
        let url = try temporaryDirectory(self).appendingPathComponent("hand.nir")
        let (tau, dt, r, threshold) = (Float(0.02), 0.001, Float(30), Float(1))
        let weight: [Float] = [0.8, -0.3, 0.5, 0.9, 0.2, 0.4]  // [2 out, 3 in]
        do {
            let file = try HDF5File.create(at: url)
            try file.writeStrings(["1.0.8"], shape: [], to: "version")
            try file.createGroup("node/nodes")
            try file.writeStrings(["NIRGraph"], shape: [], to: "node/type")
            try file.writeStrings(["fc", "lif", "input", "fc", "lif", "output"], shape: [3, 2], to: "node/edges")
            for (name, type) in [("input", "Input"), ("fc", "Linear"), ("lif", "LIF"), ("output", "Output")] {
                try file.createGroup("node/nodes/\(name)")
                try file.writeStrings([type], shape: [], to: "node/nodes/\(name)/type")
            }
            try file.write([Int64(3)], to: "node/nodes/input/shape")
            try file.write([Int64(2)], to: "node/nodes/output/shape")
            try file.write(weight, shape: [2, 3], to: "node/nodes/fc/weight")
            try file.write([tau, tau], to: "node/nodes/lif/tau")
            try file.write([r, r], to: "node/nodes/lif/r")
            try file.write([Float(0), 0], to: "node/nodes/lif/v_leak")
            try file.write([threshold, threshold], to: "node/nodes/lif/v_threshold")
            // No v_reset: files written before NIR 1.0 omit it and mean 0.
        }
        let graph = try NIRFile.read(url)
        XCTAssertEqual(graph.nodes.map(\.name), ["fc", "input", "lif", "output"])
        XCTAssertEqual(
            graph.node(named: "fc"), .linear(weight: NIRArray(shape: [2, 3], values: weight.map(Double.init))))
        XCTAssertEqual(graph.edges.map(\.source), ["fc", "input", "lif"])
        let input = Self.spikes(steps: 25, batch: 2, features: 3, seed: 5)
        let output = try NIRNetwork(graph, dt: dt)(input)

        // v[t] = v + dt/τ (v_leak − v + R W x[t]); spike and v ← 0 when v > θ.
        var expected: [Float] = []
        let x = input.floats
        var v = [[Double]](repeating: [0, 0], count: 2)
        for t in 0..<25 {
            for b in 0..<2 {
                for n in 0..<2 {
                    let current = (0..<3).reduce(0.0) {
                        $0 + Double(weight[n * 3 + $1]) * Double(x[(t * 2 + b) * 3 + $1])
                    }
                    v[b][n] += dt / Double(tau) * (-v[b][n] + Double(r) * current)
                    let spike: Float = v[b][n] > Double(threshold) ? 1 : 0
                    if spike == 1 { v[b][n] = 0 }
                    expected.append(spike)
                }
            }
        }
        XCTAssertGreaterThan(expected.reduce(0, +), 3)
        XCTAssertEqual(output.floats, expected)
    }

    func testPluginWithoutNIRCounterpartIsAClearError() throws {
        let dqif = try SpikingNeurons(neuron: "dqif")
        XCTAssertThrowsError(try NIRExport.graph([.neurons(dqif)], inputShape: [4], dt: 1e-3)) { error in
            let message = "\(error)"
            XCTAssertTrue(
                message.contains("'dqif'") && message.contains("lif") && message.contains("cuba-lif"), message)
        }
        let soft = try SpikingNeurons(neuron: "lif", configuration: ["reset": "soft"])
        XCTAssertThrowsError(try NIRExport.graph([.neurons(soft)], inputShape: [4], dt: 1e-3)) {
            XCTAssertTrue("\($0)".contains("reset: soft"), "\($0)")
        }
    }

    func testUnknownNodeTypeNamesTheNodeAndTheSupportedTypes() throws {
        let url = try temporaryDirectory(self).appendingPathComponent("delay.nir")
        var graph = NIRGraph(
            nodes: [("input", .input(shape: [2])), ("output", .output(shape: [2]))],
            edges: [("input", "output")])
        try NIRFile.write(graph, to: url)
        XCTAssertEqual(try NIRFile.read(url), graph)
        do {
            let file = try HDF5File.create(at: url)
            try file.createGroup("node/nodes/d")
            try file.writeStrings(["Delay"], shape: [], to: "node/nodes/d/type")
            try file.writeStrings([], shape: [0, 2], to: "node/edges")
        }
        XCTAssertThrowsError(try NIRFile.read(url)) {
            XCTAssertTrue("\($0)".contains("node d has type Delay") && "\($0)".contains("CubaLIF"), "\($0)")
        }
        // A recurrent layer: lif → rec → lif.
        let threshold = NIRArray(repeating: 1, shape: [2])
        graph.nodes += [
            ("lif", .lif(tau: threshold, r: threshold, vLeak: threshold, vThreshold: threshold, vReset: threshold)),
            ("rec", .linear(weight: NIRArray(repeating: 1, shape: [2, 2]))),
        ]
        graph.edges = [("input", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "output")]
        XCTAssertThrowsError(try NIRNetwork(graph, dt: 1)) {
            XCTAssertTrue("\($0)".contains("node lif has 2 incoming edges") && "\($0)".contains("recurrent"), "\($0)")
        }
    }
}
