import Datasets
import ExperimentKit
import Foundation
import NN
import Neurons
import Registry
import TensorRuntime

/// One training run of a spiking image classifier, as both papers' protocols use it: the
/// network and neuron from the config, SGD or Adam with a cosine schedule, TET or mean-output
/// cross-entropy, an optional PNB term. `TrainingLoop` does the rest (registry, checkpoints,
/// NaN stop, resume).
///
/// Metrics per epoch: `train/loss`, `train/accuracy` (and `train/pnb` when the PNB term is on),
/// `val/accuracy` (when a validation split is configured), `test/loss`, `test/accuracy`; the
/// diagnostics the reports plot: `surrogate/layer<l>.step<t>` (α of each layer and step),
/// `potentials/layer<l>.positive` and `.negative` (mean positive and negative potential mass on
/// the first test batch), `potentials/imbalance` (the raw PNB loss Σ_l (positive − negative)² on that
/// batch), `potentials/relativeImbalance` (its relative form, `BalancedPotentialLoss.Form.relative`)
/// and, after the last epoch, `potentials/layer<l>.bin<k>` (the
/// potential histogram, `PotentialHistogram`).
public final class ImageExperiment: Experiment {
    public typealias Config = ImageConfig

    public let config: ImageConfig
    public let network: SpikingNetwork
    public let data: ImageData
    private let trainer: any Optimizer
    private let schedule: CosineAnnealing

    public var model: any ParameterTree { network }
    public var optimizer: any Optimizer { trainer }
    public var epochs: Int { config.training.epochs }
    public var neuron: String? { config.neuron.name }
    /// The tokenizer of the sentence datasets, kept with the run (artifact kind `tokenizer`).
    public var runFiles: [(kind: String, file: URL)] { data.tokenizerFile.map { [("tokenizer", $0)] } ?? [] }
    public var dataFiles: [URL] { data.sources }

    /// Images per evaluation batch: no gradient is kept, so larger than training batches.
    static let evaluationBatch = 100

    public init(config: ImageConfig, context: ExperimentContext) throws {
        self.config = config
        data = try ImageData(
            config: config.data, timesteps: config.timesteps, dataDirectory: context.dataDirectory, text: config.text)
        let neurons = try Self.neuronFactory(config)
        var rng = SeededRNG(seed: UInt64(config.seed))
        network = try SpikingNetwork(
            ImageArchitecture(rawValue: config.model.architecture)!, inputChannels: data.train.channels,
            inputSize: data.train.side, classes: data.classCount, width: config.model.width,
            timesteps: config.timesteps, tdbnAlpha: config.model.tdbnAlpha,
            initialization: ConvolutionInit(rawValue: config.model.initialization)!, neurons: neurons,
            textBlocks: config.text?.blocks ?? 2, textHeads: config.text?.heads ?? SpikingSelfAttention.defaultHeads,
            embedding: data.wordVectors.map {
                Tensor(shape: [$0.values.count / $0.dimension, $0.dimension], values: $0.values, dtype: .float32)
            },
            rng: &rng)
        let named = network.namedParameters()
        let decayed = named.filter { !$0.name.hasSuffix(".sharpness") }.map(\.parameter)
        let undecayed = named.filter { $0.name.hasSuffix(".sharpness") }.map(\.parameter)
        let groups = [ParameterGroup(decayed)] + (undecayed.isEmpty ? [] : [ParameterGroup(undecayed, weightDecay: 0)])
        let training = config.training
        trainer =
            training.optimizer == "adam"
            ? Adam(groups: groups, learningRate: training.learningRate, weightDecay: training.weightDecay)
            : SGD(groups: groups, learningRate: training.learningRate, momentum: 0.9, weightDecay: training.weightDecay)
        let steps = (data.trainIndices.count + training.batchSize - 1) / training.batchSize
        schedule = CosineAnnealing(initial: training.learningRate, totalSteps: steps * training.epochs)
        for layer in network.spikingLayers { layer.recordsPotentials = training.pnbWeight > 0 }
    }

    /// The spiking-layer factory of the config.
    static func neuronFactory(_ config: ImageConfig) throws -> NeuronFactory {
        let dynamics = try neuronDynamics(config.neuron.name, of: config)
        let options = EngineOptions(surrogate: SurrogateFamily(rawValue: config.neuron.surrogate)!)
        let steps = config.timesteps
        let sharpness: SurrogateSharpness
        switch config.neuron.sharpnessMode {
        case "learnable":
            sharpness = .learnablePerStep(Array(repeating: config.neuron.sharpness, count: steps))
        case "analytic":
            sharpness = .perStep(
                DQIFWindow.sharpness(
                    for: try dqif(dynamics), inputStd: config.model.tdbnAlpha, steps: steps,
                    widthPerStd: config.neuron.windowPerStd))
        default:
            sharpness = .fixed(config.neuron.sharpness)
        }
        return NeuronFactory(dynamics: dynamics, options: options, sharpness: sharpness)
    }

    /// Plugin `name` configured by the config's `neuron.parameters.<name>` over its defaults: the
    /// one place an image config's neuron fields are decoded (by the registry, as for every
    /// experiment); a bad field is an error naming it.
    static func neuronDynamics(_ name: String, of config: ImageConfig) throws -> any SpikingDynamics {
        do {
            let fields = config.neuron.parameters[name] ?? [:]
            let configuration =
                fields.isEmpty
                ? nil : try JSONSerialization.jsonObject(with: JSONEncoder().encode(fields)) as? [String: Any]
            return try NeuronRegistry.dynamics(named: name, configuration: configuration)
        } catch {
            throw ImageExperimentError.invalidNeuron("neuron.parameters.\(name): \(error)")
        }
    }

    /// The DQIF plugin behind `dynamics`, whose a, u1, u2 and θ the analytic window needs.
    static func dqif(_ dynamics: any SpikingDynamics) throws -> DQIF {
        guard let engine = dynamics as? FusedNeuronEngine<DQIF> else {
            throw ImageExperimentError.invalidNeuron(
                "neuron.name: the analytic window needs the dqif plugin, got \(dynamics.neuronName)")
        }
        return engine.neuron
    }

    // MARK: Training

    public func trainEpoch(_ epoch: Int, progress: EpochProgress) throws -> [MetricPoint] {
        let batchSize = config.training.batchSize
        // One generator per (seed, epoch) shuffles the epoch and then draws its augmentation.
        var rng = SeededRNG(seed: UInt64(config.seed) &* 1_000_003 &+ UInt64(epoch))
        let batches = SampleBatches(shuffling: data.trainIndices, size: batchSize, rng: &rng)
        let augmentation = CIFARAugmentation(
            padding: config.data.cropPadding, flip: config.data.flip,
            cutout: config.data.cutout > 0 ? config.data.cutout : nil)
        progress.expectedSteps = batches.count
        var lossSum = 0.0
        var pnbSum = 0.0
        var correct = 0.0
        for (index, indices) in batches.enumerated() {
            trainer.learningRate = schedule.learningRate(at: (epoch - 1) * batches.count + index)
            let (inputs, labels) = try data.train.batch(indices, augmentation: augmentation, rng: &rng)
            trainer.zeroGrad()
            let logits = network(inputs)
            var loss = taskLoss(logits, labels)
            var stepMetrics = ["loss": loss.item]
            if config.training.pnbWeight > 0 {
                let form = BalancedPotentialLoss.Form(rawValue: config.training.pnbForm)!
                let pnb = BalancedPotentialLoss.loss(network.spikingLayers, form: form)
                loss = loss + pnb * config.training.pnbWeight
                stepMetrics["pnb"] = pnb.item
                pnbSum += pnb.item * Double(indices.count)
            }
            loss.backward()
            trainer.step()
            lossSum += stepMetrics["loss"]! * Double(indices.count)
            correct += accuracy(logits: logits.mean(axes: [0]), labels: labels) * Double(indices.count)
            try progress.completedStep(stepMetrics)
        }
        let count = Double(batches.order.count)
        var metrics = [
            MetricPoint(split: "train", name: "loss", value: lossSum / count),
            MetricPoint(split: "train", name: "accuracy", value: correct / count),
        ]
        if config.training.pnbWeight > 0 {
            metrics.append(MetricPoint(split: "train", name: "pnb", value: pnbSum / count))
        }
        return metrics + sharpnessMetrics()
    }

    /// The task loss of logits [T, B, classes]: TET, or cross-entropy of the mean over time.
    func taskLoss(_ logits: Tensor, _ labels: [Int]) -> Tensor {
        config.training.loss == "tet"
            ? tetLoss(logits: logits, labels: labels, lambda: config.training.tetLambda)
            : crossEntropy(logits: logits.mean(axes: [0]), labels: labels)
    }

    /// α of every learnable layer and step (nothing for fixed surrogates).
    func sharpnessMetrics() -> [MetricPoint] {
        guard config.neuron.sharpnessMode == "learnable" else { return [] }
        return network.spikingLayers.enumerated().flatMap { layer, neurons in
            neurons.sharpnessVector(steps: config.timesteps).doubles.enumerated().map { step, alpha in
                MetricPoint(split: "surrogate", name: "layer\(layer).step\(step)", value: alpha)
            }
        }
    }

    // MARK: Evaluation

    public func evaluate(_ epoch: Int) throws -> [MetricPoint] {
        try Tape.withoutGradient {
            var metrics: [MetricPoint] = []
            if !data.validationIndices.isEmpty {
                let (_, accuracy) = try measure(data.train, data.validationIndices)
                metrics.append(MetricPoint(split: "val", name: "accuracy", value: accuracy))
            }
            let (loss, accuracy) = try measure(data.test, data.testIndices)
            metrics += [
                MetricPoint(split: "test", name: "loss", value: loss),
                MetricPoint(split: "test", name: "accuracy", value: accuracy),
            ]
            return metrics + (try potentialMetrics(histogram: epoch == epochs))
        }
    }

    /// Mean task loss and accuracy (of the time-averaged output) over `indices`.
    func measure(_ samples: ImageSamples, _ indices: [Int]) throws -> (loss: Double, accuracy: Double) {
        var rng = SeededRNG(seed: 0)
        var lossSum = 0.0
        var correct = 0.0
        for batch in SampleBatches(indices, size: Self.evaluationBatch) {
            let (inputs, labels) = try samples.batch(batch, augmentation: nil, rng: &rng)
            let logits = network(inputs)
            lossSum += taskLoss(logits, labels).item * Double(batch.count)
            correct += accuracy(logits: logits.mean(axes: [0]), labels: labels) * Double(batch.count)
        }
        return (lossSum / Double(indices.count), correct / Double(indices.count))
    }

    /// Positive and negative potential mass per layer on the first test batch, and its
    /// histograms when asked.
    func potentialMetrics(histogram: Bool) throws -> [MetricPoint] {
        let layers = network.spikingLayers
        let recorded = layers.map(\.recordsPotentials)
        for layer in layers { layer.recordsPotentials = true }
        defer { for (layer, flag) in zip(layers, recorded) { layer.recordsPotentials = flag } }
        var rng = SeededRNG(seed: 0)
        let batch = Array(data.testIndices.prefix(Self.evaluationBatch))
        _ = network(try data.test.batch(batch, augmentation: nil, rng: &rng).inputs)
        var metrics: [MetricPoint] = []
        var imbalance = 0.0
        var relativeImbalance = 0.0
        for (index, layer) in layers.enumerated() {
            guard let potentials = layer.lastPotentials else { continue }
            let values = potentials.doubles
            let positive = values.reduce(0) { $0 + max($1, 0) } / Double(values.count)
            let negative = values.reduce(0) { $0 + max(-$1, 0) } / Double(values.count)
            imbalance += (positive - negative) * (positive - negative)
            let relative = (positive - negative) / (positive + negative + BalancedPotentialLoss.scaleFloor)
            relativeImbalance += relative * relative / Double(layers.count)
            metrics += [
                MetricPoint(split: "potentials", name: "layer\(index).positive", value: positive),
                MetricPoint(split: "potentials", name: "layer\(index).negative", value: negative),
            ]
            if histogram {
                metrics += PotentialHistogram.fractions(of: values).enumerated().map { bin, fraction in
                    MetricPoint(
                        split: "potentials", name: PotentialHistogram.metricName(layer: index, bin: bin),
                        value: fraction)
                }
            }
        }
        return metrics + [
            MetricPoint(split: "potentials", name: "imbalance", value: imbalance),
            MetricPoint(split: "potentials", name: "relativeImbalance", value: relativeImbalance),
        ]
    }
}

/// The fixed bins of the potential histograms the runs log and the reports plot.
public enum PotentialHistogram {
    public static let range = -3.0...3.0
    public static let bins = 30

    public static var binWidth: Double { (range.upperBound - range.lowerBound) / Double(bins) }

    /// The centre of bin `bin`.
    public static func centre(_ bin: Int) -> Double { range.lowerBound + (Double(bin) + 0.5) * binWidth }

    public static func metricName(layer: Int, bin: Int) -> String { String(format: "layer%d.bin%02d", layer, bin) }

    /// The fraction of `values` in each bin; values outside the range count in the end bins.
    public static func fractions(of values: [Double]) -> [Double] {
        var counts = [Double](repeating: 0, count: bins)
        for value in values {
            let bin = Int(((value - range.lowerBound) / binWidth).rounded(.down))
            counts[min(max(bin, 0), bins - 1)] += 1
        }
        return counts.map { $0 / Double(max(values.count, 1)) }
    }
}
