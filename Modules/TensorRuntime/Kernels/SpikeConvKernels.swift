import CKernels

/// The spike-driven convolution of one image: the C kernels for Float32 (see SpikeConvKernels.h),
/// plain loops for Float64, the precision of gradient checks.
///
/// The image is planes firstPlane ..< firstPlane + channels of `spikes` (rows of h·w pixels).
extension Kernels {
    /// y [outputs, Ho, Wo] (overwritten) = Σ over the image's non-zero inputs of value · the
    /// weights of every tap that reaches an output pixel. `weightT` is [channels·kh·kw, outputs];
    /// `scratch` holds Ho·Wo·outputs values and `byPixel` `forwardIndexCount` indices.
    static func spikeConvForward<S: TensorScalar>(
        _ spikes: SparseRows<S>, firstPlane: Int, channels: Int, h: Int, w: Int, _ g: Conv2dGeometry,
        weightT: UnsafePointer<S>, outputs: Int, scratch: UnsafeMutablePointer<S>,
        byPixel: UnsafeMutablePointer<Int32>, _ y: UnsafeMutablePointer<S>
    ) {
        spikes.rowStart.withUnsafeBufferPointer { start in
            spikes.column.withUnsafeBufferPointer { pixel in
                spikes.value.withUnsafeBufferPointer { value in
                    let start = start.baseAddress! + firstPlane
                    if let weightT = floatPointer(weightT) {
                        spike_conv_forward_f32(
                            kernelLevel, g.kernelGeometry, channels, h, w, start, pixel.baseAddress,
                            floatPointer(value.baseAddress), weightT, outputs,
                            floatPointer(scratch), byPixel, floatPointer(y))
                        return
                    }
                    let (ho, wo) = g.outputSize(h: h, w: w)
                    y.update(repeating: 0, count: outputs * ho * wo)
                    forEachReachedPixel(
                        start: start, pixel: pixel.baseAddress!, channels: channels, w: w, g,
                        ho: ho, wo: wo
                    ) { e, c, tap, p in
                        let v = value[e]
                        let row = weightT + (c * g.kernel.h * g.kernel.w + tap) * outputs
                        for o in 0..<outputs { y[o * ho * wo + p] += v * row[o] }
                    }
                }
            }
        }
    }

    /// The index scratch of `spikeConvForward` for one image: its entries sorted by pixel.
    static func spikeConvForwardIndexCount(channels: Int, h: Int, w: Int) -> Int { h * w + 1 + 2 * channels * h * w }

    /// Adds the weight gradient of `spikeConvForward` for one image into `dwT`
    /// [channels·kh·kw, outputs], from the output gradient `dy` [outputs, Ho, Wo].
    static func spikeConvWeightGradient<S: TensorScalar>(
        _ spikes: SparseRows<S>, firstPlane: Int, channels: Int, h: Int, w: Int, _ g: Conv2dGeometry,
        outputGradient dy: UnsafePointer<S>, outputs: Int, scratch: UnsafeMutablePointer<S>,
        coordinates: UnsafeMutablePointer<Int32>, _ dwT: UnsafeMutablePointer<S>
    ) {
        spikes.rowStart.withUnsafeBufferPointer { start in
            spikes.column.withUnsafeBufferPointer { pixel in
                spikes.value.withUnsafeBufferPointer { value in
                    let start = start.baseAddress! + firstPlane
                    if let dy = floatPointer(dy) {
                        spike_conv_weight_gradient_f32(
                            kernelLevel, g.kernelGeometry, channels, h, w, start,
                            pixel.baseAddress, floatPointer(value.baseAddress), dy, outputs,
                            floatPointer(scratch), coordinates, floatPointer(dwT))
                        return
                    }
                    let (ho, wo) = g.outputSize(h: h, w: w)
                    forEachReachedPixel(
                        start: start, pixel: pixel.baseAddress!, channels: channels, w: w, g,
                        ho: ho, wo: wo
                    ) { e, c, tap, p in
                        let v = value[e]
                        let row = dwT + (c * g.kernel.h * g.kernel.w + tap) * outputs
                        for o in 0..<outputs { row[o] += v * dy[o * ho * wo + p] }
                    }
                }
            }
        }
    }

    /// Calls body(entry, channel, tap = i·kw + j, output pixel) for every non-zero input and
    /// every tap (i, j) through which it reaches an output pixel.
    private static func forEachReachedPixel(
        start: UnsafePointer<Int>, pixel: UnsafePointer<Int32>, channels: Int, w: Int, _ g: Conv2dGeometry,
        ho: Int, wo: Int, _ body: (_ entry: Int, _ channel: Int, _ tap: Int, _ pixel: Int) -> Void
    ) {
        for c in 0..<channels {
            for e in start[c]..<start[c + 1] {
                let iy = Int(pixel[e]) / w
                let ix = Int(pixel[e]) % w
                for i in 0..<g.kernel.h {
                    let ty = iy + g.padding.h - i * g.dilation.h
                    guard ty >= 0, ty % g.stride.h == 0, ty / g.stride.h < ho else { continue }
                    for j in 0..<g.kernel.w {
                        let tx = ix + g.padding.w - j * g.dilation.w
                        guard tx >= 0, tx % g.stride.w == 0, tx / g.stride.w < wo else { continue }
                        body(e, c, i * g.kernel.w + j, (ty / g.stride.h) * wo + tx / g.stride.w)
                    }
                }
            }
        }
    }
}
