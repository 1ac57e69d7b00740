import Foundation
import Registry
import RegistryFixtures
import TestSupport
import XCTest

/// What a results table reads from the registry: config fingerprints, the runs a query picks, and
/// the data checksums recorded with them (the reports built on these are in ReportingTests).
final class MetricQueryTests: RegistryTestCase {
    func testFingerprintIgnoresSeedAndKeyOrderOnly() throws {
        let base = try ConfigFingerprint.of(configJSON: #"{"seed": 1, "model": {"width": 8, "depth": 2}, "lr": 0.001}"#)
        XCTAssertEqual(base.count, 64)
        let reordered = #"{"lr":0.001,"model":{"depth":2,"width":8},"seed":7}"#
        XCTAssertEqual(try ConfigFingerprint.of(configJSON: reordered), base)
        XCTAssertEqual(try ConfigFingerprint.of(configJSON: #"{"lr":0.001,"model":{"depth":2,"width":8}}"#), base)
        let changes = [
            #"{"lr":0.002,"model":{"depth":2,"width":8}}"#, #"{"lr":0.001,"model":{"depth":2,"width":16}}"#,
            #"{"lr":0.001,"model":{"depth":2,"width":8,"seed":1}}"#,
            #"{"lr":0.001,"model":{"depth":2,"width":8},"x":null}"#,
        ]
        for changed in changes {
            XCTAssertNotEqual(try ConfigFingerprint.of(configJSON: changed), base, changed)
        }
        XCTAssertThrowsError(try ConfigFingerprint.of(configJSON: "[1, 2]")) {
            XCTAssertTrue("\($0)".contains("must be a JSON object"), "\($0)")
        }
        XCTAssertThrowsError(try ConfigFingerprint.of(configJSON: "{oops")) {
            XCTAssertTrue("\($0)".contains("not valid JSON"), "\($0)")
        }
    }

    /// Planted runs: the protocol's config with three seeds (one rerun), a manual `--set` run and
    /// one of an older preset under the same labels. Only the first three count.
    func testQueriesSelectRunsByFingerprint() throws {
        try forEachBackend { backend in
            let registry = try makeRegistry(backend)
            let protocolConfig = #"{"epochs":5,"neuron":"qif","seed":%d}"#
            let rows: [(config: String, seed: Int, accuracy: Double)] = [
                (String(format: protocolConfig, 1), 1, 0.70), (String(format: protocolConfig, 1), 1, 0.80),
                (String(format: protocolConfig, 2), 2, 0.82), (String(format: protocolConfig, 3), 3, 0.84),
                (#"{"epochs":5,"neuron":"qif","seed":2,"width":256}"#, 2, 0.99),  // --set model.width=256
                (#"{"epochs":3,"neuron":"qif","seed":4}"#, 4, 0.10),  // the preset before its epochs changed
            ]
            for row in rows {
                let run = try registry.startRun(spec(neuron: "qif", preset: "cpu", config: row.config, seed: row.seed))
                try registry.logMetric(run, MetricPoint(split: "test", name: "accuracy", value: row.accuracy, epoch: 1))
                try registry.finish(run, status: .completed)
            }
            let fingerprint = try ConfigFingerprint.of(configJSON: String(format: protocolConfig, 0))
            let summary = try registry.summarize(MetricQuery(fingerprint: fingerprint, split: "test", name: "accuracy"))
            XCTAssertEqual(summary.values, [0.80, 0.82, 0.84])
            XCTAssertEqual(summary.runs, [RunID(2), RunID(3), RunID(4)])
            let curve = try registry.curve(MetricQuery(fingerprint: fingerprint, split: "test", name: "accuracy"))
            XCTAssertEqual(curve.first?.summary.n, 3)
            // By label alone, the other two would have counted.
            let byLabel = MetricQuery(neuron: "qif", preset: "cpu", split: "test", name: "accuracy")
            XCTAssertEqual(try registry.summarize(byLabel).n, 4)
        }
    }

    /// A data folder's checksum covers every file's name and content, not the order they were written in.
    func testDataFolderDigest() throws {
        let first = try temporaryDirectory(self)
        let second = try temporaryDirectory(self)
        for (folder, order) in [(first, ["a.bin", "sub/b.bin"]), (second, ["sub/b.bin", "a.bin"])] {
            let sub = folder.appendingPathComponent("sub")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            for name in order { try Data(name.utf8).write(to: folder.appendingPathComponent(name)) }
        }
        let digest = try DataFileDigest.of(first)
        XCTAssertEqual(digest.sha256, try DataFileDigest.of(second).sha256)
        XCTAssertEqual(digest.bytes, Int64("a.bin".utf8.count + "sub/b.bin".utf8.count))
        try Data("changed".utf8).write(to: second.appendingPathComponent("sub/b.bin"))
        XCTAssertNotEqual(digest.sha256, try DataFileDigest.of(second).sha256)
        XCTAssertThrowsError(try DataFileDigest.of(first.appendingPathComponent("missing.h5"))) {
            XCTAssertTrue("\($0)".contains("missing.h5"), "\($0)")
        }
    }
}
