import TensorRuntime

/// The sample indices of one pass over a data set, cut into consecutive batches of `size` (the
/// last one smaller when `size` does not divide the count).
///
/// The one way experiments batch their data: a training epoch shuffles the samples with
/// `SeededRNG.shuffle` (toolchain-stable Fisher–Yates) from a generator the experiment derives
/// from its seed and the epoch, so a resumed run sees the batches of an uninterrupted one on every
/// machine; an evaluation pass keeps the given order.
public struct SampleBatches: RandomAccessCollection, Sendable {
    /// The samples in the order they are visited.
    public let order: [Int]
    public let size: Int

    /// `samples` in their given order.
    public init(_ samples: [Int], size: Int) {
        precondition(size > 0, "SampleBatches: batch size must be positive, got \(size)")
        order = samples
        self.size = size
    }

    /// `samples` shuffled with `rng`, which is left after the shuffle's draws (an experiment may
    /// go on drawing augmentation from it).
    public init(shuffling samples: [Int], size: Int, rng: inout SeededRNG) {
        self.init(rng.shuffled(samples), size: size)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { (order.count + size - 1) / size }

    /// The sample indices of batch `index`.
    public subscript(index: Int) -> [Int] {
        Array(order[(index * size)..<Swift.min((index + 1) * size, order.count)])
    }
}
