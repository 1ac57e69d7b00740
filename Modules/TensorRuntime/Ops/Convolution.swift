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
///
/// Samples are split into chunks; each core takes whole chunks with its own column buffer and
/// runs single-threaded GEMMs on them, so im2col, GEMM and col2im all run in parallel without
/// any synchronisation inside a chunk.
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

    /// Samples per chunk: enough columns for an efficient GEMM, few enough that a chunk's columns
    /// stay near 4 MB, and at least one chunk per core.
    var chunk: Int {
        let budget = (1 << 20) / max(patch * plane, 1)
        let perCore = (n + Parallel.threadCount - 1) / Parallel.threadCount
        return max(1, min(budget, perCore))
    }

    var chunkCount: Int { (n + chunk - 1) / chunk }

    /// Runs `body(worker, firstSample, samples)` for every chunk, one worker per core, each with
    /// chunks of its own.
    private func forEachChunk(_ body: (_ worker: Int, _ first: Int, _ samples: Int) -> Void) {
        let workers = min(Parallel.threadCount, chunkCount)
        Parallel.forEach(workers) { worker in
            for index in stride(from: worker, to: chunkCount, by: workers) {
                let first = index * chunk
                body(worker, first, min(chunk, n - first))
            }
        }
    }

    /// GEMM layout [Og, samples, plane] ↔ tensor layout [samples, O, plane] at one group.
    private func gemmStrides(_ samples: Int) -> [Int] { [samples * plane, plane, 1] }
    private var tensorStrides: [Int] { [plane, o * plane, 1] }
    private func blockShape(_ samples: Int) -> [Int] { [outputsPerGroup, samples, plane] }

    func forward<S: TensorScalar>(_ input: Tensor, _ weight: Tensor, _ out: inout Tensor, _: S.Type) {
        let x = input.storage.pointer(as: S.self), wt = weight.storage.pointer(as: S.self)
        let y = out.storage.pointer(as: S.self)
        let workers = min(Parallel.threadCount, chunkCount)
        let colsSize = patch * chunk * plane, resultSize = outputsPerGroup * chunk * plane
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: workers * (colsSize + resultSize))
        defer { scratch.deallocate() }
        forEachChunk { worker, first, samples in
            let cols = scratch + worker * (colsSize + resultSize), result = cols + colsSize
            let width = samples * plane
            for g in 0..<groups {
                Kernels.im2col(x + first * c * h * w + g * channelsPerGroup * h * w, samples: samples,
                               sampleStride: c * h * w, channels: channelsPerGroup, h: h, w: w, geometry, cols)
                Kernels.gemm(transposeA: false, transposeB: false, m: outputsPerGroup, n: width, k: patch,
                             wt + g * outputsPerGroup * patch, lda: patch, cols, ldb: width, result, ldc: width)
                Kernels.stridedCopy(result, srcOffset: 0, srcStrides: gemmStrides(samples),
                                    y, dstOffset: first * o * plane + g * outputsPerGroup * plane,
                                    dstStrides: tensorStrides, shape: blockShape(samples))
            }
        }
    }

    func backward<S: TensorScalar>(
        _ gradOut: Tensor, _ input: Tensor, _ weight: Tensor, _ dx: inout Tensor?, _ dw: inout Tensor?, _: S.Type
    ) {
        let x = input.storage.pointer(as: S.self), wt = weight.storage.pointer(as: S.self)
        let dy = gradOut.storage.pointer(as: S.self)
        let dxPointer = dx.map { $0.storage.pointer(as: S.self) }
        let needsWeightGrad = dw != nil
        let workers = min(Parallel.threadCount, chunkCount)
        let colsSize = patch * chunk * plane, gatheredSize = outputsPerGroup * chunk * plane
        let weightSize = o * patch
        // Per worker: columns, the gathered output gradient, and a private weight-gradient sum.
        let perWorker = colsSize + gatheredSize + weightSize
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: workers * perWorker)
        scratch.initialize(repeating: 0, count: workers * perWorker)
        defer { scratch.deallocate() }
        forEachChunk { worker, first, samples in
            let cols = scratch + worker * perWorker, gathered = cols + colsSize, dwPartial = gathered + gatheredSize
            let width = samples * plane
            for g in 0..<groups {
                Kernels.stridedCopy(dy, srcOffset: first * o * plane + g * outputsPerGroup * plane,
                                    srcStrides: tensorStrides, gathered, dstOffset: 0, dstStrides: gemmStrides(samples),
                                    shape: blockShape(samples))
                let xg = x + first * c * h * w + g * channelsPerGroup * h * w
                if needsWeightGrad {
                    Kernels.im2col(xg, samples: samples, sampleStride: c * h * w, channels: channelsPerGroup, h: h,
                                   w: w, geometry, cols)
                    Kernels.gemm(transposeA: false, transposeB: true, m: outputsPerGroup, n: patch, k: width,
                                 gathered, lda: width, cols, ldb: width, beta: 1,
                                 dwPartial + g * outputsPerGroup * patch, ldc: patch)
                }
                if let dxPointer {
                    Kernels.gemm(transposeA: true, transposeB: false, m: patch, n: width, k: outputsPerGroup,
                                 wt + g * outputsPerGroup * patch, lda: patch, gathered, ldb: width, cols, ldc: width)
                    Kernels.col2im(cols, samples: samples, sampleStride: c * h * w, channels: channelsPerGroup, h: h,
                                   w: w, geometry, dxPointer + first * c * h * w + g * channelsPerGroup * h * w)
                }
            }
        }
        if needsWeightGrad {
            let total = dw!.storage.pointer(as: S.self)
            for worker in 0..<workers {
                let partial = scratch + worker * perWorker + colsSize + gatheredSize
                for i in 0..<weightSize { total[i] += partial[i] }
            }
        }
    }
}
