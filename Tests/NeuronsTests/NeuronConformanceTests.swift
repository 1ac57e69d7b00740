import Neurons
import TensorRuntime
import XCTest

/// The conformance suite: every plugin in `NeuronRegistry` must pass every test here, in its
/// default configuration and in each configuration it declares (`conformanceConfigurations`). A
/// new plugin is enrolled by registering it; nothing in this file names a plugin.
final class NeuronConformanceTests: XCTestCase {
    private let steps = 5

    /// Every plugin in every declared configuration; `neuronName` of each is labelled with it.
    /// With `attachingReset`, a plugin's `detachReset` field is turned off: it drops a gradient
    /// path on purpose, which finite differences cannot follow.
    private func engines(attachingReset: Bool = false) throws -> [Labelled] {
        let names = NeuronRegistry.names
        XCTAssertFalse(names.isEmpty, "no plugins registered")
        let detachable = Set(
            NeuronCatalogue.entries.filter { $0.fields.contains { $0.name == "detachReset" } }.map(\.name))
        return try names.flatMap { name in
            try ([nil] + NeuronRegistry.conformanceConfigurations(of: name)).map { configuration in
                var configuration = configuration
                if attachingReset && detachable.contains(name) {
                    configuration = (configuration ?? [:]).merging(["detachReset": false]) { _, attached in attached }
                }
                let engine = try NeuronRegistry.dynamics(named: name, configuration: configuration)
                let label = configuration.map { "\(name) \($0.sorted { $0.key < $1.key })" } ?? name
                return Labelled(engine: engine, neuronName: label)
            }
        }
    }

    /// An engine with its configuration in its name, for failure messages.
    private struct Labelled {
        let engine: any SpikingDynamics
        let neuronName: String
        var parameterNames: [String] { engine.parameterNames }
        var initialParameters: [Double] { engine.initialParameters }
        /// The shape of the state for one step of shape `shape`.
        func stateShape(_ shape: [Int]) -> [Int] {
            (engine.stateNames.count > 1 ? [engine.stateNames.count] : []) + shape
        }

        func run(
            _ input: Tensor, parameters: Tensor, sharpness: Tensor, initialState: Tensor?, options: EngineOptions,
            exposePotentials: Bool, returnFinalState: Bool
        ) -> NeuronOutput {
            engine.run(
                input, parameters: parameters, sharpness: sharpness, initialState: initialState, options: options,
                exposePotentials: exposePotentials, returnFinalState: returnFinalState)
        }
    }

    /// Deterministic inputs in [low, high).
    private func uniform(_ shape: [Int], seed: UInt64, _ low: Double, _ high: Double, dtype: DType = .float64) -> Tensor
    {
        var rng = SeededRNG(seed: seed)
        return Tensor.uniform(shape, low: low, high: high, dtype: dtype, using: &rng)
    }

    private func parameters(_ engine: Labelled, dtype: DType = .float64) -> Tensor {
        Tensor(shape: [engine.parameterNames.count], values: engine.initialParameters, dtype: dtype)
    }

    /// With the smooth forward pass the neuron is a differentiable function of its input,
    /// parameters, per-step sharpness and initial state; the engine's reverse loop must agree with
    /// finite differences for every one of them, through several steps.
    func testGradientsMatchFiniteDifferences() throws {
        for engine in try engines(attachingReset: true) {
            for family in [SurrogateFamily.sigmoid, .atan, .fastSigmoid] {
                do {
                    let options = EngineOptions(surrogate: family, smoothForward: true)
                    let input = uniform([steps, 3], seed: 1, -0.5, 1.5)
                    let sharpness = uniform([steps], seed: 2, 1.5, 3)
                    let initial = uniform(engine.stateShape([3]), seed: 3, -0.2, 0.4)
                    let report = GradientCheck.check([input, parameters(engine), sharpness, initial]) { v in
                        let out = engine.run(
                            v[0], parameters: v[1], sharpness: v[2], initialState: v[3], options: options,
                            exposePotentials: true, returnFinalState: true)
                        return GradientCheck.weightedSum(out.spikes) + GradientCheck.weightedSum(out.potentials!) * 0.5
                            + GradientCheck.weightedSum(out.finalState!) * 0.3
                    }
                    XCTAssertLessThan(report.maxError, 1e-6, "\(engine.neuronName) with \(family): \(report)")
                }
            }
        }
    }

    /// Any [T, …] shape goes in; spikes and potentials come out in the same shape, the state in
    /// the shape of one step. Running the steps one at a time, carrying the state, is the same as
    /// running them all at once.
    func testShapesAndStepwiseStateHandling() throws {
        for engine in try engines() {
            let input = uniform([4, 2, 3, 2, 2], seed: 4, -1, 2, dtype: .float32)
            let options = EngineOptions()
            let sharpness = Tensor.full([4], value: 4)
            let all = engine.run(
                input, parameters: parameters(engine, dtype: .float32), sharpness: sharpness,
                initialState: nil, options: options, exposePotentials: true, returnFinalState: true)
            XCTAssertEqual(all.spikes.shape, input.shape, engine.neuronName)
            XCTAssertEqual(all.potentials?.shape, input.shape, engine.neuronName)
            XCTAssertEqual(all.finalState?.shape, engine.stateShape([2, 3, 2, 2]), engine.neuronName)

            var state: Tensor? = nil
            var spikes: [Tensor] = []
            for t in 0..<4 {
                let step = engine.run(
                    input.slice(axis: 0, start: t, length: 1), parameters: parameters(engine, dtype: .float32),
                    sharpness: sharpness.slice(axis: 0, start: t, length: 1), initialState: state,
                    options: options, exposePotentials: false, returnFinalState: true)
                state = step.finalState
                spikes.append(step.spikes)
            }
            XCTAssertEqual(Tensor.concat(spikes, axis: 0).floats, all.spikes.floats, engine.neuronName)
            XCTAssertEqual(state?.floats, all.finalState?.floats, engine.neuronName)
            XCTAssertNil(all.spikes.grad)
        }
    }

    /// The forward pass emits actual spikes (values from a small discrete set), and with a strong
    /// constant drive every plugin fires at least once.
    func testForwardSpikesAreDiscreteAndStrongInputFires() throws {
        for engine in try engines() {
            let input = Tensor.concat(
                [uniform([6, 50], seed: 5, -3, 3, dtype: .float32), Tensor.full([6, 10], value: 5)],
                axis: 1)
            let out = engine.run(
                input, parameters: parameters(engine, dtype: .float32), sharpness: Tensor.full([6], value: 4),
                initialState: nil, options: EngineOptions(), exposePotentials: false, returnFinalState: false)
            let values = out.spikes.floats
            XCTAssertTrue(values.allSatisfy { $0 == $0.rounded() }, "\(engine.neuronName): non-integer spike values")
            XCTAssertGreaterThan(values.filter { $0 != 0 }.count, 0, "\(engine.neuronName) never fires")
        }
    }

    func testDeterminism() throws {
        for engine in try engines() {
            func run() -> ([Float], [Float]) {
                let input = uniform([8, 64], seed: 6, -1, 2, dtype: .float32).requiringGrad()
                let p = parameters(engine, dtype: .float32).requiringGrad()
                let out = engine.run(
                    input, parameters: p, sharpness: Tensor.full([8], value: 3), initialState: nil,
                    options: EngineOptions(), exposePotentials: false, returnFinalState: false)
                GradientCheck.weightedSum(out.spikes).backward()
                return (out.spikes.floats, input.grad!.floats + p.grad!.floats)
            }
            let (a, b) = (run(), run())
            XCTAssertEqual(a.0, b.0, "\(engine.neuronName): spikes differ between identical runs")
            XCTAssertEqual(a.1, b.1, "\(engine.neuronName): gradients differ between identical runs")
        }
    }

    /// Huge inputs, long runs and every surrogate family: outputs and gradients stay finite.
    func testExtremeInputsStayFinite() throws {
        for engine in try engines() {
            for family in SurrogateFamily.allCases {
                var rng = SeededRNG(seed: 7)
                let input = (Tensor.normal([50, 40], using: &rng) * 1e4).requiringGrad()
                let p = parameters(engine, dtype: .float32).requiringGrad()
                let alpha = Tensor.full([50], value: 5).requiringGrad()
                let out = engine.run(
                    input, parameters: p, sharpness: alpha, initialState: nil,
                    options: EngineOptions(surrogate: family), exposePotentials: true, returnFinalState: true)
                (GradientCheck.weightedSum(out.spikes) + out.potentials!.mean() * 1e-4).backward()
                for (what, values) in [
                    ("spikes", out.spikes.floats), ("input gradient", input.grad!.floats),
                    ("parameter gradient", p.grad!.floats), ("sharpness gradient", alpha.grad!.floats),
                ] {
                    XCTAssertTrue(
                        values.allSatisfy(\.isFinite), "\(engine.neuronName) with \(family): non-finite \(what)")
                }
            }
        }
    }

    func testUnknownNamesAndFieldsAreClearErrors() {
        XCTAssertThrowsError(try NeuronRegistry.dynamics(named: "lifx")) { error in
            XCTAssertTrue("\(error)".contains("unknown neuron 'lifx'"), "\(error)")
            for name in NeuronRegistry.names {
                XCTAssertTrue("\(error)".contains(name), "\(error) should list \(name)")
            }
        }
        for name in NeuronRegistry.names {
            XCTAssertThrowsError(try NeuronRegistry.dynamics(named: name, configuration: ["no_such_field": 1])) {
                error in
                XCTAssertTrue("\(error)".contains("unknown field 'no_such_field'"), "\(error)")
            }
        }
    }
}
