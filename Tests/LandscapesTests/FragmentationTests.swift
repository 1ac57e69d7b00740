import Foundation
import Landscapes
import TensorRuntime
import XCTest

/// The line θ = s along the only axis of R¹.
func unitLine(steps: [Double], _ f: (Double) -> LandscapePoint) -> Landscape1D {
    LandscapeScan.line(center: [Tensor(shape: [1], values: [0], dtype: .float64)],
                       direction: [Tensor(shape: [1], values: [1], dtype: .float64)], steps: steps) { f($0[0].item) }
}

final class FragmentationTests: XCTestCase {
    let grid = LandscapeAxis(radius: 1, points: 21)

    func testSmoothBowlHasNoJumps() {
        let bowl = unitPlane(alphas: grid, betas: grid) { a, b in LandscapePoint(loss: 0.5 * (a * a + b * b), gradient: [a, b]) }
        let m = Fragmentation.measure(bowl)
        XCTAssertEqual(m.jumpFraction, 0)
        XCTAssertEqual(m.relativeTotalVariation, 1, accuracy: 1e-12)
        XCTAssertEqual(m.distinctPatterns, 1)
        XCTAssertEqual(m.patternChangeFraction, 0)
        XCTAssertGreaterThan(m.neighbourGradientCosine!, 0.9)
    }

    func testStepCountsTheEdgesCrossingIt() {
        // 20 points: no grid value sits on the step at α = 0.3; one horizontal edge per row crosses it.
        let axis = LandscapeAxis(radius: 1, points: 20)
        let crossing = 20.0 / Double(2 * 20 * 19)
        for bowlScale in [0, 0.1] {
            let plane = unitPlane(alphas: axis, betas: axis) { a, b in
                LandscapePoint(loss: bowlScale * 0.5 * (a * a + b * b) + (a > 0.3 ? 1 : 0), pattern: [a > 0.3 ? 1 : 0])
            }
            let m = Fragmentation.measure(plane)
            XCTAssertEqual(m.jumpFraction, crossing, accuracy: 1e-12, "bowl scale \(bowlScale)")
            XCTAssertEqual(m.patternChangeFraction, crossing, accuracy: 1e-12)
            XCTAssertEqual(m.distinctPatterns, 2)
            XCTAssertNil(m.neighbourGradientCosine)
        }
        // Pure step: Σ|ΔL| = 20 rows × 1, range 1, 40 grid lines.
        let step = unitPlane(alphas: axis, betas: axis) { a, _ in LandscapePoint(loss: a > 0.3 ? 1 : 0) }
        XCTAssertEqual(Fragmentation.measure(step).relativeTotalVariation, 0.5, accuracy: 1e-12)
    }

    func testRuggedLandscapeHasLargeTotalVariation() {
        var rng = SeededRNG(seed: 3)
        let rugged = unitPlane(alphas: grid, betas: grid) { _, _ in LandscapePoint(loss: rng.nextUnit()) }
        XCTAssertGreaterThan(Fragmentation.measure(rugged).relativeTotalVariation, 5)
    }

    func testDistinctPatternsAndPatternChanges() {
        // Sign quadrants on {−1, −½, 0, ½, 1}²: 9 patterns; in every row and column 2 of 4 edges change sign.
        let axis = LandscapeAxis(radius: 1, points: 5)
        let sign = { (x: Double) in x > 0 ? 1 : x < 0 ? -1 : 0 }
        let plane = unitPlane(alphas: axis, betas: axis) { a, b in LandscapePoint(loss: a + b, pattern: [sign(a), sign(b)]) }
        let m = Fragmentation.measure(plane)
        XCTAssertEqual(m.distinctPatterns, 9)
        XCTAssertEqual(m.patternChangeFraction, 0.5, accuracy: 1e-12)
    }

    func testCosineIsOneForConstantGradientAndLowForRandomGradients() {
        let linear = unitPlane(alphas: grid, betas: grid) { a, b in LandscapePoint(loss: 2 * a - 3 * b, gradient: [2, -3]) }
        XCTAssertEqual(linear.neighbourGradientCosine!, 1, accuracy: 1e-12)
        XCTAssertEqual(Fragmentation.measure(linear).neighbourGradientCosine!, 1, accuracy: 1e-12)
        XCTAssertEqual(Fragmentation.measure(linear).relativeTotalVariation, 0.5, accuracy: 1e-12)

        var rng = SeededRNG(seed: 5)
        let random = unitPlane(alphas: grid, betas: grid, dimension: 50) { _, _ in
            LandscapePoint(loss: 0, gradient: (0..<50).map { _ in rng.nextNormal() })
        }
        // 840 edges of independent 50-d directions: mean cosine ≈ 0 ± 0.005.
        XCTAssertLessThan(Swift.abs(random.neighbourGradientCosine!), 0.05)
    }

    func testZeroGradientsAreLeftOutOfTheCosine() {
        let plane = unitPlane(alphas: grid, betas: grid) { a, _ in LandscapePoint(loss: 0, gradient: a < 0 ? [0, 0] : [1, 1]) }
        XCTAssertEqual(plane.neighbourGradientCosine!, 1, accuracy: 1e-12)
        let flat = unitPlane(alphas: grid, betas: grid) { _, _ in LandscapePoint(loss: 0, gradient: [0, 0]) }
        XCTAssertNil(flat.neighbourGradientCosine)
        XCTAssertEqual(Fragmentation.measure(flat).relativeTotalVariation, 0)
    }

    func testLineAnalogue() {
        let steps = (0...40).map { -1 + Double($0) / 20 }
        let valley = unitLine(steps: steps) { s in LandscapePoint(loss: s * s, gradient: [2 * s]) }
        let v = Fragmentation.measure(valley)
        XCTAssertEqual(v.jumpFraction, 0)
        XCTAssertEqual(v.relativeTotalVariation, 2, accuracy: 1e-12)
        // 1-d gradients flip sign once, at s = 0 (a zero gradient, left out): all other pairs agree.
        XCTAssertEqual(v.neighbourGradientCosine!, 1, accuracy: 1e-12)
        XCTAssertEqual(valley.gradientAlongDirection[30], 1, accuracy: 1e-12)

        let step = unitLine(steps: steps) { s in LandscapePoint(loss: 0.01 * s + (s > 0.33 ? 1 : 0), pattern: [s > 0.33 ? 1 : 0]) }
        let m = Fragmentation.measure(step)
        XCTAssertEqual(m.jumpFraction, 1.0 / 40, accuracy: 1e-12)
        XCTAssertEqual(m.patternChangeFraction, 1.0 / 40, accuracy: 1e-12)
        XCTAssertEqual(m.distinctPatterns, 2)
    }

    func testFragmentationRoundTripsThroughJSON() throws {
        let m = Fragmentation.measure(unitPlane(alphas: grid, betas: grid) { a, b in LandscapePoint(loss: a * b, gradient: [b, a]) })
        XCTAssertEqual(try JSONDecoder().decode(Fragmentation.self, from: JSONEncoder().encode(m)), m)
    }
}
