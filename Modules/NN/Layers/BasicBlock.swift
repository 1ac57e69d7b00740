import TensorRuntime

/// The residual basic block of ResNet-18/19: conv3×3 → norm → activation → conv3×3 → norm, plus
/// a shortcut (identity, or conv1×1 → norm when the stride or the width changes), then a final
/// activation.
///
/// The norm and activation are factories so the same block serves an ANN (BatchNorm2d, ReLU on
/// [N, C, H, W]) and an SNN (tdBN and spiking neurons on [T, B, C, H, W]); each call must return
/// a new module, since neurons and norms carry state.
public final class BasicBlock: Module {
    public let conv1: Conv2d
    public let norm1: any Module
    public let activation1: any Module
    public let conv2: Conv2d
    public let norm2: any Module
    /// conv1×1 → norm, or nil for the identity.
    public let shortcut: Sequential?
    public let activation2: any Module
    public var isTraining = true

    /// - Parameter weightInit: the distribution of all three convolutions' weights.
    public init(
        inChannels: Int, outChannels: Int, stride: Int = 1, weightInit: WeightInit = .kaimingNormal(),
        dtype: DType = .float32, rng: inout SeededRNG,
        makeNorm: (_ channels: Int) -> any Module, makeActivation: () -> any Module
    ) {
        conv1 = Conv2d(
            inChannels: inChannels, outChannels: outChannels, kernelSize: 3, stride: stride, padding: 1,
            bias: false, weightInit: weightInit, dtype: dtype, rng: &rng)
        norm1 = makeNorm(outChannels)
        activation1 = makeActivation()
        conv2 = Conv2d(
            inChannels: outChannels, outChannels: outChannels, kernelSize: 3, padding: 1, bias: false,
            weightInit: weightInit, dtype: dtype, rng: &rng)
        norm2 = makeNorm(outChannels)
        if stride != 1 || inChannels != outChannels {
            shortcut = Sequential(
                Conv2d(
                    inChannels: inChannels, outChannels: outChannels, kernelSize: 1, stride: stride, bias: false,
                    weightInit: weightInit, dtype: dtype, rng: &rng),
                makeNorm(outChannels))
        } else {
            shortcut = nil
        }
        activation2 = makeActivation()
    }

    /// The ANN block: BatchNorm2d and ReLU.
    public convenience init(
        inChannels: Int, outChannels: Int, stride: Int = 1, dtype: DType = .float32,
        rng: inout SeededRNG
    ) {
        self.init(
            inChannels: inChannels, outChannels: outChannels, stride: stride, dtype: dtype, rng: &rng,
            makeNorm: { BatchNorm2d(channels: $0, dtype: dtype) }, makeActivation: { ReLU() })
    }

    public var children: [(name: String, module: any Module)] {
        var result: [(name: String, module: any Module)] = [
            ("conv1", conv1), ("norm1", norm1), ("activation1", activation1), ("conv2", conv2), ("norm2", norm2),
        ]
        if let shortcut { result.append(("shortcut", shortcut)) }
        result.append(("activation2", activation2))
        return result
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let residual = norm2(conv2(activation1(norm1(conv1(input)))))
        return activation2(residual + (shortcut.map { $0(input) } ?? input))
    }
}
