import TensorRuntime

/// 2-D convolution over [N, C, H, W], or over [T, B, C, H, W] with time folded into the batch
/// (a reshape that shares storage, so every time step goes through the same large GEMMs).
public final class Conv2d: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let dilation: (Int, Int)
    public let groups: Int
    public var isTraining = true
    /// The input density up to which the convolution runs spike-driven (see `Tensor.conv2d`);
    /// nil for the measured crossover of its window, 0 for always dense.
    public var spikeDensity: Double?

    /// - Parameters:
    ///   - weightInit: the weight distribution over fan-in = in/groups · kh · kw; the bias is
    ///     U(±1/√fan-in) like PyTorch's.
    public init(
        inChannels: Int, outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
        weightInit: WeightInit = .uniform(), dtype: DType = .float32, rng: inout SeededRNG
    ) {
        precondition(
            groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
            "Conv2d: \(inChannels) input and \(outChannels) output channels must be divisible by groups = \(groups)")
        let fanIn = inChannels / groups * kernelSize.0 * kernelSize.1
        weight = Parameter(
            weightInit.tensor(
                [outChannels, inChannels / groups, kernelSize.0, kernelSize.1],
                fanIn: fanIn, dtype: dtype, using: &rng))
        self.bias =
            bias ? Parameter(WeightInit.uniform().tensor([outChannels], fanIn: fanIn, dtype: dtype, using: &rng)) : nil
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
    }

    /// A square kernel with the same stride and padding along both axes.
    public convenience init(
        inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
        weightInit: WeightInit = .uniform(), dtype: DType = .float32, rng: inout SeededRNG
    ) {
        self.init(
            inChannels: inChannels, outChannels: outChannels, kernelSize: (kernelSize, kernelSize),
            stride: (stride, stride), padding: (padding, padding), bias: bias, weightInit: weightInit,
            dtype: dtype, rng: &rng)
    }

    public var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(
            input.rank == 4 || input.rank == 5,
            "Conv2d: expected [N, C, H, W] or [T, B, C, H, W], got \(input.shape)")
        let images = input.rank == 5 ? input.reshaped([-1] + Array(input.shape.suffix(3))) : input
        let y = Tensor.conv2d(
            images, weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
            dilation: dilation, groups: groups, spikeDensity: spikeDensity)
        guard input.rank == 5 else { return y }
        return y.reshaped(Array(input.shape.prefix(2)) + Array(y.shape.suffix(3)))
    }
}
