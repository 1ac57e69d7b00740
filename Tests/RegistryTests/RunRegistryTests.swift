import Foundation
import GRDB
import Registry
import RegistryFixtures
import TestSupport
import XCTest

final class RunRegistryTests: RegistryTestCase {
    func testRunLifecycleIsStoredAndQueried() throws {
        try forEachBackend { backend in
            let registry = try makeRegistry(backend)
            let run = try registry.startRun(spec(seed: 7))
            try registry.logMetrics(
                run,
                [
                    MetricPoint(split: "train", name: "loss", value: 2.5, epoch: 0),
                    MetricPoint(split: "test", name: "accuracy", value: 0.5, epoch: 0),
                ])
            try registry.logMetric(run, MetricPoint(split: "train", name: "loss", value: .nan, epoch: 1, step: 40))
            try registry.logMetric(run, MetricPoint(split: "test", name: "accuracy", value: 0.75, epoch: 1))
            try registry.finish(run, status: .completed)

            let record = try registry.run(run)
            XCTAssertEqual(record.status, .completed)
            XCTAssertEqual(record.seed, 7)
            XCTAssertEqual(record.neuron, "lif")
            XCTAssertEqual(record.provenance, testProvenance)
            XCTAssertEqual(record.pid, ProcessInfo.processInfo.processIdentifier)
            XCTAssertNotNil(record.endedAt)

            let losses = try registry.metrics(of: run, split: "train", name: "loss")
            XCTAssertEqual(losses.count, 2)
            XCTAssertEqual(losses[0], MetricPoint(split: "train", name: "loss", value: 2.5, epoch: 0))
            XCTAssertTrue(losses[1].value.isNaN, "NaN must survive the round trip, not become an error or 0")
            XCTAssertEqual(losses[1].step, 40)
            XCTAssertEqual(try registry.finalMetrics(of: run)[MetricKey(split: "test", name: "accuracy")], 0.75)
        }
    }

    func testFinishingTwiceAndLoggingAfterFinishAreRejected() throws {
        try forEachBackend { backend in
            let registry = try makeRegistry(backend)
            let run = try registry.startRun(spec())
            try registry.finish(run, status: .failed, reason: "NaN loss at step 12")
            XCTAssertEqual(try registry.run(run).failureReason, "NaN loss at step 12")
            XCTAssertThrowsError(try registry.finish(run, status: .completed)) { error in
                XCTAssertEqual(error as? RegistryError, .runNotRunning(run, status: .failed))
            }
            XCTAssertThrowsError(try registry.logMetric(run, MetricPoint(split: "train", name: "loss", value: 1)))
            XCTAssertThrowsError(try registry.finish(run, status: .running)) { error in
                XCTAssertEqual(error as? RegistryError, .notTerminal(.running))
            }
            XCTAssertThrowsError(try registry.run(RunID(999))) { error in
                XCTAssertEqual(error as? RegistryError, .unknownRun(RunID(999)))
            }
        }
    }

    func testConfigMustBeAJSONObject() throws {
        try forEachBackend { backend in
            let registry = try makeRegistry(backend)
            XCTAssertThrowsError(try registry.startRun(spec(config: "timesteps: 100"))) { error in
                guard case .invalidJSON(let field, _) = error as? RegistryError else { return XCTFail("\(error)") }
                XCTAssertEqual(field, "config")
            }
            XCTAssertThrowsError(try registry.startRun(spec(config: "[1, 2]")))
            XCTAssertTrue(try registry.runs().isEmpty)
        }
    }

    func testEncodableConfigIsStoredWithSortedKeys() throws {
        try forEachBackend { backend in
            struct Config: Encodable {
                var width = 128
                var lr = 0.001
            }
            let registry = try makeRegistry(backend)
            let run = try registry.startRun(
                try RunSpec(experiment: "e", paper: "p", config: Config(), provenance: testProvenance))
            XCTAssertEqual(try registry.run(run).configJSON, "{\"lr\":0.001,\"width\":128}")
        }
    }

    func testArtifactsCarryTheirSHA256() throws {
        try forEachBackend { backend in
            let registry = try makeRegistry(backend)
            let run = try registry.startRun(spec())
            let file = try temporaryDirectory(self).appendingPathComponent("model.ckpt")
            try Data("hello\n".utf8).write(to: file)
            let artifact = try registry.addArtifact(run, kind: "checkpoint", path: file.path)
            // `printf 'hello\n' | sha256sum`
            XCTAssertEqual(artifact.sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
            XCTAssertEqual(artifact.bytes, 6)
            XCTAssertEqual(try registry.artifacts(of: run), [artifact])
            XCTAssertThrowsError(try registry.addArtifact(run, kind: "figure", path: file.path + ".missing")) { error in
                guard case .artifactUnreadable(let path, _) = error as? RegistryError else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(path, file.path + ".missing")
            }
        }
    }

    func testFilterSelectsRunsAndLimitKeepsTheNewest() throws {
        try forEachBackend { backend in
            let registry = try makeRegistry(backend)
            let a = try registry.startRun(spec(neuron: "lif"))
            let b = try registry.startRun(spec(neuron: "qif"))
            let c = try registry.startRun(spec(paper: "paper-b", neuron: "lif"))
            try registry.finish(b, status: .completed)
            XCTAssertEqual(try registry.runs(RunFilter(neuron: "lif")).map(\.id), [a, c])
            XCTAssertEqual(try registry.runs(RunFilter(paper: "paper-a", status: .running)).map(\.id), [a])
            XCTAssertEqual(try registry.runs(RunFilter(limit: 2)).map(\.id), [b, c])
        }
    }

    func testStaleRunIsInterruptedOnNextOpen() throws {
        try forEachBackend { backend in
            let clock = ManualClock()
            let options = options(clock: clock, staleAfter: 60)
            let location = try freshLocation(backend)
            let first = try RunRegistry.open(location: location, options: options)
            let quiet = try first.startRun(spec())
            let beating = try first.startRun(spec())
            clock.advance(by: 50)
            try first.heartbeat(beating)
            clock.advance(by: 20)  // quiet: 70 s without heartbeat; beating: 20 s.

            let reopened = try RunRegistry.open(location: location, options: options)
            let interrupted = try reopened.run(quiet)
            XCTAssertEqual(interrupted.status, .interrupted)
            XCTAssertTrue(
                interrupted.failureReason?.hasPrefix("no heartbeat since") == true,
                "\(interrupted.failureReason ?? "nil")")
            XCTAssertEqual(interrupted.endedAt, interrupted.heartbeatAt)
            XCTAssertEqual(try reopened.run(beating).status, .running)
        }
    }

    func testReopeningKeepsSchemaAndRows() throws {
        try forEachBackend { backend in
            let location = try freshLocation(backend, file: "nested/dir/r.sqlite")
            let registry = try RunRegistry.open(location: location)
            XCTAssertEqual(try registry.schemaVersion(), 2)
            let run = try registry.startRun(spec())
            let reopened = try RunRegistry.open(location: location)
            XCTAssertEqual(try reopened.schemaVersion(), 2, "reopening applies no migration twice")
            XCTAssertEqual(try reopened.run(run).id, run)
        }
    }

    func testMissingFileIsRejectedWhenNotCreating() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("r.sqlite.absent").path
        var readOnly = RegistryOptions()
        readOnly.createIfMissing = false
        XCTAssertThrowsError(try RunRegistry.open(path: path, options: readOnly)) { error in
            XCTAssertEqual(error as? RegistryError, .missingRegistry(path: path))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testSummaryTakesNewestRunPerSeedAndMatchesConfig() throws {
        try forEachBackend { backend in
            let registry = try makeRegistry(backend)
            func completed(
                seed: Int, accuracy: Double, config: String = "{\"timesteps\": 100}", status: RunStatus = .completed
            ) throws {
                let run = try registry.startRun(spec(config: config, seed: seed))
                try registry.logMetric(
                    run, MetricPoint(split: "test", name: "accuracy", value: accuracy - 10, epoch: 0))
                try registry.logMetric(run, MetricPoint(split: "test", name: "accuracy", value: accuracy, epoch: 1))
                try registry.finish(run, status: status)
            }
            try completed(seed: 0, accuracy: 50)
            try completed(seed: 0, accuracy: 80)  // Rerun of seed 0 replaces 50.
            try completed(seed: 1, accuracy: 84)
            try completed(seed: 2, accuracy: 82)
            try completed(seed: 3, accuracy: 10, status: .failed)
            try completed(seed: 4, accuracy: 99, config: "{\"timesteps\": 50}")

            let query = MetricQuery(paper: "paper-a", config: ["timesteps": .int(100)], split: "test", name: "accuracy")
            let summary = try registry.summarize(query)
            XCTAssertEqual(summary.values, [80, 84, 82])
            XCTAssertEqual(summary.mean, 82)
            XCTAssertEqual(summary.std!, 2, accuracy: 1e-12)

            var best = query
            best.reduction = .min
            XCTAssertEqual(try registry.summarize(best).values, [70, 74, 72])
            XCTAssertEqual(try registry.summarize(MetricQuery(paper: "paper-b", split: "test", name: "accuracy")).n, 0)
        }
    }

    func testExportWritesCSVAndJSON() throws {
        try forEachBackend { backend in
            let registry = try makeRegistry(backend)
            let run = try registry.startRun(spec(config: "{\"name\": \"a,b\"}", seed: 3))
            try registry.logMetric(run, MetricPoint(split: "test", name: "accuracy", value: 0.9))
            try registry.finish(run, status: .completed)
            let runs = try registry.runs()

            let csv = try registry.exportCSV(runs).split(separator: "\n")
            XCTAssertEqual(csv.count, 2)
            XCTAssertTrue(csv[0].hasSuffix(",config,test/accuracy"), String(csv[0]))
            XCTAssertTrue(csv[1].hasSuffix(",\"{\"\"name\"\": \"\"a,b\"\"}\",0.9"), String(csv[1]))

            let json =
                try JSONSerialization.jsonObject(with: Data(try registry.exportJSON(runs).utf8)) as? [[String: Any]]
            let object = try XCTUnwrap(json?.first)
            XCTAssertEqual(object["seed"] as? Int, 3)
            XCTAssertEqual((object["config"] as? [String: Any])?["name"] as? String, "a,b")
            XCTAssertEqual(((object["metrics"] as? [[String: Any]])?.first?["value"] as? Double), 0.9)
        }
    }
}

final class RegistryFileTests: RegistryTestCase {
    func testRegistryUsesWriteAheadLog() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("r.sqlite").path
        let registry = try RunRegistry.open(path: path)
        _ = try registry.startRun(spec())
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: path + "-wal"), "WAL mode keeps a -wal file beside the database")
    }

    func testRegistryWrittenByANewerToolkitIsRefused() throws {
        try forEachBackend { backend in
            let location = try freshLocation(backend)
            _ = try RunRegistry.open(location: location)
            switch backend {
            case .sqlite:
                let queue = try DatabaseQueue(path: location)
                try queue.write { db in
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
                }
            case .postgres:
                try PostgresTestServer.required().psql(
                    "INSERT INTO schema_migrations (identifier) VALUES ('v99: from the future')", location: location)
            }
            let shown = try RegistryLocation(location).description
            XCTAssertThrowsError(try RunRegistry.open(location: location)) { error in
                XCTAssertEqual(
                    error as? RegistryError, .newerSchema(path: shown, unknownMigrations: ["v99: from the future"]))
            }
        }
    }

    func testProvenanceWithoutGitRepository() throws {
        let outside = try temporaryDirectory(self)
        let provenance = Provenance.collect(directory: outside)
        XCTAssertNil(provenance.gitCommit, "a folder outside any repository has no commit")
        XCTAssertNil(provenance.gitDirty)
        XCTAssertFalse(provenance.host.isEmpty)
        XCTAssertGreaterThan(provenance.cpuCount, 0)
    }

    func testCurveAveragesEachEpochOverSeeds() throws {
        try forEachBackend { backend in
            let registry = try makeRegistry(backend)
            for (seed, offset) in [(0, 0.0), (1, 2.0)] {
                let run = try registry.startRun(spec(seed: seed))
                for epoch in 0..<3 {
                    try registry.logMetric(
                        run, MetricPoint(split: "val", name: "loss", value: Double(epoch) + offset, epoch: epoch))
                }
                try registry.finish(run, status: .completed)
            }
            let curve = try registry.curve(MetricQuery(paper: "paper-a", split: "val", name: "loss"))
            XCTAssertEqual(curve.map(\.position), [0, 1, 2])
            XCTAssertEqual(curve.map { $0.summary.mean! }, [1, 2, 3])
            XCTAssertEqual(curve[0].summary.std!, 2.0.squareRoot(), accuracy: 1e-12)
            XCTAssertEqual(curve[2].summary.n, 2)
        }
    }
}
