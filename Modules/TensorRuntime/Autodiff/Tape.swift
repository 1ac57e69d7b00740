/// One recorded operation (or a leaf) on the autodiff tape.
///
/// A node knows the edges to the nodes of its inputs and a pullback that maps the gradients of
/// its outputs to the gradients of its inputs, over whole tensors. Every built-in op and every
/// custom op (fused neuron engines, the event simulator) is recorded the same way, so the tape
/// never holds a node per element or per time step unless an op chooses to.
final class GradNode: @unchecked Sendable {
    /// Edges to the inputs' nodes, one per input; nil for inputs that need no gradient.
    let inputs: [GradEdge?]
    /// Output gradients (zeros where an output got none) → input gradients (nil = none).
    let pullback: (([Tensor]) -> [Tensor?])?
    /// Shapes and dtype of the outputs, to make zero gradients for unused outputs.
    let outputShapes: [[Int]]
    let dtype: DType
    /// Accumulated gradient of a leaf (a tensor with `requiresGrad` set by the user).
    var grad: Tensor?

    init(inputs: [GradEdge?], outputShapes: [[Int]], dtype: DType, pullback: @escaping ([Tensor]) -> [Tensor?]) {
        self.inputs = inputs
        self.outputShapes = outputShapes
        self.dtype = dtype
        self.pullback = pullback
    }

    /// A leaf node.
    init(leafShape: [Int], dtype: DType) {
        inputs = []
        outputShapes = [leafShape]
        self.dtype = dtype
        pullback = nil
    }

    var isLeaf: Bool { pullback == nil }
}

/// Output `output` of node `node`.
struct GradEdge {
    let node: GradNode
    let output: Int
}

/// The autodiff tape: recording ops, no-grad scopes, and the reverse pass.
public enum Tape {
    /// Whether ops are recorded on this thread. Off inside `withoutGradient` and during backward.
    @TaskLocal static var isRecording = true

    /// Runs `body` without recording ops (evaluation, optimizer updates).
    public static func withoutGradient<R>(_ body: () throws -> R) rethrows -> R {
        try $isRecording.withValue(false, operation: body)
    }

    /// Whether ops are being recorded right now.
    public static var isEnabled: Bool { isRecording }

    /// Records a one-output op. Returns `output` linked to the tape if any input needs a gradient.
    static func record(inputs: [Tensor], output: Tensor, pullback: @escaping (_ grads: [Tensor]) -> [Tensor?])
        -> Tensor
    {
        recordMany(inputs: inputs, outputs: [output], pullback: pullback)[0]
    }

    /// Records an op with several outputs.
    static func recordMany(inputs: [Tensor], outputs: [Tensor], pullback: @escaping (_ grads: [Tensor]) -> [Tensor?])
        -> [Tensor]
    {
        guard isRecording, inputs.contains(where: { $0.gradEdge != nil }) else {
            return outputs.map {
                var o = $0
                o.gradEdge = nil
                return o
            }
        }
        let node = GradNode(
            inputs: inputs.map(\.gradEdge), outputShapes: outputs.map(\.shape),
            dtype: outputs[0].dtype, pullback: pullback)
        return outputs.enumerated().map { i, o in
            var t = o
            t.gradEdge = GradEdge(node: node, output: i)
            return t
        }
    }

    /// Runs the reverse pass from `root`, seeding it with `seed`, and accumulates into the
    /// `grad` of every leaf that `root` depends on.
    static func backward(from root: Tensor, seed: Tensor) {
        guard let rootEdge = root.gradEdge else {
            preconditionFailure("backward: the tensor does not depend on any tensor that requires a gradient")
        }
        let order = topologicalOrder(from: rootEdge.node)
        var pending: [ObjectIdentifier: [Tensor?]] = [:]
        pending[ObjectIdentifier(rootEdge.node)] = seedArray(for: rootEdge, seed: seed)

        $isRecording.withValue(false) {
            for node in order.reversed() {
                guard let grads = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                guard let pullback = node.pullback else {
                    let g = grads[0]!
                    node.grad = node.grad.map { $0 + g } ?? g
                    continue
                }
                let outputGrads = grads.enumerated().map { i, g in
                    g ?? Tensor.zeros(node.outputShapes[i], dtype: node.dtype)
                }
                let inputGrads = pullback(outputGrads)
                precondition(
                    inputGrads.count == node.inputs.count,
                    "backward: a pullback returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
                for (edge, grad) in zip(node.inputs, inputGrads) {
                    guard let edge, let grad else { continue }
                    let expected = edge.node.outputShapes[edge.output]
                    precondition(
                        grad.shape == expected,
                        "backward: gradient of shape \(grad.shape) for an input of shape \(expected)")
                    let key = ObjectIdentifier(edge.node)
                    var slot = pending[key] ?? Array(repeating: nil, count: edge.node.outputShapes.count)
                    slot[edge.output] = slot[edge.output].map { $0 + grad } ?? grad
                    pending[key] = slot
                }
            }
        }
    }

    private static func seedArray(for edge: GradEdge, seed: Tensor) -> [Tensor?] {
        var slot = [Tensor?](repeating: nil, count: edge.node.outputShapes.count)
        slot[edge.output] = seed
        return slot
    }

    /// Nodes in an order where every node comes after all of its inputs (iterative DFS, so
    /// long unrolled graphs do not overflow the stack).
    private static func topologicalOrder(from root: GradNode) -> [GradNode] {
        var order: [GradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradNode, Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                if let child = node.inputs[next]?.node, visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}

extension Tensor {
    /// Whether gradients flow to or through this tensor.
    public var requiresGrad: Bool { gradEdge != nil }

    /// This tensor as a leaf that accumulates a gradient in `grad` on `backward()`.
    public func requiringGrad() -> Tensor {
        var t = self
        t.gradEdge = GradEdge(node: GradNode(leafShape: shape, dtype: dtype), output: 0)
        return t
    }

    /// The same values, cut off from the tape.
    public func detached() -> Tensor {
        var t = self
        t.gradEdge = nil
        return t
    }

    /// The gradient accumulated by `backward()` calls, for a leaf; nil before any.
    public var grad: Tensor? {
        guard let edge = gradEdge, edge.node.isLeaf else { return nil }
        return edge.node.grad
    }

    /// Forgets the accumulated gradient of a leaf.
    public func zeroGrad() {
        guard let edge = gradEdge, edge.node.isLeaf else { return }
        edge.node.grad = nil
    }

    /// Reverse-mode differentiation from this scalar: accumulates d(self)/d(leaf) into the `grad`
    /// of every leaf it depends on.
    public func backward() {
        precondition(count == 1, "backward: expected a scalar, got shape \(shape); pass a seed gradient")
        Tape.backward(from: self, seed: Tensor.ones(shape, dtype: dtype))
    }

    /// Reverse-mode differentiation seeded with `seed` (same shape as this tensor).
    public func backward(seed: Tensor) {
        precondition(
            seed.shape == shape && seed.dtype == dtype,
            "backward(seed:): seed is \(seed.dtype) \(seed.shape), tensor is \(dtype) \(shape)")
        Tape.backward(from: self, seed: seed.detached())
    }
}
