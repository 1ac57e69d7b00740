import XCTest

/// Element-wise equality of two arrays within `accuracy`, for the Neurons tests.
func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, _ message: @autoclosure () -> String = "",
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message(), file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() {
        XCTAssertEqual(x, y, accuracy: accuracy, "\(message()) [\(i)]", file: file, line: line)
    }
}
