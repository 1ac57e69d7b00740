import Foundation
import NN
import Registry

/// What an experiment gives the training loop: a model and optimizer built from its config,
/// one epoch of training, and an evaluation. Everything else (registry, checkpoints, NaN checks,
/// interrupts, progress, resume) is the loop's job.
///
/// Epochs count from 1. The loop puts the model in training mode before `trainEpoch` and in
/// evaluation mode before `evaluate`. For a resumed run to end bit-exactly where an uninterrupted one would,
/// an epoch's randomness (shuffling, augmentation, dropout) must be derived from the seed and
/// the epoch number, not carried over from earlier epochs: a checkpoint holds parameters,
/// buffers and optimizer state, no generator state.
public protocol Experiment: AnyObject {
    associatedtype Config: Codable & Sendable

    /// Builds the model, optimizer and data from the config.
    init(config: Config, context: ExperimentContext) throws

    /// The network, whose parameters and buffers checkpoints hold.
    var model: any ParameterTree { get }
    /// The optimizer, whose state checkpoints hold.
    var optimizer: any Optimizer { get }
    /// How many epochs the config asks for.
    var epochs: Int { get }
    /// The neuron model's registry name, recorded with the run; nil when not applicable.
    var neuron: String? { get }
    /// Files that define the run beyond its config (a tokenizer's vocabulary, …): a new run copies
    /// each into its output folder and records it as an artifact of the given kind.
    var runFiles: [(kind: String, file: URL)] { get }
    /// The data files (or folders) the run reads: their checksums go into the run's provenance,
    /// so a report can say which data its numbers came from.
    var dataFiles: [URL] { get }

    /// Trains for one epoch and returns its metrics (split `train`; the loop fills in the epoch).
    /// Call `progress.completedStep(_:)` after every batch: it reports progress, heartbeats, and
    /// throws when the loss is not finite or the user pressed Ctrl-C.
    func trainEpoch(_ epoch: Int, progress: EpochProgress) throws -> [MetricPoint]

    /// Measures the model after an epoch (`val`, and `test` where the protocol allows it).
    func evaluate(_ epoch: Int) throws -> [MetricPoint]
}

extension Experiment {
    public var neuron: String? { nil }
    public var runFiles: [(kind: String, file: URL)] { [] }
    public var dataFiles: [URL] { [] }
}

/// Where an experiment finds its inputs; machine-specific, so not part of the stored config.
public struct ExperimentContext: Sendable {
    /// `--data-dir` or `$SNN_DATA_DIR`; nil lets the experiment use its default.
    public var dataDirectory: URL?

    public init(dataDirectory: URL? = nil) {
        self.dataDirectory = dataDirectory
    }
}
