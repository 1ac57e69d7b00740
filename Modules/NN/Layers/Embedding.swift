import TensorRuntime

/// A lookup table: token ids → rows of W [vocabulary, dimension] (PyTorch's `nn.Embedding`).
///
/// The ids arrive as a tensor of whole numbers (any shape, e.g. [B, L]); the output has that
/// shape plus a trailing axis of `dimension`. The gradient reaches W only (ids are not
/// differentiable): row i of ∂L/∂W is the sum of the output gradients at the positions whose id
/// is i. With `paddingIndex` set, that row is kept at zero and receives no gradient.
public final class Embedding: Module {
    public let weight: Parameter
    public let paddingIndex: Int?
    public var isTraining = true

    /// W ~ N(0, 1) as in PyTorch, the padding row zero.
    public init(
        vocabulary: Int, dimension: Int, paddingIndex: Int? = nil, dtype: DType = .float32, rng: inout SeededRNG
    ) {
        precondition(
            vocabulary > 0 && dimension > 0, "Embedding: sizes must be positive, got \(vocabulary) × \(dimension)")
        var values = (0..<(vocabulary * dimension)).map { _ in rng.nextNormal() }
        if let paddingIndex {
            precondition(
                (0..<vocabulary).contains(paddingIndex),
                "Embedding: padding index \(paddingIndex) outside 0..<\(vocabulary)")
            for d in 0..<dimension { values[paddingIndex * dimension + d] = 0 }
        }
        weight = Parameter(Tensor(shape: [vocabulary, dimension], values: values, dtype: dtype))
        self.paddingIndex = paddingIndex
    }

    /// Wraps a given table (pretrained vectors).
    public init(weight: Tensor, paddingIndex: Int? = nil) {
        precondition(weight.rank == 2, "Embedding: expected a table [vocabulary, dimension], got \(weight.shape)")
        self.weight = Parameter(weight)
        self.paddingIndex = paddingIndex
    }

    public var vocabulary: Int { weight.shape[0] }
    public var dimension: Int { weight.shape[1] }

    public var localParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    public func callAsFunction(_ ids: Tensor) -> Tensor {
        let indices = ids.doubles.map { value -> Int in
            let id = Int(value)
            precondition(
                Double(id) == value && (0..<vocabulary).contains(id),
                "Embedding: id \(value) is not a whole number in 0..<\(vocabulary)")
            return id
        }
        var rows = weight.value.indexSelect(axis: 0, indices: indices)
        if let paddingIndex, indices.contains(paddingIndex) {
            // Zero the padding positions so the padding row gets no gradient either.
            let mask = Tensor(
                shape: [indices.count, 1], values: indices.map { $0 == paddingIndex ? 0 : 1 }, dtype: weight.value.dtype
            )
            rows = rows * mask
        }
        return rows.reshaped(ids.shape + [dimension])
    }
}
