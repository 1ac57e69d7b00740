extension Tensor {
    /// Replaces the accumulated gradient of a leaf (nil forgets it).
    ///
    /// Gradient clipping and gradient averaging across workers rewrite gradients between
    /// `backward()` and the optimizer step; a non-leaf has no stored gradient to replace.
    public func setGrad(_ gradient: Tensor?) {
        guard let edge = gradEdge, edge.node.isLeaf else {
            preconditionFailure("setGrad: only a leaf (a tensor made by requiringGrad()) stores a gradient")
        }
        if let gradient {
            precondition(
                gradient.shape == shape && gradient.dtype == dtype,
                "setGrad: gradient is \(gradient.dtype) \(gradient.shape), the leaf is \(dtype) \(shape)")
        }
        edge.node.grad = gradient?.detached()
    }
}
