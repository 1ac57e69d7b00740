import Foundation
import Registry
import RegistryFixtures
import Synchronization
import TestSupport
import XCTest

/// A clock the test moves by hand, so heartbeat ages need no sleeping.
final class ManualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_700_000_000))

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }
}

/// The databases a registry can live in. The registry's tests run against each.
enum Backend: String, CaseIterable, Sendable {
    case sqlite, postgres
}

/// A test case whose tests run once per backend, with failures labelled by the backend they
/// happened on.
class RegistryTestCase: XCTestCase {
    private var backend: Backend?

    /// Runs `body` with SQLite, then with PostgreSQL. Without PostgreSQL's server binaries the
    /// second run is skipped with a message naming the package to install.
    func forEachBackend(_ body: (Backend) throws -> Void) throws {
        for backend in Backend.allCases {
            if backend == .postgres, try PostgresTestServer.shared() == nil {
                print(PostgresTestServer.skipMessage)
                continue
            }
            self.backend = backend
            defer { self.backend = nil }
            do {
                try body(backend)
            } catch {
                XCTFail("\(error)")
            }
        }
    }

    override func recordFailure(
        withDescription description: String, inFile filePath: String, atLine lineNumber: Int, expected: Bool
    ) {
        let label = backend.map { "[\($0.rawValue)] " } ?? ""
        super.recordFailure(
            withDescription: label + description, inFile: filePath, atLine: lineNumber, expected: expected)
    }

    /// The location of a new, empty registry on `backend`: a file in a temporary directory, or a
    /// new database on the test server.
    func freshLocation(_ backend: Backend, file: String = "registry.sqlite") throws -> String {
        switch backend {
        case .sqlite: return try temporaryDirectory(self).appendingPathComponent(file).path
        case .postgres: return try PostgresTestServer.required().createDatabase()
        }
    }

    /// Opens a new registry on `backend`, on `clock` when given.
    func makeRegistry(_ backend: Backend, clock: ManualClock? = nil, staleAfter: TimeInterval = 300) throws
        -> RunRegistry
    {
        try RunRegistry.open(
            location: try freshLocation(backend), options: options(clock: clock, staleAfter: staleAfter))
    }

    func options(clock: ManualClock? = nil, staleAfter: TimeInterval = 300) -> RegistryOptions {
        var options = RegistryOptions()
        options.staleAfter = staleAfter
        if let clock { options.clock = { clock.now } }
        return options
    }
}
