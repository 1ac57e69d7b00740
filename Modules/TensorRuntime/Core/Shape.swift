/// A shape mismatch, with the operation and the shapes involved.
///
/// Tensor operations treat a mismatch as a programming error and stop with this message (as an
/// out-of-range array index does); code that checks user input first calls the throwing shape
/// functions below (`Shape.broadcast`, `Shape.reshaped`) to turn it into an error it can report.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Shape arithmetic for contiguous row-major tensors.
public enum Shape {
    /// Number of elements of a tensor with this shape (1 for a scalar).
    @inline(__always)
    public static func count(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape { n *= d }
        return n
    }

    /// Row-major strides, in elements.
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= shape[i]
        }
        return strides
    }

    /// The NumPy broadcast of two shapes: align from the right; each pair of sizes must be equal
    /// or contain a 1.
    public static func broadcast(_ a: [Int], _ b: [Int], op: String = "broadcast") throws(ShapeError)
        -> [Int]
    {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 {
                result[i] = da
            } else if da == 1 {
                result[i] = db
            } else {
                throw ShapeError("\(op): shapes \(a) and \(b) are not broadcastable (axis \(i): \(da) vs \(db))")
            }
        }
        return result
    }

    /// Resolves a reshape target, where at most one size may be -1 (inferred).
    public static func reshaped(_ shape: [Int], to target: [Int]) throws(ShapeError) -> [Int] {
        let total = count(shape)
        var resolved = target
        let inferred = target.indices.filter { target[$0] == -1 }
        guard inferred.count <= 1 else {
            throw ShapeError("reshape: more than one -1 in target shape \(target)")
        }
        guard target.allSatisfy({ $0 >= 0 || $0 == -1 }) else {
            throw ShapeError("reshape: negative size in target shape \(target)")
        }
        if let i = inferred.first {
            let known = target.enumerated().reduce(1) { $1.offset == i ? $0 : $0 * $1.element }
            guard known > 0, total % known == 0 else {
                throw ShapeError("reshape: cannot reshape \(shape) (\(total) elements) into \(target)")
            }
            resolved[i] = total / known
        }
        guard count(resolved) == total else {
            throw ShapeError("reshape: cannot reshape \(shape) (\(total) elements) into \(target)")
        }
        return resolved
    }

    /// Maps a possibly negative axis into `0..<rank`.
    public static func axis(_ axis: Int, rank: Int, op: String) throws(ShapeError) -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else {
            throw ShapeError("\(op): axis \(axis) is out of range for a tensor of rank \(rank)")
        }
        return a
    }
}

/// Stops with the shape error's message: tensor ops treat shape mismatches as programming errors.
@inline(never)
func shapeCheck<T>(_ body: () throws(ShapeError) -> T) -> T {
    do {
        return try body()
    } catch {
        preconditionFailure(error.message)
    }
}
