import TensorRuntime

/// Losses and predictions on `EventNetworkOutput`, written as tensor expressions so that their
/// gradients reach the network through its differentiable op.
public enum EventLosses {
    /// Time-to-first-spike cross-entropy of the predecessor paper (Klos & Memmesheimer 2025):
    ///
    ///     −log softmax(−t)[y] + γ (exp(t[y]/T) − 1),   averaged over the batch,
    ///
    /// with t the first output spike times (pseudospikes included). The γ term pulls the correct
    /// neuron's spike earlier, so the label is not won by delaying every other neuron.
    ///
    /// - Parameter spikeTimes: [batch, outputs, K] (slot 0 is used).
    public static func firstSpikeCrossEntropy(
        spikeTimes: Tensor, labels: [Int], gamma: Double = 1e-2,
        duration: Double
    ) -> Tensor {
        precondition(
            spikeTimes.rank == 3, "firstSpikeCrossEntropy: expected [batch, outputs, K], got \(spikeTimes.shape)")
        let first = spikeTimes.select(axis: 2, index: 0)
        let target = Tensor.oneHot(labels, classes: first.shape[1], dtype: first.dtype)
        let targetTime = (first * target).sum(axes: [1])
        let crossEntropy = (-1 * first).logsumexp(axes: [1]) + targetTime
        return (crossEntropy + gamma * ((targetTime / duration).exp() - 1)).mean()
    }

    /// The earliest-spiking output neuron per sample (pseudospikes included).
    public static func firstSpikePrediction(_ spikeTimes: Tensor) -> [Int] {
        spikeTimes.select(axis: 2, index: 0).argmin(axis: 1)
    }

    /// The output neuron with the largest logit (e.g. `leakyLogits`) or spike count per sample;
    /// counts carry no gradient, so this readout is for evaluation only.
    public static func maximumPrediction(_ scores: Tensor) -> [Int] {
        scores.argmax(axis: 1)
    }
}
