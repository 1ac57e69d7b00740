import Foundation
import TensorRuntime
import XCTest

@testable import Datasets

final class DVSTests: TemporaryDirectoryTestCase {
    func sampleEvents() -> DVSEvents {
        var events = DVSEvents()
        events.append(x: 0, y: 0, polarity: 1, timestamp: 10)
        events.append(x: 127, y: 5, polarity: 0, timestamp: 20)
        events.append(x: 64, y: 127, polarity: 1, timestamp: 30)
        events.append(x: 3, y: 90, polarity: 0, timestamp: 1_000_000)
        return events
    }

    func testBothVersionsRoundTrip() throws {
        for version in [AEDATFile.Version.v2, .v31] {
            let url = file("round-\(version.rawValue).aedat")
            try AEDATFile.write(sampleEvents(), version: version, to: url)
            let (read, events) = try AEDATFile.read(url)
            XCTAssertEqual(read, version)
            XCTAssertEqual(events, sampleEvents())
        }
    }

    func testAEDAT2UsesTheDVS128AddressLayoutBigEndian() throws {
        let url = file("v2.aedat")
        try AEDATFile.write(sampleEvents(), version: .v2, to: url)
        let data = try Data(contentsOf: url)
        let header = "#!AER-DAT2.0\r\n# This is a raw AE data file created by the SNN toolkit\r\n".utf8.count
        // Event 1 (x 127, y 5, OFF): raw x = 127 − 5 = 122, raw y = 127 − 127 = 0, bit 0 = 1 (OFF).
        let address = data[(header + 8)..<(header + 12)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        XCTAssertEqual(address, 122 << 1 | 1)
    }

    /// Builds a 3.1 file by hand: a non-polarity packet (skipped), then a polarity packet with a
    /// timestamp overflow and one event without the valid bit.
    func testAEDAT31PacketsAreParsedFromTheSpecifiedLayout() throws {
        var data = Data("#!AER-DAT3.1\r\n#Format: RAW\r\n#!END-HEADER\r\n".utf8)
        func put<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
        }
        // Special-event packet: type 0, two 8-byte events.
        put(Int16(0))
        put(Int16(1))
        put(Int32(8))
        put(Int32(4))
        put(Int32(0))
        put(Int32(2))
        put(Int32(2))
        put(Int32(2))
        data.append(Data(repeating: 0xAB, count: 16))
        // Polarity packet, overflow 1: valid ON event at (5, 7), then an invalid one.
        put(Int16(1))
        put(Int16(1))
        put(Int32(8))
        put(Int32(4))
        put(Int32(1))
        put(Int32(2))
        put(Int32(2))
        put(Int32(1))
        put(UInt32(5 << 17 | 7 << 2 | 1 << 1 | 1))
        put(Int32(42))
        put(UInt32(9 << 17 | 9 << 2))
        put(Int32(43))
        let url = file("hand.aedat")
        try data.write(to: url)
        let events = try AEDATFile.read(url).events
        XCTAssertEqual(events.count, 1)
        XCTAssertEqual(events.x, [5])
        XCTAssertEqual(events.y, [7])
        XCTAssertEqual(events.polarity, [1])
        XCTAssertEqual(events.timestamps, [1 << 31 | 42])
    }

    func testTruncatedPacketAndBadHeaderAreReported() throws {
        let url = file("cut.aedat")
        try AEDATFile.write(sampleEvents(), version: .v31, to: url)
        try Data(try Data(contentsOf: url).dropLast(3)).write(to: url)
        XCTAssertThrowsError(try AEDATFile.read(url)) { error in
            XCTAssertTrue("\(error)".contains("cut.aedat: packet at byte"), "\(error)")
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
        let v2 = file("cut2.aedat")
        try AEDATFile.write(sampleEvents(), version: .v2, to: v2)
        try Data(try Data(contentsOf: v2).dropLast(3)).write(to: v2)
        XCTAssertThrowsError(try AEDATFile.read(v2)) {
            XCTAssertTrue("\($0)".contains("8-byte AEDAT 2.0 records"), "\($0)")
        }
        let text = file("text.aedat")
        try Data("hello\n".utf8).write(to: text)
        XCTAssertThrowsError(try AEDATFile.read(text)) { XCTAssertTrue("\($0)".contains("#!AER-DAT"), "\($0)") }
        XCTAssertThrowsDatasetError(
            try AEDATFile.read(file("none.aedat")), .fileNotFound(path: file("none.aedat").path))
    }

    func testFramingByEventCount() throws {
        // 4 events into 2 frames: two each; at full resolution every event has its own pixel.
        let framing = try DVSFraming(frameCount: 2, split: .eventCount, size: 128)
        XCTAssertEqual(framing.frameIndices(sampleEvents()), [0, 0, 1, 1])
        let frames = framing.frames(sampleEvents())
        XCTAssertEqual(frames.shape, [2, 2, 128, 128])
        let values = frames.floats
        let plane = 128 * 128
        XCTAssertEqual(values[(0 * 2 + 1) * plane + 0 * 128 + 0], 1)  // frame 0, ON, (0, 0)
        XCTAssertEqual(values[(0 * 2 + 0) * plane + 5 * 128 + 127], 1)  // frame 0, OFF, (127, 5)
        XCTAssertEqual(values[(1 * 2 + 1) * plane + 127 * 128 + 64], 1)  // frame 1, ON, (64, 127)
        XCTAssertEqual(values.reduce(0, +), 4)
        // Fewer events than frames: all land in the last frame.
        XCTAssertEqual(try DVSFraming(frameCount: 8, split: .eventCount).frameIndices(sampleEvents()), [7, 7, 7, 7])
    }

    func testFramingByTime() throws {
        // Span 999 990 µs into 2 frames of 499 995 µs: the first three events are in frame 0.
        XCTAssertEqual(try DVSFraming(frameCount: 2, split: .time).frameIndices(sampleEvents()), [0, 0, 0, 1])
        XCTAssertEqual(try DVSFraming(frameCount: 3, split: .time).frameIndices(sampleEvents()), [0, 0, 0, 2])
    }

    func testDownSamplingTo48SumsCounts() throws {
        var events = DVSEvents()
        for x in [0, 1, 2] { events.append(x: x, y: 127, polarity: 0, timestamp: Int64(x)) }
        let values = try DVSFraming(frameCount: 1, size: 48).frames(events).floats
        // x · 48 / 128: 0, 0, 0 → pixel (0, 47), y = 127 → 47.
        XCTAssertEqual(values[47 * 48 + 0], 3)
        XCTAssertEqual(values.reduce(0, +), 3)
    }

    func testSyntheticFolderLoadsSplitsAndBatches() throws {
        try SyntheticDVS.write(directory: directory, samplesPerClass: 4, eventsPerSample: 300, seed: 3)
        let recordings = try CIFAR10DVS(directory: directory)
        XCTAssertEqual(recordings.count, 40)
        XCTAssertEqual(recordings.labels, (0..<10).flatMap { Array(repeating: $0, count: 4) })
        XCTAssertEqual(recordings.files[1].lastPathComponent, "cifar10_airplane_1.aedat")
        let (train, test) = try recordings.split(testFraction: 0.25, seed: 1)
        XCTAssertEqual(test.count, 10)
        XCTAssertEqual(train.count, 30)
        XCTAssertTrue(Set(train.files).isDisjoint(with: test.files))
        XCTAssertEqual(try recordings.split(testFraction: 0.25, seed: 1).test.files, test.files)
        let framing = try DVSFraming(frameCount: 4, split: .eventCount, size: 48)
        let (frames, labels) = try test.batch([0, 1], framing: framing)
        XCTAssertEqual(frames.shape, [4, 2, 2, 48, 48])
        XCTAssertEqual(labels, [test.labels[0], test.labels[1]])
        // Time-major: frame 0 of sample 1 equals that sample's own frame 0.
        let own = framing.frames(try AEDATFile.read(test.files[1]).events).floats
        let perFrame = 2 * 48 * 48
        XCTAssertEqual(Array(frames.floats[perFrame..<(2 * perFrame)]), Array(own[0..<perFrame]))
        XCTAssertEqual(frames.floats.reduce(0, +), 600)
    }

    func testMissingClassFolder() throws {
        XCTAssertThrowsError(try CIFAR10DVS(directory: directory)) {
            XCTAssertTrue("\($0)".contains("airplane/"), "\($0)")
        }
    }
}
