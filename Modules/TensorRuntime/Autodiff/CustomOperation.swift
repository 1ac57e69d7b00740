extension Tensor {
    /// Applies a custom differentiable operation: a forward over whole tensors that also returns
    /// its pullback (output gradients → input gradients).
    ///
    /// This is how fused kernels join autodiff without a tape node per step or element: the
    /// forward runs on detached inputs with recording off, saves what the backward needs in the
    /// pullback's captures, and the tape records one node for the whole operation.
    ///
    /// - Parameters:
    ///   - inputs: the tensors gradients may flow to.
    ///   - forward: computes the outputs and a pullback. The pullback receives one gradient per
    ///     output (zeros for outputs that did not reach the loss) and returns one gradient per
    ///     input, or nil where an input gets none; each must have its input's shape.
    /// - Returns: the outputs, linked to the tape when any input requires a gradient.
    public static func differentiableOperation(
        _ inputs: [Tensor],
        forward: ([Tensor]) -> (outputs: [Tensor], pullback: ([Tensor]) -> [Tensor?])
    ) -> [Tensor] {
        let (outputs, pullback) = Tape.withoutGradient { forward(inputs.map { $0.detached() }) }
        precondition(!outputs.isEmpty, "differentiableOperation: the forward returned no outputs")
        return Tape.recordMany(inputs: inputs, outputs: outputs, pullback: pullback)
    }
}
