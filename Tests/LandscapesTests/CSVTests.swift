import Landscapes
import XCTest

final class CSVTests: XCTestCase {
    let header = "alpha,beta,loss,gradient_norm,grad_alpha,grad_beta,pattern_id"

    func testPlaneCSVHasOneRowPerPointRowMajor() {
        let plane = unitPlane(alphas: LandscapeAxis(radius: 1, points: 4), betas: LandscapeAxis(radius: 2, points: 3)) {
            a, b in
            LandscapePoint(loss: a + 10 * b, gradient: b > 0 ? nil : [3, 4], pattern: [a > 0 ? 1 : 0])
        }
        let lines = plane.csv().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.count, 1 + 12 + 1, "header, 12 points, trailing newline")
        XCTAssertEqual(lines.first, header)
        XCTAssertEqual(lines.last, "")
        let rows = lines.dropFirst().dropLast().map { $0.split(separator: ",").map(String.init) }
        XCTAssertTrue(rows.allSatisfy { $0.count == 7 })
        XCTAssertEqual(rows[0], ["-1.0", "-2.0", "-21.0", "5.0", "3.0", "4.0", "0"])
        XCTAssertEqual(rows[3][0...1], ["1.0", "-2.0"])
        XCTAssertEqual(rows[3][6], "1")
        XCTAssertEqual(rows[4][1], "0.0", "β changes every 4 rows")
        XCTAssertEqual(rows[11][3...5], ["nan", "nan", "nan"])
        XCTAssertEqual(rows.map { Double($0[2])! }, plane.loss.flatMap { $0 })
    }

    func testLineCSVUsesThePlaneColumns() {
        let line = unitLine(steps: [-1, 0, 1]) { s in LandscapePoint(loss: s * s, gradient: [2 * s], pattern: [Int(s)])
        }
        let lines = line.csv().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines[0], header)
        XCTAssertEqual(lines[1], "-1.0,0.0,1.0,2.0,-2.0,nan,0")
        XCTAssertEqual(lines[3], "1.0,0.0,1.0,2.0,2.0,nan,2")
    }
}
