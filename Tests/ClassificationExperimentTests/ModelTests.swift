import ClassificationExperiment
import NN
import Neurons
import TensorRuntime
import TestSupport
import XCTest

@testable import ClassificationExperiment

final class ModelTests: XCTestCase {
    private func network(_ architecture: ImageArchitecture, width: Int, timesteps: Int = 2) throws -> SpikingNetwork {
        var rng = SeededRNG(seed: 3)
        let neurons = try NeuronFactory(name: "lif", configuration: nil, options: EngineOptions(), sharpness: .fixed(4))
        return try SpikingNetwork(
            architecture, classes: 10, width: width, timesteps: timesteps, tdbnAlpha: 1, neurons: neurons, rng: &rng)
    }

    /// Every architecture maps images [B, 3, 32, 32] to logits [T, B, classes] and has the
    /// spiking layers its definition says (one per tdBN'd activation).
    func testEveryArchitectureGivesLogitsPerTimeStep() throws {
        let expectedLayers: [ImageArchitecture: Int] = [
            .resnet19: 1 + 2 * 8 + 1, .resnet18: 1 + 2 * 8, .resnet34: 1 + 2 * 16, .vggsnn: 8,
            .smallResNet: 1 + 2 * 3 + 1, .smallVGG: 3, .smallVGGGlobalPool: 3, .spikformerTiny: 2 + 2 * (5 + 2),
        ]
        var rng = SeededRNG(seed: 1)
        let images = Tensor.normal([2, 3, 32, 32], using: &rng)
        // The text Spikformer takes token ids: TextModelTests covers it.
        for architecture in ImageArchitecture.allCases where architecture != .spikformerText {
            let width = architecture == .spikformerTiny ? 8 : 4
            let model = try network(architecture, width: width, timesteps: 3)
            XCTAssertEqual(model(images).shape, [3, 2, 10], "\(architecture)")
            XCTAssertEqual(model.spikingLayers.count, expectedLayers[architecture], "\(architecture)")
        }
    }

    private func parameterCount(
        _ architecture: ImageArchitecture, inputChannels: Int = 3, inputSize: Int = 32, width: Int
    ) throws -> Int {
        var rng = SeededRNG(seed: 3)
        let neurons = try NeuronFactory(name: "lif", configuration: nil, options: EngineOptions(), sharpness: .fixed(4))
        let model = try SpikingNetwork(
            architecture, inputChannels: inputChannels, inputSize: inputSize, classes: 10,
            width: width, timesteps: 2, tdbnAlpha: 1, neurons: neurons, rng: &rng)
        return model.parameters().reduce(0) { $0 + $1.value.count }
    }

    /// ResNet-19 at the papers' width has the layers of tdBN's Table 1 / TET's code, counted
    /// weight by weight, and so the 12.6 M parameters the literature quotes for it (12.63 M in
    /// Spikformer's Table 3 for tdBN's and TET's ResNet-19 on CIFAR-10; ours is 12.70 M: 0.5 %
    /// more, within the rounding of how such tables count). Built only, no forward pass.
    func testResNet19HasThePublishedLayersAndParameterCount() throws {
        let count = try parameterCount(.resnet19, width: 128)
        let convolutions =
            3 * 128 * 9 + 6 * 128 * 128 * 9  // stem, stage 1
            + 128 * 256 * 9 + 5 * 256 * 256 * 9 + 128 * 256  // stage 2 with its 1×1 shortcut
            + 256 * 512 * 9 + 3 * 512 * 512 * 9 + 256 * 512  // stage 3 with its 1×1 shortcut
        let norms = 2 * (128 + 6 * 128 + 7 * 256 + 5 * 512)  // γ and β of every tdBN
        let classifier = 512 * 256 + 256 + 256 * 10 + 10  // FC-256, FC-10
        XCTAssertEqual(count, convolutions + norms + classifier)
        XCTAssertEqual(Double(count) / 12.63e6, 1, accuracy: 0.01, "\(count) parameters")
    }

    /// VGGSNN (TET's code) on 48×48 CIFAR10-DVS frames: eight 3×3 convs with tdBN, the
    /// 512·3·3 map flattened into FC-10. No published total exists to compare with; TET's convs add
    /// 2 752 bias parameters that batch norm cancels (ours have none).
    func testVGGSNNFlattensItsLastFeatureMap() throws {
        let convolutions = (2 * 64 + 64 * 128 + 128 * 256 + 256 * 256 + 256 * 512 + 3 * 512 * 512) * 9
        let norms = 2 * (64 + 128 + 2 * 256 + 4 * 512)
        XCTAssertEqual(
            try parameterCount(.vggsnn, inputChannels: 2, inputSize: 48, width: 64),
            convolutions + norms + 512 * 9 * 10 + 10)
        // The CPU VGG flattens its 4w·4·4 map; the -gap variant averages it away.
        let smallConvolutions = (3 * 8 + 8 * 16 + 16 * 32) * 9 + 2 * (8 + 16 + 32)
        XCTAssertEqual(try parameterCount(.smallVGG, width: 8), smallConvolutions + 32 * 16 * 10 + 10)
        XCTAssertEqual(try parameterCount(.smallVGGGlobalPool, width: 8), smallConvolutions + 32 * 10 + 10)
    }

    /// The convolution initialisations draw from the distributions they name.
    func testConvolutionInitialisationsHaveTheirStandardDeviations() throws {
        var rng = SeededRNG(seed: 5)
        let (inChannels, outChannels) = (32, 64)
        let expected: [(ConvolutionInit, Double)] = [
            (.torch, (1 / (3.0 * 9 * 32)).squareRoot()), (.kaimingNormal, (2 / (9.0 * 32)).squareRoot()),
            (.kaimingNormalFanOut, (2 / (9.0 * 64)).squareRoot()),
        ]
        for (initialization, std) in expected {
            let weights = initialization.weightInit.tensor(
                [outChannels, inChannels, 3, 3], fanIn: inChannels * 9,
                dtype: .float64, using: &rng
            ).doubles
            let measured = (weights.reduce(0) { $0 + $1 * $1 } / Double(weights.count)).squareRoot()
            XCTAssertEqual(measured / std, 1, accuracy: 0.03, "\(initialization)")
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
        func input(_ seed: UInt64) -> Tensor {
            randomTensor([t, d, b, n], seed: seed).converted(to: .float32).requiringGrad()
        }
        let (q, k, v) = (input(9), input(10), input(11))
        let seed = randomTensor([t, d, b, n], seed: 12).converted(to: .float32)
        SpikingSelfAttention.attend(query: q, key: k, value: v, heads: heads, scale: 0.25).backward(seed: seed)
        let (q2, k2, v2) = (q.detached().requiringGrad(), k.detached().requiringGrad(), v.detached().requiringGrad())
        let split = [t, b, heads, d / heads, n]
        func perHead(_ x: Tensor) -> Tensor { x.permuted([0, 2, 1, 3]).reshaped(split) }
        let scores = Tensor.matmul(perHead(q2), perHead(k2), transposeA: true) * 0.25
        let expected = Tensor.matmul(perHead(v2), scores, transposeB: true).reshaped([t, b, d, n]).permuted([
            0, 2, 1, 3,
        ])
        expected.backward(seed: seed)
        assertClose(
            SpikingSelfAttention.attend(query: q, key: k, value: v, heads: heads, scale: 0.25).doubles,
            expected.doubles,
            tolerance: 1e-5)
        for (ours, reference) in [(q, q2), (k, k2), (v, v2)] {
            assertClose(ours.grad!.doubles, reference.grad!.doubles, tolerance: 1e-4)
        }
    }

    /// The core against a direct evaluation of y_n = scale Σ_m (q_n · k_m) v_m within each head
    /// and sample, on tokens [T, D, B, N].
    func testAttentionComputesScaledQueryKeyValueProducts() {
        let (d, b, n, heads) = (4, 2, 3, 2)
        let q = randomTensor([1, d, b, n], seed: 4)
        let k = randomTensor([1, d, b, n], seed: 5)
        let v = randomTensor([1, d, b, n], seed: 6)
        let y = SpikingSelfAttention.attend(query: q, key: k, value: v, heads: heads, scale: 0.5).doubles
        let (qv, kv, vv) = (q.doubles, k.doubles, v.doubles)
        let per = d / heads
        func at(_ channel: Int, _ sample: Int, _ token: Int) -> Int { (channel * b + sample) * n + token }
        var expected = [Double](repeating: 0, count: d * b * n)
        for sample in 0..<b {
            for h in 0..<heads {
                for token in 0..<n {
                    for other in 0..<n {
                        let score = (0..<per).reduce(0.0) {
                            $0 + qv[at(h * per + $1, sample, token)] * kv[at(h * per + $1, sample, other)]
                        }
                        for c in 0..<per {
                            expected[at(h * per + c, sample, token)] += 0.5 * score * vv[at(h * per + c, sample, other)]
                        }
                    }
                }
            }
        }
        assertClose(y, expected, tolerance: 1e-12)
    }
}
