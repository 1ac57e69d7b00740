import NN
import Neurons
import TensorRuntime
import TestSupport
import XCTest

/// Layers and losses around the engine: sparse input, leaky readout, PNB loss, learnable
/// parameters and sharpness, plugin variants, and learning a temporal task with every plugin.
final class NeuronLayerTests: XCTestCase {
    private func uniform(
        _ shape: [Int], seed: UInt64, _ low: Double = -1, _ high: Double = 1,
        dtype: DType = .float64
    ) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor.uniform(shape, low: low, high: high, dtype: dtype, using: &rng)
    }

    func testSparseSpikeLinearMatchesDenseAndHasExactGradients() {
        var rng = SeededRNG(seed: 1)
        // Sparse, with non-binary values too.
        let spikes = Tensor.bernoulli([6, 2, 30], p: 0.05, dtype: .float64, using: &rng) * 2
        for threshold in [0.0, 1.0] {  // dense path, sparse path
            var initRNG = SeededRNG(seed: 2)
            let layer = SparseSpikeLinear(
                inFeatures: 30, outFeatures: 5, denseThreshold: threshold, dtype: .float64, rng: &initRNG)
            let dense = Tensor.matmul(spikes.reshaped([-1, 30]), layer.weight.value) + layer.bias!.value
            XCTAssertEqual(layer(spikes).reshaped([-1, 5]).doubles, dense.doubles, "threshold \(threshold)")
            let report = GradientCheck.check([spikes, layer.weight.value, layer.bias!.value]) { v in
                let y = Tensor.sparseInputMatmul(v[0].reshaped([-1, 30]), v[1], denseThreshold: threshold) + v[2]
                return GradientCheck.weightedSum(y)
            }
            XCTAssertLessThan(report.maxError, 1e-8, "threshold \(threshold): \(report)")
        }
    }

    func testLeakyIntegratorValuesAndGradients() {
        let x = Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6], dtype: .float64)
        let m = Tensor.leakyIntegrate(x, decay: Tensor(shape: [1], values: [0.5], dtype: .float64))
        XCTAssertEqual(m.doubles, [1, 2, 3.5, 5, 6.75, 8.5])
        let report = GradientCheck.check([
            uniform([5, 3], seed: 3), Tensor(shape: [1], values: [0.7], dtype: .float64),
        ]) {
            GradientCheck.weightedSum(Tensor.leakyIntegrate($0[0], decay: $0[1]))
        }
        XCTAssertLessThan(report.maxError, 1e-7, "\(report)")
    }

    /// The fused readout equals leakyIntegrate followed by max over time, in value and gradient,
    /// with a learnable or a constant decay.
    func testLeakyIntegrateMaxMatchesTheComposition() {
        let x = uniform([8, 3, 4], seed: 12)
        for learnsDecay in [true, false] {
            var decay = Tensor(shape: [1], values: [0.7], dtype: .float64)
            if learnsDecay { decay = decay.requiringGrad() }
            let input = x.requiringGrad()
            let fused = Tensor.leakyIntegrateMax(input, decay: decay)
            let composed = Tensor.leakyIntegrate(input, decay: decay).max(axes: [0])
            XCTAssertEqual(fused.doubles, composed.doubles)
            let seed = uniform([3, 4], seed: 13)
            fused.backward(seed: seed)
            let (fusedInput, fusedDecay) = (input.grad!.doubles, decay.grad?.doubles)
            input.zeroGrad()
            decay.zeroGrad()
            composed.backward(seed: seed)
            assertClose(fusedInput, input.grad!.doubles, tolerance: 1e-12)
            if learnsDecay { assertClose(fusedDecay!, decay.grad!.doubles, tolerance: 1e-12) }
        }
        let report = GradientCheck.check([
            uniform([6, 5], seed: 14), Tensor(shape: [1], values: [0.6], dtype: .float64),
        ]) {
            GradientCheck.weightedSum(Tensor.leakyIntegrateMax($0[0], decay: $0[1]))
        }
        XCTAssertLessThan(report.maxError, 1e-7, "\(report)")
    }

    func testBalancedPotentialLoss() {
        let h = Tensor(shape: [4], values: [2, -1, 0.5, -3], dtype: .float64)
        // mean(relu(h)) = 2.5/4, mean(relu(−h)) = 4/4.
        XCTAssertEqual(BalancedPotentialLoss.loss([h]).item, Foundation.pow(2.5 / 4 - 1, 2), accuracy: 1e-12)
        let report = GradientCheck.check([uniform([3, 4], seed: 4), uniform([2, 5], seed: 5)]) {
            BalancedPotentialLoss.loss([$0[0], $0[1]])
        }
        XCTAssertLessThan(report.maxError, 1e-7, "\(report)")
    }

    /// Learnable neuron parameters and per-step sharpness get exact gradients through the layer's
    /// reparametrisation (σ for the decay, softplus for threshold and sharpness).
    func testLayerParameterGradientsThroughReparametrisation() throws {
        let layer = try SpikingNeurons(
            neuron: "lif", configuration: ["learnDecay": true, "learnThreshold": true],
            options: EngineOptions(surrogate: .sigmoid, smoothForward: true),
            sharpness: .learnablePerStep([2, 3, 2.5, 4]),
            dtype: .float64)
        let parameters = layer.parameters()
        XCTAssertEqual(layer.namedParameters().map(\.name), ["decay", "threshold", "sharpness"])
        let input = uniform([4, 3], seed: 6, -0.5, 1.5)
        let report = GradientCheck.check([input] + parameters.map(\.value)) { v in
            for (p, value) in zip(parameters, v.dropFirst()) { p.value = value }
            return GradientCheck.weightedSum(layer(v[0]))
        }
        XCTAssertLessThan(report.maxError, 1e-6, "\(report)")
    }

    func testPluginVariantsHaveExactGradients() throws {
        let variants: [(String, [String: Any])] = [
            ("lif", ["reset": "soft"]), ("dqif", ["softReset": true]),
            ("cf", ["variant": "positive-only"]), ("cf", ["variant": "multi-spike", "maxSpikes": 3]),
        ]
        for (name, configuration) in variants {
            let engine = try NeuronRegistry.dynamics(named: name, configuration: configuration)
            let p = Tensor(shape: [engine.parameterNames.count], values: engine.initialParameters, dtype: .float64)
            let report = GradientCheck.check([uniform([5, 3], seed: 7, -2, 4), p]) { v in
                let out = engine.run(
                    v[0], parameters: v[1], sharpness: Tensor.full([5], value: 2, dtype: .float64),
                    initialState: nil, options: EngineOptions(smoothForward: true),
                    exposePotentials: false, returnFinalState: false)
                return GradientCheck.weightedSum(out.spikes)
            }
            XCTAssertLessThan(report.maxError, 1e-6, "\(name) \(configuration): \(report)")
        }
    }

    /// The engine compiles a plugin's default configuration with its settings as constants (so
    /// the branches on them fold) and any other with its settings as values (the branches become
    /// selects). A configuration that differs from the default only in a setting the maps ignore
    /// runs the general loops; both must give the same spikes, potentials and gradients.
    func testDefaultConfigurationLoopsMatchTheGeneralOnes() throws {
        let cases: [(String, [String: Any], parameters: [Double])] = [
            ("cf", ["maxSpikes": 7], [0.5, 1]), ("lif", ["learnDecay": true], [0.5, 1]),
            ("cuba-lif", ["learnThreshold": true], [0.9, 0.8, 1]),
        ]
        for (name, configuration, parameters) in cases {
            let folded = try NeuronRegistry.dynamics(named: name)
            let general = try NeuronRegistry.dynamics(named: name, configuration: configuration)
            let input = uniform([4, 3, 37], seed: 21, -2.5, 2.5, dtype: .float32)
            let seed = uniform([4, 3, 37], seed: 22, -1, 1, dtype: .float32)
            func run(_ engine: any SpikingDynamics) -> [[Double]] {
                let x = input.requiringGrad()
                let out = engine.run(
                    x, parameters: Tensor(shape: [parameters.count], values: parameters, dtype: .float32),
                    sharpness: Tensor.full([4], value: 4), initialState: nil, options: EngineOptions(),
                    exposePotentials: true, returnFinalState: false)
                out.spikes.backward(seed: seed)
                return [out.spikes.doubles, out.potentials!.doubles, x.grad!.doubles]
            }
            let (a, b) = (run(folded), run(general))
            XCTAssertEqual(a[0], b[0], name)
            XCTAssertEqual(a[1], b[1], name)
            for (u, v) in zip(a[2], b[2]) { XCTAssertEqual(u, v, accuracy: 1e-6, name) }
        }
    }

    func testMultiSpikeCountsAndBipolarSigns() throws {
        let engine = try NeuronRegistry.dynamics(
            named: "cf", configuration: ["variant": "multi-spike", "maxSpikes": 3])
        let input = Tensor(shape: [1, 5], values: [0.5, 1, 2.5, -1.2, 9], dtype: .float32)
        let out = engine.run(
            input, parameters: Tensor(shape: [2], values: [0.5, 1], dtype: .float32),
            sharpness: Tensor.full([1], value: 4), initialState: nil, options: EngineOptions(),
            exposePotentials: false, returnFinalState: true)
        XCTAssertEqual(out.spikes.doubles, [0, 1, 2, -1, 3])
        assertClose(out.finalState!.doubles, [0.5, 0, 0.5, -0.2, 6], tolerance: 1e-6)
    }

    /// The single-step API (recurrent use) reproduces the multi-step run, per-step sharpness included.
    func testSingleStepAPIMatchesTheMultiStepRun() throws {
        let layer = try SpikingNeurons(neuron: "lif", sharpness: .learnablePerStep([2, 3, 4]))
        let input = uniform([3, 4, 5], seed: 12, -1, 3, dtype: .float32)
        let all = layer(input)
        var state: Tensor?
        var spikes: [Tensor] = []
        for t in 0..<3 {
            let (s, next) = layer.step(input.select(axis: 0, index: t), state: state, at: t)
            spikes.append(s)
            state = next
        }
        XCTAssertEqual(Tensor.stack(spikes).floats, all.floats)
    }

    /// Recurrent weights get exact gradients through the step-by-step loop.
    func testRecurrentLayerGradients() throws {
        var rng = SeededRNG(seed: 13)
        let neurons = try SpikingNeurons(
            neuron: "lif", options: EngineOptions(smoothForward: true), sharpness: .fixed(2),
            dtype: .float64)
        let layer = RecurrentSpikingNeurons(neurons, features: 3, dtype: .float64, rng: &rng)
        let input = uniform([4, 2, 3], seed: 14, -0.5, 1.5)
        let report = GradientCheck.check([input, layer.recurrentWeight.value]) { v in
            layer.recurrentWeight.value = v[1]
            return GradientCheck.weightedSum(layer(v[0]))
        }
        XCTAssertLessThan(report.maxError, 1e-6, "\(report)")
    }

    func testConfigurationErrorsNameTheField() {
        XCTAssertThrowsError(try NeuronRegistry.dynamics(named: "lif", configuration: ["decay": "fast"])) { error in
            XCTAssertTrue("\(error)".contains("field 'decay'"), "\(error)")
        }
        XCTAssertThrowsError(try NeuronRegistry.dynamics(named: "cf", configuration: ["variant": "tripolar"])) {
            error in
            XCTAssertTrue("\(error)".contains("variant"), "\(error)")
        }
    }

    /// A temporal task: two classes of input spike trains that differ only in timing (channels
    /// fire early or late). A Linear → spiking → Linear → leaky readout network with each plugin
    /// must learn it well above chance.
    func testEveryPluginLearnsATemporalTask() throws {
        let steps = 12
        let channels = 16
        let samples = 64
        var rng = SeededRNG(seed: 8)
        var values = [Double](repeating: 0, count: steps * samples * channels)
        var labels: [Int] = []
        for b in 0..<samples {
            let label = b % 2
            labels.append(label)
            for c in 0..<channels {
                // Class 0: channel c fires around step c/2; class 1: the reverse order.
                let center = label == 0 ? c * (steps - 1) / channels : (channels - 1 - c) * (steps - 1) / channels
                let t = min(steps - 1, max(0, center + Int(rng.nextUnit() * 3) - 1))
                values[(t * samples + b) * channels + c] = 1
            }
        }
        let input = Tensor(shape: [steps, samples, channels], values: values, dtype: .float32)
        for name in NeuronRegistry.names {
            var initRNG = SeededRNG(seed: 9)
            let hidden = Linear(inFeatures: channels, outFeatures: 32, weightInit: .uniform(k: 3), rng: &initRNG)
            let neurons = try SpikingNeurons(neuron: name, sharpness: .fixed(4))
            let readout = Linear(inFeatures: 32, outFeatures: 2, rng: &initRNG)
            let optimizer = Adam(hidden.parameters() + neurons.parameters() + readout.parameters(), learningRate: 0.01)
            func logits() -> Tensor {
                let membrane = Tensor.leakyIntegrate(
                    readout(neurons(hidden(input))), decay: Tensor(shape: [1], values: [0.8], dtype: .float32))
                return membrane.max(axes: [0])
            }
            for _ in 0..<150 {
                optimizer.zeroGrad()
                crossEntropy(logits: logits(), labels: labels).backward()
                optimizer.step()
            }
            let trained = Tape.withoutGradient { accuracy(logits: logits(), labels: labels) }
            XCTAssertGreaterThan(trained, 0.9, "\(name) reached only \(trained) on the temporal task")
        }
    }

    /// The time-step-wise learnable surrogate's sharpness moves during training.
    func testLearnableSharpnessChangesDuringTraining() throws {
        var rng = SeededRNG(seed: 10)
        let input = Tensor.normal([4, 32, 8], using: &rng)
        let labels = (0..<32).map { $0 % 2 }
        var initRNG = SeededRNG(seed: 11)
        let hidden = Linear(inFeatures: 8, outFeatures: 16, rng: &initRNG)
        let neurons = try SpikingNeurons(neuron: "cf", sharpness: .learnablePerStep([4, 4, 4, 4]))
        let readout = Linear(inFeatures: 16, outFeatures: 2, rng: &initRNG)
        let optimizer = Adam(hidden.parameters() + neurons.parameters() + readout.parameters(), learningRate: 0.05)
        let before = neurons.sharpnessVector(steps: 4).doubles
        for _ in 0..<10 {
            optimizer.zeroGrad()
            crossEntropy(logits: readout(neurons(hidden(input))).mean(axes: [0]), labels: labels).backward()
            optimizer.step()
        }
        let after = neurons.sharpnessVector(steps: 4).doubles
        assertClose(before, [4, 4, 4, 4], tolerance: 1e-5)
        for t in 0..<4 {
            XCTAssertGreaterThan(Swift.abs(after[t] - before[t]), 1e-3, "α at step \(t) did not move: \(after)")
        }
        XCTAssertNotEqual(Set(after.map { ($0 * 1e4).rounded() }).count, 1, "steps should learn different α: \(after)")
    }
}
