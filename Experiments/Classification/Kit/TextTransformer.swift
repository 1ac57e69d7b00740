import NN
import TensorRuntime

// The text side of paper 3's Transformer claim: a Spikformer-style encoder over word tokens,
// built from the same `SpikingSelfAttention` and `SpikingMLP` as `spikformer-tiny`
// (SpikingTransformer.swift), with an `Embedding` in place of the convolutional stem.
//
//   token ids [B, L] → Embedding [B, L, D] → channels-first [D, B, L]
//   → the same at every one of the T steps (direct encoding) [T, D, B, L] → tdBN
//   → N × (x + SSA(x), x + MLP(x))        (Q, K, V spikes of the configured neuron, no softmax, scaled by 1/d_head)
//   → mean over tokens [T, B, D] → linear [T, B, classes]; the loss averages over time (or TET).
//
// Normalisation is tdBN everywhere (as in the image Spikformer), not LayerNorm: tdBN's statistics
// run over time, batch and tokens per channel. The token mean includes padding positions (the
// padding row of the embedding is zero and gets no gradient, but after tdBN and attention the
// padded tokens are not zero); sentences are padded at the end to `maxTokens`.

/// [B, L, D] → [D, B, L]: the embedded tokens in the channels-first layout of the blocks
/// ([T, D, B, N] once repeated over time; see SpikingTransformer.swift).
final class ChannelsFirst: Module {
    var isTraining = true
    func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 3, "ChannelsFirst: expected [B, L, D], got \(input.shape)")
        return input.permuted([2, 0, 1])
    }
}

extension SpikingNetwork {
    /// The stem and body of `spikformer-text` (see the file comment): `vocabulary` ids, width `w`,
    /// `blocks` encoder blocks of `heads` heads, an optional pretrained table [vocabulary, w].
    static func textTransformer(
        vocabulary: Int, classes: Int, width w: Int, blocks: Int, heads: Int, embedding table: Tensor?,
        builder: LayerBuilder,
        rng: inout SeededRNG
    ) throws -> (stem: any Module, body: Sequential) {
        guard heads >= 1, w % heads == 0 else {
            throw ImageExperimentError.invalidModel(
                "model.width (\(w)) must be a multiple of text.heads (\(heads)) for spikformer-text")
        }
        guard blocks >= 1 else { throw ImageExperimentError.invalidModel("text.blocks must be ≥ 1, got \(blocks)") }
        let embedding: Embedding
        if let table {
            guard table.shape == [vocabulary, w] else {
                throw ImageExperimentError.invalidModel(
                    "the word vectors are \(table.shape[1])-dimensional but model.width is \(w); set model.width to \(table.shape[1])"
                )
            }
            embedding = Embedding(weight: table, paddingIndex: 0)
        } else {
            embedding = Embedding(vocabulary: vocabulary, dimension: w, paddingIndex: 0, rng: &rng)
        }
        var layers: [any Module] = [builder.tokenNorm(w)]
        for _ in 0..<blocks {
            layers.append(Residual(SpikingSelfAttention(dimension: w, heads: heads, builder: builder, rng: &rng)))
            layers.append(Residual(SpikingMLP(dimension: w, hidden: 4 * w, builder: builder, rng: &rng)))
        }
        layers += [TokenMean(), Linear(inFeatures: w, outFeatures: classes, rng: &rng)]
        return (Sequential(embedding, ChannelsFirst()), Sequential(layers))
    }
}
