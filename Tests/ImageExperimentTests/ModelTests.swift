import ImageExperiment
import NN
import Neurons
import TensorRuntime
import TestSupport
import XCTest

@testable import ImageExperiment

final class ModelTests: XCTestCase {
    private func network(_ architecture: ImageArchitecture, width: Int, timesteps: Int = 2) throws -> SpikingNetwork {
        var rng = SeededRNG(seed: 3)
        let neurons = NeuronFactory(name: "lif", configuration: nil, options: EngineOptions(), sharpness: .fixed(4))
        return try SpikingNetwork(architecture, classes: 10, width: width, timesteps: timesteps, tdbnAlpha: 1, neurons: neurons, rng: &rng)
    }

    /// Every architecture maps images [B, 3, 32, 32] to logits [T, B, classes] and has the
    /// spiking layers its definition says (one per tdBN'd activation).
    func testEveryArchitectureGivesLogitsPerTimeStep() throws {
        let expectedLayers: [ImageArchitecture: Int] = [
            .resnet19: 1 + 2 * 8 + 1, .resnet18: 1 + 2 * 8, .resnet34: 1 + 2 * 16, .vggsnn: 8, .smallResNet: 1 + 2 * 2,
            .smallVGG: 3, .spikformerTiny: 2 + 2 * (5 + 2),
        ]
        var rng = SeededRNG(seed: 1)
        let images = Tensor.normal([2, 3, 32, 32], using: &rng)
        for architecture in ImageArchitecture.allCases where architecture != .spikformerText {  // token ids: TextModelTests
            let width = architecture == .spikformerTiny ? 8 : 4
            let model = try network(architecture, width: width, timesteps: 3)
            XCTAssertEqual(model(images).shape, [3, 2, 10], "\(architecture)")
            XCTAssertEqual(model.spikingLayers.count, expectedLayers[architecture], "\(architecture)")
        }
    }

    func testSpikformerRejectsAWidthItsHeadsCannotSplit() {
        XCTAssertThrowsError(try network(.spikformerTiny, width: 12)) { error in
            XCTAssertTrue("\(error)".contains("model.width must be a multiple of 8"), "\(error)")
        }
    }

    /// The attention core's gradients (reshapes, two batched matmuls with transposes) agree
    /// with Float64 central finite differences.
    func testAttentionGradientsMatchFiniteDifferences() {
        let shape = [2, 4, 2, 3]  // T, D = 2 heads × 2 channels, B = 2 samples, N = 3 tokens
        let inputs = [randomTensor(shape, seed: 1), randomTensor(shape, seed: 2), randomTensor(shape, seed: 3)]
        assertGradients(inputs) { x in
            weightedSum(SpikingSelfAttention.attend(query: x[0], key: x[1], value: x[2], heads: 2, scale: 0.5))
        }
    }

    /// At a size that splits over the cores (Float32), the core and its gradients equal the
    /// per-sample batched products in the order Spikformer writes them, (Q Kᵀ) V: scores
    /// [T, B, h, N, N], then the values.
    func testAttentionMatchesQueryKeyFirstProductsAtTrainingSize() {
        let (t, d, b, n, heads) = (2, 16, 8, 12, 4)
        func input(_ seed: UInt64) -> Tensor { randomTensor([t, d, b, n], seed: seed).converted(to: .float32).requiringGrad() }
        let (q, k, v) = (input(9), input(10), input(11))
        let seed = randomTensor([t, d, b, n], seed: 12).converted(to: .float32)
        SpikingSelfAttention.attend(query: q, key: k, value: v, heads: heads, scale: 0.25).backward(seed: seed)
        let (q2, k2, v2) = (q.detached().requiringGrad(), k.detached().requiringGrad(), v.detached().requiringGrad())
        let split = [t, b, heads, d / heads, n]
        func perHead(_ x: Tensor) -> Tensor { x.permuted([0, 2, 1, 3]).reshaped(split) }
        let scores = Tensor.matmul(perHead(q2), perHead(k2), transposeA: true) * 0.25
        let expected = Tensor.matmul(perHead(v2), scores, transposeB: true).reshaped([t, b, d, n]).permuted([0, 2, 1, 3])
        expected.backward(seed: seed)
        assertClose(SpikingSelfAttention.attend(query: q, key: k, value: v, heads: heads, scale: 0.25).doubles, expected.doubles,
                    tolerance: 1e-5)
        for (ours, reference) in [(q, q2), (k, k2), (v, v2)] {
            assertClose(ours.grad!.doubles, reference.grad!.doubles, tolerance: 1e-4)
        }
    }

    /// The core against a direct evaluation of y_n = scale Σ_m (q_n · k_m) v_m within each head
    /// and sample, on tokens [T, D, B, N].
    func testAttentionComputesScaledQueryKeyValueProducts() {
        let (d, b, n, heads) = (4, 2, 3, 2)
        let q = randomTensor([1, d, b, n], seed: 4), k = randomTensor([1, d, b, n], seed: 5), v = randomTensor([1, d, b, n], seed: 6)
        let y = SpikingSelfAttention.attend(query: q, key: k, value: v, heads: heads, scale: 0.5).doubles
        let (qv, kv, vv) = (q.doubles, k.doubles, v.doubles)
        let per = d / heads
        func at(_ channel: Int, _ sample: Int, _ token: Int) -> Int { (channel * b + sample) * n + token }
        var expected = [Double](repeating: 0, count: d * b * n)
        for sample in 0..<b {
            for h in 0..<heads {
                for token in 0..<n {
                    for other in 0..<n {
                        let score = (0..<per).reduce(0.0) { $0 + qv[at(h * per + $1, sample, token)] * kv[at(h * per + $1, sample, other)] }
                        for c in 0..<per { expected[at(h * per + c, sample, token)] += 0.5 * score * vv[at(h * per + c, sample, other)] }
                    }
                }
            }
        }
        assertClose(y, expected, tolerance: 1e-12)
    }
}
