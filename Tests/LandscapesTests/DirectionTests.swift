import Foundation
import Landscapes
import TensorRuntime
import TestSupport
import XCTest

final class DirectionTests: XCTestCase {
    /// Norms of the slices of `values` (of `shape`) along `axis`.
    func sliceNorms(_ values: [Double], shape: [Int], axis: Int) -> [Double] {
        let stride = Shape.strides(shape)[axis]
        var norms = [Double](repeating: 0, count: shape[axis])
        for (k, v) in values.enumerated() { norms[(k / stride) % shape[axis]] += v * v }
        return norms.map { $0.squareRoot() }
    }

    func testEachColumnHasTheNormOfTheParameterColumn() {
        let parameters = [
            randomTensor([7, 4], seed: 1), randomTensor([4], seed: 2), randomTensor([4, 3], seed: 3, low: 2, high: 5),
        ]
        let directions = LandscapeDirections.filterNormalized(like: parameters, seed: 9)
        XCTAssertEqual(directions.map(\.shape), parameters.map(\.shape))
        XCTAssertEqual(directions.map(\.dtype), parameters.map(\.dtype))
        for l in [0, 2] {
            let shape = parameters[l].shape
            assertClose(
                sliceNorms(directions[l].doubles, shape: shape, axis: 1),
                sliceNorms(parameters[l].doubles, shape: shape, axis: 1), tolerance: 1e-12)
            // Random, not a copy of the parameters.
            XCTAssertNotEqual(directions[l].doubles, parameters[l].doubles)
        }
        XCTAssertEqual(directions[1].doubles, [0, 0, 0, 0], "biases get a zero direction by default")
    }

    func testUnitAxisZeroNormalisesRowsOfHigherRankTensors() {
        let kernel = randomTensor([3, 2, 2, 2], seed: 4)
        let direction = LandscapeDirections.filterNormalized(like: [kernel], unitAxis: 0, seed: 5)[0]
        assertClose(
            sliceNorms(direction.doubles, shape: kernel.shape, axis: 0),
            sliceNorms(kernel.doubles, shape: kernel.shape, axis: 0), tolerance: 1e-12)
    }

    func testVectorsCanGetADirectionWithTheirWholeNorm() {
        let bias = randomTensor([5], seed: 6)
        let direction = LandscapeDirections.filterNormalized(like: [bias], vectors: .wholeTensor, seed: 7)[0]
        let norm = { (x: [Double]) in x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        XCTAssertEqual(norm(direction.doubles), norm(bias.doubles), accuracy: 1e-12)
        XCTAssertNotEqual(direction.doubles, bias.doubles)
    }

    func testZeroColumnGetsZeroDirectionAndFloat32IsKept() {
        let weights = Tensor(shape: [2, 2], values: [1, 0, 2, 0], dtype: .float32)
        let direction = LandscapeDirections.filterNormalized(like: [weights], seed: 1)[0]
        XCTAssertEqual(direction.dtype, .float32)
        let d = direction.doubles
        XCTAssertEqual([d[1], d[3]], [0, 0])
        XCTAssertEqual((d[0] * d[0] + d[2] * d[2]).squareRoot(), 5.0.squareRoot(), accuracy: 1e-6)
    }

    func testDirectionsAreSeeded() {
        let parameters = [randomTensor([6, 3], seed: 1), randomTensor([3, 2], seed: 2)]
        let a = LandscapeDirections.filterNormalized(like: parameters, seed: 11).map(\.doubles)
        let b = LandscapeDirections.filterNormalized(like: parameters, seed: 11).map(\.doubles)
        let c = LandscapeDirections.filterNormalized(like: parameters, seed: 12).map(\.doubles)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
    }
}

final class AxisTests: XCTestCase {
    func testAxisIsSymmetricAndOddCountsHitZeroExactly() {
        XCTAssertEqual(LandscapeAxis(radius: 1, points: 5).values, [-1, -0.5, 0, 0.5, 1])
        let odd = LandscapeAxis(radius: 0.7, points: 31).values
        XCTAssertEqual(odd.count, 31)
        XCTAssertEqual(odd[15], 0)
        XCTAssertEqual(odd.first, -0.7)
        XCTAssertEqual(odd.last, 0.7)
        for k in 0..<31 { XCTAssertEqual(odd[k], -odd[30 - k]) }
        XCTAssertFalse(LandscapeAxis(radius: 1, points: 4).values.contains(0))
        XCTAssertEqual(LandscapeAxis(radius: 1, points: 1).values, [0])
    }

    func testAxisRoundTripsThroughJSON() throws {
        let axis = LandscapeAxis(radius: 0.25, points: 41)
        let decoded = try JSONDecoder().decode(LandscapeAxis.self, from: JSONEncoder().encode(axis))
        XCTAssertEqual(decoded, axis)
    }
}
