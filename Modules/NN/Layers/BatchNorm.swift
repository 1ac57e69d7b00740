import TensorRuntime

/// The state and arithmetic shared by every batch-norm flavour: affine parameters, running
/// statistics, and normalisation over all axes but one channel axis.
///
/// In training mode the batch statistics normalise and update the running ones (PyTorch's
/// convention: running ← (1 − momentum)·running + momentum·batch, with the unbiased batch
/// variance); in evaluation mode the running statistics normalise.
struct BatchNormCore {
    let weight: Parameter
    let bias: Parameter
    let runningMean: Parameter
    let runningVariance: Parameter
    let epsilon: Double
    let momentum: Double

    init(channels: Int, epsilon: Double, momentum: Double, dtype: DType) {
        precondition(channels > 0, "BatchNorm: channel count must be positive, got \(channels)")
        precondition(momentum >= 0 && momentum <= 1, "BatchNorm: momentum \(momentum) is outside [0, 1]")
        weight = Parameter(.ones([channels], dtype: dtype))
        bias = Parameter(.zeros([channels], dtype: dtype))
        runningMean = Parameter(.zeros([channels], dtype: dtype), trainable: false)
        runningVariance = Parameter(.ones([channels], dtype: dtype), trainable: false)
        self.epsilon = epsilon
        self.momentum = momentum
    }

    var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVariance)]
    }

    /// Normalises `input` over every axis but `channelAxis`, then scales by `scale`·weight and
    /// shifts by bias.
    func callAsFunction(_ input: Tensor, channelAxis: Int, scale: Double, training: Bool) -> Tensor {
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
        let (output, mean, variance) = input.batchNormalized(weight: gamma, bias: bias.value,
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
public final class BatchNorm1d: Module {
    let core: BatchNormCore
    public var isTraining = true

    public init(channels: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, dtype: DType = .float32) {
        core = BatchNormCore(channels: channels, epsilon: epsilon, momentum: momentum, dtype: dtype)
    }

    public var weight: Parameter { core.weight }
    public var bias: Parameter { core.bias }
    public var runningMean: Parameter { core.runningMean }
    public var runningVariance: Parameter { core.runningVariance }
    public var localParameters: [(name: String, parameter: Parameter)] { core.localParameters }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition((input.rank == 2 || input.rank == 3) && input.shape[1] == core.weight.shape[0],
                     "BatchNorm1d: expected [N, \(core.weight.shape[0])] or [N, \(core.weight.shape[0]), L], got \(input.shape)")
        return core(input, channelAxis: 1, scale: 1, training: isTraining)
    }
}

/// Batch norm over [N, C, H, W]: statistics per channel over the batch and space.
public final class BatchNorm2d: Module {
    let core: BatchNormCore
    public var isTraining = true

    public init(channels: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, dtype: DType = .float32) {
        core = BatchNormCore(channels: channels, epsilon: epsilon, momentum: momentum, dtype: dtype)
    }

    public var weight: Parameter { core.weight }
    public var bias: Parameter { core.bias }
    public var runningMean: Parameter { core.runningMean }
    public var runningVariance: Parameter { core.runningVariance }
    public var localParameters: [(name: String, parameter: Parameter)] { core.localParameters }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == core.weight.shape[0],
                     "BatchNorm2d: expected [N, \(core.weight.shape[0]), H, W], got \(input.shape)")
        return core(input, channelAxis: 1, scale: 1, training: isTraining)
    }
}

/// Threshold-dependent batch norm (tdBN; Zheng et al. 2021) for spiking layers.
///
/// Input is [T, B, C, …] ([T, B, C, H, W] after a conv, [T, B, F] after a linear layer); the
/// statistics of each channel run over time, batch and space together, and the normalised value
/// is scaled to the firing threshold: y = α·V_th·(x − μ)/√(σ² + ε)·γ + β. α = 1 is the paper's
/// default; its residual blocks use α = 1/√2 before the addition of two branches.
public final class TDBatchNorm: Module {
    let core: BatchNormCore
    public let alpha: Double
    public let threshold: Double
    public var isTraining = true

    public init(
        channels: Int, alpha: Double = 1, threshold: Double = 1, epsilon: Double = 1e-5, momentum: Double = 0.1,
        dtype: DType = .float32
    ) {
        core = BatchNormCore(channels: channels, epsilon: epsilon, momentum: momentum, dtype: dtype)
        self.alpha = alpha
        self.threshold = threshold
    }

    public var weight: Parameter { core.weight }
    public var bias: Parameter { core.bias }
    public var runningMean: Parameter { core.runningMean }
    public var runningVariance: Parameter { core.runningVariance }
    public var localParameters: [(name: String, parameter: Parameter)] { core.localParameters }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank >= 3 && input.shape[2] == core.weight.shape[0],
                     "TDBatchNorm: expected [T, B, \(core.weight.shape[0]), …], got \(input.shape)")
        return core(input, channelAxis: 2, scale: alpha * threshold, training: isTraining)
    }
}
