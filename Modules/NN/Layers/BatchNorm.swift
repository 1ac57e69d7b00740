import TensorRuntime

/// The state and arithmetic shared by every batch-norm flavour: affine parameters, running
/// statistics, and normalisation over all axes but one channel axis. The flavours differ only in
/// which layouts they accept, where the channel axis is, and the scale (tdBN's α·V_th).
///
/// In training mode the batch statistics normalise and update the running ones (PyTorch's
/// convention: running ← (1 − momentum)·running + momentum·batch, with the unbiased batch
/// variance); in evaluation mode the running statistics normalise.
public class BatchNormalization: Module {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    public let epsilon: Double
    public let momentum: Double
    public var isTraining = true
    /// The axis statistics are kept per entry of.
    let channelAxis: Int
    /// Multiplies the normalised value before γ (1, or tdBN's α·V_th).
    let scale: Double
    /// The ranks the layer accepts and how its layout reads in an error.
    let ranks: ClosedRange<Int>
    let layout: String

    init(
        channels: Int, epsilon: Double, momentum: Double, dtype: DType, channelAxis: Int, scale: Double,
        ranks: ClosedRange<Int>, layout: String
    ) {
        precondition(channels > 0, "BatchNorm: channel count must be positive, got \(channels)")
        precondition(momentum >= 0 && momentum <= 1, "BatchNorm: momentum \(momentum) is outside [0, 1]")
        weight = Parameter(.ones([channels], dtype: dtype))
        bias = Parameter(.zeros([channels], dtype: dtype))
        runningMean = Parameter(.zeros([channels], dtype: dtype), trainable: false)
        runningVariance = Parameter(.ones([channels], dtype: dtype), trainable: false)
        (self.epsilon, self.momentum) = (epsilon, momentum)
        (self.channelAxis, self.scale, self.ranks, self.layout) = (channelAxis, scale, ranks, layout)
    }

    public var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVariance)]
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(
            ranks.contains(input.rank) && input.shape[channelAxis] == weight.shape[0],
            "\(type(of: self)): expected \(layout) with C = \(weight.shape[0]), got \(input.shape)")
        return normalize(input, training: isTraining)
    }

    /// Normalises `input` over every axis but `channelAxis`, then scales by `scale`·weight and
    /// shifts by bias.
    private func normalize(_ input: Tensor, training: Bool) -> Tensor {
        let gamma = scale == 1 ? weight.value : weight.value * scale
        guard training else {
            var shape = [Int](repeating: 1, count: input.rank)
            shape[channelAxis] = weight.shape[0]
            let (k, shift) = Tape.withoutGradient {
                ((runningVariance.value + epsilon).sqrt(), runningMean.value)
            }
            let factor = (gamma / k).reshaped(shape)
            return (input - shift.reshaped(shape)) * factor + bias.value.reshaped(shape)
        }
        let (output, mean, variance) = input.batchNormalized(
            weight: gamma, bias: bias.value,
            channelAxis: channelAxis, epsilon: epsilon)
        let n = input.count / weight.shape[0]
        Tape.withoutGradient {
            let unbiased = n > 1 ? variance * (Double(n) / Double(n - 1)) : variance
            runningMean.value.assign(runningMean.value * (1 - momentum) + mean * momentum)
            runningVariance.value.assign(runningVariance.value * (1 - momentum) + unbiased * momentum)
        }
        return output
    }
}

/// Batch norm over [N, C] or [N, C, L]: statistics per channel over the batch (and length).
public final class BatchNorm1d: BatchNormalization {
    public init(channels: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, dtype: DType = .float32) {
        super.init(
            channels: channels, epsilon: epsilon, momentum: momentum, dtype: dtype, channelAxis: 1, scale: 1,
            ranks: 2...3, layout: "[N, C] or [N, C, L]")
    }
}

/// Batch norm over [N, C, H, W]: statistics per channel over the batch and space.
public final class BatchNorm2d: BatchNormalization {
    public init(channels: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, dtype: DType = .float32) {
        super.init(
            channels: channels, epsilon: epsilon, momentum: momentum, dtype: dtype, channelAxis: 1, scale: 1,
            ranks: 4...4, layout: "[N, C, H, W]")
    }
}

/// Threshold-dependent batch norm (tdBN; Zheng et al. 2021) for spiking layers.
///
/// Input is [T, B, C, …] ([T, B, C, H, W] after a conv, [T, B, F] after a linear layer); the
/// statistics of each channel run over time, batch and space together, and the normalised value
/// is scaled to the firing threshold: y = α·V_th·(x − μ)/√(σ² + ε)·γ + β. α = 1 is the paper's
/// default; its residual blocks use α = 1/√2 before the addition of two branches.
public final class TDBatchNorm: BatchNormalization {
    public let alpha: Double
    public let threshold: Double

    public init(
        channels: Int, alpha: Double = 1, threshold: Double = 1, epsilon: Double = 1e-5, momentum: Double = 0.1,
        dtype: DType = .float32
    ) {
        self.alpha = alpha
        self.threshold = threshold
        super.init(
            channels: channels, epsilon: epsilon, momentum: momentum, dtype: dtype, channelAxis: 2,
            scale: alpha * threshold, ranks: 3...Int.max, layout: "[T, B, C, …]")
    }
}
