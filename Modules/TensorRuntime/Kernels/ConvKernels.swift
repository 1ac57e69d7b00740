import CKernels

/// Geometry of a 2-D convolution or pooling window over [N, C, H, W].
public struct Conv2dGeometry: Sendable, Equatable {
    public var kernel: (h: Int, w: Int)
    public var stride: (h: Int, w: Int)
    public var padding: (h: Int, w: Int)
    public var dilation: (h: Int, w: Int)

    public init(
        kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
        dilation: (Int, Int) = (1, 1)
    ) {
        self.kernel = (kernel.0, kernel.1)
        self.stride = (stride.0, stride.1)
        self.padding = (padding.0, padding.1)
        self.dilation = (dilation.0, dilation.1)
    }

    /// Output height and width for an input of `h` × `w`.
    public func outputSize(h: Int, w: Int) -> (h: Int, w: Int) {
        (
            (h + 2 * padding.h - dilation.h * (kernel.h - 1) - 1) / stride.h + 1,
            (w + 2 * padding.w - dilation.w * (kernel.w - 1) - 1) / stride.w + 1
        )
    }

    /// The same window as the C kernels take it.
    var kernelGeometry: ConvGeometry {
        ConvGeometry(
            kernelH: kernel.h, kernelW: kernel.w, strideH: stride.h, strideW: stride.w,
            padH: padding.h, padW: padding.w, dilationH: dilation.h, dilationW: dilation.w)
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation
    }
}

extension Kernels {
    /// The widest instruction set the C kernels run on this CPU, found once.
    static let kernelLevel = kernels_best_level()

    /// Unfolds one image `x` [channels, h, w] into columns: cols[(c·kh + i)·kw + j, y·Wo + x] =
    /// x[c, y·sh − ph + i·dh, x·sw − pw + j·dw] (zero outside). Float32 runs the C kernel (masked
    /// vector copies at the widest instruction set); Float64, the precision of gradient checks,
    /// this loop.
    static func im2col<S: TensorScalar>(
        _ x: UnsafePointer<S>, channels: Int, h: Int, w: Int, _ g: Conv2dGeometry, _ cols: UnsafeMutablePointer<S>
    ) {
        if S.self == Float.self {
            conv_im2col_f32(
                kernelLevel, UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), channels, h,
                w, g.kernelGeometry, UnsafeMutableRawPointer(cols).assumingMemoryBound(to: Float.self))
            return
        }
        let (ho, wo) = g.outputSize(h: h, w: w)
        for row in 0..<(channels * g.kernel.h * g.kernel.w) {
            let c = row / (g.kernel.h * g.kernel.w)
            let i = (row / g.kernel.w) % g.kernel.h
            let j = row % g.kernel.w
            let src = x + c * h * w
            let dst = cols + row * ho * wo
            let x0 = -g.padding.w + j * g.dilation.w
            let valid = inputColumns(offset: x0, stride: g.stride.w, width: w, outputs: wo)
            for y in 0..<ho {
                let iy = y * g.stride.h - g.padding.h + i * g.dilation.h
                let line = dst + y * wo
                guard iy >= 0 && iy < h else {
                    line.update(repeating: 0, count: wo)
                    continue
                }
                line.update(repeating: 0, count: valid.lowerBound)
                (line + valid.upperBound).update(repeating: 0, count: wo - valid.upperBound)
                let first = src + iy * w + x0
                for xo in valid { line[xo] = first[xo * g.stride.w] }
            }
        }
    }

    /// Whether `conv3x3` runs a convolution of this scalar type and geometry: Float32, a 3 × 3
    /// kernel at stride 1 without dilation, padding at most 2, and a CPU with AVX-512.
    static func hasDirectConvolution<S: TensorScalar>(_: S.Type, _ g: Conv2dGeometry) -> Bool {
        S.self == Float.self && g.kernel == (3, 3) && g.stride == (1, 1) && g.dilation == (1, 1)
            && (0...2).contains(g.padding.h) && (0...2).contains(g.padding.w)
            && conv3x3_available(kernelLevel) != 0
    }

    /// `weight` [groups · outputs, channels, 3, 3] regrouped for `conv3x3`, one block per group
    /// `conv3x3BlockedWeightCount(channels:outputs:)` long.
    static func conv3x3BlockedWeights<S: TensorScalar>(
        _ weight: UnsafePointer<S>, channels: Int, outputs: Int, groups: Int
    ) -> [S] {
        let count = conv3x3BlockedWeightCount(channels: channels, outputs: outputs)
        return [S](unsafeUninitializedCapacity: groups * count) { blocked, initialized in
            for g in 0..<groups {
                conv3x3_block_weights_f32(
                    UnsafeRawPointer(weight + g * outputs * channels * 9).assumingMemoryBound(to: Float.self),
                    channels, outputs,
                    UnsafeMutableRawPointer(blocked.baseAddress! + g * count).assumingMemoryBound(to: Float.self))
            }
            initialized = groups * count
        }
    }

    /// The length of one group's `conv3x3BlockedWeights`.
    static func conv3x3BlockedWeightCount(channels: Int, outputs: Int) -> Int {
        conv3x3_blocked_weight_count(channels, outputs)
    }

    /// y [outputs, Ho, Wo] = the convolution of one image `x` [channels, h, w] with weights
    /// [outputs, channels, 3, 3] regrouped by `conv3x3BlockedWeights`, accumulated in registers
    /// without a column matrix; only where `hasDirectConvolution` holds.
    static func conv3x3<S: TensorScalar>(
        _ x: UnsafePointer<S>, channels: Int, h: Int, w: Int, _ g: Conv2dGeometry, blockedWeight: UnsafePointer<S>,
        outputs: Int, _ y: UnsafeMutablePointer<S>
    ) {
        conv3x3_f32(
            kernelLevel, UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), channels, h, w,
            g.padding.h, g.padding.w, UnsafeRawPointer(blockedWeight).assumingMemoryBound(to: Float.self),
            outputs, UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self))
    }

    /// Adds the weight gradient of `conv3x3` over `images` consecutive images `x` [images,
    /// channels, h, w] into `dw` [outputs, channels, 3, 3], from their output gradients `dy`
    /// [images, outputs, Ho, Wo]; only where `hasDirectConvolution` holds.
    static func conv3x3WeightGradient<S: TensorScalar>(
        _ x: UnsafePointer<S>, channels: Int, h: Int, w: Int, _ g: Conv2dGeometry, outputGradient dy: UnsafePointer<S>,
        outputs: Int, images: Int, _ dw: UnsafeMutablePointer<S>
    ) {
        conv3x3_weight_gradient_f32(
            kernelLevel, UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), channels, h, w, g.padding.h,
            g.padding.w, UnsafeRawPointer(dy).assumingMemoryBound(to: Float.self), outputs, images,
            UnsafeMutableRawPointer(dw).assumingMemoryBound(to: Float.self))
    }

    /// The output columns `xo` whose input column `xo · stride + offset` lies in `0..<width`:
    /// the rest of a column-buffer line is padding. Computing the range once per line keeps the
    /// copies free of bounds tests (a 3 × 3 kernel with padding 1 has them on two thirds of its
    /// rows).
    @inline(__always)
    static func inputColumns(offset: Int, stride: Int, width: Int, outputs: Int) -> Range<Int> {
        let lower = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let upper = width - 1 - offset < 0 ? 0 : Swift.min(outputs, (width - 1 - offset) / stride + 1)
        let start = Swift.min(lower, outputs)
        return start..<Swift.max(start, upper)
    }

    /// The adjoint of `im2col`: adds every column entry back into the image position it came from.
    static func col2im<S: TensorScalar>(
        _ cols: UnsafePointer<S>, channels: Int, h: Int, w: Int, _ g: Conv2dGeometry, _ x: UnsafeMutablePointer<S>
    ) {
        if S.self == Float.self {
            conv_col2im_f32(
                kernelLevel, UnsafeRawPointer(cols).assumingMemoryBound(to: Float.self), channels,
                h, w, g.kernelGeometry, UnsafeMutableRawPointer(x).assumingMemoryBound(to: Float.self))
            return
        }
        let (ho, wo) = g.outputSize(h: h, w: w)
        for row in 0..<(channels * g.kernel.h * g.kernel.w) {
            let c = row / (g.kernel.h * g.kernel.w)
            let i = (row / g.kernel.w) % g.kernel.h
            let j = row % g.kernel.w
            let dst = x + c * h * w
            let src = cols + row * ho * wo
            let x0 = -g.padding.w + j * g.dilation.w
            let valid = inputColumns(offset: x0, stride: g.stride.w, width: w, outputs: wo)
            for y in 0..<ho {
                let iy = y * g.stride.h - g.padding.h + i * g.dilation.h
                if iy < 0 || iy >= h { continue }
                let line = src + y * wo
                let first = dst + iy * w + x0
                for xo in valid { first[xo * g.stride.w] += line[xo] }
            }
        }
    }

    /// Max (with argmax) or average pooling of `planes` independent h × w planes.
    static func pool2d<S: TensorScalar>(
        _ x: UnsafePointer<S>, planes: Int, h: Int, w: Int, _ g: Conv2dGeometry, maximum: Bool,
        _ out: UnsafeMutablePointer<S>, _ argmax: UnsafeMutablePointer<Int32>?
    ) {
        let (ho, wo) = g.outputSize(h: h, w: w)
        if maximum && g.kernel == (2, 2) && g.stride == (2, 2) && g.dilation == (1, 1) && g.padding == (0, 0) {
            maxPool2x2(x, planes: planes, h: h, w: w, out, argmax!)
            return
        }
        if maximum && g.padding == (0, 0) {
            // Every window lies inside the plane: no bounds tests, and no running total. The
            // running maximum is selected, not branched to: on real activations which element
            // wins is unpredictable, and a mispredicted branch per element cost more than the
            // comparisons (maxPool2d took 7 % of cnn-step).
            Parallel.forChunks(planes, costPerItem: ho * wo * g.kernel.h * g.kernel.w) { planeRange in
                for p in planeRange {
                    let src = x + p * h * w
                    let dst = out + p * ho * wo
                    let index = argmax! + p * ho * wo
                    for y in 0..<ho {
                        for xo in 0..<wo {
                            let origin = y * g.stride.h * w + xo * g.stride.w
                            var bestIndex = origin
                            var best = src[origin]
                            for i in 0..<g.kernel.h {
                                let row = origin + i * g.dilation.h * w
                                for j in 0..<g.kernel.w {
                                    let k = row + j * g.dilation.w
                                    let better = src[k] > best
                                    best = better ? src[k] : best
                                    bestIndex = better ? k : bestIndex
                                }
                            }
                            dst[y * wo + xo] = best
                            index[y * wo + xo] = Int32(bestIndex)
                        }
                    }
                }
            }
            return
        }
        let area = S(g.kernel.h * g.kernel.w)
        Parallel.forChunks(planes, costPerItem: ho * wo * g.kernel.h * g.kernel.w) { planeRange in
            for p in planeRange {
                let src = x + p * h * w
                let dst = out + p * ho * wo
                for y in 0..<ho {
                    for xo in 0..<wo {
                        var best = -S.infinity
                        var bestIndex: Int32 = -1
                        var total: S = 0
                        for i in 0..<g.kernel.h {
                            let iy = y * g.stride.h - g.padding.h + i * g.dilation.h
                            if iy < 0 || iy >= h { continue }
                            for j in 0..<g.kernel.w {
                                let ix = xo * g.stride.w - g.padding.w + j * g.dilation.w
                                if ix < 0 || ix >= w { continue }
                                let v = src[iy * w + ix]
                                total += v
                                if v > best || bestIndex < 0 {
                                    best = v
                                    bestIndex = Int32(iy * w + ix)
                                }
                            }
                        }
                        if maximum {
                            dst[y * wo + xo] = best
                            argmax![p * ho * wo + y * wo + xo] = bestIndex
                        } else {
                            dst[y * wo + xo] = total / area
                        }
                    }
                }
            }
        }
    }

    /// Max pooling over 2 × 2 windows at stride 2, the common case, as a loop over output columns
    /// without bounds tests, overflow checks or branches, which the compiler vectorises. Ties
    /// and NaNs keep the earlier element in row-major window order, as the general loop does.
    private static func maxPool2x2<S: TensorScalar>(
        _ x: UnsafePointer<S>, planes: Int, h: Int, w: Int, _ out: UnsafeMutablePointer<S>,
        _ argmax: UnsafeMutablePointer<Int32>
    ) {
        let (ho, wo) = (h / 2, w / 2)
        Parallel.forChunks(planes, costPerItem: ho * wo * 4) { planeRange in
            for p in planeRange {
                for y in 0..<ho {
                    let origin = 2 &* y &* w
                    let top = x + (p &* h &* w &+ origin)
                    let bottom = top + w
                    let dst = out + (p &* ho &+ y) &* wo
                    let index = argmax + (p &* ho &+ y) &* wo
                    for xo in 0..<wo {
                        let column = 2 &* xo
                        let first = origin &+ column
                        var best = top[column]
                        var at = first
                        func consider(_ value: S, _ offset: Int) {
                            let better = value > best
                            best = better ? value : best
                            at = better ? first &+ offset : at
                        }
                        consider(top[column &+ 1], 1)
                        consider(bottom[column], w)
                        consider(bottom[column &+ 1], w &+ 1)
                        dst[xo] = best
                        index[xo] = Int32(truncatingIfNeeded: at)
                    }
                }
            }
        }
    }

    /// Gradient of average pooling (the padding counts towards the window area).
    static func avgPool2dBackward<S: TensorScalar>(
        _ g: UnsafePointer<S>, planes: Int, h: Int, w: Int, _ geo: Conv2dGeometry, _ dx: UnsafeMutablePointer<S>
    ) {
        let (ho, wo) = geo.outputSize(h: h, w: w)
        let area = S(geo.kernel.h * geo.kernel.w)
        Parallel.forChunks(planes, costPerItem: ho * wo * geo.kernel.h * geo.kernel.w) { planeRange in
            for p in planeRange {
                let src = g + p * ho * wo
                let dst = dx + p * h * w
                for y in 0..<ho {
                    for xo in 0..<wo {
                        let v = src[y * wo + xo] / area
                        for i in 0..<geo.kernel.h {
                            let iy = y * geo.stride.h - geo.padding.h + i * geo.dilation.h
                            if iy < 0 || iy >= h { continue }
                            for j in 0..<geo.kernel.w {
                                let ix = xo * geo.stride.w - geo.padding.w + j * geo.dilation.w
                                if ix >= 0 && ix < w { dst[iy * w + ix] += v }
                            }
                        }
                    }
                }
            }
        }
    }
}
