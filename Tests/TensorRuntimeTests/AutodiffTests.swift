import TensorRuntime
import TestSupport
import XCTest

/// The tape itself: shared subexpressions, reuse, accumulation, no-grad scopes, custom ops, and
/// a small network that must actually learn.
final class AutodiffTests: XCTestCase {
    func testSharedSubexpressionsAddTheirContributions() {
        let x = Tensor(shape: [3], values: [1, -2, 3], dtype: .float64).requiringGrad()
        let y = x * x  // used twice below
        let z = (y + x) * y  // x⁴ + x³, d/dx = 4x³ + 3x²
        z.sum().backward()
        let expected = [1.0, -2, 3].map { (v: Double) -> Double in 4 * v * v * v + 3 * v * v }
        assertClose(x.grad!.doubles, expected, tolerance: 1e-12)
    }

    func testGradientsAccumulateUntilZeroed() {
        let x = Tensor(shape: [2], values: [1, 2], dtype: .float64).requiringGrad()
        (x * 3).sum().backward()
        (x * x).sum().backward()
        assertClose(x.grad!.doubles, [3 + 2, 3 + 4], tolerance: 1e-12)
        x.zeroGrad()
        XCTAssertNil(x.grad)
        (x * 2).sum().backward()
        assertClose(x.grad!.doubles, [2, 2], tolerance: 1e-12)
    }

    func testNoGradScopeAndDetachStopGradients() {
        let x = Tensor(shape: [2], values: [1, 2], dtype: .float64).requiringGrad()
        let constant = Tape.withoutGradient { x * 10 }
        XCTAssertFalse(constant.requiresGrad)
        XCTAssertFalse(Tape.withoutGradient { Tape.isEnabled })
        XCTAssertTrue(Tape.isEnabled)
        let y = x * x.detached()  // d/dx = x (only the first factor carries the gradient)
        y.sum().backward()
        assertClose(x.grad!.doubles, [1, 2], tolerance: 1e-12)
    }

    func testUnusedBranchesAndMultipleLeaves() {
        let a = Tensor(shape: [2], values: [1, 2], dtype: .float64).requiringGrad()
        let b = Tensor(shape: [2], values: [3, 4], dtype: .float64).requiringGrad()
        let unused = b.exp()
        _ = unused
        (a * 2).sum().backward()
        XCTAssertNil(b.grad, "b did not reach the loss")
        assertClose(a.grad!.doubles, [2, 2], tolerance: 1e-12)
    }

    func testLongChainsDoNotOverflowTheStack() {
        let x = Tensor(shape: [1], values: [1], dtype: .float64).requiringGrad()
        var y = x
        for _ in 0..<20_000 { y = y * 1.0001 }
        y.sum().backward()
        XCTAssertEqual(x.grad!.item, Foundation.pow(1.0001, 20_000), accuracy: 1e-6)
    }

    /// A custom op with two outputs: (x², 3x), with its own pullback.
    private func squareAndTriple(_ x: Tensor) -> (Tensor, Tensor) {
        let outputs = Tensor.differentiableOperation([x]) { inputs in
            let v = inputs[0]
            XCTAssertFalse(v.requiresGrad, "the forward sees detached inputs")
            return ([v * v, v * 3], { grads in [grads[0] * v * 2 + grads[1] * 3] })
        }
        return (outputs[0], outputs[1])
    }

    func testCustomDifferentiableOperation() {
        let x = randomTensor([4], seed: 101)
        assertGradients([x]) { inputs in
            let (square, triple) = self.squareAndTriple(inputs[0])
            return weightedSum(square) + (triple * triple.exp()).sum()
        }
        // Only one output used: the other output's gradient arrives as zeros.
        assertGradients([x]) { inputs in weightedSum(self.squareAndTriple(inputs[0]).1) }
    }

    func testSeededBackwardOfANonScalar() {
        let x = Tensor(shape: [3], values: [1, 2, 3], dtype: .float64).requiringGrad()
        (x * x).backward(seed: Tensor(shape: [3], values: [1, 0, 2], dtype: .float64))
        assertClose(x.grad!.doubles, [2, 0, 12], tolerance: 1e-12)
    }

    /// Two interleaved spirals: a 2-32-32-2 tanh MLP trained by plain full-batch gradient descent
    /// must separate them (≥ 98 % training accuracy).
    func testMLPLearnsTwoSpirals() {
        let perClass = 100
        var points: [Double] = []
        var labels: [Int] = []
        var noise = SeededRNG(seed: 5)
        for label in 0..<2 {
            for i in 0..<perClass {
                let r = Double(i) / Double(perClass) * 1.0 + 0.05
                let angle = Double(i) / Double(perClass) * 3 * Double.pi + Double(label) * Double.pi
                points += [
                    r * Foundation.cos(angle) + 0.01 * noise.nextNormal(),
                    r * Foundation.sin(angle) + 0.01 * noise.nextNormal(),
                ]
                labels.append(label)
            }
        }
        let x = Tensor(shape: [2 * perClass, 2], values: points, dtype: .float32)
        let target = Tensor.oneHot(labels, classes: 2)

        var rng = SeededRNG(seed: 11)
        func layer(_ fanIn: Int, _ fanOut: Int) -> (Tensor, Tensor) {
            let bound = 1 / Double(fanIn).squareRoot()
            return (
                Tensor.uniform([fanIn, fanOut], low: -bound, high: bound, using: &rng).requiringGrad(),
                Tensor.zeros([fanOut]).requiringGrad()
            )
        }
        var params = [layer(2, 64), layer(64, 64), layer(64, 2)].flatMap { [$0.0, $0.1] }
        func forward(_ p: [Tensor]) -> Tensor {
            let h1 = (Tensor.matmul(x * 3, p[0]) + p[1]).tanh()
            let h2 = (Tensor.matmul(h1, p[2]) + p[3]).tanh()
            return Tensor.matmul(h2, p[4]) + p[5]
        }
        for _ in 0..<4000 {
            let logits = forward(params)
            let loss = -((logits - logits.logsumexp(axes: [1], keepDims: true)) * target).sum() / Double(2 * perClass)
            loss.backward()
            Tape.withoutGradient {
                for i in params.indices {
                    params[i].assign(params[i] - params[i].grad! * 0.5)
                    params[i].zeroGrad()
                }
            }
        }
        let predictions = Tape.withoutGradient { forward(params) }.argmax(axis: 1)
        let accuracy = Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
        XCTAssertGreaterThanOrEqual(accuracy, 0.98)
    }
}
