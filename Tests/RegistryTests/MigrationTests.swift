import Foundation
import Registry
import RegistryFixtures
import TestSupport
import XCTest

/// Copying registries between backends (`snn registry migrate`).
final class MigrationTests: RegistryTestCase {
    func testRoundTripSQLiteToPostgresToSQLiteKeepsEveryRow() throws {
        guard try PostgresTestServer.shared() != nil else { throw XCTSkip(PostgresTestServer.skipMessage) }
        let original = try makeRegistry(.sqlite)
        try fill(original)
        let postgres = try makeRegistry(.postgres)
        try postgres.restore(try original.snapshot(), append: false)
        let back = try makeRegistry(.sqlite)
        try back.restore(try postgres.snapshot(), append: false)

        let expected = try original.snapshot()
        XCTAssertEqual(expected.rowCounts.map(\.rows), [3, 5, 1, 1, 3])
        XCTAssertEqual(try postgres.snapshot(), expected, "SQLite → PostgreSQL changed a row")
        XCTAssertEqual(try back.snapshot(), expected, "PostgreSQL → SQLite changed a row")
        for registry in [postgres, back] {
            XCTAssertEqual(try registry.exportJSON(registry.runs()), try original.exportJSON(original.runs()))
            XCTAssertEqual(try registry.exportCSV(registry.runs()), try original.exportCSV(original.runs()))
            let study = try XCTUnwrap(registry.study(named: "lr"))
            XCTAssertEqual(
                try registry.trials(in: study.id), try original.trials(in: XCTUnwrap(original.study(named: "lr")).id))
        }
        // Ids were kept, and the copy's id generators continue after them.
        let next = try postgres.startRun(spec())
        XCTAssertEqual(next, RunID(4))
    }

    func testCopyRefusesANonEmptyTargetUnlessAppending() throws {
        try forEachBackend { backend in
            let source = try makeRegistry(.sqlite)
            try fill(source)
            let target = try makeRegistry(backend)
            let existing = try target.startRun(spec(paper: "already-here"))
            XCTAssertThrowsError(try target.restore(try source.snapshot(), append: false)) { error in
                XCTAssertEqual(
                    error as? RegistryError, .targetNotEmpty(location: target.location.description, runs: 1, studies: 0)
                )
            }
            XCTAssertEqual(try target.runs().map(\.id), [existing], "a refused copy writes nothing")

            try target.restore(try source.snapshot(), append: true)
            let runs = try target.runs()
            XCTAssertEqual(
                runs.map(\.id),
                [existing, RunID(existing.rawValue + 1), RunID(existing.rawValue + 2), RunID(existing.rawValue + 3)])
            XCTAssertEqual(runs.dropFirst().map(\.seed), try source.runs().map(\.seed))
            for (copy, original) in zip(runs.dropFirst(), try source.runs()) {
                XCTAssertEqual(try target.metrics(of: copy.id).count, try source.metrics(of: original.id).count)
            }
            // Trials point at the renumbered runs.
            let study = try XCTUnwrap(target.study(named: "lr"))
            let completed = try XCTUnwrap(target.trials(in: study.id).first { $0.state == .completed })
            XCTAssertEqual(try completed.runID.map { try target.run($0).seed }, 1)

            XCTAssertThrowsError(try target.restore(try source.snapshot(), append: true)) { error in
                XCTAssertEqual(error as? RegistryError, .studyExists(name: "lr", location: target.location.description))
            }
            XCTAssertEqual(try target.runs().count, 4, "a refused append writes nothing")
        }
    }

    /// Three runs (one diverged with a NaN loss, one failed), an artifact, and a study with a
    /// completed, a running and a queued trial.
    private func fill(_ registry: RunRegistry) throws {
        let diverged = try registry.startRun(spec(config: "{\"lr\": 0.5, \"name\": \"a,b\"}", seed: 0))
        try registry.logMetrics(
            diverged,
            [
                MetricPoint(split: "train", name: "loss", value: 2.25, epoch: 0, step: 10),
                MetricPoint(split: "train", name: "loss", value: .nan, epoch: 1, step: 20),
            ])
        try registry.finish(diverged, status: .failed, reason: "NaN loss")
        let good = try registry.startRun(spec(seed: 1))
        try registry.logMetrics(
            good,
            [
                MetricPoint(split: "val", name: "accuracy", value: 0.1 + 0.2, epoch: 0),
                MetricPoint(split: "val", name: "accuracy", value: 1e-300, epoch: 1),
                MetricPoint(split: "test", name: "accuracy", value: 83.125),
            ])
        let file = try temporaryDirectory(self).appendingPathComponent("model.ckpt")
        try Data("weights".utf8).write(to: file)
        try registry.addArtifact(good, kind: "checkpoint", path: file.path)
        try registry.finish(good, status: .completed)
        _ = try registry.startRun(spec(neuron: nil, preset: nil, seed: nil))

        var studySpec = StudySpec(name: "lr", experiment: "shd", objective: "val/accuracy", direction: .maximize)
        studySpec.workerCommand = ["snn-shd", "worker", "lr"]
        let study = try registry.createStudy(studySpec)
        try registry.enqueue(
            [["lr": .double(0.1)], ["lr": .double(0.01), "bn": .bool(true)], ["opt": .string("adam")]], in: study.id)
        let worker = Worker(host: "node-a", pid: 7)
        let first = try XCTUnwrap(registry.claim(from: study.id, worker: worker))
        try registry.complete(first.id, worker: worker, result: 0.3, run: good)
        _ = try registry.claim(from: study.id, worker: worker)
    }
}
