import ExperimentKit
import Foundation
import NN
import Registry
import TensorRuntime

/// One training run of paper 1's protocol: train on the training split, select nothing on the
/// test set (validation metrics every epoch; test metrics only after the last epoch, for the
/// report), and record accuracy, loss, event counts and silent neurons per epoch.
public final class SHDTraining: Experiment {
    public typealias Config = SHDConfig

    public let config: SHDConfig
    let data: SHDData
    let network: any SHDNetwork
    public let optimizer: any Optimizer

    public var model: any ParameterTree { network }
    public var epochs: Int { config.training.epochs }
    public var neuron: String? { config.neuron }
    public var dataFiles: [URL] { data.sources.map { URL(fileURLWithPath: $0) } }

    public init(config: SHDConfig, context: ExperimentContext) throws {
        self.config = config
        data = try SHDData.load(
            config.data, discrete: config.isEventDriven ? nil : config.discrete, seed: config.seed,
            dataDirectory: context.dataDirectory)
        guard data.train.count > 0, data.validation.count > 0 else {
            throw SHDError.invalidData(
                "\(data.sources[0]): \(data.train.count) training and \(data.validation.count) validation samples after the split; need at least one of each"
            )
        }
        if config.isEventDriven {
            network = try EventSHDNetwork(
                neuron: config.neuron, sizes: [data.inputs] + config.model.hidden + [data.classes],
                config: config.model, duration: config.data.duration, seed: config.seed)
        } else {
            // Discrete time bins the recording itself, so its input is the (pooled) channels
            // whichever spike encoding the event-driven models use.
            network = try DiscreteSHDNetwork(
                neuron: config.neuron, sizes: [data.train.frameChannels] + config.discrete.hidden + [data.classes],
                config: config.discrete, seed: config.seed)
        }
        let parameters = network.parameters()
        let rate = Self.baseLearningRate(config)
        switch config.isEventDriven ? config.training.optimizer : config.discrete.optimizer {
        case "adam": optimizer = Adam(parameters, learningRate: rate)
        default: optimizer = AdaBelief(parameters, learningRate: rate)
        }
    }

    /// The exact models' `training.learningRate`, or the discrete row's own.
    static func baseLearningRate(_ config: SHDConfig) -> Double {
        config.isEventDriven ? config.training.learningRate : config.discrete.learningRate
    }

    /// The rate of `epoch`: divided by e every `decayEvery` epochs, as in the predecessor paper.
    func learningRate(epoch: Int) -> Double {
        let decays = config.training.decayEvery > 0 ? (epoch - 1) / config.training.decayEvery : 0
        return Self.baseLearningRate(config) * exp(-Double(decays))
    }

    public func trainEpoch(_ epoch: Int, progress: EpochProgress) throws -> [MetricPoint] {
        optimizer.learningRate = learningRate(epoch: epoch)
        // The order depends on (seed, epoch) only, so a resumed run repeats an uninterrupted one.
        var rng = SeededRNG(seed: UInt64(config.seed)).stream(epoch)
        let batches = SampleBatches(shuffling: Array(0..<data.train.count), size: config.training.batchSize, rng: &rng)
        progress.expectedSteps = batches.count
        var tally = ActivityTally()
        for batch in batches {
            optimizer.zeroGrad()
            let outcome = try network.forward(batch, of: data.train)
            outcome.loss.backward()
            optimizer.step()
            let loss = outcome.loss.item
            tally.add(outcome, labels: batch.map { data.train.labels[$0] }, loss: loss)
            try progress.completedStep(["loss": loss])
        }
        return tally.metrics(split: "train") + [
            MetricPoint(split: "train", name: "learning_rate", value: optimizer.learningRate)
        ]
    }

    public func evaluate(_ epoch: Int) throws -> [MetricPoint] {
        var metrics = try measure(data.validation).metrics(split: "val")
        if epoch == epochs { metrics += try measure(data.test).metrics(split: "test") }
        return metrics
    }

    /// Loss, accuracy and activity on a whole sample set, without gradients.
    func measure(_ samples: EncodedSpikes) throws -> ActivityTally {
        try Tape.withoutGradient {
            var tally = ActivityTally()
            for batch in SampleBatches(Array(0..<samples.count), size: config.training.batchSize) {
                let outcome = try network.forward(batch, of: samples)
                tally.add(outcome, labels: batch.map { samples.labels[$0] }, loss: outcome.loss.item)
            }
            return tally
        }
    }
}

/// Sums a pass over a sample set: loss and accuracy, events, and which hidden neurons ever
/// spiked. A neuron that spiked on no sample of the whole set counts as silent, the paper's
/// "permanently silent" neurons when the set is the validation set.
struct ActivityTally {
    var samples = 0
    var correct = 0
    var weightedLoss = 0.0
    var events = 0.0
    /// Per hidden layer and neuron: spikes so far.
    var spikes: [[Int]] = []

    mutating func add(_ outcome: BatchOutcome, labels: [Int], loss: Double) {
        samples += labels.count
        correct += zip(outcome.predictions, labels).filter { $0 == $1 }.count
        weightedLoss += loss * Double(labels.count)
        events += outcome.eventsPerSample * Double(labels.count)
        if spikes.isEmpty {
            spikes = outcome.spikesPerNeuron
        } else {
            for l in spikes.indices { for n in spikes[l].indices { spikes[l][n] += outcome.spikesPerNeuron[l][n] } }
        }
    }

    func metrics(split: String) -> [MetricPoint] {
        let n = Double(max(samples, 1))
        var points = [
            MetricPoint(split: split, name: "loss", value: weightedLoss / n),
            MetricPoint(split: split, name: "accuracy", value: Double(correct) / n),
            MetricPoint(split: split, name: "events_per_sample", value: events / n),
        ]
        let silent = spikes.flatMap { $0 }.filter { $0 == 0 }.count
        let total = spikes.reduce(0) { $0 + $1.count }
        points.append(
            MetricPoint(split: split, name: "silent_fraction", value: total > 0 ? Double(silent) / Double(total) : 0))
        for (index, layer) in spikes.enumerated() {
            points.append(
                MetricPoint(
                    split: split, name: "silent_fraction_layer\(index + 1)",
                    value: Double(layer.filter { $0 == 0 }.count) / Double(max(layer.count, 1))))
            points.append(
                MetricPoint(
                    split: split, name: "spikes_per_sample_layer\(index + 1)", value: Double(layer.reduce(0, +)) / n))
        }
        return points
    }
}
