import TensorRuntime

/// Mini-batches of in-memory samples: inputs split along axis 0 with their labels, in an order
/// shuffled reproducibly from a seed and the epoch number.
///
/// Each epoch's permutation depends only on (seed, epoch), so a resumed run sees the same batches
/// as an uninterrupted one.
public struct MiniBatches {
    /// One batch: the selected rows of the inputs, their labels, and their sample indices.
    public struct Batch {
        public let inputs: Tensor
        public let labels: [Int]
        public let indices: [Int]
    }

    public let inputs: Tensor
    public let labels: [Int]
    public let batchSize: Int
    public let shuffle: Bool
    /// Whether a last batch smaller than `batchSize` is skipped.
    public let dropLast: Bool
    public let seed: UInt64

    public init(inputs: Tensor, labels: [Int], batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
                seed: UInt64) {
        precondition(inputs.rank >= 1 && inputs.shape[0] == labels.count,
                     "MiniBatches: inputs \(inputs.shape) must have one row per label (\(labels.count) labels)")
        precondition(batchSize > 0, "MiniBatches: batch size must be positive, got \(batchSize)")
        self.inputs = inputs.detached()
        (self.labels, self.batchSize, self.shuffle, self.dropLast, self.seed) = (labels, batchSize, shuffle, dropLast, seed)
    }

    public var sampleCount: Int { labels.count }

    /// Number of batches per epoch.
    public var batchCount: Int { dropLast ? sampleCount / batchSize : (sampleCount + batchSize - 1) / batchSize }

    /// The sample order of `epoch` (Fisher–Yates on the stream (seed, epoch)).
    public func order(epoch: Int) -> [Int] {
        var indices = Array(0..<sampleCount)
        guard shuffle else { return indices }
        var rng = SeededRNG(seed: seed).stream(epoch)
        for i in stride(from: indices.count - 1, to: 0, by: -1) {
            indices.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        return indices
    }

    /// The batches of `epoch`, produced lazily (each is a copy of its rows).
    public func epoch(_ epoch: Int) -> LazyMapSequence<Range<Int>, Batch> {
        let order = order(epoch: epoch)
        return (0..<batchCount).lazy.map { b in
            let indices = Array(order[(b * batchSize)..<Swift.min((b + 1) * batchSize, order.count)])
            return Batch(inputs: inputs.indexSelect(axis: 0, indices: indices), labels: indices.map { labels[$0] },
                         indices: indices)
        }
    }
}
