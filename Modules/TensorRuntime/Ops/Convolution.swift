// 2-D convolution (im2col + GEMM, with stride, padding, dilation and groups) and pooling.

extension Tensor {
    /// Cross-correlation of `input` [N, C, H, W] with `weight` [O, C/groups, kh, kw] plus an
    /// optional `bias` [O]; the result is [N, O, Ho, Wo].
    ///
    /// Samples are processed in chunks whose columns fit in a few MB of cache-friendly memory, so
    /// each GEMM is large even when the feature maps are small.
    public static func conv2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1
    ) -> Tensor {
        precondition(input.rank == 4, "conv2d: input must be [N, C, H, W], got \(input.shape)")
        precondition(weight.rank == 4, "conv2d: weight must be [O, C/groups, kh, kw], got \(weight.shape)")
        precondition(input.dtype == weight.dtype, "conv2d: input is \(input.dtype), weight is \(weight.dtype)")
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let o = weight.shape[0]
        precondition(groups >= 1 && c % groups == 0 && o % groups == 0,
                     "conv2d: \(c) input and \(o) output channels must both be divisible by groups = \(groups)")
        precondition(weight.shape[1] == c / groups,
                     "conv2d: weight \(weight.shape) expects \(weight.shape[1]) channels per group, input has \(c / groups) (shape \(input.shape), groups \(groups))")
        if let bias {
            precondition(bias.shape == [o] && bias.dtype == input.dtype, "conv2d: bias must be [\(o)], got \(bias.shape)")
        }
        let geometry = Conv2dGeometry(kernel: (weight.shape[2], weight.shape[3]), stride: stride, padding: padding,
                                      dilation: dilation)
        let (ho, wo) = geometry.outputSize(h: h, w: w)
        precondition(ho > 0 && wo > 0, "conv2d: a \(weight.shape[2])×\(weight.shape[3]) kernel does not fit input \(h)×\(w) with padding \(padding), dilation \(dilation)")
        let layout = ConvLayout(n: n, c: c, h: h, w: w, o: o, groups: groups, geometry: geometry)
        var out = Tensor(uninitializedShape: [n, o, ho, wo], dtype: input.dtype)
        switch input.dtype {
        case .float32: layout.forward(input, weight, &out, Float.self)
        case .float64: layout.forward(input, weight, &out, Double.self)
        }
        if let bias { out = out.zipped(bias.detached().reshaped([1, o, 1, 1]), Elementwise.Add()) }
        let needsInputGrad = input.requiresGrad, needsWeightGrad = weight.requiresGrad
        let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
        return Tape.record(inputs: inputs, output: out) { grads in
            let g = grads[0]
            var dx: Tensor? = needsInputGrad ? Tensor.zeros(input.shape, dtype: input.dtype) : nil
            var dw: Tensor? = needsWeightGrad ? Tensor.zeros(weight.shape, dtype: weight.dtype) : nil
            switch g.dtype {
            case .float32: layout.backward(g, input, weight, &dx, &dw, Float.self)
            case .float64: layout.backward(g, input, weight, &dx, &dw, Double.self)
            }
            let dBias: Tensor? = bias == nil ? nil : g.sum(axes: [0, 2, 3])
            return bias == nil ? [dx, dw] : [dx, dw, dBias]
        }
    }

    /// Max pooling over the last two axes; the gradient goes to the first maximum of each window.
    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor {
        pool2d(kernel: kernel, stride: stride ?? kernel, padding: padding, maximum: true)
    }

    /// Average pooling over the last two axes (zero padding counts towards the window).
    public func avgPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor {
        pool2d(kernel: kernel, stride: stride ?? kernel, padding: padding, maximum: false)
    }

    private func pool2d(kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), maximum: Bool) -> Tensor {
        let op = maximum ? "maxPool2d" : "avgPool2d"
        precondition(rank >= 2, "\(op): input needs at least two axes, got \(shape)")
        let h = shape[rank - 2], w = shape[rank - 1]
        let geometry = Conv2dGeometry(kernel: kernel, stride: stride, padding: padding)
        precondition(padding.0 * 2 <= kernel.0 && padding.1 * 2 <= kernel.1,
                     "\(op): padding \(padding) must be at most half the kernel \(kernel)")
        let (ho, wo) = geometry.outputSize(h: h, w: w)
        precondition(ho > 0 && wo > 0, "\(op): kernel \(kernel) does not fit input \(h)×\(w)")
        let planes = count / Swift.max(h * w, 1)
        let out = Tensor(uninitializedShape: Array(shape.dropLast(2)) + [ho, wo], dtype: dtype)
        var argmax = [Int32](repeating: 0, count: maximum ? planes * ho * wo : 0)
        argmax.withUnsafeMutableBufferPointer { idx in
            switch dtype {
            case .float32:
                Kernels.pool2d(storage.pointer(as: Float.self), planes: planes, h: h, w: w, geometry, maximum: maximum,
                               out.storage.pointer(as: Float.self), idx.baseAddress)
            case .float64:
                Kernels.pool2d(storage.pointer(as: Double.self), planes: planes, h: h, w: w, geometry, maximum: maximum,
                               out.storage.pointer(as: Double.self), idx.baseAddress)
            }
        }
        let inputShape = shape
        return Tape.record(inputs: [self], output: out) { grads in
            var dx = Tensor.zeros(inputShape, dtype: grads[0].dtype)
            func scatter<S: TensorScalar>(_: S.Type) {
                grads[0].withUnsafeBuffer(as: S.self) { g in
                    dx.withUnsafeMutableBuffer(as: S.self) { d in
                        if maximum {
                            for p in 0..<planes {
                                for q in 0..<(ho * wo) {
                                    let j = p * ho * wo + q
                                    if argmax[j] >= 0 { d[p * h * w + Int(argmax[j])] += g[j] }
                                }
                            }
                        } else {
                            Kernels.avgPool2dBackward(g.baseAddress!, planes: planes, h: h, w: w, geometry, d.baseAddress!)
                        }
                    }
                }
            }
            switch dx.dtype {
            case .float32: scatter(Float.self)
            case .float64: scatter(Double.self)
            }
            return [dx]
        }
    }
}

/// The sizes of one convolution and the chunked im2col + GEMM loops over them.
private struct ConvLayout {
    let n: Int, c: Int, h: Int, w: Int, o: Int, groups: Int
    let geometry: Conv2dGeometry
    let ho: Int, wo: Int

    init(n: Int, c: Int, h: Int, w: Int, o: Int, groups: Int, geometry: Conv2dGeometry) {
        (self.n, self.c, self.h, self.w, self.o, self.groups, self.geometry) = (n, c, h, w, o, groups, geometry)
        (ho, wo) = geometry.outputSize(h: h, w: w)
    }

    var channelsPerGroup: Int { c / groups }
    var outputsPerGroup: Int { o / groups }
    var plane: Int { ho * wo }
    /// Rows of the column matrix: one per (input channel, kernel position).
    var patch: Int { channelsPerGroup * geometry.kernel.h * geometry.kernel.w }

    /// Samples per chunk: enough columns for an efficient GEMM, few enough to stay near 16 MB.
    var chunk: Int {
        let budget = (1 << 22) / max(patch, 1)
        return max(1, min(n, budget / max(plane, 1)))
    }

    /// Moves a chunk between the GEMM layout [Og, samples, plane] and the tensor layout
    /// [samples, O, plane] at group `g`.
    private func scatterShape(samples: Int) -> [Int] { [outputsPerGroup, samples, plane] }
    private var gemmStrides: (Int) -> [Int] { { samples in [samples * plane, plane, 1] } }
    private var tensorStrides: [Int] { [plane, o * plane, 1] }

    func forward<S: TensorScalar>(_ input: Tensor, _ weight: Tensor, _ out: inout Tensor, _: S.Type) {
        let x = input.storage.pointer(as: S.self), wt = weight.storage.pointer(as: S.self)
        let cols = UnsafeMutablePointer<S>.allocate(capacity: patch * chunk * plane)
        let result = Tensor(uninitializedShape: [outputsPerGroup * chunk * plane], dtype: input.dtype)
        defer { cols.deallocate() }
        for s0 in stride(from: 0, to: n, by: chunk) {
            let samples = min(chunk, n - s0)
            for g in 0..<groups {
                Kernels.im2col(x + s0 * c * h * w + g * channelsPerGroup * h * w, samples: samples, sampleStride: c * h * w,
                               channels: channelsPerGroup, h: h, w: w, geometry, cols)
                let width = samples * plane
                Kernels.gemm(transposeA: false, transposeB: false, m: outputsPerGroup, n: width, k: patch,
                             wt + g * outputsPerGroup * patch, lda: patch, cols, ldb: width,
                             result.storage.pointer(as: S.self), ldc: width)
                out.copyStrided(from: result, srcStrides: gemmStrides(samples),
                                dstOffset: s0 * o * plane + g * outputsPerGroup * plane, dstStrides: tensorStrides,
                                shape: scatterShape(samples: samples))
            }
        }
    }

    func backward<S: TensorScalar>(
        _ gradOut: Tensor, _ input: Tensor, _ weight: Tensor, _ dx: inout Tensor?, _ dw: inout Tensor?, _: S.Type
    ) {
        let x = input.storage.pointer(as: S.self), wt = weight.storage.pointer(as: S.self)
        let cols = UnsafeMutablePointer<S>.allocate(capacity: patch * chunk * plane)
        defer { cols.deallocate() }
        var gathered = Tensor(uninitializedShape: [outputsPerGroup * chunk * plane], dtype: input.dtype)
        let dwPointer = dw.map { $0.storage.pointer(as: S.self) }
        let dxPointer = dx.map { $0.storage.pointer(as: S.self) }
        for s0 in stride(from: 0, to: n, by: chunk) {
            let samples = min(chunk, n - s0)
            let width = samples * plane
            for g in 0..<groups {
                gathered.copyStrided(from: gradOut, srcOffset: s0 * o * plane + g * outputsPerGroup * plane,
                                     srcStrides: tensorStrides, dstStrides: gemmStrides(samples),
                                     shape: scatterShape(samples: samples))
                let dy = gathered.storage.pointer(as: S.self)
                let xg = x + s0 * c * h * w + g * channelsPerGroup * h * w
                if let dwPointer {
                    Kernels.im2col(xg, samples: samples, sampleStride: c * h * w, channels: channelsPerGroup, h: h, w: w,
                                   geometry, cols)
                    Kernels.gemm(transposeA: false, transposeB: true, m: outputsPerGroup, n: patch, k: width,
                                 dy, lda: width, cols, ldb: width, beta: 1,
                                 dwPointer + g * outputsPerGroup * patch, ldc: patch)
                }
                if let dxPointer {
                    Kernels.gemm(transposeA: true, transposeB: false, m: patch, n: width, k: outputsPerGroup,
                                 wt + g * outputsPerGroup * patch, lda: patch, dy, ldb: width, cols, ldc: width)
                    Kernels.col2im(cols, samples: samples, sampleStride: c * h * w, channels: channelsPerGroup, h: h, w: w,
                                   geometry, dxPointer + s0 * c * h * w + g * channelsPerGroup * h * w)
                }
            }
        }
    }
}
