import TensorRuntime

/// max(x, 0).
public final class ReLU: Module {
    public var isTraining = true
    public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.relu() }
}

/// Collapses the axes from `startAxis` on into one: [N, C, H, W] → [N, C·H·W] with the default
/// start 1, or [T, B, C, H, W] → [T, B, C·H·W] with start 2. Shares storage.
public final class Flatten: Module {
    public let startAxis: Int
    public var isTraining = true

    public init(startAxis: Int = 1) { self.startAxis = startAxis }

    public func callAsFunction(_ input: Tensor) -> Tensor { input.flattened(from: startAxis) }
}

/// Modules applied one after another; children are named "0", "1", … as in PyTorch.
public final class Sequential: Module {
    public let layers: [any Module]
    public var isTraining = true

    public init(_ layers: [any Module]) { self.layers = layers }
    public convenience init(_ layers: any Module...) { self.init(layers) }

    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { ("\($0.offset)", $0.element) }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        layers.reduce(input) { x, layer in layer(x) }
    }
}
