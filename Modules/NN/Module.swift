import TensorRuntime

/// Anything that owns named parameters and buffers and has a training/evaluation mode: what
/// optimizers, checkpoints and the training loop need. Most such things are `Module`s; a model
/// whose input is not one tensor (an event-driven network fed spike lists) is a tree only.
///
/// A tree lists only what it owns directly (`localParameters`, `children`); the extension
/// methods walk the tree and give every tensor a dotted name (`block1.conv.weight`), the
/// name optimizers' state and checkpoints are keyed by.
public protocol ParameterTree: AnyObject {
    /// The parameters and buffers this tree owns itself (not those of its children), by
    /// local name. Empty by default.
    var localParameters: [(name: String, parameter: Parameter)] { get }

    /// The direct child modules, by local name. Empty by default.
    var children: [(name: String, module: any Module)] { get }

    /// Whether the tree is in training mode (batch statistics, dropout) or evaluation mode.
    /// Set it through `train()` / `eval()`, which reach every child.
    var isTraining: Bool { get set }
}

/// A layer or a network of layers: a differentiable function of one tensor with named
/// parameters, buffers and child modules.
public protocol Module: ParameterTree {
    /// Applies the module. Layers that act per time step also accept [T, B, …] inputs.
    func callAsFunction(_ input: Tensor) -> Tensor
}

extension ParameterTree {
    public var localParameters: [(name: String, parameter: Parameter)] { [] }
    public var children: [(name: String, module: any Module)] { [] }

    /// Every parameter and buffer in the tree, depth first, with dotted names.
    public func namedTensors() -> [(name: String, parameter: Parameter)] {
        var result = localParameters
        for (childName, child) in children {
            result += child.namedTensors().map { ("\(childName).\($0.name)", $0.parameter) }
        }
        return result
    }

    /// The trainable parameters in the tree, with dotted names.
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        namedTensors().filter { $0.parameter.isTrainable }
    }

    /// The buffers (non-trainable tensors such as running statistics), with dotted names.
    public func namedBuffers() -> [(name: String, parameter: Parameter)] {
        namedTensors().filter { !$0.parameter.isTrainable }
    }

    /// The trainable parameters, in the order of `namedParameters()`.
    public func parameters() -> [Parameter] { namedParameters().map(\.parameter) }

    /// Puts this tree and every descendant in training mode.
    public func train() { setTraining(true) }

    /// Puts this tree and every descendant in evaluation mode.
    public func eval() { setTraining(false) }

    private func setTraining(_ training: Bool) {
        isTraining = training
        for (_, child) in children { child.setTraining(training) }
    }

    /// Forgets the gradients of every trainable parameter.
    public func zeroGrad() {
        for parameter in parameters() { parameter.zeroGrad() }
    }
}
