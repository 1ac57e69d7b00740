import TensorRuntime

/// Parameters that share a learning-rate multiplier and (optionally) a weight decay, e.g. "no
/// decay on biases and norms" or "10× the rate for the classifier head".
public struct ParameterGroup {
    public var parameters: [Parameter]
    /// The group's learning rate is the optimizer's `learningRate` times this, so a schedule that
    /// sets `learningRate` moves every group in proportion.
    public var learningRateScale: Double
    /// Overrides the optimizer's weight decay for this group when set.
    public var weightDecay: Double?

    public init(_ parameters: [Parameter], learningRateScale: Double = 1, weightDecay: Double? = nil) {
        precondition(parameters.allSatisfy(\.isTrainable), "ParameterGroup: buffers cannot be optimised")
        self.parameters = parameters
        self.learningRateScale = learningRateScale
        self.weightDecay = weightDecay
    }
}

/// Updates parameters from their gradients.
///
/// An optimizer holds parameter groups and per-parameter state tensors (momenta, second
/// moments) in `state`, which checkpoints save under the parameters' names.
public protocol Optimizer: AnyObject {
    var groups: [ParameterGroup] { get }
    /// The base learning rate; schedules set it before each step or epoch.
    var learningRate: Double { get set }
    /// The weight decay of groups that do not set their own.
    var weightDecay: Double { get }
    /// Step count and per-parameter state.
    var state: OptimizerState { get }
    /// Applies one update to every parameter that has a gradient; parameters without one are
    /// left alone (their state too).
    func step()
}

extension Optimizer {
    /// Every parameter of every group.
    public var parameters: [Parameter] { groups.flatMap(\.parameters) }

    /// Forgets the gradients of every parameter.
    public func zeroGrad() {
        for parameter in parameters { parameter.zeroGrad() }
    }

    /// Scales all gradients down together so that their joint L2 norm is at most `maxNorm`
    /// (PyTorch's `clip_grad_norm_`, with its 1e-6 guard); returns the norm before clipping.
    @discardableResult
    public func clipGradientNorm(maxNorm: Double) -> Double {
        precondition(maxNorm > 0, "clipGradientNorm: maxNorm must be positive, got \(maxNorm)")
        let withGrad = parameters.filter { $0.grad != nil }
        let total = withGrad.reduce(0.0) { sum, p in sum + p.grad!.doubles.reduce(0) { $0 + $1 * $1 } }
        let norm = total.squareRoot()
        let factor = maxNorm / (norm + 1e-6)
        if factor < 1 {
            Tape.withoutGradient {
                for p in withGrad { p.grad = p.grad! * factor }
            }
        }
        return norm
    }

    /// Calls `body` for every parameter that has a gradient, with its group's learning rate and
    /// weight decay, recording off.
    func forEachUpdate(
        _ body: (_ parameter: Parameter, _ grad: Tensor, _ learningRate: Double, _ weightDecay: Double) -> Void
    ) {
        Tape.withoutGradient {
            for group in groups {
                let rate = learningRate * group.learningRateScale
                let decay = group.weightDecay ?? weightDecay
                for parameter in group.parameters {
                    guard let grad = parameter.grad else { continue }
                    body(parameter, grad, rate, decay)
                }
            }
        }
    }
}

/// An optimizer's step count and per-parameter state tensors, by slot name.
public final class OptimizerState {
    /// The slots this optimizer keeps per parameter, e.g. ["exp_avg", "exp_avg_sq"] for Adam.
    public let slotNames: [String]
    /// Completed steps (the t of Adam's bias corrections).
    public internal(set) var stepCount = 0
    private var slots: [ObjectIdentifier: [String: Tensor]] = [:]

    init(slotNames: [String]) { self.slotNames = slotNames }

    /// Forgets every tensor and sets the step count (checkpoint loading).
    public func reset(stepCount: Int) {
        self.stepCount = stepCount
        slots = [:]
    }

    /// The tensor in `slot` for `parameter`, or nil before its first update.
    public func tensor(_ slot: String, for parameter: Parameter) -> Tensor? {
        slots[ObjectIdentifier(parameter)]?[slot]
    }

    /// Sets the tensor in `slot` for `parameter` (checkpoint loading).
    public func setTensor(_ tensor: Tensor, _ slot: String, for parameter: Parameter) {
        precondition(slotNames.contains(slot), "OptimizerState: unknown slot \(slot); slots are \(slotNames)")
        slots[ObjectIdentifier(parameter), default: [:]][slot] = tensor
    }

    /// Removes and returns the tensor in `slot` for `parameter` (zeros of its shape when
    /// missing), so the caller holds the only reference and updates it in place without a copy;
    /// it hands the tensor back with `setTensor`.
    func take(_ slot: String, for parameter: Parameter) -> Tensor {
        slots[ObjectIdentifier(parameter)]?.removeValue(forKey: slot) ?? .zeros(parameter.shape, dtype: parameter.dtype)
    }
}
