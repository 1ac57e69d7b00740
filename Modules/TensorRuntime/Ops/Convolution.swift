// 2-D convolution (im2col + GEMM or direct 3 × 3 kernels, with stride, padding, dilation and
// groups; spike-driven when the input is mostly zeros) and pooling.

extension Tensor {
    /// Cross-correlation of `input` [N, C, H, W] with `weight` [O, C/groups, kh, kw] plus an
    /// optional `bias` [O]; the result is [N, O, Ho, Wo].
    ///
    /// Each sample is one im2col and one GEMM per group (or a direct 3 × 3 kernel), written
    /// straight into its output planes. When at most `spikeDensity` of the input is non-zero (a
    /// spiking network's convolutions after the first read spikes), the forward and the weight
    /// gradient visit only the non-zero inputs (see `SpikeDensity`); the input gradient stays
    /// dense, since it is needed at every position.
    ///
    /// - Parameter spikeDensity: the density up to which the spike-driven path runs; nil for the
    ///   measured crossover of this window (`SpikeDensity.crossover`), 0 to never take it.
    public static func conv2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, spikeDensity: Double? = nil
    ) -> Tensor {
        precondition(input.rank == 4, "conv2d: input must be [N, C, H, W], got \(input.shape)")
        precondition(weight.rank == 4, "conv2d: weight must be [O, C/groups, kh, kw], got \(weight.shape)")
        precondition(input.dtype == weight.dtype, "conv2d: input is \(input.dtype), weight is \(weight.dtype)")
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let o = weight.shape[0]
        precondition(
            groups >= 1 && c % groups == 0 && o % groups == 0,
            "conv2d: \(c) input and \(o) output channels must both be divisible by groups = \(groups)")
        precondition(
            weight.shape[1] == c / groups,
            "conv2d: weight \(weight.shape) expects \(weight.shape[1]) channels per group, input has \(c / groups) (shape \(input.shape), groups \(groups))"
        )
        if let bias {
            precondition(
                bias.shape == [o] && bias.dtype == input.dtype, "conv2d: bias must be [\(o)], got \(bias.shape)")
        }
        let geometry = Conv2dGeometry(
            kernel: (weight.shape[2], weight.shape[3]), stride: stride, padding: padding,
            dilation: dilation)
        let (ho, wo) = geometry.outputSize(h: h, w: w)
        precondition(
            ho > 0 && wo > 0,
            "conv2d: a \(weight.shape[2])×\(weight.shape[3]) kernel does not fit input \(h)×\(w) with padding \(padding), dilation \(dilation)"
        )
        let layout = ConvLayout(n: n, c: c, h: h, w: w, o: o, groups: groups, geometry: geometry)
        var out = Tensor(uninitializedShape: [n, o, ho, wo], dtype: input.dtype)
        let density = spikeDensity ?? SpikeDensity.crossover(geometry, inputChannels: c)
        let limit = groups == 1 && density > 0 ? Int(density * Double(input.count)) : -1
        let spikes: SpikeInput?
        switch input.dtype {
        case .float32:
            let rows = layout.spikes(input, limit: limit, Float.self)
            spikes = rows.map { .float($0) }
            layout.forward(input, weight, spikes: rows, &out, Float.self)
        case .float64:
            let rows = layout.spikes(input, limit: limit, Double.self)
            spikes = rows.map { .double($0) }
            layout.forward(input, weight, spikes: rows, &out, Double.self)
        }
        if let bias { out = out.zipped(bias.detached().reshaped([1, o, 1, 1]), Elementwise.Add()) }
        let needsInputGrad = input.requiresGrad
        let needsWeightGrad = weight.requiresGrad
        let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
        return Tape.record(inputs: inputs, output: out) { grads in
            let g = grads[0]
            var dx: Tensor? =
                !needsInputGrad
                ? nil
                : layout.overwritesInputGradient
                    ? Tensor(uninitializedShape: input.shape, dtype: input.dtype)
                    : Tensor.zeros(input.shape, dtype: input.dtype)
            var dw: Tensor? = needsWeightGrad ? Tensor.zeros(weight.shape, dtype: weight.dtype) : nil
            switch g.dtype {
            case .float32: layout.backward(g, input, weight, spikes: spikes?.rows(Float.self), &dx, &dw, Float.self)
            case .float64: layout.backward(g, input, weight, spikes: spikes?.rows(Double.self), &dx, &dw, Double.self)
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
        let h = shape[rank - 2]
        let w = shape[rank - 1]
        let geometry = Conv2dGeometry(kernel: kernel, stride: stride, padding: padding)
        precondition(
            padding.0 * 2 <= kernel.0 && padding.1 * 2 <= kernel.1,
            "\(op): padding \(padding) must be at most half the kernel \(kernel)")
        let (ho, wo) = geometry.outputSize(h: h, w: w)
        precondition(ho > 0 && wo > 0, "\(op): kernel \(kernel) does not fit input \(h)×\(w)")
        let planes = count / Swift.max(h * w, 1)
        let out = Tensor(uninitializedShape: Array(shape.dropLast(2)) + [ho, wo], dtype: dtype)
        var argmax = [Int32](repeating: 0, count: maximum ? planes * ho * wo : 0)
        argmax.withUnsafeMutableBufferPointer { idx in
            switch dtype {
            case .float32:
                Kernels.pool2d(
                    storage.pointer(as: Float.self), planes: planes, h: h, w: w, geometry, maximum: maximum,
                    out.storage.pointer(as: Float.self), idx.baseAddress)
            case .float64:
                Kernels.pool2d(
                    storage.pointer(as: Double.self), planes: planes, h: h, w: w, geometry, maximum: maximum,
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
                            // Each plane's gradient lands in its own input plane.
                            let (g, d) = (g.baseAddress!, d.baseAddress!)
                            Parallel.forChunks(planes, costPerItem: ho * wo) { planeRange in
                                for p in planeRange {
                                    for q in 0..<(ho * wo) {
                                        let j = p * ho * wo + q
                                        if argmax[j] >= 0 { d[p * h * w + Int(argmax[j])] += g[j] }
                                    }
                                }
                            }
                        } else {
                            Kernels.avgPool2dBackward(
                                g.baseAddress!, planes: planes, h: h, w: w, geometry, d.baseAddress!)
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

/// The sizes of one convolution and its per-sample im2col + GEMM loops.
///
/// Samples are split over the cores; each core runs single-threaded GEMMs on its own samples
/// with a column buffer of its own. A sample's GEMMs read and write its [C, H, W] and
/// [O, Ho, Wo] planes of the NCHW tensors in place, so there are no layout transposes, and its
/// columns (a few hundred KB for a CIFAR layer) are still in the core's cache when the GEMM
/// reads them. Where the direct 3 × 3 kernels apply (`Kernels.hasDirectConvolution`), all three
/// passes skip the columns altogether.
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
    var kernelArea: Int { geometry.kernel.h * geometry.kernel.w }
    /// Rows of the column matrix: one per (input channel, kernel position).
    var patch: Int { channelsPerGroup * kernelArea }

    /// The input gradient of a stride-1 convolution is itself a stride-1 convolution: of the
    /// output gradient with the kernel flipped in space and transposed in channels, padded by
    /// d·(k − 1) − p. That is an im2col copy and a GEMM whose inner dimension is O·kh·kw, where
    /// the adjoint (Wᵀ·dY, then col2im) runs a GEMM with inner dimension O — small in a narrow
    /// network, so mostly packing — and a scatter-add. Nil for strided convolutions.
    var transposedGeometry: Conv2dGeometry? {
        guard geometry.stride == (1, 1) else { return nil }
        let padding = (
            geometry.dilation.h * (geometry.kernel.h - 1) - geometry.padding.h,
            geometry.dilation.w * (geometry.kernel.w - 1) - geometry.padding.w
        )
        guard padding.0 >= 0 && padding.1 >= 0 else { return nil }
        return Conv2dGeometry(
            kernel: (geometry.kernel.h, geometry.kernel.w), stride: (1, 1), padding: padding,
            dilation: (geometry.dilation.h, geometry.dilation.w))
    }

    /// Whether `backward` writes every element of the input gradient (instead of adding into it).
    var overwritesInputGradient: Bool { transposedGeometry != nil }

    /// Runs `body(worker, sample)` for every sample, one worker per core, each with a contiguous
    /// block of samples.
    private func forEachSample(_ body: (_ worker: Int, _ sample: Int) -> Void) {
        forEachWorker { worker, samples in
            for sample in samples { body(worker, sample) }
        }
    }

    /// Splits the samples into one contiguous block per worker (as `forEachSample`).
    private func forEachWorker(_ body: (_ worker: Int, _ samples: Range<Int>) -> Void) {
        guard n > 0 else { return }
        let workers = min(Parallel.threadCount, n)
        let block = (n + workers - 1) / workers
        Parallel.forEach(workers) { worker in body(worker, (worker * block)..<min(n, (worker + 1) * block)) }
    }

    /// The input's non-zero entries plane by plane (rows [N·C, H·W]), or nil when there are
    /// more than `limit` of them (or the limit is negative).
    func spikes<S: TensorScalar>(_ input: Tensor, limit: Int, _: S.Type) -> SparseRows<S>? {
        guard limit >= 0, n > 0 else { return nil }
        return input.withUnsafeBuffer(as: S.self) { SparseRows($0, rows: n * c, columns: h * w, limit: limit) }
    }

    /// weight [O, C·kh·kw] transposed to [C·kh·kw, O]: the weights of one input tap contiguous.
    private func transposedWeight<S: TensorScalar>(_ weight: UnsafePointer<S>, _: S.Type) -> [S] {
        [S](unsafeUninitializedCapacity: o * patch) { buffer, count in
            for oc in 0..<o { for k in 0..<patch { buffer[k * o + oc] = weight[oc * patch + k] } }
            count = o * patch
        }
    }

    /// The spike-driven forward: each worker scatters its samples' non-zero inputs.
    private func spikeForward<S: TensorScalar>(
        _ spikes: SparseRows<S>, _ wt: UnsafePointer<S>,
        _ y: UnsafeMutablePointer<S>
    ) {
        let weightT = transposedWeight(wt, S.self)
        let workers = min(Parallel.threadCount, n)
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: workers * plane * o)
        let indexCount = Kernels.spikeConvForwardIndexCount(channels: c, h: h, w: w)
        let byPixel = UnsafeMutablePointer<Int32>.allocate(capacity: workers * indexCount)
        defer {
            scratch.deallocate()
            byPixel.deallocate()
        }
        weightT.withUnsafeBufferPointer { weightT in
            forEachSample { worker, sample in
                Kernels.spikeConvForward(
                    spikes, firstPlane: sample * c, channels: c, h: h, w: w, geometry,
                    weightT: weightT.baseAddress!, outputs: o, scratch: scratch + worker * plane * o,
                    byPixel: byPixel + worker * indexCount, y + sample * o * plane)
            }
        }
    }

    func forward<S: TensorScalar>(
        _ input: Tensor, _ weight: Tensor, spikes: SparseRows<S>?, _ out: inout Tensor,
        _: S.Type
    ) {
        let x = input.storage.pointer(as: S.self)
        let wt = weight.storage.pointer(as: S.self)
        let y = out.storage.pointer(as: S.self)
        if let spikes { return spikeForward(spikes, wt, y) }
        let direct = Kernels.hasDirectConvolution(S.self, geometry)
        let colsSize = direct ? 0 : patch * plane
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: min(Parallel.threadCount, n) * colsSize)
        defer { scratch.deallocate() }
        let blocked =
            direct
            ? Kernels.conv3x3BlockedWeights(wt, channels: channelsPerGroup, outputs: outputsPerGroup, groups: groups)
            : []
        let blockedPerGroup = Kernels.conv3x3BlockedWeightCount(channels: channelsPerGroup, outputs: outputsPerGroup)
        forEachSample { worker, sample in
            let cols = scratch + worker * colsSize
            for g in 0..<groups {
                let xg = x + (sample * c + g * channelsPerGroup) * h * w
                let wg = wt + g * outputsPerGroup * patch
                let yg = y + (sample * o + g * outputsPerGroup) * plane
                if direct {
                    blocked.withUnsafeBufferPointer { blocked in
                        Kernels.conv3x3(
                            xg, channels: channelsPerGroup, h: h, w: w, geometry,
                            blockedWeight: blocked.baseAddress! + g * blockedPerGroup, outputs: outputsPerGroup, yg)
                    }
                    continue
                }
                Kernels.im2col(xg, channels: channelsPerGroup, h: h, w: w, geometry, cols)
                Kernels.gemm(
                    transposeA: false, transposeB: false, m: outputsPerGroup, n: plane, k: patch, wg, lda: patch,
                    cols, ldb: plane, yg, ldc: plane)
            }
        }
    }

    /// Adds the weight gradient into `dw` and writes (or, for strided convolutions, adds) the
    /// input gradient into `dx`. With `spikes` (the forward's spike-driven path), the weight
    /// gradient visits only the non-zero inputs and is summed per worker as [C·kh·kw, O].
    func backward<S: TensorScalar>(
        _ gradOut: Tensor, _ input: Tensor, _ weight: Tensor, spikes: SparseRows<S>?, _ dx: inout Tensor?,
        _ dw: inout Tensor?, _: S.Type
    ) {
        let x = input.storage.pointer(as: S.self)
        let wt = weight.storage.pointer(as: S.self)
        let dy = gradOut.storage.pointer(as: S.self)
        let dxPointer = dx.map { $0.storage.pointer(as: S.self) }
        let needsWeightGrad = dw != nil && spikes == nil
        let needsSpikeWeightGrad = dw != nil && spikes != nil
        let direct = Kernels.hasDirectConvolution(S.self, geometry)
        let transposed = dx == nil ? nil : transposedGeometry
        let transposedDirect = transposed.map { Kernels.hasDirectConvolution(S.self, $0) } ?? false
        // wᵀ[g][ci][oi][kh − 1 − i][kw − 1 − j] = w[g·Og + oi][ci][i][j], for the transposed pass.
        var flipped = [S]()
        if transposed != nil {
            flipped = [S](repeating: 0, count: o * patch)
            for oc in 0..<o {
                let g = oc / outputsPerGroup
                let oi = oc % outputsPerGroup
                for ci in 0..<channelsPerGroup {
                    for k in 0..<kernelArea {
                        let target =
                            ((g * channelsPerGroup + ci) * outputsPerGroup + oi) * kernelArea + kernelArea - 1 - k
                        flipped[target] = wt[(oc * channelsPerGroup + ci) * kernelArea + k]
                    }
                }
            }
        }
        let flippedBlocked =
            transposedDirect
            ? flipped.withUnsafeBufferPointer {
                Kernels.conv3x3BlockedWeights(
                    $0.baseAddress!, channels: outputsPerGroup, outputs: channelsPerGroup, groups: groups)
            } : []
        let flippedBlockedPerGroup = Kernels.conv3x3BlockedWeightCount(
            channels: outputsPerGroup, outputs: channelsPerGroup)
        let workers = min(Parallel.threadCount, n)
        // Per worker: columns (of the input, or of the output gradient for the transposed pass)
        // where a pass needs them, and a private weight-gradient sum.
        let weightColumns = needsWeightGrad && !direct ? patch * plane : needsSpikeWeightGrad ? plane * o : 0
        let inputColumns =
            dx == nil || transposedDirect
            ? 0
            : transposed == nil
                ? patch * plane
                : outputsPerGroup * kernelArea * h * w
        let colsSize = max(weightColumns, inputColumns)
        let weightSize = o * patch
        let perWorker = colsSize + weightSize
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: workers * perWorker)
        let coordinates = UnsafeMutablePointer<Int32>.allocate(capacity: needsSpikeWeightGrad ? workers * 2 * h * w : 0)
        defer {
            scratch.deallocate()
            coordinates.deallocate()
        }
        for worker in 0..<workers {
            (scratch + worker * perWorker + colsSize).initialize(repeating: 0, count: weightSize)
        }
        // The direct weight gradient takes several samples per call and sums them in registers
        // before reducing across lanes (per sample, the reductions would dominate on small
        // planes); as many samples as keep their inputs within 512 KB, which the call re-reads
        // for every pair of output channels.
        let batchedDirectWeightGrad = needsWeightGrad && direct && groups == 1
        if batchedDirectWeightGrad {
            let samplesPerCall = max(1, (512 << 10) / (c * h * w * MemoryLayout<S>.stride))
            forEachWorker { worker, samples in
                for first in stride(from: samples.lowerBound, to: samples.upperBound, by: samplesPerCall) {
                    Kernels.conv3x3WeightGradient(
                        x + first * c * h * w, channels: c, h: h, w: w, geometry,
                        outputGradient: dy + first * o * plane, outputs: o,
                        images: min(samplesPerCall, samples.upperBound - first), scratch + worker * perWorker + colsSize
                    )
                }
            }
        }
        flipped.withUnsafeBufferPointer { flipped in
            forEachSample { worker, sample in
                let cols = scratch + worker * perWorker
                let dwPartial = cols + colsSize
                for g in 0..<groups {
                    let dyg = dy + (sample * o + g * outputsPerGroup) * plane
                    let offset = (sample * c + g * channelsPerGroup) * h * w
                    if let spikes, needsSpikeWeightGrad {
                        Kernels.spikeConvWeightGradient(
                            spikes, firstPlane: sample * c, channels: c, h: h, w: w,
                            geometry, outputGradient: dyg, outputs: o, scratch: cols,
                            coordinates: coordinates + worker * 2 * h * w, dwPartial)
                    } else if needsWeightGrad && direct {
                        if !batchedDirectWeightGrad {
                            Kernels.conv3x3WeightGradient(
                                x + offset, channels: channelsPerGroup, h: h, w: w, geometry,
                                outputGradient: dyg, outputs: outputsPerGroup, images: 1,
                                dwPartial + g * outputsPerGroup * patch)
                        }
                    } else if needsWeightGrad {
                        Kernels.im2col(x + offset, channels: channelsPerGroup, h: h, w: w, geometry, cols)
                        Kernels.gemm(
                            transposeA: false, transposeB: true, m: outputsPerGroup, n: patch, k: plane,
                            dyg, lda: plane, cols, ldb: plane, beta: 1, dwPartial + g * outputsPerGroup * patch,
                            ldc: patch)
                    }
                    guard let dxPointer else { continue }
                    if let transposed {
                        let rows = outputsPerGroup * kernelArea
                        let flippedGroup = flipped.baseAddress! + g * channelsPerGroup * rows
                        if transposedDirect {
                            flippedBlocked.withUnsafeBufferPointer { blocked in
                                Kernels.conv3x3(
                                    dyg, channels: outputsPerGroup, h: ho, w: wo, transposed,
                                    blockedWeight: blocked.baseAddress! + g * flippedBlockedPerGroup,
                                    outputs: channelsPerGroup, dxPointer + offset)
                            }
                            continue
                        }
                        Kernels.im2col(dyg, channels: outputsPerGroup, h: ho, w: wo, transposed, cols)
                        Kernels.gemm(
                            transposeA: false, transposeB: false, m: channelsPerGroup, n: h * w, k: rows,
                            flippedGroup, lda: rows, cols, ldb: h * w, dxPointer + offset, ldc: h * w)
                    } else {
                        Kernels.gemm(
                            transposeA: true, transposeB: false, m: patch, n: plane, k: outputsPerGroup,
                            wt + g * outputsPerGroup * patch, lda: patch, dyg, ldb: plane, cols, ldc: plane)
                        Kernels.col2im(cols, channels: channelsPerGroup, h: h, w: w, geometry, dxPointer + offset)
                    }
                }
            }
        }
        if needsWeightGrad {
            let total = dw!.storage.pointer(as: S.self)
            for worker in 0..<workers {
                let partial = scratch + worker * perWorker + colsSize
                for i in 0..<weightSize { total[i] += partial[i] }
            }
        } else if needsSpikeWeightGrad {
            let total = dw!.storage.pointer(as: S.self)
            for worker in 0..<workers {
                let partial = scratch + worker * perWorker + colsSize
                for k in 0..<patch { for oc in 0..<o { total[oc * patch + k] += partial[k * o + oc] } }
            }
        }
    }
}

/// The density of non-zero inputs up to which a convolution runs spike-driven.
///
/// A layer cannot know from its type that its input is spikes, and need not: like
/// `SparseSpikeLinear`, the convolution counts the non-zero inputs of every call (`SparseRows`,
/// one vectorised pass) and takes the spike-driven kernels only where they are faster. Their
/// cost is a fixed part per output pixel (the window's entry lists, the transposes) plus
/// taps · outputs per non-zero input; the dense kernels cost taps · outputs per input at close
/// to GEMM speed. The crossovers below are from `snn-bench spike-conv` (whole layer: forward,
/// weight and input gradients, 128 images, 2 threads; spike / dense time, interleaved runs on a
/// quiet 2-core machine with AVX-512, ±10 %), measured again after the dense direct 3 × 3
/// kernel's packed vectors and 4 × 6 tile made the dense side faster:
///
///     layer (cifar-step)       1 %    2 %    5 %    10 %   20 %   25 %   crossover
///     16→16 3×3 on 32×32       0.71   0.92   1.13   1.25   1.51   1.43   3 %
///     16→32 3×3 /2 on 32×32    0.75   1.01   1.09   1.25   1.95   1.83   2 %
///     32→32 3×3 on 16×16       0.60   0.68   0.72   0.77   0.96   1.08   25 %
///     16→32 1×1 /2 on 32×32    1.22   1.29   1.41   1.69   1.73   2.14   none
///
/// The spike side's time includes counting and compressing the input and transposing the
/// weights; a 1 × 1 convolution is a GEMM of depth C, which no spike-driven loop beats.
public enum SpikeDensity {
    /// The measured crossover for this window and input width; 0 where the dense path always wins.
    public static func crossover(_ geometry: Conv2dGeometry, inputChannels: Int) -> Double {
        if geometry.kernel == (1, 1) { return 0 }
        if geometry.stride != (1, 1) { return 0.02 }
        return inputChannels >= 32 ? 0.25 : 0.03
    }
}

/// The compressed spike input of one convolution call, in the call's scalar type.
private enum SpikeInput {
    case float(SparseRows<Float>)
    case double(SparseRows<Double>)

    func rows<S: TensorScalar>(_: S.Type) -> SparseRows<S>? {
        switch self {
        case .float(let rows): rows as? SparseRows<S>
        case .double(let rows): rows as? SparseRows<S>
        }
    }
}
