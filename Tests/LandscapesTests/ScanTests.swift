import Landscapes
import TensorRuntime
import TestSupport
import XCTest

/// f(θ) = ½|θ|² with its analytic gradient θ.
func halfSquaredNorm(_ tensors: [Tensor]) -> LandscapePoint {
    let theta = tensors.flatMap(\.doubles)
    return LandscapePoint(loss: 0.5 * theta.reduce(0) { $0 + $1 * $1 }, gradient: theta)
}

/// The plane through the origin of R^dimension spanned by the first two unit vectors, so
/// θ = (α, β, 0, …): lets tests write landscapes directly as functions of α and β.
func unitPlane(alphas: LandscapeAxis, betas: LandscapeAxis, dimension: Int = 2, _ f: (Double, Double) -> LandscapePoint)
    -> Landscape2D
{
    let e = { (k: Int) in [Tensor(shape: [dimension], values: (0..<dimension).map { $0 == k ? 1 : 0 }, dtype: .float64)]
    }
    let origin = Tensor(shape: [dimension], values: [Double](repeating: 0, count: dimension), dtype: .float64)
    return LandscapeScan.plane(center: [origin], directions: (e(0), e(1)), alphas: alphas, betas: betas) { t in
        let theta = t[0].doubles
        return f(theta[0], theta[1])
    }
}

final class ScanTests: XCTestCase {
    func testPlaneOfQuadraticMatchesAnalyticValuesAndDirectionalDerivatives() {
        let center = [randomTensor([3, 2], seed: 1), randomTensor([2], seed: 2)]
        let delta = [randomTensor([3, 2], seed: 3), randomTensor([2], seed: 4)]
        let eta = [randomTensor([3, 2], seed: 5), randomTensor([2], seed: 6)]
        let alphas = LandscapeAxis(radius: 0.5, points: 5)
        let betas = LandscapeAxis(radius: 2, points: 3)
        var calls = 0
        let plane = LandscapeScan.plane(center: center, directions: (delta, eta), alphas: alphas, betas: betas) { t in
            calls += 1
            XCTAssertEqual(t.map(\.shape), [[3, 2], [2]])
            XCTAssertEqual(t.map(\.dtype), [.float64, .float64])
            return halfSquaredNorm(t)
        }
        XCTAssertEqual(calls, 15)
        XCTAssertEqual(plane.alphas, alphas.values)
        XCTAssertEqual(plane.betas, betas.values)
        let (c, d, e) = (center.flatMap(\.doubles), delta.flatMap(\.doubles), eta.flatMap(\.doubles))
        let f = { (a: Double, b: Double) in
            c.indices.reduce(0.0) { s, k in
                let x = c[k] + a * d[k] + b * e[k]
                return s + 0.5 * x * x
            }
        }
        let h = 1e-5
        for (r, b) in plane.betas.enumerated() {
            for (col, a) in plane.alphas.enumerated() {
                XCTAssertEqual(plane.loss[r][col], f(a, b), accuracy: 1e-12)
                XCTAssertEqual(plane.gradientNorm[r][col], (2 * f(a, b)).squareRoot(), accuracy: 1e-12)
                XCTAssertEqual(plane.gradientAlongAlpha[r][col], (f(a + h, b) - f(a - h, b)) / (2 * h), accuracy: 1e-6)
                XCTAssertEqual(plane.gradientAlongBeta[r][col], (f(a, b + h) - f(a, b - h)) / (2 * h), accuracy: 1e-6)
            }
        }
        XCTAssertEqual(plane.patterns.count, 3)
        XCTAssertEqual(plane.patterns[0].count, 5)
    }

    func testPlaneKeepsFloat32AndLeavesMissingGradientsNaN() {
        let center = [Tensor(shape: [2, 2], values: [1, 2, 3, 4], dtype: .float32)]
        let direction = [Tensor(shape: [2, 2], values: [1, 0, 0, 0], dtype: .float32)]
        let plane = LandscapeScan.plane(
            center: center, directions: (direction, direction),
            alphas: LandscapeAxis(radius: 1, points: 3), betas: LandscapeAxis(radius: 1, points: 2)
        ) { t in
            XCTAssertEqual(t[0].dtype, .float32)
            return LandscapePoint(loss: t[0].doubles[0])
        }
        XCTAssertEqual(plane.loss, [[-1, 0, 1], [1, 2, 3]])
        XCTAssertTrue(plane.gradientNorm.joined().allSatisfy(\.isNaN))
        XCTAssertTrue(plane.gradientAlongAlpha.joined().allSatisfy(\.isNaN))
        XCTAssertNil(plane.neighbourGradientCosine)
    }

    func testLineOfQuadraticAndInterpolation() {
        let start = [randomTensor([4, 3], seed: 7)]
        let end = [randomTensor([4, 3], seed: 8)]
        let difference = [Tensor(shape: [4, 3], values: zip(end[0].doubles, start[0].doubles).map(-), dtype: .float64)]
        let steps = [0, 0.25, 0.5, 1]
        let line = LandscapeScan.line(center: start, direction: difference, steps: steps, evaluate: halfSquaredNorm)
        XCTAssertEqual(line.steps, steps)
        XCTAssertEqual(line.points.first!.loss, halfSquaredNorm(start).loss, accuracy: 1e-12)
        XCTAssertEqual(line.points.last!.loss, halfSquaredNorm(end).loss, accuracy: 1e-12)
        let (a, d) = (start[0].doubles, difference[0].doubles)
        for (k, s) in steps.enumerated() {
            // d/ds ½|a + s d|² = (a + s d)·d
            let slope = a.indices.reduce(0.0) { $0 + (a[$1] + s * d[$1]) * d[$1] }
            XCTAssertEqual(line.gradientAlongDirection[k], slope, accuracy: 1e-12)
        }
    }
}
