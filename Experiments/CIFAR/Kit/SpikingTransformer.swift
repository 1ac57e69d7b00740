import NN
import Neurons
import TensorRuntime

// The pieces of the small Spikformer (Zhou et al. 2023) used to test paper 3's claim that its
// method carries over to spiking Transformers. Tokens are kept channels-first, [T, B, D, N], as
// in Spikformer's code (its linear maps are 1-D convolutions), so tdBN normalises axis 2 as it
// does for images.

/// [T, B, D, H, W] → [T, B, D, H·W].
final class Tokens: Module {
    var isTraining = true
    func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 5, "Tokens: expected [T, B, D, H, W], got \(input.shape)")
        return input.flattened(from: 3)
    }
}

/// [T, B, D, N] → [T, B, D]: the mean over tokens.
final class TokenMean: Module {
    var isTraining = true
    func callAsFunction(_ input: Tensor) -> Tensor { input.mean(axes: [3]) }
}

/// x + f(x).
final class Residual: Module {
    let branch: any Module
    var isTraining = true
    init(_ branch: any Module) { self.branch = branch }
    var children: [(name: String, module: any Module)] { [("branch", branch)] }
    func callAsFunction(_ input: Tensor) -> Tensor { input + branch(input) }
}

/// A linear map of the channel axis of [T, B, D, N] (a 1×1 convolution): W [out, in] · x.
final class TokenLinear: Module {
    let weight: Parameter
    var isTraining = true

    init(_ inFeatures: Int, _ outFeatures: Int, rng: inout SeededRNG) {
        weight = Parameter(WeightInit.kaimingNormal().tensor([outFeatures, inFeatures], fanIn: inFeatures, dtype: .float32, using: &rng))
    }

    var localParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[2] == weight.value.shape[1],
                     "TokenLinear: expected [T, B, \(weight.value.shape[1]), N], got \(input.shape)")
        return Tensor.matmul(weight.value, input)
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
    let attentionNorm: TDBatchNorm
    let attentionNeurons: SpikingNeurons
    let projection: Sequential
    var isTraining = true

    init(dimension: Int, heads: Int, builder: LayerBuilder, rng: inout SeededRNG) {
        precondition(dimension % heads == 0, "SpikingSelfAttention: dimension \(dimension) is not a multiple of \(heads) heads")
        self.heads = heads
        // Spikformer's 0.125 for 64-dimensional heads; 1/d keeps Q Kᵀ V of order one for spikes.
        scale = 1 / Double(dimension / heads)
        input = builder.neurons.make()
        func spikingMap() -> Sequential {
            Sequential(TokenLinear(dimension, dimension, rng: &rng), builder.norm(dimension), builder.neurons.make())
        }
        query = spikingMap()
        key = spikingMap()
        value = spikingMap()
        attentionNorm = builder.norm(dimension)
        attentionNeurons = builder.neurons.make()
        projection = Sequential(TokenLinear(dimension, dimension, rng: &rng), builder.norm(dimension))
    }

    var children: [(name: String, module: any Module)] {
        [("input", input), ("query", query), ("key", key), ("value", value), ("attentionNorm", attentionNorm),
         ("attentionNeurons", attentionNeurons), ("projection", projection)]
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let spikes = input(x)
        let attended = Self.attend(query: query(spikes), key: key(spikes), value: value(spikes), heads: heads, scale: scale)
        return projection(attentionNeurons(attentionNorm(attended)))
    }

    /// The attention core on [T, B, D, N]: per head h with channels d, Y_h = scale · V_h (Q_hᵀ K_h)ᵀ,
    /// i.e. token n of Y is Σ_m scale·(q_n · k_m)·v_m.
    static func attend(query: Tensor, key: Tensor, value: Tensor, heads: Int, scale: Double) -> Tensor {
        let shape = query.shape
        let split = Array(shape.prefix(2)) + [heads, shape[2] / heads, shape[3]]
        let (q, k, v) = (query.reshaped(split), key.reshaped(split), value.reshaped(split))
        let scores = Tensor.matmul(q, k, transposeA: true) * scale  // [T, B, h, N, N]: q_n · k_m
        return Tensor.matmul(v, scores, transposeB: true).reshaped(shape)
    }
}

/// The spiking MLP: input fires → linear → tdBN → spiking → linear → tdBN.
final class SpikingMLP: Module {
    let layers: Sequential
    var isTraining = true

    init(dimension: Int, hidden: Int, builder: LayerBuilder, rng: inout SeededRNG) {
        layers = Sequential(
            builder.neurons.make(), TokenLinear(dimension, hidden, rng: &rng), builder.norm(hidden), builder.neurons.make(),
            TokenLinear(hidden, dimension, rng: &rng), builder.norm(dimension))
    }

    var children: [(name: String, module: any Module)] { [("layers", layers)] }
    func callAsFunction(_ input: Tensor) -> Tensor { layers(input) }
}
