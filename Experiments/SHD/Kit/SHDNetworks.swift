import Datasets
import EventSim
import Foundation
import NN
import Neurons
import TensorRuntime

/// A network the SHD experiment trains: the paper's event-driven one (exact gradients) or the
/// discrete-time comparison (surrogate gradients).
protocol SHDNetwork: ParameterTree {
    /// The batch `indices` of `data`: its loss (differentiable in the parameters), predictions
    /// and activity.
    func forward(_ indices: [Int], of data: EncodedSpikes) throws -> BatchOutcome
}

/// What one forward pass of a batch gives the training loop and the evaluation.
struct BatchOutcome {
    var loss: Tensor
    var predictions: [Int]
    /// Per hidden layer and neuron: spikes over the batch (output neurons of a first-spike
    /// readout may stay silent by design, so they are not counted).
    var spikesPerNeuron: [[Int]]
    /// Mean number of simulated events per sample (0 for the discrete-time network).
    var eventsPerSample: Double
}

/// The paper's network: dense feed-forward layers of exact LIF or QIF neurons simulated event
/// by event, weights in Float64 (the simulation's precision) so checkpoints hold exactly what
/// was trained.
final class EventSHDNetwork: SHDNetwork {
    let weights: [Parameter]
    var isTraining = true
    let config: EventModelConfig
    let duration: Double
    private let simulate: @Sendable ([Tensor], [SpikeTrain]) throws -> EventNetworkOutput
    private let rasterOf: @Sendable ([Tensor], SpikeTrain) throws -> [NetworkSpike]

    /// - Parameter sizes: [inputs, hidden…, classes].
    init(neuron name: String, sizes: [Int], config: EventModelConfig, duration: Double, seed: Int) throws {
        var neuron = try EventNeuronRegistry.neuron(named: name, tau: config.tau)
        if var qif = neuron as? ExactQIF, let reset = QIFReset(rawValue: config.qifReset) {
            qif.reset = reset
            neuron = qif
        }
        let networkConfig = EventNetworkConfig(
            layerSizes: sizes, duration: duration, eventBudget: config.eventBudget, outputSlots: 1,
            pseudospikes: config.pseudospikes, pseudoRate: PseudoRate(rawValue: config.pseudoRate) ?? .phase,
            readoutTau: config.readoutTau)
        (simulate, rasterOf) = Self.simulator(neuron, networkConfig)
        var rng = SeededRNG(seed: UInt64(seed))
        weights = (1..<sizes.count).map { l in
            let bound = 1 / Double(sizes[l - 1]).squareRoot()
            return Parameter(
                Tensor.uniform(
                    [sizes[l - 1], sizes[l]], low: (config.weightMean - config.weightScale) * bound,
                    high: (config.weightMean + config.weightScale) * bound, dtype: .float64, using: &rng))
        }
        self.config = config
        self.duration = duration
    }

    /// Opens the neuron existential once, so the simulation runs specialised for its type.
    private static func simulator<N: EventDrivenNeuron>(_ neuron: N, _ config: EventNetworkConfig) -> (
        @Sendable ([Tensor], [SpikeTrain]) throws -> EventNetworkOutput,
        @Sendable ([Tensor], SpikeTrain) throws -> [NetworkSpike]
    ) {
        let network = EventNetwork(neuron: neuron, config: config)
        return (
            { weights, inputs in try network(weights: weights, inputs: inputs) },
            { weights, input in try network.spikeRaster(weights: weights, input: input) }
        )
    }

    var localParameters: [(name: String, parameter: Parameter)] {
        weights.enumerated().map { ("layer\($0.offset + 1).weight", $0.element) }
    }

    /// The simulation of `inputs` with these weights (or `override`n ones, for landscapes).
    func simulate(_ inputs: [SpikeTrain], weights override: [Tensor]? = nil) throws -> EventNetworkOutput {
        try simulate(override ?? weights.map(\.value), inputs)
    }

    /// Every network spike of one sample, in time order.
    func raster(_ input: SpikeTrain, weights: [Tensor]) throws -> [NetworkSpike] {
        try rasterOf(weights, input)
    }

    func forward(_ indices: [Int], of data: EncodedSpikes) throws -> BatchOutcome {
        try outcome(of: simulate(indices.map { data.inputs[$0] }), labels: indices.map { data.labels[$0] })
    }

    /// The loss and predictions of a simulated batch under the configured readout.
    func outcome(of output: EventNetworkOutput, labels: [Int]) -> BatchOutcome {
        let loss: Tensor
        let predictions: [Int]
        if config.readout == "leaky_max" {
            loss = crossEntropy(logits: output.leakyLogits, labels: labels)
            predictions = EventLosses.maximumPrediction(output.leakyLogits)
        } else {
            loss = EventLosses.firstSpikeCrossEntropy(
                spikeTimes: output.spikeTimes, labels: labels, gamma: config.gamma, duration: duration)
            predictions = EventLosses.firstSpikePrediction(output.spikeTimes)
        }
        return BatchOutcome(
            loss: loss, predictions: predictions, spikesPerNeuron: Array(output.statistics.spikesPerNeuron.dropLast()),
            eventsPerSample: output.statistics.meanEventsPerSample)
    }
}

/// The comparison row in discrete time (binned recording, fused neuron engine, surrogate
/// gradients): linear → spiking neurons per hidden layer, then a linear non-spiking leaky
/// readout whose maximum over time is the logits — the plain surrogate-gradient SHD network
/// (`Benchmarks/peers/shd_sg_baseline.py` is the same network in PyTorch). Linear layers start
/// from PyTorch's default U(±1/√fan_in).
final class DiscreteSHDNetwork: SHDNetwork {
    let layers: [(linear: Linear, neurons: SpikingNeurons)]
    let readout: Linear
    let readoutDecay: Tensor
    let timesteps: Int
    let frameMode: SpikeBinning.Mode
    var isTraining = true

    /// - Parameter sizes: [inputs, hidden…, classes].
    init(neuron name: String, sizes: [Int], config: DiscreteModelConfig, seed: Int) throws {
        var rng = SeededRNG(seed: UInt64(seed))
        // The config's validation admits only registered surrogate names.
        let surrogate = SurrogateFamily(rawValue: config.surrogate)!
        let options = EngineOptions(surrogate: surrogate, detachReset: config.detachReset)
        let configuration = config.pluginConfiguration(name)
        layers = try (1..<(sizes.count - 1)).map { l in
            (
                Linear(inFeatures: sizes[l - 1], outFeatures: sizes[l], rng: &rng),
                try SpikingNeurons(
                    neuron: name, configuration: configuration, options: options, sharpness: .fixed(config.sharpness))
            )
        }
        readout = Linear(inFeatures: sizes[sizes.count - 2], outFeatures: sizes.last!, rng: &rng)
        readoutDecay = Tensor(shape: [1], values: [config.readoutDecay], dtype: .float32)
        timesteps = config.timesteps
        frameMode = config.frames == "binary" ? .binary : .counts
    }

    var children: [(name: String, module: any Module)] {
        layers.enumerated().flatMap { index, layer -> [(name: String, module: any Module)] in
            [("linear\(index + 1)", layer.linear), ("neurons\(index + 1)", layer.neurons)]
        } + [("readout", readout)]
    }

    func forward(_ indices: [Int], of data: EncodedSpikes) throws -> BatchOutcome {
        var activity = try data.frames(indices, timesteps: timesteps, mode: frameMode)
        var spikes: [[Int]] = []
        for layer in layers {
            activity = layer.neurons(layer.linear(activity))
            // [T, B, N] → spikes per neuron over time and batch.
            spikes.append(activity.detached().sum(axes: [0, 1]).doubles.map { Int($0.rounded()) })
        }
        let logits = Tensor.leakyIntegrate(readout(activity), decay: readoutDecay).max(axes: [0])
        let labels = indices.map { data.labels[$0] }
        return BatchOutcome(
            loss: crossEntropy(logits: logits, labels: labels), predictions: logits.argmax(axis: 1),
            spikesPerNeuron: spikes, eventsPerSample: 0)
    }
}
