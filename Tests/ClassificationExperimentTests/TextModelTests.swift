import Datasets
import ExperimentKit
import Foundation
import NN
import Neurons
import Registry
import TensorRuntime
import TestSupport
import XCTest

@testable import ClassificationExperiment

/// The text Spikformer (`spikformer-text`) and paper 3's SST-2 ladder at the smoke scale.
final class TextModelTests: XCTestCase {
    /// The `--set` overrides of a smoke protocol variant, plus `extra`.
    func smokeVariant(_ name: String, _ extra: [String] = []) throws -> [String] {
        let plan = try checkedOut(CircFirePaper.paper).plan(preset: "smoke")
        let variant = try XCTUnwrap(plan.variants.first { $0.name == name }, "no smoke variant \(name)")
        return ["variant=\(name)"] + variant.set.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.description)" }
            + extra
    }

    func network(
        _ neuron: String, vocabulary: Int = 20, width: Int = 8, blocks: Int = 1, heads: Int = 2, timesteps: Int = 3
    ) throws -> SpikingNetwork {
        var rng = SeededRNG(seed: 3)
        let neurons = try NeuronFactory(
            name: neuron, configuration: nil, options: EngineOptions(), sharpness: .fixed(4))
        return try SpikingNetwork(
            .spikformerText, inputChannels: vocabulary, classes: 2, width: width, timesteps: timesteps, tdbnAlpha: 1,
            neurons: neurons, textBlocks: blocks, textHeads: heads, rng: &rng)
    }

    /// Token ids [B, L] → logits [T, B, 2] with any registered neuron; one block has 5 spiking
    /// layers in attention (input, Q, K, V, attention output) and 2 in the MLP.
    func testTextTransformerMapsTokenIdsToLogitsPerStep() throws {
        let ids = Tensor(shape: [3, 5], values: [2, 3, 4, 0, 0, 5, 5, 1, 0, 0, 19, 18, 17, 16, 15], dtype: .float32)
        for neuron in NeuronRegistry.names where ["lif", "cf"].contains(neuron) {
            let model = try network(neuron)
            XCTAssertEqual(model(ids).shape, [3, 3, 2], neuron)
            XCTAssertEqual(model.spikingLayers.count, 7, neuron)
        }
        XCTAssertEqual(try network("lif", blocks: 2).spikingLayers.count, 14)
        XCTAssertThrowsError(try network("lif", width: 6, heads: 4)) {
            XCTAssertTrue("\($0)".contains("multiple of text.heads"), "\($0)")
        }
    }

    /// The whole spiking self-attention block (input neurons, Q/K/V maps with tdBN and neurons,
    /// the attention core, output neurons and projection) against Float64 central finite
    /// differences, with the neurons' step swapped for its smooth stand-in (as in the neuron
    /// conformance suite), for LIF and CF, w.r.t. the input and every parameter.
    func testSpikingSelfAttentionBackwardMatchesFiniteDifferencesWithSmoothSpikes() throws {
        for neuron in ["lif", "cf"] {
            let factory = try NeuronFactory(
                name: neuron, configuration: nil, options: EngineOptions(surrogate: .sigmoid, smoothForward: true),
                sharpness: .learnablePerStep([1.5, 2]), dtype: .float64)
            var rng = SeededRNG(seed: 5)
            let attention = SpikingSelfAttention(
                dimension: 4, heads: 2, builder: LayerBuilder(alpha: 1, neurons: factory), rng: &rng)
            for (_, slot) in attention.namedTensors() {
                let value = slot.value.detached().converted(to: .float64)
                slot.value = slot.isTrainable ? value.requiringGrad() : value
            }
            let parameters = attention.parameters()
            XCTAssertTrue(
                parameters.contains { $0.value.shape == [2] }, "the per-step sharpness is among the checked parameters")
            // T, D = 2 heads × 2, B = 3, N = 3 tokens
            let input = randomTensor([2, 4, 3, 3], seed: 6, low: -1, high: 2)
            let report = GradientCheck.check([input] + parameters.map(\.value)) { tensors in
                for (parameter, value) in zip(parameters, tensors.dropFirst()) { parameter.value = value }
                return weightedSum(attention(tensors[0]))
            }
            XCTAssertLessThan(report.maxError, 1e-6, "\(neuron): \(report)")
        }
    }

    /// The token layout [T, D, B, N] is only a layout: the attention and MLP blocks give what the
    /// same layers compute on [T, B, D, N] (a linear map per step and sample, tdBN over axis 2,
    /// per-sample attention), value for value, for LIF and CF.
    func testBlocksComputeWhatTheSampleMajorLayoutComputes() throws {
        for neuron in ["lif", "cf"] {
            let factory = try NeuronFactory(
                name: neuron, configuration: nil, options: EngineOptions(), sharpness: .fixed(4), dtype: .float64)
            var rng = SeededRNG(seed: 7)
            let builder = LayerBuilder(alpha: 1, neurons: factory)
            let attention = SpikingSelfAttention(dimension: 8, heads: 2, builder: builder, rng: &rng)
            let mlp = SpikingMLP(dimension: 8, hidden: 16, builder: builder, rng: &rng)
            for (_, slot) in (attention.namedTensors() + mlp.namedTensors()) {
                slot.value = slot.value.converted(to: .float64)
            }
            let sampleMajor = randomTensor([3, 2, 8, 5], seed: 8, low: -1, high: 3)  // T, B, D, N
            let tokens = sampleMajor.permuted([0, 2, 1, 3])

            /// A Sequential of layers in [T, B, D, N]: TokenLinear as W · x per step and sample,
            /// TokenNorm as its TDBatchNorm on axis 2, neurons as they are.
            func sampleMajorLayers(_ layers: Sequential, _ x: Tensor) -> Tensor {
                layers.layers.reduce(x) { x, layer in
                    if let linear = layer as? TokenLinear { return Tensor.matmul(linear.weight.value, x) }
                    if let norm = layer as? TokenNorm { return norm.norm(x) }
                    return layer(x)
                }
            }
            let spikes = attention.input(sampleMajor)
            let (q, k, v) = (
                sampleMajorLayers(attention.query, spikes), sampleMajorLayers(attention.key, spikes),
                sampleMajorLayers(attention.value, spikes)
            )
            let split = [3, 2, 2, 4, 5]  // T, B, h, d, N
            let scores = Tensor.matmul(q.reshaped(split), k.reshaped(split), transposeA: true) * attention.scale
            let attended = Tensor.matmul(v.reshaped(split), scores, transposeB: true).reshaped([3, 2, 8, 5])
            let expectedAttention = sampleMajorLayers(
                attention.projection,
                attention.attentionNeurons(attention.attentionNorm.norm(attended)))
            assertClose(attention(tokens).doubles, expectedAttention.permuted([0, 2, 1, 3]).doubles, tolerance: 1e-12)
            assertClose(
                mlp(tokens).doubles, sampleMajorLayers(mlp.layers, sampleMajor).permuted([0, 2, 1, 3]).doubles,
                tolerance: 1e-12)
        }
    }

    /// Pretrained vectors become the embedding table; a dimension that is not the width is an error naming both.
    func testWordVectorsSeedTheEmbedding() throws {
        var rng = SeededRNG(seed: 1)
        let neurons = try NeuronFactory(name: "lif", configuration: nil, options: EngineOptions(), sharpness: .fixed(4))
        let table = Tensor.normal([6, 4], using: &rng)
        let model = try SpikingNetwork(
            .spikformerText, inputChannels: 6, classes: 2, width: 4, timesteps: 2, tdbnAlpha: 1,
            neurons: neurons, textBlocks: 1, textHeads: 2, embedding: table, rng: &rng)
        let weight = try XCTUnwrap(
            model.namedParameters().first { $0.name.hasSuffix("weight") && $0.parameter.value.shape == [6, 4] })
        XCTAssertEqual(weight.parameter.value.doubles, table.doubles)
        XCTAssertThrowsError(
            try SpikingNetwork(
                .spikformerText, inputChannels: 6, classes: 2, width: 8, timesteps: 2, tdbnAlpha: 1,
                neurons: neurons, textBlocks: 1, textHeads: 2, embedding: table, rng: &rng)
        ) {
            XCTAssertTrue("\($0)".contains("4-dimensional but model.width is 8"), "\($0)")
        }
    }

    /// The smoke variant of the full method learns the synthetic sentences well above chance
    /// (0.5), logs its per-step sharpness, and the tokenizer is saved and reloads.
    func testSmokeTextModelLearnsSyntheticSentences() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        let summary = try trainSmoke(
            CircFirePaper.paper, try smokeVariant("sst2-cf-learnable-pnb"), registry: registry, directory: directory)
        let accuracy = try XCTUnwrap(summary.finalMetrics.first { $0.split == "test" && $0.name == "accuracy" }).value
        print("smoke text model (sst2-cf-learnable-pnb): test accuracy \(accuracy)")
        XCTAssertGreaterThan(accuracy, 0.7, "test accuracy \(accuracy)")
        XCTAssertTrue(summary.finalMetrics.contains { $0.split == "surrogate" && $0.name == "layer0.step1" })
        XCTAssertTrue(summary.finalMetrics.contains { $0.split == "val" && $0.name == "accuracy" })
        let saved = try XCTUnwrap(
            try registry.artifacts(of: summary.run).first { $0.kind == "tokenizer" }, "no tokenizer artifact")
        XCTAssertNoThrow(try WordTokenizer.load(from: URL(fileURLWithPath: saved.path)))
        let config = try smokeConfig(CircFirePaper.paper, try smokeVariant("sst2-lif"))
        let data = try ImageData(
            config: config.value.data, timesteps: config.value.timesteps,
            dataDirectory: directory.appendingPathComponent("data"), text: config.value.text)
        let file = try XCTUnwrap(data.tokenizerFile)
        XCTAssertEqual(try WordTokenizer.load(from: file), data.tokenizer)
        XCTAssertEqual(data.validationIndices.count, 64)
        XCTAssertEqual(Set(data.validationIndices).intersection(data.trainIndices), [])
        XCTAssertEqual(data.trainIndices.count, config.value.data.trainSubset)
    }

    /// Text settings need the text network and section; an image network on sentences is refused.
    func testTextConfigIsValidated() throws {
        XCTAssertThrowsError(try smokeConfig(CircFirePaper.paper, ["data.dataset=synthetic-sst2"])) {
            XCTAssertTrue("\($0)".contains("model.architecture must be spikformer-text"), "\($0)")
        }
        XCTAssertThrowsError(try smokeConfig(CircFirePaper.paper, try smokeVariant("sst2-lif", ["text.heads=3"]))) {
            XCTAssertTrue("\($0)".contains("text.heads must be"), "\($0)")
        }
    }

    /// The report's SST-2 section: the ladder's claims including "carries over to Transformers",
    /// the learning curves and the learned per-step sharpness of the Transformer, from a temporary registry.
    func testReportHasTheSST2Section() throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        for variant in ["sst2-lif", "sst2-cf-learnable", "sst2-cf-learnable-pnb"] {
            // The protocol's own config: the report takes only runs of it.
            try trainVariant(CircFirePaper.paper, variant, registry: registry, directory: directory)
        }
        let file = try checkedOut(CircFirePaper.paper).writeReport(
            registry: registry, preset: "smoke", directory: directory)
        let text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertTrue(text.contains("SST-2, text Spikformer"), text)
        XCTAssertTrue(text.contains("SST24: The method carries over to Transformers"), text)
        XCTAssertTrue(text.contains("SST23: SST-2, text Spikformer: The PNB loss improves"), text)
        XCTAssertTrue(text.contains("the paper's 81.31 % is not compared"), text)
        for figure in ["learning-curves-sst2.png", "surrogate-sharpness-sst2.png"] {
            XCTAssertTrue(
                FileManager.default.fileExists(
                    atPath: directory.appendingPathComponent("zhou2026-circulate-firing/figures/\(figure)").path),
                figure)
        }
    }
}
