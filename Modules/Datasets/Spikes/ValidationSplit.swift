import TensorRuntime

/// How to hold out a validation set from a training set that has no official one (SHD).
///
/// Both strategies are deterministic in the seed and do not depend on the toolchain (they use
/// `SeededRNG` and a hand-written Fisher–Yates shuffle), so a split is the same on every run and
/// machine. Both subsets keep the file order of their samples.
public enum ValidationSplit: Sendable, Equatable {
    /// Per class, a seeded shuffle of that class's samples and the first
    /// `round(fraction · classSize)` held out: class balance is kept.
    case random(fraction: Double)
    /// A seeded shuffle of the distinct speakers (sorted first) and the first `count` of them
    /// held out with all their samples. This mimics SHD's test set, whose two speakers never
    /// occur in training, so validation accuracy predicts test accuracy better.
    case speakers(count: Int)
}

extension SpikeDataset {
    /// Splits the samples into (train, validation) by `strategy`, seeded by `seed`.
    public func split(_ strategy: ValidationSplit, seed: UInt64) throws -> (
        train: SpikeDataset, validation: SpikeDataset
    ) {
        var rng = SeededRNG(seed: seed)
        var held = [Bool](repeating: false, count: count)
        switch strategy {
        case .random(let fraction):
            guard fraction >= 0, fraction <= 1 else {
                throw DatasetError.invalidArgument("validation fraction must be in [0, 1] (got \(fraction))")
            }
            for label in 0..<classCount {
                let members = rng.shuffled(labels.indices.filter { labels[$0] == label })
                let take = Int((fraction * Double(members.count)).rounded())
                for index in members.prefix(take) { held[index] = true }
            }
        case .speakers(let count):
            guard let speakers else {
                throw DatasetError.missingContent(path: name, what: "extra/speaker, which a split by speaker needs")
            }
            let distinct = Array(Set(speakers)).sorted()
            guard count > 0, count < distinct.count else {
                throw DatasetError.invalidArgument(
                    "\(name): cannot hold out \(count) of \(distinct.count) speakers (need 0 < count < \(distinct.count))"
                )
            }
            let chosen = Set(rng.shuffled(distinct).prefix(count))
            for (index, speaker) in speakers.enumerated() where chosen.contains(speaker) { held[index] = true }
        }
        return (subset(held.indices.filter { !held[$0] }), subset(held.indices.filter { held[$0] }))
    }
}
