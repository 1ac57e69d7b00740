import Foundation
import Neurons
import TensorRuntime
import TestSupport
import XCTest

/// `lif` configured to SpikingJelly's `LIFNode`, snnTorch's `Leaky` and Norse's `LIFBoxCell`,
/// against references that state each library's update in its own terms (the equations of the
/// libraries' code, see `LIF`), on one multi-step case per reset variant: spikes, membrane
/// potentials, and the surrogate gradient of Σ S·R for a fixed R with respect to every input.
///
/// The references propagate ∂/∂X[k] forward (a value with its gradient over all inputs), with
/// the sigmoid surrogate ∂Θ(z)/∂z := α σ(αz)(1 − σ(αz)) that SpikingJelly's `Sigmoid` uses.
final class LIFTests: XCTestCase {
    /// A value and its gradient with respect to the T inputs.
    struct Dual {
        var value: Double
        var grad: [Double]
        init(_ value: Double, _ grad: [Double]) { (self.value, self.grad) = (value, grad) }
        static func constant(_ value: Double, _ steps: Int) -> Dual { Dual(value, Array(repeating: 0, count: steps)) }
        static func + (a: Dual, b: Dual) -> Dual { Dual(a.value + b.value, zip(a.grad, b.grad).map(+)) }
        static func - (a: Dual, b: Dual) -> Dual { Dual(a.value - b.value, zip(a.grad, b.grad).map(-)) }
        static func * (a: Dual, b: Dual) -> Dual {
            Dual(a.value * b.value, zip(a.grad, b.grad).map { a.value * $1 + b.value * $0 })
        }
        static func * (a: Double, b: Dual) -> Dual { Dual(a * b.value, b.grad.map { a * $0 }) }
        var detached: Dual { Dual(value, grad.map { _ in 0 }) }
    }

    func testIsRegistered() {
        XCTAssertTrue(NeuronRegistry.names.contains(LIF.name))
    }

    /// The defining equations by hand (β = 0.5, θ = 1, u_r = 0): H[t] = β U[t−1] + X[t], a spike
    /// at H ≥ θ, then U = u_r (hard reset) or U = H − θ (soft reset).
    func testStepsByHand() throws {
        let input = [0.8, 0.8, 0.3]
        let hard = try runNeuron("lif", input: input)
        XCTAssertEqual(hard.spikes.doubles, [0, 1, 0])
        assertClose(hard.potentials!.doubles, [0.8, 0.5 * 0.8 + 0.8, 0.5 * 0 + 0.3], tolerance: 1e-12)
        let soft = try runNeuron("lif", ["reset": "soft"], input: input)
        XCTAssertEqual(soft.spikes.doubles, [0, 1, 0])
        let h1 = 0.5 * 0.8 + 0.8
        assertClose(soft.potentials!.doubles, [0.8, h1, 0.5 * (h1 - 1) + 0.3], tolerance: 1e-12)
        assertClose(soft.finalState!.doubles, [0.5 * (h1 - 1) + 0.3], tolerance: 1e-12)
    }

    let alpha = 4.0
    /// Scaled per library so that each case fires several times (SpikingJelly and Norse scale
    /// the input by 1/τ).
    var input: [Double] = [0.6, 1.5, 0.9, -0.4, 1.2, 1.0, 2.5, 0.1]
    let weights: [Double] = [0.5, -1, 2, 1.5, -0.5, 1, 0.7, 3]

    /// Θ(z) forward (Θ(0) = 1 unless strict), sigmoid surrogate backward.
    func spike(_ z: Dual, strict: Bool) -> Dual {
        let s = 1 / (1 + exp(-alpha * z.value))
        let value: Double = strict ? (z.value > 0 ? 1 : 0) : (z.value >= 0 ? 1 : 0)
        return Dual(value, z.grad.map { alpha * s * (1 - s) * $0 })
    }

    func inputs() -> [Dual] {
        input.indices.map { t in Dual(input[t], input.indices.map { $0 == t ? 1 : 0 }) }
    }

    /// Spikes, membrane before firing per step, and ∂(Σ S·R)/∂X from one reference run.
    struct Reference {
        var spikes: [Double], membranes: [Double], gradient: [Double]
    }

    func record(_ spikes: [Dual], _ membranes: [Dual]) -> Reference {
        var loss = Dual.constant(0, input.count)
        for (s, r) in zip(spikes, weights) { loss = loss + r * s }
        return Reference(spikes: spikes.map(\.value), membranes: membranes.map(\.value), gradient: loss.grad)
    }

    /// SpikingJelly `LIFNode(tau, decay_input, v_threshold, v_reset, detach_reset)`, as
    /// `neuronal_charge` and `neuronal_reset` compute it.
    func spikingJelly(tau: Double, decayInput: Bool, threshold: Double, reset: Double?, detachReset: Bool) -> Reference
    {
        let n = input.count
        let vReset = reset ?? 0
        var v = Dual.constant(vReset, n)
        var spikes: [Dual] = []
        var membranes: [Dual] = []
        for x in inputs() {
            let leak = Dual.constant(vReset, n)
            let h = decayInput ? v + (1 / tau) * (x - (v - leak)) : v - (1 / tau) * (v - leak) + x
            let s = spike(h - Dual.constant(threshold, n), strict: false)
            let sr = detachReset ? s.detached : s
            if let reset {
                v = sr * Dual.constant(reset, n) + (Dual.constant(1, n) - sr) * h
            } else {
                v = h - threshold * sr
            }
            spikes.append(s)
            membranes.append(h)
        }
        return record(spikes, membranes)
    }

    /// snnTorch `Leaky(beta, threshold, reset_mechanism)` with `reset_delay`: the reset comes
    /// from the previous membrane, detached; the spike is Θ(U − θ) with Θ(0) = 0.
    func snnTorch(beta: Double, threshold: Double, subtract: Bool) -> Reference {
        let n = input.count
        var mem = Dual.constant(0, n)
        var spikes: [Dual] = []
        var membranes: [Dual] = []
        for x in inputs() {
            let r = mem.value - threshold > 0 ? 1.0 : 0
            if subtract {
                mem = beta * mem + x - Dual.constant(r * threshold, n)
            } else {
                mem = beta * ((1 - r) * mem) + x
            }
            spikes.append(spike(mem - Dual.constant(threshold, n), strict: true))
            membranes.append(mem)
        }
        return record(spikes, membranes)
    }

    /// Norse `lif_box_feed_forward_step` (dt, τ_mem, v_leak, v_th, v_reset).
    func norse(dtOverTau: Double, leak: Double, threshold: Double, reset: Double) -> Reference {
        let n = input.count
        var v = Dual.constant(leak, n)
        var spikes: [Dual] = []
        var membranes: [Dual] = []
        for x in inputs() {
            let decayed = v + dtOverTau * ((Dual.constant(leak, n) - v) + x)
            let z = spike(decayed - Dual.constant(threshold, n), strict: true)
            v = (Dual.constant(1, n) - z.detached) * decayed + Dual.constant(reset, n) * z.detached
            spikes.append(z)
            membranes.append(decayed)
        }
        return record(spikes, membranes)
    }

    /// The engine's run of `lif` configured by `configuration`, in the reference's terms.
    func engine(_ configuration: [String: Any]) throws -> Reference {
        let engine = try NeuronRegistry.dynamics(named: "lif", configuration: configuration)
        let x = Tensor(shape: [input.count, 1], values: input, dtype: .float64).requiringGrad()
        let out = engine.run(
            x, parameters: Tensor(shape: [2], values: engine.initialParameters, dtype: .float64),
            sharpness: Tensor.full([input.count], value: alpha, dtype: .float64), initialState: nil,
            options: EngineOptions(surrogate: .sigmoid), exposePotentials: true, returnFinalState: false)
        (out.spikes * Tensor(shape: [input.count, 1], values: weights, dtype: .float64)).sum().backward()
        return Reference(spikes: out.spikes.doubles, membranes: out.potentials!.doubles, gradient: x.grad!.doubles)
    }

    func assertMatches(
        _ actual: Reference, _ expected: Reference, _ label: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.spikes, expected.spikes, "\(label): spikes", file: file, line: line)
        XCTAssertGreaterThan(
            expected.spikes.filter { $0 == 1 }.count, 1, "\(label): the case must fire", file: file, line: line)
        assertClose(
            actual.membranes, expected.membranes, tolerance: 1e-12, "\(label): membranes", file: file, line: line)
        assertClose(actual.gradient, expected.gradient, tolerance: 1e-12, "\(label): gradient", file: file, line: line)
    }

    func testSpikingJellyResetVariants() throws {
        input = input.map { 2 * $0 }
        for detach in [false, true] {
            assertMatches(
                try engine(["convention": "spikingjelly", "detachReset": detach]),
                spikingJelly(tau: 2, decayInput: true, threshold: 1, reset: 0, detachReset: detach),
                "SpikingJelly hard reset, detach \(detach)")
            assertMatches(
                try engine(["convention": "spikingjelly", "reset": "soft", "detachReset": detach]),
                spikingJelly(tau: 2, decayInput: true, threshold: 1, reset: nil, detachReset: detach),
                "SpikingJelly soft reset, detach \(detach)")
        }
        assertMatches(
            try engine([
                "convention": "spikingjelly", "decay": 0.75, "resetPotential": -0.3,
                "leakPotential": -0.3, "threshold": 0.8,
            ]),
            spikingJelly(tau: 4, decayInput: true, threshold: 0.8, reset: -0.3, detachReset: false),
            "SpikingJelly τ = 4, v_reset = −0.3, θ = 0.8")
        assertMatches(
            try engine([
                "convention": "spikingjelly", "decayInput": false, "resetPotential": -0.3,
                "leakPotential": -0.3,
            ]),
            spikingJelly(tau: 2, decayInput: false, threshold: 1, reset: -0.3, detachReset: false),
            "SpikingJelly without decay_input")
    }

    func testSnnTorchResetVariants() throws {
        assertMatches(
            try engine(["convention": "snntorch", "decay": 0.8]), snnTorch(beta: 0.8, threshold: 1, subtract: true),
            "snnTorch subtract")
        assertMatches(
            try engine(["convention": "snntorch", "decay": 0.8, "reset": "hard"]),
            snnTorch(beta: 0.8, threshold: 1, subtract: false), "snnTorch zero")
        assertMatches(
            try engine(["convention": "snntorch", "decay": 0.9, "threshold": 0.7]),
            snnTorch(beta: 0.9, threshold: 0.7, subtract: true), "snnTorch subtract, θ = 0.7")
    }

    func testNorseLIFBox() throws {
        input = input.map { 6 * $0 }
        assertMatches(
            try engine(["convention": "norse"]), norse(dtOverTau: 0.1, leak: 0, threshold: 1, reset: 0),
            "Norse LIFBoxCell")
        input = [0.6, 1.5, 0.9, -0.4, 1.2, 1.0, 2.5, 0.1].map { 2 * $0 }
        assertMatches(
            try engine(["convention": "norse", "decay": 0.5, "resetPotential": -0.2, "leakPotential": -0.2]),
            norse(dtOverTau: 0.5, leak: -0.2, threshold: 1, reset: -0.2),
            "Norse LIFBoxCell, dt/τ = 0.5, v_leak = v_reset = −0.2")
    }

    /// snnTorch's subtract reset is not this toolkit's soft reset: it acts one step later and
    /// after the decay. On this case the two differ, which is why `delayedReset` exists.
    func testDelayedResetDiffersFromTheImmediateOne() throws {
        let delayed = try engine(["convention": "snntorch", "decay": 0.8])
        let immediate = try engine(["reset": "soft", "decay": 0.8, "strictThreshold": true])
        XCTAssertNotEqual(delayed.spikes, immediate.spikes)
    }

    func testConfigurationErrorsListTheAllowedValues() {
        XCTAssertThrowsError(try NeuronRegistry.dynamics(named: "lif", configuration: ["reset": "subtract"])) { error in
            XCTAssertTrue("\(error)".contains("field 'reset': expected one of hard, soft; got subtract"), "\(error)")
        }
        XCTAssertThrowsError(try NeuronRegistry.dynamics(named: "lif", configuration: ["convention": "brian"])) {
            error in
            XCTAssertTrue(
                "\(error)".contains("field 'convention': expected one of norse, snntorch, spikingjelly; got brian"),
                "\(error)")
        }
        XCTAssertThrowsError(try NeuronRegistry.dynamics(named: "dqif", configuration: ["convention": "norse"])) {
            error in
            XCTAssertTrue("\(error)".contains("has no conventions"), "\(error)")
        }
    }
}
