import Foundation
import Landscapes
import TensorRuntime
import XCTest

/// The line θ = s along the only axis of R¹.
func unitLine(steps: [Double], _ f: (Double) -> LandscapePoint) -> Landscape1D {
    LandscapeScan.line(
        center: [Tensor(shape: [1], values: [0], dtype: .float64)],
        direction: [Tensor(shape: [1], values: [1], dtype: .float64)], steps: steps
    ) { f($0[0].item) }
}

final class FragmentationTests: XCTestCase {
    let grid = LandscapeAxis(radius: 1, points: 21)

    func testSmoothBowlHasNoJumps() throws {
        let bowl = unitPlane(alphas: grid, betas: grid) { a, b in
            LandscapePoint(loss: 0.5 * (a * a + b * b), gradient: [a, b])
        }
        let m = try Fragmentation.measure(bowl) { a, b in 0.5 * (a * a + b * b) }
        XCTAssertEqual(m.jumpFraction, 0)
        XCTAssertEqual(m.steepEdgeFraction, 0)
        XCTAssertEqual(m.relativeTotalVariation, 1, accuracy: 1e-12)
        XCTAssertEqual(m.distinctPatterns, 1)
        XCTAssertEqual(m.patternChangeFraction, 0)
        XCTAssertGreaterThan(m.neighbourGradientCosine!, 0.9)
    }

    func testStepCountsTheEdgesCrossingIt() throws {
        // 20 points: no grid value sits on the step at α = 0.3; one horizontal edge per row crosses it.
        let axis = LandscapeAxis(radius: 1, points: 20)
        let crossing = 20.0 / Double(2 * 20 * 19)
        for bowlScale in [0, 0.1] {
            let loss = { (a: Double, b: Double) in bowlScale * 0.5 * (a * a + b * b) + (a > 0.3 ? 1 : 0) }
            let plane = unitPlane(alphas: axis, betas: axis) { a, b in
                LandscapePoint(loss: loss(a, b), pattern: [a > 0.3 ? 1 : 0])
            }
            let m = try Fragmentation.measure(plane, loss: loss)
            XCTAssertEqual(m.jumpFraction, crossing, accuracy: 1e-12, "bowl scale \(bowlScale)")
            XCTAssertEqual(m.steepEdgeFraction, crossing, accuracy: 1e-12, "bowl scale \(bowlScale)")
            XCTAssertEqual(m.patternChangeFraction, crossing, accuracy: 1e-12)
            XCTAssertEqual(m.distinctPatterns, 2)
            XCTAssertNil(m.neighbourGradientCosine)
        }
        // Pure step: Σ|ΔL| = 20 rows × 1, range 1, 40 grid lines.
        let step = unitPlane(alphas: axis, betas: axis) { a, _ in LandscapePoint(loss: a > 0.3 ? 1 : 0) }
        let stepVariation = try Fragmentation.measure(step) { a, _ in a > 0.3 ? 1 : 0 }.relativeTotalVariation
        XCTAssertEqual(stepVariation, 0.5, accuracy: 1e-12)
    }

    func testRuggedLandscapeHasLargeTotalVariation() throws {
        var rng = SeededRNG(seed: 3)
        let rugged = unitPlane(alphas: grid, betas: grid) { _, _ in LandscapePoint(loss: rng.nextUnit()) }
        XCTAssertGreaterThan(try Fragmentation.measure(rugged) { _, _ in 0 }.relativeTotalVariation, 5)
    }

    func testDistinctPatternsAndPatternChanges() throws {
        // Sign quadrants on {−1, −½, 0, ½, 1}²: 9 patterns; in every row and column 2 of 4 edges change sign.
        let axis = LandscapeAxis(radius: 1, points: 5)
        let sign = { (x: Double) in x > 0 ? 1 : x < 0 ? -1 : 0 }
        let plane = unitPlane(alphas: axis, betas: axis) { a, b in
            LandscapePoint(loss: a + b, pattern: [sign(a), sign(b)])
        }
        let m = try Fragmentation.measure(plane) { a, b in a + b }
        XCTAssertEqual(m.distinctPatterns, 9)
        XCTAssertEqual(m.patternChangeFraction, 0.5, accuracy: 1e-12)
    }

    func testCosineIsOneForConstantGradientAndLowForRandomGradients() throws {
        let linear = unitPlane(alphas: grid, betas: grid) { a, b in
            LandscapePoint(loss: 2 * a - 3 * b, gradient: [2, -3])
        }
        XCTAssertEqual(linear.neighbourGradientCosine!, 1, accuracy: 1e-12)
        let m = try Fragmentation.measure(linear) { a, b in 2 * a - 3 * b }
        XCTAssertEqual(m.neighbourGradientCosine!, 1, accuracy: 1e-12)
        XCTAssertEqual(m.relativeTotalVariation, 0.5, accuracy: 1e-12)

        var rng = SeededRNG(seed: 5)
        let random = unitPlane(alphas: grid, betas: grid, dimension: 50) { _, _ in
            LandscapePoint(loss: 0, gradient: (0..<50).map { _ in rng.nextNormal() })
        }
        // 840 edges of independent 50-d directions: mean cosine ≈ 0 ± 0.005.
        XCTAssertLessThan(Swift.abs(random.neighbourGradientCosine!), 0.05)
    }

    func testZeroGradientsAreLeftOutOfTheCosine() throws {
        let plane = unitPlane(alphas: grid, betas: grid) { a, _ in
            LandscapePoint(loss: 0, gradient: a < 0 ? [0, 0] : [1, 1])
        }
        XCTAssertEqual(plane.neighbourGradientCosine!, 1, accuracy: 1e-12)
        let flat = unitPlane(alphas: grid, betas: grid) { _, _ in LandscapePoint(loss: 0, gradient: [0, 0]) }
        XCTAssertNil(flat.neighbourGradientCosine)
        XCTAssertEqual(try Fragmentation.measure(flat) { _, _ in 0 }.relativeTotalVariation, 0)
    }

    func testLineAnalogue() throws {
        let steps = (0...40).map { -1 + Double($0) / 20 }
        let valley = unitLine(steps: steps) { s in LandscapePoint(loss: s * s, gradient: [2 * s]) }
        let v = try Fragmentation.measure(valley) { s in s * s }
        XCTAssertEqual(v.jumpFraction, 0)
        XCTAssertEqual(v.relativeTotalVariation, 2, accuracy: 1e-12)
        // 1-d gradients flip sign once, at s = 0 (a zero gradient, left out): all other pairs agree.
        XCTAssertEqual(v.neighbourGradientCosine!, 1, accuracy: 1e-12)
        XCTAssertEqual(valley.gradientAlongDirection[30], 1, accuracy: 1e-12)

        let stepLoss = { (s: Double) in 0.01 * s + (s > 0.33 ? 1 : 0) }
        let step = unitLine(steps: steps) { s in LandscapePoint(loss: stepLoss(s), pattern: [s > 0.33 ? 1 : 0]) }
        let m = try Fragmentation.measure(step, loss: stepLoss)
        XCTAssertEqual(m.jumpFraction, 1.0 / 40, accuracy: 1e-12)
        XCTAssertEqual(m.patternChangeFraction, 1.0 / 40, accuracy: 1e-12)
        XCTAssertEqual(m.distinctPatterns, 2)
    }

    /// A continuous loss that is steep along a narrow ridge (a tanh front 0.01 wide, much narrower
    /// than the grid step) has many steep edges but no jump; the same front as a step does jump.
    /// With and without gradients (without, every changing edge is bisected).
    func testSteepButContinuousIsNoJumpAndAStepIs() throws {
        let axis = LandscapeAxis(radius: 1, points: 20)
        let width = 0.01
        let front = { (a: Double, b: Double) in Foundation.tanh((a - 0.3 * b - 0.2) / width) + 0.1 * b }
        let slope = { (a: Double, b: Double) -> (Double, Double) in
            let sech2 = 1 - Foundation.pow(Foundation.tanh((a - 0.3 * b - 0.2) / width), 2)
            return (sech2 / width, -0.3 * sech2 / width + 0.1)
        }
        let step = { (a: Double, b: Double) in (a - 0.3 * b - 0.2 > 0 ? 1.0 : -1.0) + 0.1 * b }
        for withGradient in [true, false] {
            let steep = unitPlane(alphas: axis, betas: axis) { a, b in
                let g = slope(a, b)
                return LandscapePoint(loss: front(a, b), gradient: withGradient ? [g.0, g.1] : nil)
            }
            let m = try Fragmentation.measure(steep, loss: front)
            XCTAssertEqual(m.jumpFraction, 0, "gradient \(withGradient)")
            XCTAssertGreaterThan(m.steepEdgeFraction, 0.02, "gradient \(withGradient)")
            let jumpy = unitPlane(alphas: axis, betas: axis) { a, b in
                LandscapePoint(loss: step(a, b), gradient: withGradient ? [0, 0.1] : nil)
            }
            let j = try Fragmentation.measure(jumpy, loss: step)
            XCTAssertGreaterThan(j.jumpFraction, 0.02, "gradient \(withGradient)")
            // Every jump crosses the front: at most one horizontal edge per row and one vertical
            // edge per column cross it (the front's slope is below one grid step per row).
            XCTAssertLessThanOrEqual(j.jumpFraction, 40.0 / 760, "gradient \(withGradient)")
        }
    }

    func testFragmentationRoundTripsThroughJSON() throws {
        let m = try Fragmentation.measure(
            unitPlane(alphas: grid, betas: grid) { a, b in
                LandscapePoint(loss: a * b, gradient: [b, a])
            }
        ) { a, b in a * b }
        XCTAssertEqual(try JSONDecoder().decode(Fragmentation.self, from: JSONEncoder().encode(m)), m)
    }
}
