import ExperimentKit
import Foundation
import Neurons

/// Everything one image-classification run needs, as a preset spells it
/// (`papers/<paper>/configs/cifar.<preset>.json`). Every field is present in every preset, so any
/// of them can be changed with `--set` (an override cannot add a field).
public struct ImageConfig: Codable, Sendable, Equatable, ValidatedConfig {
    /// The protocol variant this run belongs to (`lif-t4`, `cf-learnable-pnb`); reports select runs by it.
    public var variant: String
    public var seed: Int
    /// Time steps T of direct encoding: the image enters the first layer at every step.
    public var timesteps: Int
    public var data: DataSection
    public var model: ModelSection
    public var neuron: NeuronSection
    public var training: TrainingSection
    /// The sentence datasets' tokenizer and the text Transformer's shape; absent from image-only
    /// presets (paper 2's), present in paper 3's so that protocol variants can switch to text.
    public var text: TextSection?

    public struct DataSection: Codable, Sendable, Equatable {
        /// `cifar10`, `cifar100` or `cifar10-dvs` (real files, fetched into the data directory), or
        /// `synthetic-cifar10` / `synthetic-cifar10-dvs` (written into the data directory).
        /// The DVS datasets give one event frame per time step (`timesteps` frames).
        public var dataset: String
        /// Side of the DVS frames (the 128×128 sensor is binned down to it; 48 in the papers).
        public var frameSize: Int
        /// Training images used, the first ones of a seeded shuffle (0 = all).
        public var trainSubset: Int
        /// Training images held out as the validation split (after the training subset).
        public var validationSubset: Int
        /// Test images used, the first ones (0 = all).
        public var testSubset: Int
        /// Random crop padding in pixels (0 = no crop).
        public var cropPadding: Int
        public var flip: Bool
        /// Cutout square side (0 = none).
        public var cutout: Int
    }

    public struct ModelSection: Codable, Sendable, Equatable {
        /// One of `ImageArchitecture`'s names.
        public var architecture: String
        /// Channel count of the first stage (ResNets, VGGs) or the embedding dimension (Spikformer).
        public var width: Int
        /// tdBN's α (the normalised input's std is α·V_th).
        public var tdbnAlpha: Double
        /// How convolution weights are drawn: `torch` (PyTorch's default U(±1/√fan_in)),
        /// `kaiming-normal` (N(0, 2/fan_in)) or `kaiming-normal-fan-out` (N(0, 2/fan_out), the
        /// tdBN/TET code's); `ConvolutionInit`.
        public var initialization: String
    }

    public struct NeuronSection: Codable, Sendable, Equatable {
        /// A registered neuron plugin (`lif`, `dqif`, `cf`, …).
        public var name: String
        /// Plugin fields per plugin name; the entry of `name` (if any) configures the neuron,
        /// missing fields keep the plugin's defaults.
        public var parameters: [String: [String: JSONValue]]
        /// `sigmoid`, `atan`, `triangle`, `rectangular`, `fast-sigmoid`.
        public var surrogate: String
        /// `fixed` (α = `sharpness`), `learnable` (one learnable α per layer and step, initialised
        /// to `sharpness`), or `analytic` (the DQIF window: α_t = 1/(κ·std H[t]), needs `dqif`).
        public var sharpnessMode: String
        public var sharpness: Double
        /// κ of the analytic window: width w_t = κ·std(H[t]).
        public var windowPerStd: Double
    }

    public struct TrainingSection: Codable, Sendable, Equatable {
        public var epochs: Int
        public var batchSize: Int
        /// `sgd` (momentum 0.9) or `adam`.
        public var optimizer: String
        public var learningRate: Double
        public var weightDecay: Double
        /// `tet` (mean over steps of the per-step cross-entropy) or `mean-output` (cross-entropy
        /// of the time-averaged output).
        public var loss: String
        /// λ of TET's MSE regulariser (0 = plain TET).
        public var tetLambda: Double
        /// λ of the PNB term (0 = off).
        public var pnbWeight: Double
        /// `relative` (each layer's imbalance over its potential scale mean |H|, averaged over
        /// layers: in [0, 1], so λ ≈ 1 is the natural order), `raw` (Σ_l (P_l − N_l)²) or
        /// `per-neuron` (the relative form per neuron over time and batch, averaged: imbalances
        /// no longer cancel across neurons); `BalancedPotentialLoss.Form`.
        public var pnbForm: String
    }

    /// For `sst2` / `synthetic-sst2` (with `model.architecture` `spikformer-text`).
    public struct TextSection: Codable, Sendable, Equatable {
        /// Tokens per sentence: longer sentences are cut, shorter ones padded.
        public var maxTokens: Int
        /// A word enters the vocabulary when it occurs this often in the training sentences used.
        public var minWordCount: Int
        /// A GloVe-format text file of pretrained word vectors ("" = random embedding); its
        /// dimension must equal `model.width`.
        public var wordVectors: String
        public var blocks: Int
        public var heads: Int
    }

    public static let datasets = [
        "cifar10", "cifar100", "cifar10-dvs", "synthetic-cifar10", "synthetic-cifar10-dvs", "sst2", "synthetic-sst2",
    ]
    public static let textDatasets = ["sst2", "synthetic-sst2"]
    public static let sharpnessModes = ["fixed", "learnable", "analytic"]
    public static let optimizers = ["sgd", "adam"]
    public static let losses = ["tet", "mean-output"]

    public func validate() throws(ConfigIssue) {
        try ConfigIssue.require(timesteps >= 1, "timesteps", mustBe: "an integer ≥ 1", got: timesteps)
        try ConfigIssue.require(
            Self.datasets.contains(data.dataset), "data.dataset",
            mustBe: "one of \(Self.datasets.joined(separator: ", "))",
            got: data.dataset)
        try ConfigIssue.require(
            (1...128).contains(data.frameSize), "data.frameSize", mustBe: "an integer in 1...128", got: data.frameSize)
        try ConfigIssue.require(
            data.trainSubset >= 0, "data.trainSubset", mustBe: "an integer ≥ 0 (0 = all)", got: data.trainSubset)
        try ConfigIssue.require(
            data.validationSubset >= 0, "data.validationSubset", mustBe: "an integer ≥ 0", got: data.validationSubset)
        try ConfigIssue.require(
            data.testSubset >= 0, "data.testSubset", mustBe: "an integer ≥ 0 (0 = all)", got: data.testSubset)
        try ConfigIssue.require(
            data.cropPadding >= 0, "data.cropPadding", mustBe: "an integer ≥ 0", got: data.cropPadding)
        try ConfigIssue.require(data.cutout >= 0, "data.cutout", mustBe: "an integer ≥ 0", got: data.cutout)
        let architectures = ImageArchitecture.allCases.map(\.rawValue)
        try ConfigIssue.require(
            ImageArchitecture(rawValue: model.architecture) != nil, "model.architecture",
            mustBe: "one of \(architectures.joined(separator: ", "))", got: model.architecture)
        let isText = Self.textDatasets.contains(data.dataset)
        try ConfigIssue.require(
            isText == (model.architecture == ImageArchitecture.spikformerText.rawValue), "model.architecture",
            mustBe: isText
                ? "spikformer-text for \(data.dataset)"
                : "an image network for \(data.dataset) (spikformer-text reads sentences)",
            got: model.architecture)
        if isText {
            guard let text else {
                throw ConfigIssue(
                    path: "text",
                    expected: "a section {maxTokens, minWordCount, wordVectors, blocks, heads} for \(data.dataset)",
                    got: "null")
            }
            try ConfigIssue.require(
                text.maxTokens >= 1, "text.maxTokens", mustBe: "an integer ≥ 1", got: text.maxTokens)
            try ConfigIssue.require(
                text.minWordCount >= 1, "text.minWordCount", mustBe: "an integer ≥ 1", got: text.minWordCount)
            try ConfigIssue.require(text.blocks >= 1, "text.blocks", mustBe: "an integer ≥ 1", got: text.blocks)
            try ConfigIssue.require(
                text.heads >= 1 && model.width % text.heads == 0, "text.heads",
                mustBe: "an integer ≥ 1 dividing model.width (\(model.width))", got: text.heads)
        }
        try ConfigIssue.require(model.width >= 1, "model.width", mustBe: "an integer ≥ 1", got: model.width)
        try ConfigIssue.require(model.tdbnAlpha > 0, "model.tdbnAlpha", mustBe: "positive", got: model.tdbnAlpha)
        let initializations = ConvolutionInit.allCases.map(\.rawValue)
        try ConfigIssue.require(
            ConvolutionInit(rawValue: model.initialization) != nil, "model.initialization",
            mustBe: "one of \(initializations.joined(separator: ", "))", got: model.initialization)
        try ConfigIssue.require(
            NeuronCatalogue.kind(of: neuron.name) == .discrete, "neuron.name",
            mustBe:
                "a registered neuron (discrete-time: \(NeuronCatalogue.names(of: [.discrete]).joined(separator: ", ")))",
            got: neuron.name)
        let families = SurrogateFamily.allCases.map(\.rawValue)
        try ConfigIssue.require(
            SurrogateFamily(rawValue: neuron.surrogate) != nil, "neuron.surrogate",
            mustBe: "one of \(families.joined(separator: ", "))", got: neuron.surrogate)
        try ConfigIssue.require(
            Self.sharpnessModes.contains(neuron.sharpnessMode), "neuron.sharpnessMode",
            mustBe: "one of \(Self.sharpnessModes.joined(separator: ", "))", got: neuron.sharpnessMode)
        try ConfigIssue.require(
            neuron.sharpnessMode != "analytic" || neuron.name == DQIF.name, "neuron.sharpnessMode",
            mustBe: "fixed or learnable unless neuron.name is dqif (the analytic window is DQIF's)",
            got: neuron.sharpnessMode)
        try ConfigIssue.require(neuron.sharpness > 0, "neuron.sharpness", mustBe: "positive", got: neuron.sharpness)
        try ConfigIssue.require(
            neuron.windowPerStd > 0, "neuron.windowPerStd", mustBe: "positive", got: neuron.windowPerStd)
        try ConfigIssue.require(training.epochs >= 1, "training.epochs", mustBe: "an integer ≥ 1", got: training.epochs)
        try ConfigIssue.require(
            training.batchSize >= 1, "training.batchSize", mustBe: "an integer ≥ 1", got: training.batchSize)
        try ConfigIssue.require(
            Self.optimizers.contains(training.optimizer), "training.optimizer",
            mustBe: "one of \(Self.optimizers.joined(separator: ", "))", got: training.optimizer)
        try ConfigIssue.require(
            training.learningRate > 0, "training.learningRate", mustBe: "positive", got: training.learningRate)
        try ConfigIssue.require(
            training.weightDecay >= 0, "training.weightDecay", mustBe: "≥ 0", got: training.weightDecay)
        try ConfigIssue.require(
            Self.losses.contains(training.loss), "training.loss",
            mustBe: "one of \(Self.losses.joined(separator: ", "))",
            got: training.loss)
        try ConfigIssue.require(
            (0...1).contains(training.tetLambda), "training.tetLambda", mustBe: "in [0, 1]", got: training.tetLambda)
        try ConfigIssue.require(training.pnbWeight >= 0, "training.pnbWeight", mustBe: "≥ 0", got: training.pnbWeight)
        let forms = BalancedPotentialLoss.Form.allCases.map(\.rawValue)
        try ConfigIssue.require(
            BalancedPotentialLoss.Form(rawValue: training.pnbForm) != nil, "training.pnbForm",
            mustBe: "one of \(forms.joined(separator: ", "))", got: training.pnbForm)
    }
}
