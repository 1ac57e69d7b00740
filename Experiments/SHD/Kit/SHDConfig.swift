import EventSim
import ExperimentKit
import Foundation
import Neurons

/// Everything one SHD run, search or landscape needs; one file per preset in
/// `papers/wenig2026-qif-shd/configs/shd.<preset>.json`. Every field can be overridden with
/// `--set path=value`, and a hyperparameter search varies fields by the same dotted paths.
public struct SHDConfig: Codable, Sendable, Equatable, ValidatedConfig {
    public var seed: Int
    /// `lif-exact` or `qif-exact` (event-driven, exact gradients), or a discrete-time plugin
    /// (`lif`, `dqif`, …) trained with surrogate gradients for the comparison row.
    public var neuron: String
    /// Why the run exists: `train` (by hand), `search` (a search trial), `seeds` (the best
    /// configuration retrained) or `comparison` (the discrete-time row). The report selects
    /// runs by it, so search trials never count as results.
    public var purpose: String
    public var data: SHDDataConfig
    public var model: EventModelConfig
    public var discrete: DiscreteModelConfig
    public var training: SHDTrainingConfig
    public var search: SearchPlan
    /// The seeds the best configuration of each model is retrained with.
    public var seeds: [Int]
    public var landscape: LandscapeConfig

    public static let purposes = ["train", "search", "seeds", "comparison"]

    public func validate() throws(ConfigIssue) {
        try ConfigIssue.require(
            Self.purposes.contains(purpose), "purpose", mustBe: "one of \(Self.purposes.joined(separator: ", "))",
            got: purpose)
        try ConfigIssue.require(
            NeuronCatalogue.kind(of: neuron) != nil, "neuron",
            mustBe: "one of \(NeuronCatalogue.names().joined(separator: ", "))", got: neuron)
        try ConfigIssue.require(!seeds.isEmpty, "seeds", mustBe: "a non-empty list", got: "[]")
        try data.validate()
        try model.validate()
        try discrete.validate()
        try training.validate()
        try search.validate()
        try landscape.validate()
    }

    /// Whether `neuron` names an event-driven model (the paper's) rather than a discrete-time plugin.
    public var isEventDriven: Bool { NeuronCatalogue.kind(of: neuron) == .eventDriven }
}

/// Where the samples come from and how spikes become the network's input.
public struct SHDDataConfig: Codable, Sendable, Equatable {
    /// `shd` or `ssc` (downloaded into the data directory and verified), `synthetic` (written by
    /// `SyntheticSHD` into the data directory: tests and the smoke preset), or `files`
    /// (`trainFile` and `testFile`, any pair in the SHD layout).
    public var dataset: String
    public var trainFile: String?
    public var testFile: String?
    public var synthetic: SyntheticSize
    /// Speakers held out of the training file for validation (SHD's test set has unseen
    /// speakers); 0 holds out `validationFraction` of each class instead.
    public var validationSpeakers: Int
    public var validationFraction: Double
    /// `events` (the recorded spikes), `binned` (one latency-coded spike per channel group and
    /// time bin) or `virtual` (time-normalised events plus clock channels); see `InputEncoding`.
    public var encoding: String
    /// The trial length T in simulation time (the neurons' τ is `model.tau`).
    public var duration: Double
    /// Stretch each sample's spikes to [0, T) (else seconds are mapped by T / recordingSeconds).
    public var normalizeTime: Bool
    public var recordingSeconds: Double
    /// Share of each sample's earliest and latest spikes dropped before normalising.
    public var trim: Double
    /// Neighbouring channels merged into one (700 → 140 with 5).
    public var channelPooling: Int
    /// Time bins of the `binned` encoding.
    public var bins: Int
    /// Clock channels of the `virtual` encoding.
    public var virtualChannels: Int
    /// Caps on the number of samples used (nil: all), for presets that must fit a small machine.
    public var maxTrainSamples: Int?
    public var maxValidationSamples: Int?
    public var maxTestSamples: Int?

    public static let datasets = ["shd", "ssc", "synthetic", "files"]
    public static let encodings = ["events", "binned", "virtual"]

    func validate() throws(ConfigIssue) {
        try ConfigIssue.require(
            Self.datasets.contains(dataset), "data.dataset", mustBe: "one of \(Self.datasets.joined(separator: ", "))",
            got: dataset)
        if dataset == "files" {
            try ConfigIssue.require(
                trainFile != nil && testFile != nil, "data.trainFile",
                mustBe: "set together with data.testFile when data.dataset is files", got: trainFile ?? "null")
        }
        try ConfigIssue.require(
            Self.encodings.contains(encoding), "data.encoding",
            mustBe: "one of \(Self.encodings.joined(separator: ", "))", got: encoding)
        try ConfigIssue.require(
            duration > 0 && duration.isFinite, "data.duration", mustBe: "a number > 0", got: duration)
        try ConfigIssue.require(
            recordingSeconds > 0, "data.recordingSeconds", mustBe: "a number > 0", got: recordingSeconds)
        try ConfigIssue.require(trim >= 0 && trim < 0.5, "data.trim", mustBe: "in [0, 0.5)", got: trim)
        try ConfigIssue.require(
            channelPooling >= 1, "data.channelPooling", mustBe: "an integer ≥ 1", got: channelPooling)
        try ConfigIssue.require(bins >= 1, "data.bins", mustBe: "an integer ≥ 1", got: bins)
        try ConfigIssue.require(
            virtualChannels >= 0, "data.virtualChannels", mustBe: "an integer ≥ 0", got: virtualChannels)
        try ConfigIssue.require(
            validationSpeakers >= 0, "data.validationSpeakers", mustBe: "an integer ≥ 0", got: validationSpeakers)
        try ConfigIssue.require(
            validationFraction > 0 && validationFraction < 1, "data.validationFraction", mustBe: "in (0, 1)",
            got: validationFraction)
        for (name, cap) in [
            ("maxTrainSamples", maxTrainSamples), ("maxValidationSamples", maxValidationSamples),
            ("maxTestSamples", maxTestSamples),
        ] {
            if let cap { try ConfigIssue.require(cap >= 1, "data.\(name)", mustBe: "an integer ≥ 1 or null", got: cap) }
        }
        try synthetic.validate()
    }
}

/// The size of the synthetic SHD-layout data set of the smoke preset.
public struct SyntheticSize: Codable, Sendable, Equatable {
    public var trainSamples: Int
    public var testSamples: Int
    public var classes: Int
    public var channels: Int
    /// Mean background spikes per sample on top of each class's 60-spike sweep (SHD-like
    /// densities, for timing a preset without the real data, need thousands).
    public var noiseSpikes: Double

    func validate() throws(ConfigIssue) {
        try ConfigIssue.require(
            trainSamples >= classes * 2, "data.synthetic.trainSamples", mustBe: "at least 2 × classes",
            got: trainSamples)
        try ConfigIssue.require(
            testSamples >= 1, "data.synthetic.testSamples", mustBe: "an integer ≥ 1", got: testSamples)
        try ConfigIssue.require(classes >= 2, "data.synthetic.classes", mustBe: "an integer ≥ 2", got: classes)
        try ConfigIssue.require(
            channels >= classes, "data.synthetic.channels", mustBe: "at least data.synthetic.classes", got: channels)
        try ConfigIssue.require(
            noiseSpikes >= 0, "data.synthetic.noiseSpikes", mustBe: "a number ≥ 0", got: noiseSpikes)
    }
}

/// The event-driven network: dense feed-forward layers of `lif-exact` or `qif-exact` neurons.
public struct EventModelConfig: Codable, Sendable, Equatable {
    /// Neurons per hidden layer, and hidden layers (scalars, so a search can vary them).
    public var hiddenSize: Int
    public var hiddenLayers: Int
    /// τ = τ_m = 2 τ_s, in the same time unit as `data.duration`.
    public var tau: Double
    /// Initial weights are U(mean − s, mean + s)/√fan_in with s = `weightScale`, mean = `weightMean`.
    public var weightScale: Double
    public var weightMean: Double
    /// `first_spike` (time-to-first-spike cross-entropy, prediction = earliest output) or
    /// `leaky_max` (max over time of a leaky integrator of output spikes as logits).
    public var readout: String
    public var readoutTau: Double
    /// QIF pseudospikes for silent neurons (ignored by LIF, which has none).
    public var pseudospikes: Bool
    /// QIF pseudo-rate of hidden neurons (`PseudoRate`): `phase` (φ_p/Θ_p, the method's code) or
    /// `inverse_period` (1/Θ_p).
    public var pseudoRate: String
    /// QIF reset (`QIFReset`): `epsilon` (−1/ε, V capped at 1/ε, the method's code) or `infinity`.
    public var qifReset: String
    /// Events per sample beyond which a run fails instead of truncating.
    public var eventBudget: Int
    /// γ of the first-spike loss term γ (exp(t_y / T) − 1).
    public var gamma: Double

    public static let readouts = ["first_spike", "leaky_max"]

    func validate() throws(ConfigIssue) {
        try ConfigIssue.require(hiddenSize >= 1, "model.hiddenSize", mustBe: "an integer ≥ 1", got: hiddenSize)
        try ConfigIssue.require(hiddenLayers >= 1, "model.hiddenLayers", mustBe: "an integer ≥ 1", got: hiddenLayers)
        try ConfigIssue.require(tau > 0, "model.tau", mustBe: "a number > 0", got: tau)
        try ConfigIssue.require(weightScale > 0, "model.weightScale", mustBe: "a number > 0", got: weightScale)
        try ConfigIssue.require(
            Self.readouts.contains(readout), "model.readout", mustBe: "one of \(Self.readouts.joined(separator: ", "))",
            got: readout)
        try ConfigIssue.require(readoutTau > 0, "model.readoutTau", mustBe: "a number > 0", got: readoutTau)
        let rates = PseudoRate.allCases.map(\.rawValue)
        let resets = QIFReset.allCases.map(\.rawValue)
        try ConfigIssue.require(
            rates.contains(pseudoRate), "model.pseudoRate",
            mustBe: "one of \(rates.joined(separator: ", "))", got: pseudoRate)
        try ConfigIssue.require(
            resets.contains(qifReset), "model.qifReset",
            mustBe: "one of \(resets.joined(separator: ", "))", got: qifReset)
        try ConfigIssue.require(eventBudget >= 1, "model.eventBudget", mustBe: "an integer ≥ 1", got: eventBudget)
        try ConfigIssue.require(gamma >= 0, "model.gamma", mustBe: "a number ≥ 0", got: gamma)
    }

    public var hidden: [Int] { Array(repeating: hiddenSize, count: hiddenLayers) }
}

/// The discrete-time comparison network (surrogate gradients through the fused engine), with
/// its own input representation, hyperparameters and search space: binned input → linear →
/// spiking layer(s) → linear → leaky readout, maximum over time as logits. The defaults of the
/// presets are the plain PyTorch baseline's (`Benchmarks/peers/shd_sg_baseline.py`). Epochs,
/// batch size and the learning-rate schedule come from `training`, the search budget from
/// `search`, so both sides of the comparison get the same budget.
public struct DiscreteModelConfig: Codable, Sendable, Equatable {
    /// `recording`: the recording's channels (pooled by `channelPooling`) binned into
    /// `timesteps` over [0, `data.recordingSeconds`), as discrete-time SHD models are usually fed;
    /// `exact`: the (pooled, time-mapped) spikes the exact models' encoding starts from.
    public var encoding: String
    /// Neighbouring channels merged into one for the `recording` encoding (1: all 700).
    public var channelPooling: Int
    /// `counts` (spikes per bin) or `binary` (whether a bin has a spike).
    public var frames: String
    public var timesteps: Int
    public var hiddenSize: Int
    public var hiddenLayers: Int
    /// Plugin fields per discrete neuron (`lif`: decay, reset, …), over the plugin's defaults.
    public var neurons: [String: [String: JSONValue]]
    /// `sigmoid`, `atan`, `fast-sigmoid`, `triangle` or `rectangular`.
    public var surrogate: String
    /// Surrogate sharpness α.
    public var sharpness: Double
    /// No gradient through the reset (snnTorch's default).
    public var detachReset: Bool
    /// Decay of the readout's leaky integrator per step.
    public var readoutDecay: Double
    /// `adam` or `adabelief`.
    public var optimizer: String
    public var learningRate: Double
    /// The search space of each discrete neuron (dotted config paths, as `search.space`).
    public var space: [String: SearchSpace]

    public static let encodings = ["recording", "exact"]
    public static let frameModes = ["counts", "binary"]

    func validate() throws(ConfigIssue) {
        func oneOf(_ names: [String]) -> String { "one of \(names.joined(separator: ", "))" }
        let surrogates = SurrogateFamily.allCases.map(\.rawValue)
        try ConfigIssue.require(
            Self.encodings.contains(encoding), "discrete.encoding", mustBe: oneOf(Self.encodings), got: encoding)
        try ConfigIssue.require(
            channelPooling >= 1, "discrete.channelPooling", mustBe: "an integer ≥ 1", got: channelPooling)
        try ConfigIssue.require(
            Self.frameModes.contains(frames), "discrete.frames", mustBe: oneOf(Self.frameModes), got: frames)
        try ConfigIssue.require(timesteps >= 1, "discrete.timesteps", mustBe: "an integer ≥ 1", got: timesteps)
        try ConfigIssue.require(hiddenSize >= 1, "discrete.hiddenSize", mustBe: "an integer ≥ 1", got: hiddenSize)
        try ConfigIssue.require(hiddenLayers >= 1, "discrete.hiddenLayers", mustBe: "an integer ≥ 1", got: hiddenLayers)
        try ConfigIssue.require(
            surrogates.contains(surrogate), "discrete.surrogate", mustBe: oneOf(surrogates), got: surrogate)
        try ConfigIssue.require(sharpness > 0, "discrete.sharpness", mustBe: "a number > 0", got: sharpness)
        try ConfigIssue.require(
            readoutDecay > 0 && readoutDecay < 1, "discrete.readoutDecay", mustBe: "in (0, 1)", got: readoutDecay)
        try ConfigIssue.require(
            SHDTrainingConfig.optimizers.contains(optimizer), "discrete.optimizer",
            mustBe: oneOf(SHDTrainingConfig.optimizers),
            got: optimizer)
        try ConfigIssue.require(learningRate > 0, "discrete.learningRate", mustBe: "a number > 0", got: learningRate)
        for (neuron, space) in space { try space.validate(at: "discrete.space.\(neuron)") }
    }

    public var hidden: [Int] { Array(repeating: hiddenSize, count: hiddenLayers) }

    /// The plugin fields of `neuron` as the neuron registry takes them.
    func pluginConfiguration(_ neuron: String) -> [String: Any] {
        (neurons[neuron] ?? [:]).mapValues(\.foundationValue)
    }
}

extension JSONValue {
    /// The value as `JSONSerialization` would have parsed it.
    var foundationValue: Any {
        switch self {
        case .null: NSNull()
        case .bool(let value): value
        case .int(let value): value
        case .double(let value): value
        case .string(let value): value
        case .array(let values): values.map(\.foundationValue)
        case .object(let members): members.mapValues(\.foundationValue)
        }
    }
}

public struct SHDTrainingConfig: Codable, Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    /// `adabelief` (the predecessor's choice) or `adam`.
    public var optimizer: String
    /// The learning rate is divided by e every this many epochs (0: constant).
    public var decayEvery: Int

    public static let optimizers = ["adabelief", "adam"]

    func validate() throws(ConfigIssue) {
        try ConfigIssue.require(epochs >= 1, "training.epochs", mustBe: "an integer ≥ 1", got: epochs)
        try ConfigIssue.require(batchSize >= 1, "training.batchSize", mustBe: "an integer ≥ 1", got: batchSize)
        try ConfigIssue.require(learningRate > 0, "training.learningRate", mustBe: "a number > 0", got: learningRate)
        try ConfigIssue.require(
            Self.optimizers.contains(optimizer), "training.optimizer",
            mustBe: "one of \(Self.optimizers.joined(separator: ", "))", got: optimizer)
        try ConfigIssue.require(decayEvery >= 0, "training.decayEvery", mustBe: "an integer ≥ 0", got: decayEvery)
    }
}

/// The loss-landscape scans of claims 3 and 4.
public struct LandscapeConfig: Codable, Sendable, Equatable {
    /// The plane spans [−radius, radius]² in units of the filter-normalised directions.
    public var radius: Double
    /// Grid points per axis.
    public var points: Int
    /// Validation samples of the fixed subset the plane's loss is averaged over.
    public var subsetSamples: Int
    /// Single-sample planes (the first validation samples).
    public var singleSamples: Int
    /// Points of the 1-D single-sample lines of the spike-order analysis, over [−radius, radius].
    public var linePoints: Int
    /// An edge is steep (`steep_edge_fraction`) when its loss change exceeds this multiple of the
    /// median change; jumps (`jump_fraction`) are found by bisection instead.
    public var jumpFactor: Double
    /// Seed of the random directions (the same for both models).
    public var directionSeed: Int

    func validate() throws(ConfigIssue) {
        try ConfigIssue.require(radius > 0, "landscape.radius", mustBe: "a number > 0", got: radius)
        try ConfigIssue.require(points >= 3, "landscape.points", mustBe: "an integer ≥ 3", got: points)
        try ConfigIssue.require(
            subsetSamples >= 1, "landscape.subsetSamples", mustBe: "an integer ≥ 1", got: subsetSamples)
        try ConfigIssue.require(
            singleSamples >= 1, "landscape.singleSamples", mustBe: "an integer ≥ 1", got: singleSamples)
        try ConfigIssue.require(linePoints >= 3, "landscape.linePoints", mustBe: "an integer ≥ 3", got: linePoints)
        try ConfigIssue.require(jumpFactor > 1, "landscape.jumpFactor", mustBe: "a number > 1", got: jumpFactor)
    }
}
