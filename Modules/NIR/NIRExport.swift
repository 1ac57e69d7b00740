import NN
import Neurons
import TensorRuntime

/// Turns this toolkit's layers into a NIR graph (the inverse of `NIRNetwork`'s mapping; the
/// equations are in docs/nir.md).
public enum NIRExport {
    /// One layer of a feed-forward network, in order.
    public enum Layer {
        case linear(Linear)
        case neurons(SpikingNeurons)
        /// The non-spiking readout m[t] = β m[t−1] + x[t] (`Tensor.leakyIntegrate`).
        case leakyIntegrator(decay: Double, features: Int)
        case conv(Conv2d)
        case flatten
        case avgPool(kernel: Int, stride: Int)
    }

    /// The plugins with a NIR counterpart.
    public static let exportablePlugins = ["lif (reset: hard, no delayedReset)", "cuba-lif"]

    /// The graph `input → layers… → output`, node names `<kind><index>` (e.g. `linear1`, `lif1`),
    /// for a network whose input has per-sample shape `inputShape` and whose neurons step by `dt`
    /// (in seconds; snnTorch's NIR import assumes 1e-4).
    public static func graph(_ layers: [Layer], inputShape: [Int], dt: Double) throws -> NIRGraph {
        precondition(dt > 0, "NIRExport: dt must be positive")
        var nodes: [(name: String, node: NIRNode)] = [("input", .input(shape: inputShape))]
        var shape = inputShape
        var counts: [String: Int] = [:]
        for layer in layers {
            let (kind, node) = try self.node(layer, shape: &shape, dt: dt)
            counts[kind, default: 0] += 1
            nodes.append(("\(kind)\(counts[kind]!)", node))
        }
        nodes.append(("output", .output(shape: shape)))
        let edges = zip(nodes, nodes.dropFirst()).map { (source: $0.name, target: $1.name) }
        return NIRGraph(nodes: nodes, edges: edges)
    }

    private static func array(_ tensor: Tensor) -> NIRArray { NIRArray(shape: tensor.shape, values: tensor.doubles) }

    private static func node(_ layer: Layer, shape: inout [Int], dt: Double) throws -> (String, NIRNode) {
        let neuronShape = shape
        func filled(_ value: Double) -> NIRArray { NIRArray(repeating: value, shape: neuronShape) }
        switch layer {
        case .linear(let linear):
            shape = [linear.outFeatures]
            if let bias = linear.bias {
                return ("linear", .affine(weight: array(linear.weight.value), bias: array(bias.value)))
            }
            return ("linear", .linear(weight: array(linear.weight.value)))
        case .conv(let conv):
            let weight = conv.weight.value
            let (stride, padding, dilation) = (conv.stride, conv.padding, conv.dilation)
            let outH = (shape[1] + 2 * padding.0 - dilation.0 * (weight.shape[2] - 1) - 1) / stride.0 + 1
            let outW = (shape[2] + 2 * padding.1 - dilation.1 * (weight.shape[3] - 1) - 1) / stride.1 + 1
            let inputShape = [shape[1], shape[2]]
            shape = [weight.shape[0], outH, outW]
            return (
                "conv",
                .conv2d(
                    weight: array(weight),
                    bias: conv.bias.map { array($0.value) } ?? NIRArray(repeating: 0, shape: [weight.shape[0]]),
                    stride: [stride.0, stride.1], padding: [padding.0, padding.1], dilation: [dilation.0, dilation.1],
                    groups: conv.groups, inputShape: inputShape)
            )
        case .flatten:
            let inputShape = shape
            shape = [shape.reduce(1, *)]
            return ("flatten", .flatten(startDim: 0, endDim: -1, inputShape: inputShape))
        case .avgPool(let kernel, let stride):
            shape = [shape[0], (shape[1] - kernel) / stride + 1, (shape[2] - kernel) / stride + 1]
            return ("pool", .avgPool2d(kernel: [kernel, kernel], stride: [stride, stride], padding: [0, 0]))
        case .leakyIntegrator(let decay, let features):
            precondition(shape.reduce(1, *) == features, "NIRExport: readout of \(features) after shape \(shape)")
            let tau = dt / (1 - decay)
            return ("li", .leakyIntegrator(tau: filled(tau), r: filled(tau / dt), vLeak: filled(0)))
        case .neurons(let neurons):
            return try neuronNode(neurons, filled: filled, dt: dt)
        }
    }

    private static func neuronNode(
        _ neurons: SpikingNeurons, filled: (Double) -> NIRArray, dt: Double
    ) throws -> (String, NIRNode) {
        let values = Dictionary(
            uniqueKeysWithValues: zip(neurons.dynamics.parameterNames, neurons.parameterVector.doubles))
        if let lif = (neurons.dynamics as? FusedNeuronEngine<LIF>)?.neuron {
            guard lif.reset == .hard, !lif.delayedReset else {
                throw NIRError(
                    """
                    lif with \(lif.delayedReset ? "delayedReset" : "reset: soft") has no NIR counterpart \
                    (NIR's LIF resets to v_reset in the step it spikes); \
                    exportable: \(exportablePlugins.joined(separator: ", "))
                    """)
            }
            let tau = dt / (1 - values["decay"]!)
            // H = βU + X is the Euler step with R = τ/dt; decayInput's H = βU + (1 − β)X has R = 1.
            return (
                "lif",
                .lif(
                    tau: filled(tau), r: filled(lif.decayInput ? 1 : tau / dt), vLeak: filled(lif.leakPotential),
                    vThreshold: filled(values["threshold"]!), vReset: filled(lif.resetPotential))
            )
        }
        if let cuba = (neurons.dynamics as? FusedNeuronEngine<CurrentBasedLIF>)?.neuron {
            let tauMem = dt / (1 - values["membraneDecay"]!)
            let tauSyn = dt / (1 - values["synapticDecay"]!)
            // The input enters the current undelayed with gain 1: w_in·dt/τ_syn = 1.
            return (
                "cubalif",
                .cubaLIF(
                    tauSyn: filled(tauSyn), tauMem: filled(tauMem), r: filled(1), vLeak: filled(cuba.leakPotential),
                    vThreshold: filled(values["threshold"]!), vReset: filled(cuba.resetPotential),
                    wIn: filled(tauSyn / dt))
            )
        }
        throw NIRError(
            """
            neuron plugin '\(neurons.dynamics.neuronName)' has no NIR counterpart; \
            exportable: \(exportablePlugins.joined(separator: ", "))
            """)
    }
}
