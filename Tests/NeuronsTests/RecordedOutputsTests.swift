import Foundation
import Neurons
import TensorRuntime
import XCTest

/// The toolkit's original plugins must keep their exact outputs across changes to the protocol
/// and the engine: spikes, potentials, final state and every gradient (input, parameters,
/// sharpness, initial state) of a small fixed case, in both precisions, for each plugin's default
/// and variant configurations, compared bit for bit with values recorded from the engine of
/// commit a7aca41 (before multi-variable state). `RecordedNeuronOutputs.swift` holds them;
/// `RECORD_NEURON_OUTPUTS=1` prints the table again (only for deliberate changes of behaviour).
final class RecordedOutputsTests: XCTestCase {
    struct Case {
        let label: String, neuron: String, configuration: [String: Any]
        let surrogate: SurrogateFamily, detachReset: Bool, initialState: Bool
    }

    static var cases: [Case] {
        [
            Case(
                label: "lif", neuron: "lif", configuration: [:], surrogate: .sigmoid, detachReset: false,
                initialState: false),
            Case(
                label: "lif-soft-learn", neuron: "lif",
                configuration: ["reset": "soft", "learnDecay": true, "learnThreshold": true],
                surrogate: .atan, detachReset: false, initialState: true),
            Case(
                label: "lif-reset-potential", neuron: "lif", configuration: ["resetPotential": -0.2],
                surrogate: .triangle, detachReset: true, initialState: false),
            Case(
                label: "dqif", neuron: "dqif", configuration: [:], surrogate: .fastSigmoid, detachReset: false,
                initialState: false),
            Case(
                label: "dqif-soft", neuron: "dqif", configuration: ["softReset": true], surrogate: .sigmoid,
                detachReset: false, initialState: true),
            Case(
                label: "cf", neuron: "cf", configuration: [:], surrogate: .atan, detachReset: false, initialState: false
            ),
            Case(
                label: "cf-positive-only", neuron: "cf", configuration: ["variant": "positive-only"],
                surrogate: .rectangular, detachReset: false, initialState: false),
            Case(
                label: "cf-multi-spike", neuron: "cf", configuration: ["variant": "multi-spike", "maxSpikes": 3],
                surrogate: .sigmoid, detachReset: false, initialState: true),
        ]
    }

    /// Every output of one case as bit patterns of its values (Float32 values widened exactly).
    static func outputs(_ c: Case, dtype: DType) throws -> [UInt64] {
        let engine = try NeuronRegistry.dynamics(named: c.neuron, configuration: c.configuration)
        var rng = SeededRNG(seed: 41)
        let input = Tensor.uniform([5, 6], low: -1.5, high: 3, dtype: dtype, using: &rng)
        let initial = Tensor.uniform([6], low: -0.3, high: 0.6, dtype: dtype, using: &rng)
        let options = EngineOptions(surrogate: c.surrogate, detachReset: c.detachReset)
        var values: [Double] = []
        for accumulate in [true, false] {
            let x = input.requiringGrad()
            var p = Tensor(shape: [engine.parameterNames.count], values: engine.initialParameters, dtype: dtype)
            var alpha = Tensor(shape: [5], values: [2, 3, 4, 2.5, 5], dtype: dtype)
            if accumulate { (p, alpha) = (p.requiringGrad(), alpha.requiringGrad()) }
            let u0 = c.initialState ? initial.requiringGrad() : nil
            let out = engine.run(
                x, parameters: p, sharpness: alpha, initialState: u0, options: options,
                exposePotentials: true, returnFinalState: true)
            (GradientCheck.weightedSum(out.spikes) + GradientCheck.weightedSum(out.potentials!) * 0.5
                + GradientCheck.weightedSum(out.finalState!) * 0.3).backward()
            values += out.spikes.doubles + out.potentials!.doubles + out.finalState!.doubles + x.grad!.doubles
            if accumulate { values += p.grad!.doubles + alpha.grad!.doubles }
            if let u0 { values += u0.grad!.doubles }
        }
        return values.map(\.bitPattern)
    }

    func testOriginalPluginsReproduceTheirRecordedOutputs() throws {
        if ProcessInfo.processInfo.environment["RECORD_NEURON_OUTPUTS"] != nil {
            var lines = ["let recordedNeuronOutputs: [String: [UInt64]] = ["]
            for c in Self.cases {
                for dtype in [DType.float32, .float64] {
                    let bits = try Self.outputs(c, dtype: dtype).map { "0x" + String($0, radix: 16) }
                    lines.append("    \"\(c.label) \(dtype)\": [")
                    for row in stride(from: 0, to: bits.count, by: 5) {
                        lines.append("        " + bits[row..<min(row + 5, bits.count)].joined(separator: ", ") + ",")
                    }
                    lines.append("    ],")
                }
            }
            lines.append("]")
            print(lines.joined(separator: "\n"))
        }
        for c in Self.cases {
            for dtype in [DType.float32, .float64] {
                let key = "\(c.label) \(dtype)"
                let recorded = try XCTUnwrap(recordedNeuronOutputs[key], "nothing recorded for \(key)")
                let actual = try Self.outputs(c, dtype: dtype)
                XCTAssertEqual(actual.count, recorded.count, key)
                for (i, (a, r)) in zip(actual, recorded).enumerated() where a != r {
                    XCTFail("\(key): output \(i) is \(Double(bitPattern: a)), recorded \(Double(bitPattern: r))")
                    break
                }
            }
        }
    }
}
