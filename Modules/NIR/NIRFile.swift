import Foundation
import HDF5

/// Reads and writes NIR graphs in NIR's HDF5 layout, exactly as the `nir` Python package
/// (`nir.write`, 1.0.x) does:
///
/// ```
/// /version                       scalar UTF-8 string, e.g. "1.0.0"
/// /node/type                     "NIRGraph"
/// /node/edges                    [E, 2] UTF-8 strings (source, target)
/// /node/nodes/<name>/type        scalar UTF-8 string: "Affine", "LIF", …
/// /node/nodes/<name>/<field>     float32 arrays for parameters (weight, tau, v_threshold, …),
///                                int64 arrays and scalars for shapes and sizes (shape, stride, groups, …)
/// ```
public enum NIRFile {
    /// The spec version written to `/version`.
    public static let version = "1.0.0"

    public static func write(_ graph: NIRGraph, to url: URL) throws {
        let file = try HDF5File.create(at: url)
        try file.writeStrings([version], shape: [], to: "version")
        try file.createGroup("node/nodes")
        try file.writeStrings(["NIRGraph"], shape: [], to: "node/type")
        try file.writeStrings(
            graph.edges.flatMap { [$0.source, $0.target] }, shape: [graph.edges.count, 2],
            to: "node/edges")
        for (name, node) in graph.nodes {
            try NodeWriter(file: file, group: "node/nodes/\(name)").write(node)
        }
    }

    public static func read(_ url: URL) throws -> NIRGraph {
        let file = try HDF5File.open(url)
        guard file.contains("node/nodes"), file.contains("node/edges") else {
            throw NIRError(
                "\(url.path): not a NIR file (expected the groups node/nodes and node/edges of NIR's HDF5 layout)")
        }
        let nodeType = file.contains("node/type") ? try file.readStrings("node/type").first : nil
        guard nodeType == nil || nodeType == "NIRGraph" else {
            throw NIRError("\(url.path): node/type is \(nodeType!), expected NIRGraph")
        }
        let names = try file.children(of: "node/nodes")
        let nodes = try names.map { name in
            (name, try NodeReader(file: file, group: "node/nodes/\(name)", name: name).read())
        }
        let edgeShape = try file.shape(of: "node/edges")
        let flat = try file.readStrings("node/edges")
        guard edgeShape.count == 2 && edgeShape[1] == 2 || flat.isEmpty else {
            throw NIRError("\(url.path): node/edges has shape \(edgeShape), expected [E, 2] (source, target) pairs")
        }
        let edges = stride(from: 0, to: flat.count, by: 2).map { (source: flat[$0], target: flat[$0 + 1]) }
        for (source, target) in edges {
            for end in [source, target] where !names.contains(end) {
                throw NIRError("\(url.path): edge \(source) → \(target) names \(end), which is not in node/nodes")
            }
        }
        return NIRGraph(nodes: nodes, edges: edges)
    }
}

private struct NodeWriter {
    let file: HDF5File
    let group: String

    func write(_ node: NIRNode) throws {
        try file.createGroup(group)
        try file.writeStrings([node.typeName], shape: [], to: "\(group)/type")
        switch node {
        case .input(let shape), .output(let shape):
            try ints("shape", shape)
        case .affine(let weight, let bias):
            try array("weight", weight)
            try array("bias", bias)
        case .linear(let weight):
            try array("weight", weight)
        case .conv2d(let weight, let bias, let stride, let padding, let dilation, let groups, let inputShape):
            try array("weight", weight)
            try array("bias", bias)
            try ints("stride", stride)
            try ints("padding", padding)
            try ints("dilation", dilation)
            try file.write([Int64(groups)], shape: [], to: "\(group)/groups")
            if let inputShape { try ints("input_shape", inputShape) }
        case .flatten(let start, let end, let inputShape):
            try file.write([Int64(start)], shape: [], to: "\(group)/start_dim")
            try file.write([Int64(end)], shape: [], to: "\(group)/end_dim")
            try ints("input_type", inputShape)
        case .sumPool2d(let kernel, let stride, let padding), .avgPool2d(let kernel, let stride, let padding):
            try ints("kernel_size", kernel)
            try ints("stride", stride)
            try ints("padding", padding)
        case .lif(let tau, let r, let vLeak, let vThreshold, let vReset):
            for (name, value) in [
                ("tau", tau), ("r", r), ("v_leak", vLeak), ("v_threshold", vThreshold),
                ("v_reset", vReset),
            ] { try array(name, value) }
        case .cubaLIF(let tauSyn, let tauMem, let r, let vLeak, let vThreshold, let vReset, let wIn):
            for (name, value) in [
                ("tau_syn", tauSyn), ("tau_mem", tauMem), ("r", r), ("v_leak", vLeak),
                ("v_threshold", vThreshold), ("v_reset", vReset), ("w_in", wIn),
            ] {
                try array(name, value)
            }
        case .integrateAndFire(let r, let vThreshold, let vReset):
            for (name, value) in [("r", r), ("v_threshold", vThreshold), ("v_reset", vReset)] { try array(name, value) }
        case .leakyIntegrator(let tau, let r, let vLeak):
            for (name, value) in [("tau", tau), ("r", r), ("v_leak", vLeak)] { try array(name, value) }
        }
    }

    /// Weights as float32 (what they are in training and what NIR libraries write); neuron
    /// parameters as float64, so a decay β survives β → τ = dt/(1 − β) → β to the last bit of
    /// its float32 value.
    private func array(_ name: String, _ value: NIRArray) throws {
        let path = "\(group)/\(name)"
        if ["weight", "bias"].contains(name) {
            try file.write(value.values.map { Float($0) }, shape: value.shape, to: path)
        } else {
            try file.write(value.values, shape: value.shape, to: path)
        }
    }

    private func ints(_ name: String, _ values: [Int]) throws {
        try file.write(values.map { Int64($0) }, to: "\(group)/\(name)")
    }
}

private struct NodeReader {
    let file: HDF5File
    let group: String
    let name: String

    func read() throws -> NIRNode {
        guard file.isGroup(group) else {
            throw NIRError("\(file.url.path): \(group) is not a group (every NIR node is a group)")
        }
        let type = try file.readStrings("\(group)/type").first ?? ""
        switch type {
        case "Input": return .input(shape: try ints("shape"))
        case "Output": return .output(shape: try ints("shape"))
        case "Affine": return .affine(weight: try array("weight"), bias: try array("bias"))
        case "Linear": return .linear(weight: try array("weight"))
        case "Conv2d":
            return .conv2d(
                weight: try array("weight"), bias: try array("bias"), stride: try pair("stride"),
                padding: try pair("padding"), dilation: try pair("dilation"), groups: try int("groups"),
                inputShape: has("input_shape") ? try ints("input_shape") : nil)
        case "Flatten":
            return .flatten(
                startDim: try int("start_dim"), endDim: try int("end_dim"), inputShape: try ints("input_type"))
        case "SumPool2d":
            return .sumPool2d(kernel: try pair("kernel_size"), stride: try pair("stride"), padding: try pair("padding"))
        case "AvgPool2d":
            return .avgPool2d(kernel: try pair("kernel_size"), stride: try pair("stride"), padding: try pair("padding"))
        case "LIF":
            let threshold = try array("v_threshold")
            return .lif(
                tau: try array("tau"), r: try array("r"), vLeak: try array("v_leak"), vThreshold: threshold,
                vReset: try resetPotential(like: threshold))
        case "CubaLIF":
            let threshold = try array("v_threshold")
            return .cubaLIF(
                tauSyn: try array("tau_syn"), tauMem: try array("tau_mem"), r: try array("r"),
                vLeak: try array("v_leak"),
                vThreshold: threshold, vReset: try resetPotential(like: threshold),
                wIn: has("w_in") ? try array("w_in") : NIRArray(repeating: 1, shape: threshold.shape))
        case "IF":
            let threshold = try array("v_threshold")
            return .integrateAndFire(
                r: try array("r"), vThreshold: threshold, vReset: try resetPotential(like: threshold))
        case "LI":
            return .leakyIntegrator(tau: try array("tau"), r: try array("r"), vLeak: try array("v_leak"))
        default:
            throw NIRError(
                """
                \(file.url.path): node \(name) has type \(type), which this toolkit does not read \
                (supported: \(NIRNode.supportedTypes.joined(separator: ", ")))
                """)
        }
    }

    private func has(_ field: String) -> Bool { file.contains("\(group)/\(field)") }

    /// NIR ≥ 1.0 always writes v_reset; older files omit it and mean 0.
    private func resetPotential(like threshold: NIRArray) throws -> NIRArray {
        has("v_reset") ? try array("v_reset") : NIRArray(repeating: 0, shape: threshold.shape)
    }

    private func array(_ field: String) throws -> NIRArray {
        let path = "\(group)/\(field)"
        return NIRArray(shape: try file.shape(of: path), values: try file.read(path, as: Double.self))
    }

    private func ints(_ field: String) throws -> [Int] {
        try file.read("\(group)/\(field)", as: Int64.self).map { Int($0) }
    }

    private func int(_ field: String) throws -> Int {
        let values = try ints(field)
        guard values.count == 1 else {
            throw NIRError("\(file.url.path): \(group)/\(field) has \(values.count) values, expected one integer")
        }
        return values[0]
    }

    /// A 2-D size: two values, or one applied to both axes (h5py writes a scalar for `stride=1`).
    private func pair(_ field: String) throws -> [Int] {
        let values = try ints(field)
        switch values.count {
        case 1: return [values[0], values[0]]
        case 2: return values
        default: throw NIRError("\(file.url.path): \(group)/\(field) has \(values.count) values, expected 1 or 2")
        }
    }
}
