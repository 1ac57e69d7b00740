import Foundation
import TensorRuntime

/// What a batch is built from: the sample indices, and a generator for augmentation.
public struct BatchRequest: Sendable {
    public let epoch: Int
    /// Position of the batch in its epoch.
    public let index: Int
    public let indices: [Int]
    /// Seeded by (loader seed, epoch, batch index), so augmentation does not depend on which
    /// thread builds the batch or when.
    public var rng: SeededRNG
}

/// Mini-batches over any dataset, shuffled per epoch with a seed, built one batch ahead on a
/// background thread.
///
/// The loader only knows the sample count and a function that turns a `BatchRequest` into a
/// batch, so SHD (events in memory), CIFAR (bytes in memory) and CIFAR10-DVS (files on disk)
/// share it. Epoch `e` is shuffled with `SeededRNG(seed).stream(e)`; batch `b` of epoch `e`
/// gets `SeededRNG(seed).stream(e).stream(b)` for augmentation. The same seed therefore gives
/// the same batches, however the prefetch thread is scheduled.
public struct BatchLoader<Batch: Sendable>: Sendable {
    public let sampleCount: Int
    public let batchSize: Int
    public let shuffle: Bool
    /// Drop a last batch smaller than `batchSize`.
    public let dropLast: Bool
    public let seed: UInt64
    /// Batches built ahead of the consumer (1 or 2 is enough to hide loading time).
    public let prefetch: Int
    private let makeBatch: @Sendable (BatchRequest) throws -> Batch

    public init(
        sampleCount: Int, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64, prefetch: Int = 2,
        makeBatch: @escaping @Sendable (BatchRequest) throws -> Batch
    ) throws {
        guard sampleCount >= 0, batchSize > 0, prefetch > 0 else {
            throw DatasetError.invalidArgument(
                "batch loader needs sampleCount ≥ 0, batchSize > 0 and prefetch > 0 (got \(sampleCount), \(batchSize), \(prefetch))")
        }
        self.sampleCount = sampleCount
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.prefetch = prefetch
        self.makeBatch = makeBatch
    }

    public var batchCount: Int { dropLast ? sampleCount / batchSize : (sampleCount + batchSize - 1) / batchSize }

    /// The sample order of epoch `epoch`.
    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return Array(0..<sampleCount) }
        var rng = SeededRNG(seed: seed).stream(epoch)
        return rng.shuffled(Array(0..<sampleCount))
    }

    /// The requests of epoch `epoch`, in order.
    public func requests(epoch: Int) -> [BatchRequest] {
        let order = order(epoch: epoch)
        let epochRNG = SeededRNG(seed: seed).stream(epoch)
        return (0..<batchCount).map { b in
            let indices = Array(order[(b * batchSize)..<min((b + 1) * batchSize, sampleCount)])
            return BatchRequest(epoch: epoch, index: b, indices: indices, rng: epochRNG.stream(b))
        }
    }

    /// Starts building the batches of `epoch` in the background; iterate with `next()`.
    public func batches(epoch: Int) -> PrefetchingBatches<Batch> {
        PrefetchingBatches(requests: requests(epoch: epoch), capacity: prefetch, makeBatch: makeBatch)
    }
}

/// The batches of one epoch, produced by a background thread into a bounded queue. Dropping
/// it early stops the thread after the batch it is building.
public final class PrefetchingBatches<Batch: Sendable>: Sendable {
    private let queue: BoundedQueue<Result<Batch, Error>>

    init(requests: [BatchRequest], capacity: Int, makeBatch: @escaping @Sendable (BatchRequest) throws -> Batch) {
        let queue = BoundedQueue<Result<Batch, Error>>(capacity: capacity)
        self.queue = queue
        let thread = Thread {
            for request in requests {
                let result = Result { try makeBatch(request) }
                guard queue.push(result) else { return }
                if case .failure = result { break }
            }
            queue.finish()
        }
        thread.name = "snn.batch-prefetch"
        thread.start()
    }

    deinit { queue.cancel() }

    /// The next batch, nil after the last; rethrows an error from building a batch.
    public func next() throws -> Batch? {
        try queue.pop()?.get()
    }
}

/// A first-in-first-out queue of at most `capacity` items between one producer and one
/// consumer thread.
final class BoundedQueue<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var items: [Item] = []
    private var finished = false
    private var cancelled = false

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; returns false when the consumer has gone away.
    func push(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for an item; nil once the producer finished and the queue is empty.
    func pop() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished { condition.wait() }
        guard !items.isEmpty else { return nil }
        condition.broadcast()
        return items.removeFirst()
    }
}
