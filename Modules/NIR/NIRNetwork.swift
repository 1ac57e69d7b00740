import NN
import Neurons
import TensorRuntime

/// A NIR graph turned into this toolkit's layers, run in discrete time with step `dt`.
///
/// Each neuron node becomes the plugin whose update is the forward-Euler step of the node's ODE
/// (docs/nir.md): LIF and IF → `lif` (hard reset, spike when v > θ), CubaLIF → `cuba-lif`, LI →
/// the leaky readout integrator; a node's input gain dt·R/τ (dt·R·w_in/τ_syn for CubaLIF) that
/// is not 1 becomes a scaling of its input. The graph must be a chain from its one Input to its
/// one Output (what feed-forward exporters write); merges and cycles (recurrent layers) are
/// rejected with the node that has them.
public final class NIRNetwork {
    /// One step of the chain.
    enum Stage {
        case linear(Linear)
        case conv(
            weight: Tensor, bias: Tensor, stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int)
        case pool(kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), sum: Bool)
        /// Per-sample shape after flattening.
        case reshape([Int])
        case scale(Double)
        case neurons(SpikingNeurons)
        case leakyIntegrator(decay: Tensor)
    }

    let stages: [(node: String, stage: Stage)]
    public let inputShape: [Int]
    public let outputShape: [Int]
    public let dt: Double

    public init(_ graph: NIRGraph, dt: Double) throws {
        precondition(dt > 0, "NIRNetwork: dt must be positive")
        self.dt = dt
        let chain = try Self.chain(of: graph)
        guard case .input(let inputShape) = chain.first!.node, case .output(let outputShape) = chain.last!.node else {
            throw NIRError("the chain must run from an Input node to an Output node")
        }
        self.inputShape = inputShape
        self.outputShape = outputShape
        var shape = inputShape
        var stages: [(node: String, stage: Stage)] = []
        for (name, node) in chain.dropFirst().dropLast() {
            for stage in try Self.stages(of: node, named: name, dt: dt, shape: &shape) { stages.append((name, stage)) }
        }
        guard shape.reduce(1, *) == outputShape.reduce(1, *) else {
            throw NIRError("the Output node expects shape \(outputShape), the graph produces \(shape)")
        }
        self.stages = stages
    }

    /// The nodes from Input to Output, each with exactly one successor.
    private static func chain(of graph: NIRGraph) throws -> [(name: String, node: NIRNode)] {
        let inputs = graph.nodes.filter { if case .input = $0.node { true } else { false } }
        guard inputs.count == 1 else {
            throw NIRError("the graph has \(inputs.count) Input nodes; this toolkit imports graphs with exactly one")
        }
        var chain = [inputs[0]]
        var visited: Set<String> = [inputs[0].name]
        while true {
            let current = chain.last!
            if case .output = current.node { break }
            let successors = graph.edges.filter { $0.source == current.name }.map(\.target)
            guard successors.count == 1 else {
                throw NIRError(
                    """
                    node \(current.name) has \(successors.count) outgoing edges; this toolkit imports chains \
                    (Input → … → Output, one edge out of each node)
                    """)
            }
            let next = successors[0]
            guard !visited.contains(next) else {
                throw NIRError("the graph has a cycle through \(next) (recurrent connections are not imported yet)")
            }
            let incoming = graph.edges.filter { $0.target == next }.count
            guard incoming == 1 else {
                throw NIRError(
                    """
                    node \(next) has \(incoming) incoming edges; this toolkit imports chains \
                    (merges and recurrent connections are not imported yet)
                    """)
            }
            visited.insert(next)
            chain.append((next, graph.node(named: next)!))
        }
        return chain
    }

    /// One value for the whole layer: our plugins hold per-layer scalars.
    private static func uniform(_ array: NIRArray, _ field: String, of name: String) throws -> Double {
        guard let value = array.uniformValue else {
            throw NIRError(
                "node \(name): \(field) differs between neurons; this toolkit's plugins take one value per layer")
        }
        return value
    }

    private static func stages(of node: NIRNode, named name: String, dt: Double, shape: inout [Int]) throws -> [Stage] {
        func gain(_ value: Double) -> [Stage] { abs(value - 1) < 1e-12 ? [] : [.scale(value)] }
        func features(_ expected: Int) throws {
            guard shape.reduce(1, *) == expected else {
                throw NIRError("node \(name) expects \(expected) inputs, its predecessor gives shape \(shape)")
            }
        }
        switch node {
        case .input, .output:
            throw NIRError("node \(name): Input and Output nodes may only start and end the chain")
        case .affine(let weight, _), .linear(let weight):
            guard weight.shape.count == 2 else {
                throw NIRError("node \(name): weight has shape \(weight.shape), expected [out, in]")
            }
            try features(weight.shape[1])
            var rng = SeededRNG(seed: 0)
            var bias: NIRArray?
            if case .affine(_, let b) = node { bias = b }
            let layer = Linear(inFeatures: weight.shape[1], outFeatures: weight.shape[0], bias: bias != nil, rng: &rng)
            layer.weight.value = Tensor(shape: weight.shape, values: weight.values, dtype: .float32)
            if let bias {
                guard bias.values.count == weight.shape[0] else {
                    throw NIRError("node \(name): bias has \(bias.values.count) entries for \(weight.shape[0]) outputs")
                }
                layer.bias!.value = Tensor(shape: [weight.shape[0]], values: bias.values, dtype: .float32)
            }
            shape = [weight.shape[0]]
            return [.linear(layer)]
        case .conv2d(let weight, let bias, let stride, let padding, let dilation, let groups, _):
            guard shape.count == 3, weight.shape.count == 4 else {
                throw NIRError(
                    "node \(name): Conv2d needs [C, H, W] input and [O, C/groups, kH, kW] weight, "
                        + "got \(shape), \(weight.shape)")
            }
            let (h, w) = (shape[1], shape[2])
            let outH = (h + 2 * padding[0] - dilation[0] * (weight.shape[2] - 1) - 1) / stride[0] + 1
            let outW = (w + 2 * padding[1] - dilation[1] * (weight.shape[3] - 1) - 1) / stride[1] + 1
            shape = [weight.shape[0], outH, outW]
            return [
                .conv(
                    weight: Tensor(shape: weight.shape, values: weight.values, dtype: .float32),
                    bias: Tensor(shape: [weight.shape[0]], values: bias.values, dtype: .float32),
                    stride: (stride[0], stride[1]), padding: (padding[0], padding[1]),
                    dilation: (dilation[0], dilation[1]), groups: groups)
            ]
        case .sumPool2d(let kernel, let stride, let padding), .avgPool2d(let kernel, let stride, let padding):
            guard shape.count == 3 else { throw NIRError("node \(name): pooling needs [C, H, W] input, got \(shape)") }
            shape = [
                shape[0], (shape[1] + 2 * padding[0] - kernel[0]) / stride[0] + 1,
                (shape[2] + 2 * padding[1] - kernel[1]) / stride[1] + 1,
            ]
            var isSum = false
            if case .sumPool2d = node { isSum = true }
            return [
                .pool(
                    kernel: (kernel[0], kernel[1]), stride: (stride[0], stride[1]), padding: (padding[0], padding[1]),
                    sum: isSum)
            ]
        case .flatten(let start, let end, _):
            let rank = shape.count
            let (s, e) = (start < 0 ? start + rank : start, end < 0 ? end + rank : end)
            guard 0 <= s && s <= e && e < rank else {
                throw NIRError("node \(name): cannot flatten axes \(start)...\(end) of shape \(shape)")
            }
            shape = Array(shape[..<s]) + [shape[s...e].reduce(1, *)] + Array(shape[(e + 1)...])
            return [.reshape(shape)]
        case .lif(let tau, let r, let vLeak, let vThreshold, let vReset):
            let t = try uniform(tau, "tau", of: name)
            try features(vThreshold.values.count)
            let neurons = try SpikingNeurons(
                neuron: "lif",
                configuration: [
                    "decay": 1 - dt / t, "threshold": try uniform(vThreshold, "v_threshold", of: name), "reset": "hard",
                    "resetPotential": try uniform(vReset, "v_reset", of: name),
                    "leakPotential": try uniform(vLeak, "v_leak", of: name), "strictThreshold": true,
                ])
            return gain(dt * (try uniform(r, "r", of: name)) / t) + [.neurons(neurons)]
        case .integrateAndFire(let r, let vThreshold, let vReset):
            try features(vThreshold.values.count)
            let neurons = try SpikingNeurons(
                neuron: "lif",
                configuration: [
                    "decay": 1.0, "threshold": try uniform(vThreshold, "v_threshold", of: name), "reset": "hard",
                    "resetPotential": try uniform(vReset, "v_reset", of: name), "strictThreshold": true,
                ])
            return gain(dt * (try uniform(r, "r", of: name))) + [.neurons(neurons)]
        case .cubaLIF(let tauSyn, let tauMem, let r, let vLeak, let vThreshold, let vReset, let wIn):
            let (ts, tm) = (try uniform(tauSyn, "tau_syn", of: name), try uniform(tauMem, "tau_mem", of: name))
            try features(vThreshold.values.count)
            let neurons = try SpikingNeurons(
                neuron: "cuba-lif",
                configuration: [
                    "membraneDecay": 1 - dt / tm, "synapticDecay": 1 - dt / ts,
                    "threshold": try uniform(vThreshold, "v_threshold", of: name),
                    "resetPotential": try uniform(vReset, "v_reset", of: name),
                    "leakPotential": try uniform(vLeak, "v_leak", of: name), "strictThreshold": true,
                ])
            // cuba-lif's membrane takes the current with gain dt/τ_mem; NIR's takes R·dt/τ_mem, so
            // R is folded into the current together with the synaptic gain w_in·dt/τ_syn.
            let inputGain = try uniform(r, "r", of: name) * (try uniform(wIn, "w_in", of: name)) * dt / ts
            return gain(inputGain) + [.neurons(neurons)]
        case .leakyIntegrator(let tau, let r, let vLeak):
            let t = try uniform(tau, "tau", of: name)
            guard try uniform(vLeak, "v_leak", of: name) == 0 else {
                throw NIRError(
                    "node \(name): an LI node with v_leak ≠ 0 is not imported (the readout integrator leaks to 0)")
            }
            return gain(dt * (try uniform(r, "r", of: name)) / t)
                + [.leakyIntegrator(decay: Tensor(shape: [1], values: [1 - dt / t], dtype: .float32))]
        }
    }

    /// Runs `input` [T, B, inputShape…] (Float32) through the chain; returns [T, B, outputShape…].
    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(
            input.rank >= 2 && Array(input.shape.dropFirst(2)).reduce(1, *) == inputShape.reduce(1, *),
            "NIRNetwork: input must be [T, B] + \(inputShape), got \(input.shape)")
        let (steps, batch) = (input.shape[0], input.shape[1])
        var x = input.reshaped([steps, batch] + inputShape)
        for (_, stage) in stages {
            switch stage {
            case .linear(let layer): x = layer(x.reshaped([steps, batch, x.count / (steps * batch)]))
            case .conv(let weight, let bias, let stride, let padding, let dilation, let groups):
                let images = x.reshaped([steps * batch] + Array(x.shape.dropFirst(2)))
                let y = Tensor.conv2d(
                    images, weight: weight, bias: bias, stride: stride, padding: padding,
                    dilation: dilation, groups: groups)
                x = y.reshaped([steps, batch] + Array(y.shape.dropFirst()))
            case .pool(let kernel, let stride, let padding, let sum):
                let images = x.reshaped([steps * batch] + Array(x.shape.dropFirst(2)))
                var y = images.avgPool2d(kernel: kernel, stride: stride, padding: padding)
                if sum { y = y * Double(kernel.0 * kernel.1) }
                x = y.reshaped([steps, batch] + Array(y.shape.dropFirst()))
            case .reshape(let shape): x = x.reshaped([steps, batch] + shape)
            case .scale(let factor): x = x * factor
            case .neurons(let neurons): x = neurons(x)
            case .leakyIntegrator(let decay): x = Tensor.leakyIntegrate(x, decay: decay)
            }
        }
        return x.reshaped([steps, batch] + outputShape)
    }
}
