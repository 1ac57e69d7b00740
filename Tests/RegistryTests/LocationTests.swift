import Foundation
import Registry
import RegistryFixtures
import TestSupport
import XCTest

final class LocationTests: RegistryTestCase {
    func testLocationsSelectTheBackend() throws {
        XCTAssertEqual(try RegistryLocation("runs/registry.sqlite"), .sqlite(path: "runs/registry.sqlite"))
        XCTAssertEqual(try RegistryLocation("sqlite:/tmp/r.sqlite"), .sqlite(path: "/tmp/r.sqlite"))
        XCTAssertEqual(
            try RegistryLocation("postgres://snn@db:5433/registry"),
            .postgres(conninfo: "postgres://snn@db:5433/registry"))
        XCTAssertEqual(
            try RegistryLocation("postgresql://snn@db/registry"), .postgres(conninfo: "postgresql://snn@db/registry"))
        XCTAssertThrowsError(try RegistryLocation("mysql://snn@db/registry")) { error in
            guard case .invalidLocation(_, let reason) = error as? RegistryError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("mysql://"), reason)
        }
        XCTAssertThrowsError(try RegistryLocation("sqlite:"))
    }

    func testDescriptionsHideThePassword() throws {
        let location = try RegistryLocation(
            "postgresql://snn:hunter2@db:5433/registry?sslmode=require&password=hunter2")
        XCTAssertEqual(location.description, "postgresql://snn@db:5433/registry?sslmode=require")
    }

    func testSQLitePrefixOpensTheSameFile() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("r.sqlite").path
        let run = try RunRegistry.open(location: path).startRun(spec())
        XCTAssertEqual(try RunRegistry.open(location: "sqlite:" + path).run(run).id, run)
    }

    func testUnreachableServerIsNamedWithoutPassword() throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        XCTAssertThrowsError(try RunRegistry.open(location: "postgres://snn:hunter2@127.0.0.1:1/registry")) { error in
            guard case .unreachable(let location, let reason) = error as? RegistryError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(location, "postgres://snn@127.0.0.1:1/registry")
            XCTAssertTrue(reason.contains("refused"), reason)
            XCTAssertFalse("\(error)".contains("hunter2"), "\(error)")
        }
    }

    func testMalformedURIIsReportedAsSuch() throws {
        XCTAssertThrowsError(try RunRegistry.open(location: "postgresql://snn:hunter2@[::1/registry")) { error in
            guard case .invalidLocation(let location, let reason) = error as? RegistryError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(location, "postgresql://snn@[::1/registry")
            XCTAssertFalse("\(error)".contains("hunter2"), "\(error)")
            XCTAssertTrue(reason.contains("IPv6"), reason)
        }
    }

    func testMissingDatabaseAndUnknownUserAreNamed() throws {
        guard let server = try PostgresTestServer.shared() else { throw XCTSkip(PostgresTestServer.skipMessage) }
        let location = server.location(database: "no_such_database")
        XCTAssertThrowsError(try RunRegistry.open(location: location)) { error in
            guard case .unreachable(let shown, let reason) = error as? RegistryError else { return XCTFail("\(error)") }
            XCTAssertEqual(shown, location)
            XCTAssertTrue(reason.contains("\"no_such_database\" does not exist"), reason)
        }
        let stranger = try server.createDatabase().replacingOccurrences(
            of: "postgresql://postgres@", with: "postgresql://stranger@")
        XCTAssertThrowsError(try RunRegistry.open(location: stranger)) { error in
            guard case .unreachable(_, let reason) = error as? RegistryError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("role \"stranger\" does not exist"), reason)
        }
    }

    func testConnectionSurvivesAServerRestart() throws {
        guard let server = try PostgresTestServer.shared() else { throw XCTSkip(PostgresTestServer.skipMessage) }
        let registry = try RunRegistry.open(location: try server.createDatabase())
        let run = try registry.startRun(spec())
        try server.restart()
        try registry.logMetric(run, MetricPoint(split: "val", name: "loss", value: 1.5))
        XCTAssertEqual(try registry.metrics(of: run).map(\.value), [1.5])
    }
}
