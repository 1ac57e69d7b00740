import NN
import TensorRuntime
import TestSupport
import XCTest

/// `Embedding`: lookup, padding row, and its weight gradient against Float64 finite differences.
final class EmbeddingTests: XCTestCase {
    func testLookupReturnsTheRowsOfTheIds() {
        var rng = SeededRNG(seed: 1)
        let embedding = Embedding(vocabulary: 5, dimension: 3, paddingIndex: 0, dtype: .float64, rng: &rng)
        let table = embedding.weight.value.doubles
        XCTAssertEqual(Array(table[0..<3]), [0, 0, 0])
        let ids = Tensor(shape: [2, 2], values: [4, 1, 0, 4], dtype: .float64)
        let out = embedding(ids)
        XCTAssertEqual(out.shape, [2, 2, 3])
        XCTAssertEqual(out.doubles, Array(table[12..<15]) + Array(table[3..<6]) + [0, 0, 0] + Array(table[12..<15]))
    }

    /// Repeated ids accumulate; padding positions contribute nothing.
    func testWeightGradientMatchesFiniteDifferences() {
        let ids = Tensor(shape: [2, 4], values: [1, 3, 3, 0, 2, 0, 1, 1], dtype: .float64)
        let plain = Embedding(weight: randomTensor([4, 3], seed: 2))
        assertGradients([plain.weight.value]) { tensors in
            plain.weight.value = tensors[0]
            return weightedSum(plain(ids))
        }
        let padded = Embedding(weight: randomTensor([4, 3], seed: 3), paddingIndex: 0)
        assertGradients([padded.weight.value]) { tensors in
            padded.weight.value = tensors[0]
            return weightedSum(padded(ids))
        }
        padded.weight.value = randomTensor([4, 3], seed: 3).requiringGrad()
        weightedSum(padded(ids)).backward()
        let grad = padded.weight.grad?.doubles ?? []
        XCTAssertEqual(Array(grad.prefix(3)), [0, 0, 0], "the padding row gets no gradient")
        XCTAssertTrue(grad.dropFirst(3).contains { $0 != 0 })
    }
}
