import TensorRuntime

/// A named slot for a tensor a module owns: a trainable weight, or a buffer such as batch norm's
/// running statistics.
///
/// It is a class so that a module, its optimizer and a checkpoint all refer to the same slot:
/// the optimizer writes `value` with `Tensor.assign(_:)`, which keeps the tensor's place on the
/// tape, so `grad` keeps accumulating into the same leaf across steps.
public final class Parameter {
    /// The current value: a gradient leaf when trainable, a plain tensor when a buffer.
    public var value: Tensor
    /// Whether optimizers update it (false for buffers, which the module itself maintains).
    public let isTrainable: Bool

    /// Wraps `value`, making it a fresh gradient leaf when `trainable`.
    public init(_ value: Tensor, trainable: Bool = true) {
        self.value = trainable ? value.detached().requiringGrad() : value.detached()
        isTrainable = trainable
    }

    public var shape: [Int] { value.shape }
    public var dtype: DType { value.dtype }

    /// The gradient accumulated by `backward()` since the last `zeroGrad()`; nil if none.
    /// Setting it replaces the stored gradient (gradient clipping does).
    public var grad: Tensor? {
        get { value.grad }
        set { value.setGrad(newValue) }
    }

    public func zeroGrad() { value.zeroGrad() }
}
