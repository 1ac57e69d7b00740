/// A NIR (Neuromorphic Intermediate Representation, spec 1.0) graph: named nodes and directed
/// edges between them, as the `nir` Python package models it (`nir.NIRGraph`).
///
/// Shapes are per sample: no batch or time axis (NIR's convention).
public struct NIRGraph: Equatable {
    /// Nodes in file order (the `nir` package writes them sorted by name).
    public var nodes: [(name: String, node: NIRNode)]
    public var edges: [(source: String, target: String)]

    public init(nodes: [(name: String, node: NIRNode)], edges: [(source: String, target: String)]) {
        self.nodes = nodes
        self.edges = edges
    }

    public func node(named name: String) -> NIRNode? { nodes.first { $0.name == name }?.node }

    public static func == (a: NIRGraph, b: NIRGraph) -> Bool {
        a.nodes.map(\.name) == b.nodes.map(\.name) && a.nodes.map(\.node) == b.nodes.map(\.node)
            && a.edges.map(\.source) == b.edges.map(\.source) && a.edges.map(\.target) == b.edges.map(\.target)
    }
}

/// An n-dimensional array of numbers (row-major), as NIR stores parameters.
public struct NIRArray: Equatable, Sendable, CustomStringConvertible {
    public var shape: [Int]
    public var values: [Double]

    public init(shape: [Int], values: [Double]) {
        precondition(shape.reduce(1, *) == values.count, "NIRArray: \(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// `value` repeated over `shape`.
    public init(repeating value: Double, shape: [Int]) {
        self.init(shape: shape, values: Array(repeating: value, count: shape.reduce(1, *)))
    }

    /// The one value every entry has, or nil when they differ (or there are none).
    public var uniformValue: Double? {
        guard let first = values.first, values.allSatisfy({ $0 == first }) else { return nil }
        return first
    }

    public var description: String {
        if let value = uniformValue { return "\(shape) all \(value)" }
        let shown = values.prefix(4).map { "\($0)" }.joined(separator: ", ")
        return "\(shape) [\(shown)\(values.count > 4 ? ", …" : "")]"
    }
}

/// One NIR node; the cases are the NIR 1.0 primitives this toolkit reads and writes. The
/// neuron nodes are continuous-time ODEs (docs/nir.md gives them and our discretisation).
public enum NIRNode: Equatable, Sendable {
    case input(shape: [Int])
    case output(shape: [Int])
    /// y = W x + b, W [out, in].
    case affine(weight: NIRArray, bias: NIRArray)
    /// y = W x.
    case linear(weight: NIRArray)
    /// PyTorch's Conv2d: weight [out, in/groups, kH, kW]; `inputShape` (H, W) when known.
    case conv2d(
        weight: NIRArray, bias: NIRArray, stride: [Int], padding: [Int], dilation: [Int], groups: Int,
        inputShape: [Int]?)
    /// Flattens axes `startDim...endDim` of the per-sample shape `inputShape`.
    case flatten(startDim: Int, endDim: Int, inputShape: [Int])
    case sumPool2d(kernel: [Int], stride: [Int], padding: [Int])
    case avgPool2d(kernel: [Int], stride: [Int], padding: [Int])
    /// τ dv/dt = (v_leak − v) + R I; spike and v ← v_reset when v > v_threshold.
    case lif(tau: NIRArray, r: NIRArray, vLeak: NIRArray, vThreshold: NIRArray, vReset: NIRArray)
    /// τ_syn dI/dt = −I + w_in S;  τ_mem dv/dt = (v_leak − v) + R I; spike and reset as LIF.
    case cubaLIF(
        tauSyn: NIRArray, tauMem: NIRArray, r: NIRArray, vLeak: NIRArray, vThreshold: NIRArray,
        vReset: NIRArray, wIn: NIRArray)
    /// dv/dt = R I; spike and v ← v_reset when v > v_threshold.
    case integrateAndFire(r: NIRArray, vThreshold: NIRArray, vReset: NIRArray)
    /// τ dv/dt = (v_leak − v) + R I, no spikes.
    case leakyIntegrator(tau: NIRArray, r: NIRArray, vLeak: NIRArray)

    /// NIR's name of the node type (the `type` dataset).
    public var typeName: String {
        switch self {
        case .input: "Input"
        case .output: "Output"
        case .affine: "Affine"
        case .linear: "Linear"
        case .conv2d: "Conv2d"
        case .flatten: "Flatten"
        case .sumPool2d: "SumPool2d"
        case .avgPool2d: "AvgPool2d"
        case .lif: "LIF"
        case .cubaLIF: "CubaLIF"
        case .integrateAndFire: "IF"
        case .leakyIntegrator: "LI"
        }
    }

    /// The node types this toolkit reads, as NIR names them.
    public static let supportedTypes = [
        "Input", "Output", "Affine", "Linear", "Conv2d", "Flatten", "SumPool2d", "AvgPool2d", "LIF", "CubaLIF", "IF",
        "LI",
    ]

    /// Named parameters for display (`snn nir inspect`).
    public var parameters: [(name: String, value: String)] {
        func ints(_ v: [Int]) -> String { "\(v)" }
        switch self {
        case .input(let shape), .output(let shape): return [("shape", ints(shape))]
        case .affine(let weight, let bias): return [("weight", "\(weight)"), ("bias", "\(bias)")]
        case .linear(let weight): return [("weight", "\(weight)")]
        case .conv2d(let weight, let bias, let stride, let padding, let dilation, let groups, let inputShape):
            return [
                ("weight", "\(weight)"), ("bias", "\(bias)"), ("stride", ints(stride)), ("padding", ints(padding)),
                ("dilation", ints(dilation)), ("groups", "\(groups)"),
                ("input_shape", inputShape.map(ints) ?? "none"),
            ]
        case .flatten(let start, let end, let inputShape):
            return [("start_dim", "\(start)"), ("end_dim", "\(end)"), ("input_type", ints(inputShape))]
        case .sumPool2d(let kernel, let stride, let padding), .avgPool2d(let kernel, let stride, let padding):
            return [("kernel_size", ints(kernel)), ("stride", ints(stride)), ("padding", ints(padding))]
        case .lif(let tau, let r, let vLeak, let vThreshold, let vReset):
            return [
                ("tau", "\(tau)"), ("r", "\(r)"), ("v_leak", "\(vLeak)"), ("v_threshold", "\(vThreshold)"),
                ("v_reset", "\(vReset)"),
            ]
        case .cubaLIF(let tauSyn, let tauMem, let r, let vLeak, let vThreshold, let vReset, let wIn):
            return [
                ("tau_syn", "\(tauSyn)"), ("tau_mem", "\(tauMem)"), ("r", "\(r)"), ("v_leak", "\(vLeak)"),
                ("v_threshold", "\(vThreshold)"), ("v_reset", "\(vReset)"), ("w_in", "\(wIn)"),
            ]
        case .integrateAndFire(let r, let vThreshold, let vReset):
            return [("r", "\(r)"), ("v_threshold", "\(vThreshold)"), ("v_reset", "\(vReset)")]
        case .leakyIntegrator(let tau, let r, let vLeak):
            return [("tau", "\(tau)"), ("r", "\(r)"), ("v_leak", "\(vLeak)")]
        }
    }
}

extension NIRGraph: CustomStringConvertible {
    /// Nodes with their parameters, then edges: what `snn nir inspect` prints.
    public var description: String {
        var lines = ["NIR graph: \(nodes.count) nodes, \(edges.count) edges", "nodes:"]
        for (name, node) in nodes {
            lines.append("  \(name) (\(node.typeName))")
            for (key, value) in node.parameters { lines.append("    \(key): \(value)") }
        }
        lines.append("edges:")
        lines += edges.map { "  \($0.source) → \($0.target)" }
        return lines.joined(separator: "\n")
    }
}

/// Why a NIR graph could not be read, written, imported or exported.
public struct NIRError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
