/// A scalar function applied elementwise; generic so one definition serves Float and Double.
///
/// Swift has no generic closures, so elementwise math is a value of a type with a generic
/// `callAsFunction`: the kernel is specialised for each function type and each scalar type.
public protocol UnaryFunction {
    func callAsFunction<S: TensorScalar>(_ x: S) -> S
}

/// A scalar function of two arguments applied elementwise with broadcasting.
public protocol BinaryFunction {
    func callAsFunction<S: TensorScalar>(_ a: S, _ b: S) -> S
}

/// The CPU kernels behind the tensor ops. Everything that loops over raw memory lives in
/// `Kernels`; ops above it see tensors only. A second backend would replace this namespace.
enum Kernels {}

extension Kernels {
    /// y[i] = f(x[i]).
    @inline(__always)
    static func map<S: TensorScalar, F: UnaryFunction>(
        _ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count: Int, _ f: F
    ) {
        Parallel.forChunks(count) { range in
            for i in range { y[i] = f(x[i]) }
        }
    }

    /// out = f(a, b) with NumPy broadcasting of `aShape` and `bShape` to `outShape`.
    static func zip<S: TensorScalar, F: BinaryFunction>(
        _ a: UnsafePointer<S>, _ aShape: [Int], _ b: UnsafePointer<S>, _ bShape: [Int],
        _ out: UnsafeMutablePointer<S>, _ outShape: [Int], _ f: F
    ) {
        let count = Shape.count(outShape)
        if aShape == bShape {
            Parallel.forChunks(count) { r in for i in r { out[i] = f(a[i], b[i]) } }
            return
        }
        if Shape.count(bShape) == 1 {
            let bv = b[0]
            Parallel.forChunks(count) { r in for i in r { out[i] = f(a[i], bv) } }
            return
        }
        if Shape.count(aShape) == 1 {
            let av = a[0]
            Parallel.forChunks(count) { r in for i in r { out[i] = f(av, b[i]) } }
            return
        }
        let (aStrides, bStrides) = broadcastStrides(aShape, bShape, outShape)
        let rank = outShape.count
        let inner = outShape[rank - 1]
        let rows = count / max(inner, 1)
        let sa = aStrides[rank - 1]
        let sb = bStrides[rank - 1]
        Parallel.forChunks(rows, costPerItem: inner) { rowRange in
            for row in rowRange {
                var rest = row
                var ao = 0
                var bo = 0
                for d in stride(from: rank - 2, through: 0, by: -1) {
                    let idx = rest % outShape[d]
                    rest /= outShape[d]
                    ao += idx * aStrides[d]
                    bo += idx * bStrides[d]
                }
                let o = out + row * inner
                let ap = a + ao
                let bp = b + bo
                for j in 0..<inner { o[j] = f(ap[j * sa], bp[j * sb]) }
            }
        }
    }

    /// Strides (in elements) of `a` and `b` seen with shape `out`: 0 along broadcast axes.
    static func broadcastStrides(_ aShape: [Int], _ bShape: [Int], _ out: [Int]) -> ([Int], [Int]) {
        func strides(_ shape: [Int]) -> [Int] {
            let own = Shape.strides(shape)
            let pad = out.count - shape.count
            return (0..<out.count).map { d in
                d < pad || shape[d - pad] == 1 ? 0 : own[d - pad]
            }
        }
        return (strides(aShape), strides(bShape))
    }
}
