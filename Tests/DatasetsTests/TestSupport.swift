import Foundation
import TestSupport
import XCTest

@testable import Datasets

/// A fresh temporary folder per test, removed afterwards.
class TemporaryDirectoryTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try temporaryDirectory(self)
    }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
}

/// Asserts that `body` throws exactly `expected`, and that its message mentions `mentions`.
func XCTAssertThrowsDatasetError<T>(
    _ body: @autoclosure () throws -> T, _ expected: DatasetError, mentions: [String] = [],
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        guard let error = error as? DatasetError else {
            return XCTFail("expected DatasetError, got \(error)", file: file, line: line)
        }
        XCTAssertEqual(error, expected, file: file, line: line)
        for text in mentions {
            XCTAssertTrue(
                error.description.contains(text), "\"\(error)\" does not mention \"\(text)\"", file: file, line: line)
        }
    }
}
