import TensorRuntime

/// y = x Wᵀ + b over the last axis, with W of shape [out, in] (PyTorch's layout).
///
/// Every leading axis ([B, in], [T, B, in], …) folds into the rows of a single GEMM through a
/// reshape, which shares storage: no copy, and the weight gradient is one GEMM too.
public final class Linear: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true

    /// - Parameters:
    ///   - weightInit: the weight distribution; the bias is always U(±1/√in) like PyTorch's.
    public init(
        inFeatures: Int, outFeatures: Int, bias: Bool = true, weightInit: WeightInit = .uniform(),
        dtype: DType = .float32, rng: inout SeededRNG
    ) {
        precondition(
            inFeatures > 0 && outFeatures > 0,
            "Linear: feature counts must be positive, got in \(inFeatures), out \(outFeatures)")
        weight = Parameter(weightInit.tensor([outFeatures, inFeatures], fanIn: inFeatures, dtype: dtype, using: &rng))
        self.bias =
            bias
            ? Parameter(WeightInit.uniform().tensor([outFeatures], fanIn: inFeatures, dtype: dtype, using: &rng)) : nil
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public var localParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(
            input.rank >= 1 && input.shape[input.rank - 1] == inFeatures,
            "Linear: expected input [..., \(inFeatures)], got \(input.shape)")
        let rows = input.reshaped([-1, inFeatures])
        var y = Tensor.matmul(rows, weight.value, transposeB: true)
        if let bias { y = y + bias.value }
        return y.reshaped(Array(input.shape.dropLast()) + [outFeatures])
    }
}
