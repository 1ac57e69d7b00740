import Foundation
import TensorRuntime
import XCTest

@testable import Datasets

final class SpikeRepresentationTests: XCTestCase {
    /// Two samples over 3 channels: sample 0 has spikes at t = 0, 0.1, 0.25, 0.3, 0.99, 1.0.
    func makeDataset(speakers: [Int]? = nil) -> SpikeDataset {
        SpikeDataset(
            name: "hand", channelCount: 3, classCount: 2, classNames: nil, labels: [0, 1], speakers: speakers,
            times: [0, 0.1, 0.25, 0.3, 0.99, 1.0, 0.5], units: [0, 1, 1, 2, 0, 1, 2], offsets: [0, 6, 7])
    }

    func testCountBinningByBinCount() throws {
        let binning = try SpikeBinning(binCount: 4, maxTime: 1)
        // Bins [0, .25), [.25, .5), [.5, .75), [.75, 1); t = 1.0 is dropped, 0.25 starts bin 1.
        XCTAssertEqual(binning.frames(makeDataset(), sample: 0).shape, [4, 3])
        XCTAssertEqual(
            binning.frames(makeDataset(), sample: 0).floats,
            [
                1, 1, 0,
                0, 1, 1,
                0, 0, 0,
                1, 0, 0,
            ])
    }

    func testBinaryBinningCapsAtOne() throws {
        let dataset = SpikeDataset(
            name: "dup", channelCount: 2, classCount: 1, classNames: nil, labels: [0], speakers: nil,
            times: [0.1, 0.2, 0.3, 0.6], units: [1, 1, 1, 0], offsets: [0, 4])
        XCTAssertEqual(
            try SpikeBinning(binCount: 2, maxTime: 1, mode: .counts).frames(dataset, sample: 0).floats, [0, 3, 1, 0])
        XCTAssertEqual(
            try SpikeBinning(binCount: 2, maxTime: 1, mode: .binary).frames(dataset, sample: 0).floats, [0, 1, 1, 0])
    }

    func testBinningByWidthPutsBoundaryTimesInTheLaterBin() throws {
        let binning = try SpikeBinning(binWidth: 0.1, maxTime: 0.35)
        XCTAssertEqual(binning.binCount, 4)
        XCTAssertEqual(binning.maxTime, 0.4, accuracy: 1e-6)
        XCTAssertEqual(binning.bin(of: 0.3), 3)
        XCTAssertEqual(binning.bin(of: 0.1), 1)
        XCTAssertEqual(binning.bin(of: 0.0999), 0)
        XCTAssertNil(binning.bin(of: 0.4))
        XCTAssertNil(binning.bin(of: -0.1))
    }

    func testBatchIsTimeMajor() throws {
        let binning = try SpikeBinning(binCount: 2, maxTime: 1)
        let batch = binning.batch(makeDataset(), indices: [1, 0])
        XCTAssertEqual(batch.shape, [2, 2, 3])
        // Bin 0: sample 1 has nothing, sample 0 has units 0, 1, 1, 2 (t < 0.5).
        // Bin 1: sample 1 has unit 2 at 0.5, sample 0 has unit 0 at 0.99.
        XCTAssertEqual(batch.floats, [0, 0, 0, 1, 2, 1, 0, 0, 1, 1, 0, 0])
    }

    func testBinningRejectsBadArguments() {
        XCTAssertThrowsError(try SpikeBinning(binCount: 0, maxTime: 1))
        XCTAssertThrowsError(try SpikeBinning(binWidth: 0, maxTime: 1))
        XCTAssertThrowsError(try SpikeBinning(binCount: 3, maxTime: .nan))
    }

    func testTimeNormalisationMapsFirstToZeroAndLastBelowT() throws {
        let normalised = try makeDataset().normalizingTime(to: 2)
        let sample = normalised.sample(0)
        XCTAssertEqual(sample.times[0], 0)
        XCTAssertEqual(sample.times[1], 0.2, accuracy: 1e-6)
        XCTAssertEqual(sample.times[2], 0.5, accuracy: 1e-6)
        XCTAssertEqual(sample.times[3], 0.6, accuracy: 1e-6)
        XCTAssertEqual(sample.times[4], 1.98, accuracy: 1e-6)
        XCTAssertEqual(sample.times[5], Float(2).nextDown)
        XCTAssertEqual(sample.units, [0, 1, 1, 2, 0, 1])
        // A single spike maps to 0.
        XCTAssertEqual(normalised.sample(1).times, [0])
    }

    func testTimeNormalisationTrimsBothEnds() throws {
        // 6 spikes, 20 %: ⌊1.2⌋ = 1 dropped at each end; 0.1 ... 0.99 stretched to [0, 1).
        let sample = try makeDataset().normalizingTime(to: 1, trimming: 0.2).sample(0)
        XCTAssertEqual(sample.units, [1, 1, 2, 0])
        XCTAssertEqual(sample.times[0], 0)
        XCTAssertEqual(sample.times[1], Float(0.15 / 0.89), accuracy: 1e-6)
        XCTAssertEqual(sample.times[2], Float(0.2 / 0.89), accuracy: 1e-6)
        XCTAssertEqual(sample.times[3], Float(1).nextDown)
        XCTAssertThrowsError(try makeDataset().normalizingTime(to: 1, trimming: 0.5))
    }

    func testChannelPoolingSumsGroups() throws {
        let dataset = SpikeDataset(
            name: "pool", channelCount: 700, classCount: 1, classNames: nil, labels: [0], speakers: nil,
            times: [0.1, 0.1, 0.1, 0.2], units: [0, 4, 5, 699], offsets: [0, 4])
        let pooled = try dataset.poolingChannels(by: 5)
        XCTAssertEqual(pooled.channelCount, 140)
        XCTAssertEqual(pooled.units, [0, 0, 1, 139])
        let frames = try SpikeBinning(binCount: 1, maxTime: 1).frames(pooled, sample: 0).floats
        XCTAssertEqual(frames[0], 2)
        XCTAssertEqual(frames[1], 1)
        XCTAssertEqual(frames[139], 1)
        XCTAssertEqual(try makeDataset().poolingChannels(by: 2).channelCount, 2)
    }

    func testEventListsAreSortedAndCutAtMaxTime() {
        let events = makeDataset().events(0, before: 0.3)
        XCTAssertEqual(events, SpikeSample(times: [0, 0.1, 0.25], units: [0, 1, 1], label: 0))
        XCTAssertEqual(makeDataset().events(0).times.count, 6)
    }

    func testUnsortedSamplesAreSortedStably() {
        var times: [Float] = [0.3, 0.1, 0.1, 0.2, 0.9, 0.5]
        var units: [UInt16] = [0, 1, 2, 3, 4, 5]
        sortEventsByTime(times: &times, units: &units, offsets: [0, 4, 6])
        XCTAssertEqual(times, [0.1, 0.1, 0.2, 0.3, 0.5, 0.9])
        XCTAssertEqual(units, [1, 2, 3, 0, 5, 4])
    }

    func testRandomSplitIsStratifiedDisjointAndStable() throws {
        let n = 100
        let dataset = SpikeDataset(
            name: "split", channelCount: 1, classCount: 4, classNames: nil, labels: (0..<n).map { $0 % 4 },
            speakers: nil, times: (0..<n).map { Float($0) }, units: [UInt16](repeating: 0, count: n),
            offsets: Array(0...n))
        let (train, validation) = try dataset.split(.random(fraction: 0.2), seed: 3)
        XCTAssertEqual(validation.count, 20)
        XCTAssertEqual(train.count, 80)
        for label in 0..<4 { XCTAssertEqual(validation.labels.filter { $0 == label }.count, 5) }
        // Each sample's single event time identifies it.
        XCTAssertTrue(Set(train.times).isDisjoint(with: validation.times))
        XCTAssertEqual(Set(train.times).union(validation.times).count, n)
        XCTAssertEqual(validation.times, validation.times.sorted(), "file order is kept")
        let again = try dataset.split(.random(fraction: 0.2), seed: 3)
        XCTAssertEqual(again.validation.times, validation.times)
        let other = try dataset.split(.random(fraction: 0.2), seed: 4)
        XCTAssertNotEqual(other.validation.times, validation.times)
    }

    func testRandomSplitIsPinnedAcrossToolchains() throws {
        // Guards the hand-written shuffle: a change here silently changes every published split.
        var rng = SeededRNG(seed: 42)
        XCTAssertEqual(rng.shuffled(Array(0..<10)), SplitPin.shuffledTen)
        var counts = [0, 0, 0]
        for _ in 0..<30_000 { counts[rng.index(below: 3)] += 1 }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
    }

    func testSplitBySpeakerHoldsOutWholeSpeakers() throws {
        let n = 60
        let speakers = (0..<n).map { $0 % 6 }
        let dataset = SpikeDataset(
            name: "speakers", channelCount: 1, classCount: 2, classNames: nil, labels: (0..<n).map { $0 % 2 },
            speakers: speakers, times: (0..<n).map { Float($0) }, units: [UInt16](repeating: 0, count: n),
            offsets: Array(0...n))
        let (train, validation) = try dataset.split(.speakers(count: 2), seed: 9)
        XCTAssertEqual(Set(validation.speakers!).count, 2)
        XCTAssertTrue(Set(train.speakers!).isDisjoint(with: validation.speakers!))
        XCTAssertEqual(train.count + validation.count, n)
        XCTAssertEqual(try dataset.split(.speakers(count: 2), seed: 9).validation.speakers, validation.speakers)
        XCTAssertThrowsError(try dataset.split(.speakers(count: 6), seed: 9))
        XCTAssertThrowsDatasetError(
            try makeDataset().split(.speakers(count: 1), seed: 0),
            .missingContent(path: "hand", what: "extra/speaker, which a split by speaker needs"))
    }
}

/// `SeededRNG(seed: 42).shuffled(0..<10)` when this was written.
enum SplitPin { static let shuffledTen = [9, 1, 4, 2, 8, 7, 6, 5, 3, 0] }
