import RealModule

/// Elementwise transcendental functions as the kernels call them.
///
/// libm's `expf`/`tanhf` are scalar calls that stop the compiler from vectorising a loop; for
/// Float32 these are branch-free polynomial versions (Cephes-style range reduction, ≤ 2 ulp for
/// exp) that vectorise. Float64 keeps libm: it is the precision used for gradient checks and exact
/// simulations, where accuracy matters more than speed.
public protocol KernelMath {
    static func kernelExp(_ x: Self) -> Self
    static func kernelTanh(_ x: Self) -> Self
    static func kernelSigmoid(_ x: Self) -> Self
}

extension Float: KernelMath {
    /// e^x for x clamped to [−87.3, 88.3] (beyond that the result saturates near 0 or at 2e38).
    @inlinable @inline(__always)
    public static func kernelExp(_ x: Float) -> Float {
        let x = Swift.min(Swift.max(x, -87.3), 88.3)
        // n = round(x / ln 2) by the 1.5·2²³ trick, which also leaves n in the low mantissa bits.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * r * r + r + 1
        let exponent = (shifted.bitPattern &- 0x4B40_0000 &+ 127) << 23
        return p * Float(bitPattern: exponent)
    }

    /// tanh(x) = sign(x)·(1 − e^{−2|x|}) / (1 + e^{−2|x|}); x itself near 0, where that loses digits.
    @inlinable @inline(__always)
    public static func kernelTanh(_ x: Float) -> Float {
        let e = kernelExp(-2 * Swift.abs(x))
        let t = Float(signOf: x, magnitudeOf: (1 - e) / (1 + e))
        return Swift.abs(x) < 0.004 ? x : t
    }

    @inlinable @inline(__always)
    public static func kernelSigmoid(_ x: Float) -> Float { 1 / (1 + kernelExp(-x)) }
}

extension Double: KernelMath {
    @inlinable @inline(__always) public static func kernelExp(_ x: Double) -> Double { .exp(x) }
    @inlinable @inline(__always) public static func kernelTanh(_ x: Double) -> Double { .tanh(x) }
    /// Evaluated on the side where the exponential cannot overflow.
    @inlinable @inline(__always)
    public static func kernelSigmoid(_ x: Double) -> Double {
        if x >= 0 { return 1 / (1 + .exp(-x)) }
        let e = Double.exp(x)
        return e / (1 + e)
    }
}
