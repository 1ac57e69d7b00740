import ExperimentKit
import TensorRuntime
import XCTest

final class SampleBatchesTests: XCTestCase {
    func testEveryBatchIsConsecutiveAndTheLastOneSmaller() {
        let batches = SampleBatches(Array(10..<20), size: 4)
        XCTAssertEqual(Array(batches), [[10, 11, 12, 13], [14, 15, 16, 17], [18, 19]])
        XCTAssertEqual(SampleBatches([], size: 3).count, 0)
        XCTAssertEqual(SampleBatches(Array(0..<6), size: 3).map(\.count), [3, 3])
    }

    func testAShuffledEpochVisitsEverySampleOnceInTheSeededOrder() {
        var rng = SeededRNG(seed: 7)
        let batches = SampleBatches(shuffling: Array(100..<123), size: 5, rng: &rng)
        XCTAssertEqual(batches.map(\.count), [5, 5, 5, 5, 3])
        XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(100..<123))
        XCTAssertNotEqual(batches.order, Array(100..<123))
        // The order is the one seeded shuffle's, and the generator is left after its draws.
        var reference = SeededRNG(seed: 7)
        XCTAssertEqual(batches.order, reference.shuffled(Array(100..<123)))
        XCTAssertEqual(rng.next(), reference.next())
    }

    func testSeedsAndEpochStreamsGiveDifferentOrders() {
        func order(seed: UInt64, epoch: Int) -> [Int] {
            var rng = SeededRNG(seed: seed).stream(epoch)
            return SampleBatches(shuffling: Array(0..<50), size: 8, rng: &rng).order
        }
        XCTAssertEqual(order(seed: 1, epoch: 2), order(seed: 1, epoch: 2))
        XCTAssertNotEqual(order(seed: 1, epoch: 1), order(seed: 1, epoch: 2))
        XCTAssertNotEqual(order(seed: 1, epoch: 1), order(seed: 2, epoch: 1))
    }
}
