import TensorRuntime

/// Inverted dropout: in training mode zeroes each element with probability `p` and scales the
/// rest by 1/(1 − p), so evaluation mode is the identity.
///
/// The layer owns its random stream (split from the caller's), so a model's masks are
/// reproducible from the seed it was built with.
public final class Dropout: Module {
    public let probability: Double
    private var rng: SeededRNG
    public var isTraining = true

    public init(probability: Double, rng: inout SeededRNG) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability \(probability) is outside [0, 1)")
        self.probability = probability
        self.rng = rng.split()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard isTraining, probability > 0 else { return input }
        let keep = 1 - probability
        let mask = Tensor.bernoulli(input.shape, p: keep, dtype: input.dtype, using: &rng) / keep
        return input * mask
    }
}
