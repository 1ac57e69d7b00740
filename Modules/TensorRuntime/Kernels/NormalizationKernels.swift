import CKernels

extension Kernels {
    /// Per-channel mean and biased variance of `x` seen as [outer, channels, inner], in two passes
    /// (mean first, then squared deviations) so that a large mean does not cancel the variance.
    /// Float32 runs the C kernel (the widest vectors the CPU has); Float64, this loop.
    static func channelMoments<S: TensorScalar>(
        _ x: UnsafePointer<S>, outer: Int, channels: Int, inner: Int,
        mean: UnsafeMutablePointer<S>, variance: UnsafeMutablePointer<S>
    ) {
        if S.self == Float.self {
            Parallel.forChunks(channels, costPerItem: 2 * outer * inner) { range in
                norm_channel_moments_f32(
                    kernelLevel, floats(x), outer, channels, inner, range.lowerBound,
                    range.upperBound, floats(mean), floats(variance))
            }
            return
        }
        let n = Double(outer * inner)
        Parallel.forChunks(channels, costPerItem: 2 * outer * inner) { range in
            for c in range {
                var total = 0.0
                for o in 0..<outer {
                    let row = x + (o * channels + c) * inner
                    total += Double(lanewiseSum(inner) { row[$0] })
                }
                let m = S(total / n)
                var squares = 0.0
                for o in 0..<outer {
                    let row = x + (o * channels + c) * inner
                    squares += Double(lanewiseSum(inner) { (row[$0] - m) * (row[$0] - m) })
                }
                mean[c] = m
                variance[c] = S(squares / n)
            }
        }
    }

    /// y = (x − mean[c]) · scale[c] + shift[c] over [outer, channels, inner].
    static func channelAffine<S: TensorScalar>(
        _ x: UnsafePointer<S>, outer: Int, channels: Int, inner: Int,
        mean: UnsafePointer<S>, scale: UnsafePointer<S>, shift: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>
    ) {
        Parallel.forChunks(outer * channels, costPerItem: inner) { rows in
            for r in rows {
                let c = r % channels
                let m = mean[c]
                let k = scale[c]
                let b = shift[c]
                let src = x + r * inner
                let dst = y + r * inner
                for i in 0..<inner { dst[i] = (src[i] - m) * k + b }
            }
        }
    }

    /// The reverse pass of batch normalisation with batch statistics.
    ///
    /// With x̂ = (x − μ)·r (r = 1/√(σ² + ε)) and y = x̂·w + b over N = outer·inner values per
    /// channel: db = Σ g, dw = Σ g·x̂, and dx = w·r·(g − db/N − x̂·dw/N). Float32 runs the C
    /// kernel; Float64, this loop.
    static func batchNormBackward<S: TensorScalar>(
        _ g: UnsafePointer<S>, _ x: UnsafePointer<S>, outer: Int, channels: Int, inner: Int,
        mean: UnsafePointer<S>, invStd: UnsafePointer<S>, weight: UnsafePointer<S>,
        dx: UnsafeMutablePointer<S>?, dWeight: UnsafeMutablePointer<S>, dBias: UnsafeMutablePointer<S>
    ) {
        if S.self == Float.self {
            Parallel.forChunks(channels, costPerItem: 3 * outer * inner) { range in
                norm_batchnorm_backward_f32(
                    kernelLevel, floats(g), floats(x), outer, channels, inner,
                    range.lowerBound, range.upperBound, floats(mean), floats(invStd),
                    floats(weight), dx.map { floats($0) }, floats(dWeight), floats(dBias))
            }
            return
        }
        let n = S(outer * inner)
        Parallel.forChunks(channels, costPerItem: 2 * outer * inner) { range in
            for c in range {
                let m = mean[c]
                let r = invStd[c]
                var sumG = 0.0
                var sumGX = 0.0
                for o in 0..<outer {
                    let offset = (o * channels + c) * inner
                    let gr = g + offset
                    let xr = x + offset
                    sumG += Double(lanewiseSum(inner) { gr[$0] })
                    sumGX += Double(lanewiseSum(inner) { gr[$0] * (xr[$0] - m) })
                }
                let db = S(sumG)
                let dw = S(sumGX) * r
                dBias[c] = db
                dWeight[c] = dw
                guard let dx else { continue }
                let k = weight[c] * r
                let meanG = db / n
                let slope = dw * r / n
                for o in 0..<outer {
                    let offset = (o * channels + c) * inner
                    let gr = g + offset
                    let xr = x + offset
                    let out = dx + offset
                    for i in 0..<inner { out[i] = k * (gr[i] - meanG - (xr[i] - m) * slope) }
                }
            }
        }
    }

    /// The Float32 view of a buffer whose scalar type a caller has checked to be Float.
    @inline(__always)
    private static func floats<S: TensorScalar>(_ p: UnsafePointer<S>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    @inline(__always)
    private static func floats<S: TensorScalar>(_ p: UnsafeMutablePointer<S>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    /// Σ_{i < count} term(i) with eight independent partial sums: a single running sum is a
    /// chain of dependent adds that the compiler may not reorder (floating-point addition is not
    /// associative), while eight chains vectorise.
    @inline(__always)
    private static func lanewiseSum<S: TensorScalar>(_ count: Int, _ term: (Int) -> S) -> S {
        var a0: S = 0
        var a1: S = 0
        var a2: S = 0
        var a3: S = 0
        var a4: S = 0
        var a5: S = 0
        var a6: S = 0
        var a7: S = 0
        var i = 0
        while i + 8 <= count {
            a0 += term(i)
            a1 += term(i + 1)
            a2 += term(i + 2)
            a3 += term(i + 3)
            a4 += term(i + 4)
            a5 += term(i + 5)
            a6 += term(i + 6)
            a7 += term(i + 7)
            i += 8
        }
        var total = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
        while i < count {
            total += term(i)
            i += 1
        }
        return total
    }
}
