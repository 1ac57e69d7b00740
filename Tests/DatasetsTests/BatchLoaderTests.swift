import Foundation
import TensorRuntime
import XCTest

@testable import Datasets

final class BatchLoaderTests: XCTestCase {
    /// A batch that records its indices and one augmentation draw.
    struct Probe: Sendable, Equatable {
        let indices: [Int]
        let draw: UInt64
    }

    func loader(seed: UInt64, count: Int = 23, batchSize: Int = 5, dropLast: Bool = false, delay: Bool = false) throws -> BatchLoader<Probe> {
        try BatchLoader(sampleCount: count, batchSize: batchSize, dropLast: dropLast, seed: seed, prefetch: 2) { request in
            if delay { Thread.sleep(forTimeInterval: 0.002 * Double(request.index % 3)) }
            var rng = request.rng
            return Probe(indices: request.indices, draw: rng.next())
        }
    }

    func collect(_ loader: BatchLoader<Probe>, epoch: Int) throws -> [Probe] {
        let batches = loader.batches(epoch: epoch)
        var result: [Probe] = []
        while let batch = try batches.next() { result.append(batch) }
        return result
    }

    func testSameSeedGivesSameBatchesWhateverTheTiming() throws {
        let first = try collect(try loader(seed: 1), epoch: 0)
        let second = try collect(try loader(seed: 1, delay: true), epoch: 0)
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.count, 5)
        XCTAssertEqual(first.map(\.indices.count), [5, 5, 5, 5, 3])
        XCTAssertEqual(first.flatMap(\.indices).sorted(), Array(0..<23))
        XCTAssertEqual(Set(first.map(\.draw)).count, 5, "each batch gets its own generator")
    }

    func testEpochsAndSeedsShuffleDifferently() throws {
        let loader = try loader(seed: 1)
        let epoch0 = try collect(loader, epoch: 0).flatMap(\.indices)
        let epoch1 = try collect(loader, epoch: 1).flatMap(\.indices)
        XCTAssertNotEqual(epoch0, epoch1)
        XCTAssertEqual(epoch1, loader.order(epoch: 1))
        XCTAssertNotEqual(try collect(try self.loader(seed: 2), epoch: 0).flatMap(\.indices), epoch0)
    }

    func testDropLastAndNoShuffle() throws {
        let loader = try BatchLoader(sampleCount: 7, batchSize: 3, shuffle: false, dropLast: true, seed: 0) { $0.indices }
        let batches = loader.batches(epoch: 4)
        var all: [[Int]] = []
        while let batch = try batches.next() { all.append(batch) }
        XCTAssertEqual(all, [[0, 1, 2], [3, 4, 5]])
        XCTAssertEqual(loader.batchCount, 2)
    }

    func testErrorsFromBuildingABatchReachTheConsumer() throws {
        struct Broken: Error {}
        let loader = try BatchLoader(sampleCount: 10, batchSize: 2, seed: 0) { request -> Int in
            if request.index == 2 { throw Broken() }
            return request.index
        }
        let batches = loader.batches(epoch: 0)
        XCTAssertEqual(try batches.next(), 0)
        XCTAssertEqual(try batches.next(), 1)
        XCTAssertThrowsError(try batches.next()) { XCTAssertTrue($0 is Broken) }
        XCTAssertNil(try batches.next())
    }

    func testAbandoningAnEpochStopsTheProducer() throws {
        let built = LogLines()
        let loader = try BatchLoader(sampleCount: 1000, batchSize: 1, seed: 0, prefetch: 1) { request -> Int in
            built.append("\(request.index)")
            return request.index
        }
        do {
            let batches = loader.batches(epoch: 0)
            XCTAssertEqual(try batches.next(), loader.requests(epoch: 0)[0].index)
        }
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertLessThan(built.all.count, 10)
    }

    func testSHDBatchesThroughTheLoader() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loader-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: url) }
        try SyntheticSHD.write(to: url, samples: 12, classes: 3, channels: 30, seed: 4)
        let dataset = try SpikeDataset(contentsOf: url)
        let binning = try SpikeBinning(binCount: 10, maxTime: 1)
        let loader = try BatchLoader(sampleCount: dataset.count, batchSize: 4, seed: 7) { request in
            (binning.batch(dataset, indices: request.indices), request.indices.map { dataset.labels[$0] })
        }
        let batches = loader.batches(epoch: 0)
        var seen = 0
        while let (frames, labels) = try batches.next() {
            XCTAssertEqual(frames.shape, [10, 4, dataset.channelCount])
            XCTAssertEqual(labels.count, 4)
            seen += 1
        }
        XCTAssertEqual(seen, 3)
    }

    func testInvalidArguments() {
        XCTAssertThrowsError(try BatchLoader(sampleCount: 3, batchSize: 0, seed: 0) { $0.indices })
    }
}
