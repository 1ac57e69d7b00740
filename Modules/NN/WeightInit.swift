import Foundation
import TensorRuntime

/// How a layer draws its initial weights, as a function of the fan-in.
public enum WeightInit: Sendable {
    /// N(0, (gain/√fan_in)²): He et al. 2015 (gain √2 suits ReLU).
    case kaimingNormal(gain: Double = 2.0.squareRoot())
    /// N(0, (gain/√fan_out)²) with fan_out = out · kh · kw for a weight [out, in, kh, kw] (out for
    /// [out, in]): PyTorch's `kaiming_normal_(mode='fan_out', nonlinearity='relu')`, what the
    /// published ResNet-19 and VGGSNN code (tdBN, TET) draws its convolutions from.
    case kaimingNormalFanOut(gain: Double = 2.0.squareRoot())
    /// U(±gain·√(3/fan_in)), the uniform distribution with Kaiming-normal's variance.
    case kaimingUniform(gain: Double = 2.0.squareRoot())
    /// U(±k/√fan_in); k = 1 is PyTorch's default for Linear and Conv2d weights and biases.
    case uniform(k: Double = 1)

    /// A tensor of `shape` drawn from this distribution.
    public func tensor(_ shape: [Int], fanIn: Int, dtype: DType, using rng: inout SeededRNG) -> Tensor {
        precondition(fanIn > 0, "WeightInit: fan-in must be positive, got \(fanIn) for shape \(shape)")
        let n = Double(fanIn)
        switch self {
        case .kaimingNormal(let gain):
            return .normal(shape, std: gain / n.squareRoot(), dtype: dtype, using: &rng)
        case .kaimingNormalFanOut(let gain):
            precondition(shape.count >= 2, "WeightInit: fan-out needs a weight [out, in, …], got shape \(shape)")
            let fanOut = Double(shape.reduce(1, *) / shape[1])
            return .normal(shape, std: gain / fanOut.squareRoot(), dtype: dtype, using: &rng)
        case .kaimingUniform(let gain):
            let bound = gain * (3 / n).squareRoot()
            return .uniform(shape, low: -bound, high: bound, dtype: dtype, using: &rng)
        case .uniform(let k):
            let bound = k / n.squareRoot()
            return .uniform(shape, low: -bound, high: bound, dtype: dtype, using: &rng)
        }
    }
}
