import NN
import Neurons
import TensorRuntime

// The pieces of the small Spikformer (Zhou et al. 2023) used to test paper 3's claim that its
// method carries over to spiking Transformers. Tokens are kept channels-first as in Spikformer's
// code (its linear maps are 1-D convolutions), in the layout [T, D, B, N]: time, channels,
// samples, tokens. With the samples inside the channels, every channel's values at one step are
// one contiguous run of B·N, so a linear map is one GEMM per step (W [out, in] · [in, B·N]) and
// tdBN streams through long runs; [T, B, D, N] would cost a small GEMM per step and sample and
// a tdBN that strides through memory. The layout is the only difference: the values are the
// same functions of the same parameters as in [T, B, D, N].

/// [T, B, D, H, W] → [T, D, B, H·W].
final class Tokens: Module {
    var isTraining = true
    func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 5, "Tokens: expected [T, B, D, H, W], got \(input.shape)")
        return input.flattened(from: 3).permuted([0, 2, 1, 3])
    }
}

/// [T, D, B, N] → [T, B, D]: the mean over tokens.
final class TokenMean: Module {
    var isTraining = true
    func callAsFunction(_ input: Tensor) -> Tensor { input.mean(axes: [3]).transposed(1, 2) }
}

/// tdBN on tokens [T, D, B, N]: per channel, statistics over time, samples and tokens. It is
/// `TDBatchNorm` on the same values seen as [T, 1, D, B·N] (a reshape, no copy), and it lists
/// that layer's parameters as its own, so names and checkpoints are those of a `TDBatchNorm`.
final class TokenNorm: Module {
    let norm: TDBatchNorm
    init(_ norm: TDBatchNorm) { self.norm = norm }

    var isTraining: Bool {
        get { norm.isTraining }
        set { norm.isTraining = newValue }
    }
    var localParameters: [(name: String, parameter: Parameter)] { norm.localParameters }

    func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4, "TokenNorm: expected [T, D, B, N], got \(input.shape)")
        let s = input.shape
        return norm(input.reshaped([s[0], 1, s[1], s[2] * s[3]])).reshaped(s)
    }
}

extension LayerBuilder {
    /// tdBN (with the builder's α) over `channels` of tokens [T, D, B, N].
    func tokenNorm(_ channels: Int) -> TokenNorm { TokenNorm(norm(channels)) }
}

/// x + f(x).
final class Residual: Module {
    let branch: any Module
    var isTraining = true
    init(_ branch: any Module) { self.branch = branch }
    var children: [(name: String, module: any Module)] { [("branch", branch)] }
    func callAsFunction(_ input: Tensor) -> Tensor { input + branch(input) }
}

/// A linear map of the channel axis of [T, D, B, N] (a 1×1 convolution): W [out, in] · x, one
/// GEMM per time step over all samples' tokens.
final class TokenLinear: Module {
    let weight: Parameter
    var isTraining = true

    init(_ inFeatures: Int, _ outFeatures: Int, rng: inout SeededRNG) {
        weight = Parameter(
            WeightInit.kaimingNormal().tensor(
                [outFeatures, inFeatures], fanIn: inFeatures, dtype: .float32, using: &rng))
    }

    var localParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(
            input.rank == 4 && input.shape[1] == weight.value.shape[1],
            "TokenLinear: expected [T, \(weight.value.shape[1]), B, N], got \(input.shape)")
        let s = input.shape
        return Tensor.matmul(weight.value, input.reshaped([s[0], s[1], s[2] * s[3]])).reshaped([
            s[0], weight.value.shape[0], s[2], s[3],
        ])
    }
}

/// Spiking self-attention: the block input fires, Q, K and V are spikes of tdBN-normalised
/// linear maps, attention is Q Kᵀ V scaled (no softmax: spikes are non-negative, so the
/// products are already non-negative), then tdBN → spiking → linear → tdBN.
final class SpikingSelfAttention: Module {
    static let defaultHeads = 4
    let heads: Int
    let scale: Double
    let input: SpikingNeurons
    let query: Sequential, key: Sequential, value: Sequential
    let attentionNorm: TokenNorm
    let attentionNeurons: SpikingNeurons
    let projection: Sequential
    var isTraining = true

    init(dimension: Int, heads: Int, builder: LayerBuilder, rng: inout SeededRNG) {
        precondition(
            dimension % heads == 0, "SpikingSelfAttention: dimension \(dimension) is not a multiple of \(heads) heads")
        self.heads = heads
        // Spikformer's 0.125 for 64-dimensional heads; 1/d keeps Q Kᵀ V of order one for spikes.
        scale = 1 / Double(dimension / heads)
        input = builder.neurons.make()
        func spikingMap() -> Sequential {
            Sequential(
                TokenLinear(dimension, dimension, rng: &rng), builder.tokenNorm(dimension), builder.neurons.make())
        }
        query = spikingMap()
        key = spikingMap()
        value = spikingMap()
        attentionNorm = builder.tokenNorm(dimension)
        attentionNeurons = builder.neurons.make()
        projection = Sequential(TokenLinear(dimension, dimension, rng: &rng), builder.tokenNorm(dimension))
    }

    var children: [(name: String, module: any Module)] {
        [
            ("input", input), ("query", query), ("key", key), ("value", value), ("attentionNorm", attentionNorm),
            ("attentionNeurons", attentionNeurons), ("projection", projection),
        ]
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let spikes = input(x)
        let attended = Self.attend(
            query: query(spikes), key: key(spikes), value: value(spikes), heads: heads, scale: scale)
        return projection(attentionNeurons(attentionNorm(attended)))
    }

    /// The attention core on [T, D, B, N]: per sample and head h with channels d,
    /// Y_h = scale · V_h (Q_hᵀ K_h)ᵀ, i.e. token n of Y is Σ_m scale·(q_n · k_m)·v_m over the
    /// tokens m of the same sample (`Tensor.linearAttention`, which evaluates it as
    /// scale · (V_h K_hᵀ) Q_h: no softmax, so the order of the products is free).
    static func attend(query: Tensor, key: Tensor, value: Tensor, heads: Int, scale: Double) -> Tensor {
        Tensor.linearAttention(query: query, key: key, value: value, heads: heads, scale: scale)
    }
}

/// The spiking MLP: input fires → linear → tdBN → spiking → linear → tdBN.
final class SpikingMLP: Module {
    let layers: Sequential
    var isTraining = true

    init(dimension: Int, hidden: Int, builder: LayerBuilder, rng: inout SeededRNG) {
        layers = Sequential(
            builder.neurons.make(), TokenLinear(dimension, hidden, rng: &rng), builder.tokenNorm(hidden),
            builder.neurons.make(),
            TokenLinear(hidden, dimension, rng: &rng), builder.tokenNorm(dimension))
    }

    var children: [(name: String, module: any Module)] { [("layers", layers)] }
    func callAsFunction(_ input: Tensor) -> Tensor { layers(input) }
}
