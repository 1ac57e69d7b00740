import Foundation
import HDF5
import TensorRuntime
import XCTest

@testable import Datasets

final class SpikeFileTests: TemporaryDirectoryTestCase {
    func testSyntheticFileRoundTripsThroughTheReader() throws {
        let url = file("synthetic.h5")
        try SyntheticSHD.write(to: url, samples: 40, classes: 4, channels: 40, seed: 7)
        let data = try SpikeDataset(contentsOf: url)
        XCTAssertEqual(data.count, 40)
        XCTAssertEqual(data.classCount, 4)
        XCTAssertEqual(data.classNames, ["class-0", "class-1", "class-2", "class-3"])
        XCTAssertEqual(data.labels, (0..<40).map { $0 % 4 })
        XCTAssertEqual(data.speakers, (0..<40).map { ($0 / 4) % 4 }, "every speaker says every class")
        XCTAssertLessThanOrEqual(data.channelCount, 40)
        for i in 0..<data.count {
            let sample = data.sample(i)
            XCTAssertGreaterThanOrEqual(sample.times.count, 60)
            XCTAssertEqual(sample.times, sample.times.sorted())
        }
        // Same seed, same file contents.
        let again = file("again.h5")
        try SyntheticSHD.write(to: again, samples: 40, classes: 4, channels: 40, seed: 7)
        let second = try SpikeDataset(contentsOf: again)
        XCTAssertEqual(second.times, data.times)
        XCTAssertEqual(second.units, data.units)
    }

    func testSyntheticClassesOccupyTheirOwnChannelBands() throws {
        let url = file("bands.h5")
        var options = SyntheticSHD.Options()
        options.noiseSpikes = 0
        try SyntheticSHD.write(to: url, samples: 20, classes: 5, channels: 50, seed: 1, options: options)
        let data = try SpikeDataset(contentsOf: url, channels: 50)
        for i in 0..<data.count {
            let band = (data.labels[i] * 10)..<(data.labels[i] * 10 + 10)
            XCTAssertTrue(data.sample(i).units.allSatisfy { band.contains(Int($0)) })
        }
    }

    /// SHD's density needs thousands of background spikes per sample: the Poisson draw must not
    /// saturate where e^(−mean) underflows (it stopped near 745 spikes).
    func testLargeNoiseMeansAreDrawnInFull() throws {
        var rng = SeededRNG(seed: 3)
        let draws = (0..<200).map { _ in SyntheticSHD.poisson(mean: 4000, rng: &rng) }
        let mean = Double(draws.reduce(0, +)) / Double(draws.count)
        XCTAssertEqual(mean, 4000, accuracy: 4 * (4000.0 / 200).squareRoot(), "mean of Poisson(4000) draws")
        let variance = draws.map { (Double($0) - mean) * (Double($0) - mean) }.reduce(0, +) / Double(draws.count - 1)
        XCTAssertEqual(variance, 4000, accuracy: 1200, "a Poisson variance equals its mean")
    }

    func testEveryStorageTypeReadsBackTheSameValues() throws {
        let times: [[Double]] = [[0.5, 0.25, 1.0], [], [0.125]]
        let units = [[3, 1, 2], [], [7]]
        for timeType in SpikeFileWriter.TimeType.allCases {
            for unitType in SpikeFileWriter.UnitType.allCases {
                for fixedKeys in [false, true] {
                    let url = file("types-\(timeType)-\(unitType)-\(fixedKeys).h5")
                    try SpikeFileWriter(timeType: timeType, unitType: unitType, fixedLengthKeys: fixedKeys)
                        .write(
                            to: url, times: times, units: units, labels: [0, 1, 2], speakers: [4, 5, 4],
                            keys: ["zero", "one", "two"])
                    let data = try SpikeDataset(contentsOf: url)
                    XCTAssertEqual(data.channelCount, 8)
                    XCTAssertEqual(data.classCount, 3)
                    XCTAssertEqual(data.classNames, ["zero", "one", "two"])
                    XCTAssertEqual(data.speakers, [4, 5, 4])
                    // Sorted by time on load, units following their times.
                    XCTAssertEqual(data.sample(0), SpikeSample(times: [0.25, 0.5, 1.0], units: [1, 3, 2], label: 0))
                    XCTAssertEqual(data.sample(1), SpikeSample(times: [], units: [], label: 1))
                    XCTAssertEqual(data.sample(2), SpikeSample(times: [0.125], units: [7], label: 2))
                }
            }
        }
    }

    func testExplicitChannelAndClassCountsOverrideInference() throws {
        let url = file("counts.h5")
        try SpikeFileWriter().write(to: url, times: [[0.1]], units: [[2]], labels: [1])
        let data = try SpikeDataset(contentsOf: url, channels: 700, classes: 20)
        XCTAssertEqual(data.channelCount, 700)
        XCTAssertEqual(data.classCount, 20)
        XCTAssertNil(data.speakers)
        XCTAssertNil(data.classNames)
    }

    func testMissingFile() {
        let url = file("absent.h5")
        XCTAssertThrowsDatasetError(
            try SpikeDataset(contentsOf: url), .fileNotFound(path: url.path), mentions: ["no such file"])
    }

    func testNotHDF5() throws {
        let url = file("text.h5")
        try Data("hello, not HDF5".utf8).write(to: url)
        XCTAssertThrowsDatasetError(
            try SpikeDataset(contentsOf: url), .notHDF5(path: url.path), mentions: ["not an HDF5 file"])
    }

    func testMissingGroup() throws {
        let url = file("labels-only.h5")
        try HDF5File.create(at: url).write([Int64(0), 1], to: "labels", as: .uint16)
        XCTAssertThrowsDatasetError(
            try SpikeDataset(contentsOf: url), .missingField(file: "labels-only.h5", field: "spikes"),
            mentions: ["labels-only.h5", "missing spikes"])
    }

    func testMissingLabels() throws {
        let url = file("no-labels.h5")
        do {
            let writer = try HDF5File.create(at: url)
            try writer.createGroup("spikes")
            try writer.writeRows([[0.1]], to: "spikes/times", as: .float32)
            try writer.writeRows([[Int64(1)]], to: "spikes/units", as: .uint16)
        }
        XCTAssertThrowsDatasetError(
            try SpikeDataset(contentsOf: url), .missingField(file: "no-labels.h5", field: "labels"))
    }

    func testTimesAndUnitsLengthMismatch() throws {
        let url = file("mismatch.h5")
        try SpikeFileWriter().write(
            to: url, times: [[0.1, 0.2], [0.1, 0.2, 0.3]], units: [[1, 2], [1, 2]], labels: [0, 1])
        XCTAssertThrowsDatasetError(
            try SpikeDataset(contentsOf: url),
            .lengthMismatch(file: "mismatch.h5", sample: 1, timeCount: 3, unitCount: 2),
            mentions: ["mismatch.h5: spikes/units[1] has 2 entries but spikes/times[1] has 3"])
    }

    func testUnitAtOrAboveChannelCount() throws {
        let url = file("units.h5")
        try SpikeFileWriter().write(to: url, times: [[0.1, 0.2]], units: [[3, 700]], labels: [0])
        XCTAssertThrowsDatasetError(
            try SpikeDataset(contentsOf: url, channels: 700),
            .unitOutOfRange(file: "units.h5", sample: 0, event: 1, unit: 700, channels: 700),
            mentions: ["spikes/units[0][1] is 700", "0..<700"])
    }

    func testNegativeTime() throws {
        let url = file("negative.h5")
        try SpikeFileWriter().write(to: url, times: [[0.1], [0.2, -0.5]], units: [[1], [1, 2]], labels: [0, 0])
        XCTAssertThrowsDatasetError(
            try SpikeDataset(contentsOf: url), .invalidTime(file: "negative.h5", sample: 1, event: 1, value: -0.5),
            mentions: ["spikes/times[1][1] is -0.5"])
    }

    func testNaNTime() throws {
        let url = file("nan.h5")
        try SpikeFileWriter(timeType: .float64).write(to: url, times: [[Double.nan]], units: [[1]], labels: [0])
        XCTAssertThrowsError(try SpikeDataset(contentsOf: url)) { error in
            guard case DatasetError.invalidTime(let name, 0, 0, let value) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "nan.h5")
            XCTAssertTrue(value.isNaN)
            XCTAssertTrue("\(error)".contains("spikes/times[0][0] is nan"))
        }
    }

    func testLabelOutOfRange() throws {
        let url = file("labels.h5")
        try SpikeFileWriter().write(
            to: url, times: [[0.1], [0.1]], units: [[0], [0]], labels: [1, 3], keys: ["a", "b", "c"])
        XCTAssertThrowsDatasetError(
            try SpikeDataset(contentsOf: url),
            .labelOutOfRange(file: "labels.h5", field: "labels", sample: 1, label: 3, classes: 3),
            mentions: ["labels[1] is 3", "0..<3"])
    }

    func testLabelCountMismatch() throws {
        let url = file("label-count.h5")
        try SpikeFileWriter().write(to: url, times: [[0.1], [0.1]], units: [[0], [0]], labels: [1])
        XCTAssertThrowsDatasetError(
            try SpikeDataset(contentsOf: url),
            .countMismatch(file: "label-count.h5", field: "labels", count: 1, expected: 2))
    }

    func testFilesCanBeReadFromSeveralThreads() throws {
        let url = file("shared.h5")
        try SyntheticSHD.write(to: url, samples: 30, classes: 3, channels: 30, seed: 2)
        let expected = try SpikeDataset(contentsOf: url).times
        let results = LogLines()
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            let times = try? SpikeDataset(contentsOf: url).times
            results.append(times == expected ? "same" : "different")
        }
        XCTAssertEqual(results.all, Array(repeating: "same", count: 6))
    }

    func testLargeFileIsReadAcrossChunks() throws {
        let url = file("large.h5")
        let samples = SpikeFileReader.rowsPerRead * 2 + 3
        try SpikeFileWriter().write(
            to: url, times: (0..<samples).map { [Double($0) / 1000] }, units: (0..<samples).map { [$0 % 5] },
            labels: (0..<samples).map { $0 % 2 })
        let data = try SpikeDataset(contentsOf: url)
        XCTAssertEqual(data.count, samples)
        XCTAssertEqual(data.units, (0..<samples).map { UInt16($0 % 5) })
        XCTAssertEqual(data.times.last, Float(samples - 1) / 1000)
    }
}
