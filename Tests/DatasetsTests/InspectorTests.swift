import Foundation
import XCTest

@testable import Datasets

final class InspectorTests: TemporaryDirectoryTestCase {
    func testSpikeFileReport() throws {
        let url = file("shd_like.h5")
        try SpikeFileWriter().write(
            to: url, times: [[0.1, 0.5], [0.2], [0.3, 0.4, 1.5]], units: [[1, 2], [3], [0, 9, 4]], labels: [0, 1, 1],
            speakers: [2, 3, 2], keys: ["zero", "one"])
        let report = try DatasetInspector.inspect(url)
        XCTAssertEqual(report.format, "HDF5, SHD layout (spikes/times, spikes/units, labels)")
        let facts = Dictionary(uniqueKeysWithValues: report.facts.map { ($0.name, $0.value) })
        XCTAssertEqual(facts["samples"], "3")
        XCTAssertEqual(facts["classes"], "2 (zero, one)")
        XCTAssertEqual(facts["channels"], "10 (largest unit id + 1)")
        XCTAssertEqual(facts["spikes/sample"], "min 1, median 2, max 3")
        XCTAssertEqual(facts["duration"], "min 0.2 s, median 0.5 s, max 1.5 s (last spike)")
        XCTAssertEqual(facts["class counts"], "0:1 1:2")
        XCTAssertEqual(facts["speakers"], "2, 3")
        XCTAssertTrue(report.description.hasPrefix(url.path + "\nformat "))
    }

    func testCIFARFileAndFolderReports() throws {
        try SyntheticCIFAR.write(directory: directory, variant: .cifar10, trainCount: 20, testCount: 10, seed: 1)
        let single = try DatasetInspector.inspect(file("test_batch.bin"))
        XCTAssertEqual(single.format, "CIFAR-10 binary (3073-byte records)")
        XCTAssertTrue(
            single.facts.contains { $0.name == "class counts" && $0.value == "0:1 1:1 2:1 3:1 4:1 5:1 6:1 7:1 8:1 9:1" }
        )
        let folder = try DatasetInspector.inspect(directory)
        XCTAssertTrue(folder.facts.contains { $0.name == "samples" && $0.value == "30" })
        XCTAssertTrue(folder.facts.contains { $0.name == "image shape" })

        let hundred = directory.appendingPathComponent("c100")
        try SyntheticCIFAR.write(directory: hundred, variant: .cifar100, trainCount: 100, testCount: 100, seed: 1)
        let report = try DatasetInspector.inspect(hundred.appendingPathComponent("train.bin"))
        XCTAssertEqual(report.format, "CIFAR-100 binary (3074-byte records)")
        XCTAssertTrue(report.facts.contains { $0.name == "superclass counts" })
    }

    func testEventFileAndFolderReports() throws {
        var events = DVSEvents()
        events.append(x: 1, y: 2, polarity: 1, timestamp: 0)
        events.append(x: 3, y: 4, polarity: 0, timestamp: 500_000)
        let url = file("one.aedat")
        try AEDATFile.write(events, version: .v31, to: url)
        let report = try DatasetInspector.inspect(url)
        XCTAssertEqual(report.format, "AEDAT 3.1 (DVS polarity events)")
        XCTAssertTrue(report.facts.contains { $0.name == "events" && $0.value == "2 (1 ON, 1 OFF)" })
        XCTAssertTrue(report.facts.contains { $0.name == "duration" && $0.value == "0.5 s" })

        let folder = directory.appendingPathComponent("dvs")
        try SyntheticDVS.write(directory: folder, samplesPerClass: 2, eventsPerSample: 50, seed: 1)
        XCTAssertTrue(try DatasetInspector.inspect(folder).facts.contains { $0.name == "samples" && $0.value == "20" })
    }

    func testUnknownAndCompressedFilesAreNamed() throws {
        let text = file("notes.txt")
        try Data("just text".utf8).write(to: text)
        XCTAssertThrowsDatasetError(try DatasetInspector.inspect(text), .unknownFormat(path: text.path))
        let empty = directory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsDatasetError(try DatasetInspector.inspect(empty), .unknownFormat(path: empty.path))
        let gz = file("shd_train.h5.gz")
        try Data([0x1F, 0x8B, 8, 0]).write(to: gz)
        XCTAssertThrowsError(try DatasetInspector.inspect(gz)) { XCTAssertTrue("\($0)".contains("gzip-compressed")) }
        let truncated = file("data_batch_1.bin")
        try Data(count: 100).write(to: truncated)
        XCTAssertThrowsError(try DatasetInspector.inspect(truncated)) {
            XCTAssertTrue("\($0)".contains("3073-byte records"))
        }
    }
}
