import NN
import TensorRuntime
import TestSupport
import XCTest

final class MiniBatchTests: XCTestCase {
    private let inputs = Tensor(shape: [10, 2], values: (0..<20).map(Double.init), dtype: .float32)
    private let labels = Array(100..<110)

    func testEveryEpochCoversEverySampleOnceWithMatchingRows() {
        let batches = MiniBatches(inputs: inputs, labels: labels, batchSize: 4, seed: 7)
        XCTAssertEqual(batches.batchCount, 3)
        let epoch = Array(batches.epoch(0))
        XCTAssertEqual(epoch.map(\.labels.count), [4, 4, 2])
        XCTAssertEqual(epoch.flatMap(\.indices).sorted(), Array(0..<10))
        for batch in epoch {
            XCTAssertEqual(batch.labels, batch.indices.map { labels[$0] })
            XCTAssertEqual(batch.inputs.doubles, batch.indices.flatMap { [Double(2 * $0), Double(2 * $0 + 1)] })
        }
    }

    func testShufflingIsSeededPerEpoch() {
        let a = MiniBatches(inputs: inputs, labels: labels, batchSize: 3, seed: 7)
        let b = MiniBatches(inputs: inputs, labels: labels, batchSize: 3, seed: 7)
        XCTAssertEqual(a.order(epoch: 2), b.order(epoch: 2))
        XCTAssertNotEqual(a.order(epoch: 0), a.order(epoch: 1))
        XCTAssertNotEqual(a.order(epoch: 0), MiniBatches(inputs: inputs, labels: labels, batchSize: 3, seed: 8).order(epoch: 0))
        XCTAssertNotEqual(a.order(epoch: 0), Array(0..<10))
    }

    func testUnshuffledAndDropLast() {
        let batches = MiniBatches(inputs: inputs, labels: labels, batchSize: 4, shuffle: false, dropLast: true, seed: 0)
        XCTAssertEqual(batches.epoch(5).map(\.indices), [[0, 1, 2, 3], [4, 5, 6, 7]])
    }
}
