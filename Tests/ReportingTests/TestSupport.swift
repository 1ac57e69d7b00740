import Foundation
import Registry
import RegistryFixtures
import TestSupport
import XCTest

/// A new, empty SQLite registry in a temporary directory.
func makeRegistry(_ test: XCTestCase) throws -> RunRegistry {
    try RunRegistry.open(path: try temporaryDirectory(test).appendingPathComponent("registry.sqlite").path)
}
