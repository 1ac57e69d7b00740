import NN
import TensorRuntime

/// A spiking layer with recurrent connections: the input current at step t is the external
/// current plus W_rec · S[t−1].
///
/// The recurrence makes every step depend on the previous step's spikes, so it runs step by step
/// through `SpikingNeurons.step` (a few tape nodes per step) instead of the fused multi-step loop;
/// use it where recurrence is the point, and plain `SpikingNeurons` otherwise.
public final class RecurrentSpikingNeurons: Module {
    public let neurons: SpikingNeurons
    /// W_rec, [features, features]; row i holds the weights onto neuron i.
    public let recurrentWeight: Parameter
    public var isTraining = true

    public init(
        _ neurons: SpikingNeurons, features: Int, weightInit: WeightInit = .uniform(),
        dtype: DType = .float32, rng: inout SeededRNG
    ) {
        precondition(features > 0, "RecurrentSpikingNeurons: feature count must be positive, got \(features)")
        self.neurons = neurons
        recurrentWeight = Parameter(
            weightInit.tensor([features, features], fanIn: features, dtype: dtype, using: &rng))
    }

    public var localParameters: [(name: String, parameter: Parameter)] { [("recurrentWeight", recurrentWeight)] }
    public var children: [(name: String, module: any Module)] { [("neurons", neurons)] }

    /// Input currents [T, B, features] → spikes [T, B, features].
    public func callAsFunction(_ input: Tensor) -> Tensor {
        let features = recurrentWeight.shape[0]
        precondition(
            input.rank == 3 && input.shape[2] == features,
            "RecurrentSpikingNeurons: expected input [T, B, \(features)], got \(input.shape)")
        var state: Tensor?
        var previous: Tensor?
        var spikes: [Tensor] = []
        for t in 0..<input.shape[0] {
            var current = input.select(axis: 0, index: t)
            if let previous { current = current + Tensor.matmul(previous, recurrentWeight.value, transposeB: true) }
            let (s, next) = neurons.step(current, state: state, at: t)
            spikes.append(s)
            previous = s
            state = next
        }
        return Tensor.stack(spikes)
    }
}
