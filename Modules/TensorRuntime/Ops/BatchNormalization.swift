// Batch normalisation with batch statistics as one fused, differentiable op.

extension Tensor {
    /// Normalises every channel with the mean and variance of this batch, then applies a
    /// per-channel affine map: y = (x − μ_c)/√(σ²_c + ε) · weight[c] + bias[c].
    ///
    /// Statistics run over every axis except `channelAxis` (batch and space for [N, C, H, W];
    /// time, batch and space for [T, B, C, H, W] as tdBN needs). One fused forward and one fused
    /// backward replace the dozen broadcast ops (and their temporaries) of the composed formula,
    /// which is what a conv net's training step spends its non-GEMM time on.
    ///
    /// - Returns: the normalised tensor (differentiable in `self`, `weight` and `bias`), and the
    ///   batch mean and biased variance per channel (shape [C], constants) for running statistics.
    public func batchNormalized(
        weight: Tensor, bias: Tensor, channelAxis: Int, epsilon: Double
    ) -> (output: Tensor, mean: Tensor, variance: Tensor) {
        let axis = shapeCheck { () throws(ShapeError) in try Shape.axis(channelAxis, rank: rank, op: "batchNormalized")
        }
        let channels = shape[axis]
        precondition(
            weight.shape == [channels] && bias.shape == [channels],
            "batchNormalized: weight and bias must be [\(channels)] for channel axis \(axis) of \(shape), got \(weight.shape) and \(bias.shape)"
        )
        precondition(
            weight.dtype == dtype && bias.dtype == dtype,
            "batchNormalized: input is \(dtype), weight \(weight.dtype), bias \(bias.dtype)")
        let outer = Shape.count(Array(shape[..<axis]))
        let inner = Shape.count(Array(shape[(axis + 1)...]))
        precondition(outer * inner > 0, "batchNormalized: no values per channel in shape \(shape)")
        let mean = Tensor(uninitializedShape: [channels], dtype: dtype)
        let variance = Tensor(uninitializedShape: [channels], dtype: dtype)
        let output = Tensor(uninitializedShape: shape, dtype: dtype)
        let invStd = Tensor(uninitializedShape: [channels], dtype: dtype)
        let scale = Tensor(uninitializedShape: [channels], dtype: dtype)
        func forward<S: TensorScalar>(_: S.Type) {
            let m = mean.storage.pointer(as: S.self)
            let v = variance.storage.pointer(as: S.self)
            let r = invStd.storage.pointer(as: S.self)
            let k = scale.storage.pointer(as: S.self)
            let w = weight.storage.pointer(as: S.self)
            Kernels.channelMoments(
                storage.pointer(as: S.self), outer: outer, channels: channels, inner: inner,
                mean: m, variance: v)
            for c in 0..<channels {
                r[c] = 1 / (v[c] + S(epsilon)).squareRoot()
                k[c] = r[c] * w[c]
            }
            Kernels.channelAffine(
                storage.pointer(as: S.self), outer: outer, channels: channels, inner: inner,
                mean: m, scale: k, shift: bias.storage.pointer(as: S.self),
                output.storage.pointer(as: S.self))
        }
        switch dtype {
        case .float32: forward(Float.self)
        case .float64: forward(Double.self)
        }
        let input = self
        let needsInputGrad = requiresGrad
        let result = Tape.record(inputs: [self, weight, bias], output: output) { grads in
            let g = grads[0]
            let dx: Tensor? = needsInputGrad ? Tensor(uninitializedShape: input.shape, dtype: input.dtype) : nil
            let dWeight = Tensor(uninitializedShape: [channels], dtype: input.dtype)
            let dBias = Tensor(uninitializedShape: [channels], dtype: input.dtype)
            func backward<S: TensorScalar>(_: S.Type) {
                Kernels.batchNormBackward(
                    g.storage.pointer(as: S.self), input.storage.pointer(as: S.self), outer: outer,
                    channels: channels, inner: inner, mean: mean.storage.pointer(as: S.self),
                    invStd: invStd.storage.pointer(as: S.self), weight: weight.storage.pointer(as: S.self),
                    dx: dx?.storage.pointer(as: S.self), dWeight: dWeight.storage.pointer(as: S.self),
                    dBias: dBias.storage.pointer(as: S.self))
            }
            switch g.dtype {
            case .float32: backward(Float.self)
            case .float64: backward(Double.self)
            }
            return [dx, dWeight, dBias]
        }
        return (result, mean, variance)
    }
}
