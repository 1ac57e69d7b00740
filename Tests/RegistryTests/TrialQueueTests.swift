import Foundation
import Registry
import XCTest

final class TrialQueueTests: RegistryTestCase {
    /// Workers on another host: only their heartbeat tells whether they live.
    let alice = Worker(host: "node-a", pid: 11)
    let bob = Worker(host: "node-b", pid: 22)

    func studySpec(maxAttempts: Int = 3) -> StudySpec {
        StudySpec(
            name: "lr-search", experiment: "shd", objective: "val/loss", direction: .minimize, maxAttempts: maxAttempts)
    }

    func testCreateStudyIsIdempotentAndRejectsChangedSettings() throws {
        try forEachBackend { backend in
            let queue: any TrialQueue = try makeRegistry(backend)
            let first = try queue.createStudy(studySpec())
            XCTAssertEqual(try queue.createStudy(studySpec()).id, first.id)
            XCTAssertEqual(try queue.study(named: "lr-search"), first)
            XCTAssertNil(try queue.study(named: "other"))
            var changed = studySpec()
            changed.direction = .maximize
            XCTAssertThrowsError(try queue.createStudy(changed)) { error in
                XCTAssertEqual(
                    error as? RegistryError,
                    .studyMismatch(name: "lr-search", field: "direction", existing: "minimize", requested: "maximize"))
            }
        }
    }

    func testStudyKeepsTheLatestWorkerCommand() throws {
        try forEachBackend { backend in
            let queue: any TrialQueue = try makeRegistry(backend)
            var spec = studySpec()
            spec.workerCommand = ["/opt/snn/snn-shd", "worker", "lr-search", "--preset", "smoke"]
            let first = try queue.createStudy(spec)
            XCTAssertEqual(try queue.study(named: "lr-search")?.spec.workerCommand, spec.workerCommand)
            // Resuming without a command keeps the recorded one; a new command replaces it.
            XCTAssertEqual(try queue.createStudy(studySpec()).spec.workerCommand, spec.workerCommand)
            spec.workerCommand[0] = "/new/build/snn-shd"
            XCTAssertEqual(try queue.createStudy(spec).id, first.id)
            XCTAssertEqual(try queue.study(named: "lr-search")?.spec.workerCommand.first, "/new/build/snn-shd")
        }
    }

    func testTrialsAreClaimedInOrderOnceEach() throws {
        try forEachBackend { backend in
            let queue: any TrialQueue = try makeRegistry(backend)
            let study = try queue.createStudy(studySpec())
            try queue.enqueue([["lr": .double(0.1)], ["lr": .double(0.01)]], in: study.id)
            let more = try queue.enqueue(
                [["lr": .double(0.001), "width": .int(64), "bn": .bool(true), "opt": .string("adam")]], in: study.id)
            XCTAssertEqual(more.map(\.number), [2])

            let first = try XCTUnwrap(try queue.claim(from: study.id, worker: alice))
            let second = try XCTUnwrap(try queue.claim(from: study.id, worker: bob))
            let third = try XCTUnwrap(try queue.claim(from: study.id, worker: alice))
            XCTAssertNil(try queue.claim(from: study.id, worker: bob))
            XCTAssertEqual([first.number, second.number, third.number], [0, 1, 2])
            XCTAssertEqual(first.parameters, ["lr": .double(0.1)])
            XCTAssertEqual(third.parameters["width"], .int(64))
            XCTAssertEqual(third.parameters["bn"], .bool(true))
            XCTAssertEqual(third.parameters["opt"], .string("adam"))
            XCTAssertEqual(first.state, .running)
            XCTAssertEqual(first.worker, "node-a:11")
            XCTAssertEqual(first.attempts, 1)
        }
    }

    func testOnlyTheOwnerMayReportOnATrial() throws {
        try forEachBackend { backend in
            let queue: any TrialQueue = try makeRegistry(backend)
            let study = try queue.createStudy(studySpec())
            try queue.enqueue([["lr": .double(0.1)], ["lr": .double(0.2)]], in: study.id)
            let trial = try XCTUnwrap(try queue.claim(from: study.id, worker: alice))
            XCTAssertThrowsError(try queue.complete(trial.id, worker: bob, result: 1, run: nil)) { error in
                XCTAssertEqual(
                    error as? RegistryError,
                    .trialNotOwned(trial.id, worker: "node-b:22", state: .running, owner: "node-a:11"))
            }
            try queue.complete(trial.id, worker: alice, result: 0.25, run: nil)
            XCTAssertThrowsError(
                try queue.heartbeat(trial.id, worker: alice), "a completed trial takes no more heartbeats")

            let other = try XCTUnwrap(try queue.claim(from: study.id, worker: bob))
            try queue.fail(other.id, worker: bob, reason: "diverged")
            let stored = try queue.trials(in: study.id)
            XCTAssertEqual(stored.map(\.state), [.completed, .failed])
            XCTAssertEqual(stored[0].result, 0.25)
            XCTAssertEqual(stored[1].lastError, "diverged")
        }
    }

    func testSilentWorkerLosesItsTrialToTheNextClaim() throws {
        try forEachBackend { backend in
            let clock = ManualClock()
            let registry = try makeRegistry(backend, clock: clock, staleAfter: 60)
            let study = try registry.createStudy(studySpec())
            try registry.enqueue([["lr": .double(0.1)]], in: study.id)
            let trial = try XCTUnwrap(try registry.claim(from: study.id, worker: alice))

            clock.advance(by: 30)
            try registry.heartbeat(trial.id, worker: alice)
            clock.advance(by: 40)
            XCTAssertNil(try registry.claim(from: study.id, worker: bob), "40 s after a heartbeat alice still holds it")
            XCTAssertEqual(try registry.requeueStale(olderThan: 60), [])

            clock.advance(by: 30)
            let retaken = try XCTUnwrap(try registry.claim(from: study.id, worker: bob))
            XCTAssertEqual(retaken.id, trial.id)
            XCTAssertEqual(retaken.attempts, 2)
            XCTAssertTrue(retaken.lastError?.hasPrefix("no heartbeat since") == true)
            XCTAssertThrowsError(
                try registry.complete(trial.id, worker: alice, result: 1, run: nil), "alice came back too late")
            try registry.complete(trial.id, worker: bob, result: 2, run: nil)
            XCTAssertEqual(try registry.trial(trial.id).result, 2)
        }
    }

    func testRequeueStaleAndGivingUpAfterMaxAttempts() throws {
        try forEachBackend { backend in
            let clock = ManualClock()
            let registry = try makeRegistry(backend, clock: clock)
            let study = try registry.createStudy(studySpec(maxAttempts: 2))
            let trial = try XCTUnwrap(registry.enqueue([["lr": .double(1)]], in: study.id).first)

            _ = try registry.claim(from: study.id, worker: alice)
            clock.advance(by: 10)
            XCTAssertEqual(try registry.requeueStale(olderThan: 5), [trial.id])
            XCTAssertEqual(try registry.trial(trial.id).state, .queued)

            _ = try registry.claim(from: study.id, worker: bob)
            clock.advance(by: 10)
            XCTAssertEqual(try registry.requeueStale(olderThan: 5), [], "the second death exhausts maxAttempts = 2")
            let failed = try registry.trial(trial.id)
            XCTAssertEqual(failed.state, .failed)
            XCTAssertTrue(failed.lastError?.contains("gave up after 2 attempts") == true, failed.lastError ?? "nil")
            XCTAssertNil(try registry.claim(from: study.id, worker: alice))
        }
    }

    func testUnknownStudyIsNamed() throws {
        try forEachBackend { backend in
            let registry = try makeRegistry(backend)
            XCTAssertThrowsError(try registry.claim(from: StudyID(42), worker: alice)) { error in
                XCTAssertEqual(error as? RegistryError, .unknownStudy("42"))
            }
        }
    }
}
