import Foundation

/// An n-dimensional array of `Float` or `Double` in contiguous row-major order, with value
/// semantics (copy-on-write) and an optional place on the autodiff tape.
///
/// A tensor is a shape, a dtype and a shared `TensorStorage`. Reshaping shares the storage;
/// every other op writes a new one. When `requiresGrad` is set, or when the tensor was computed
/// from one that is, `gradEdge` links it to the tape (see `Autodiff/Tape.swift`).
public struct Tensor: @unchecked Sendable {
    public private(set) var shape: [Int]
    public let dtype: DType
    var storage: TensorStorage
    /// Where this tensor sits on the tape; nil for constants.
    var gradEdge: GradEdge?

    /// Wraps existing storage; internal because shape and storage must agree.
    init(shape: [Int], storage: TensorStorage, gradEdge: GradEdge? = nil) {
        precondition(
            Shape.count(shape) == storage.count,
            "Tensor: shape \(shape) does not match \(storage.count) elements")
        self.shape = shape
        self.dtype = storage.dtype
        self.storage = storage
        self.gradEdge = gradEdge
    }

    /// A tensor of uninitialised memory, for kernels that write every element.
    init(uninitializedShape shape: [Int], dtype: DType) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: Shape.count(shape), dtype: dtype))
    }

    /// A tensor holding `scalars` in row-major order.
    public init<S: TensorScalar>(shape: [Int], scalars: [S]) {
        precondition(
            Shape.count(shape) == scalars.count,
            "Tensor(shape:scalars:): shape \(shape) needs \(Shape.count(shape)) scalars, got \(scalars.count)")
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor(shape:scalars:): negative size in \(shape)")
        self.init(uninitializedShape: shape, dtype: S.dtype)
        let p = storage.pointer(as: S.self)
        scalars.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: $0.count) }
    }

    /// A rank-0 tensor.
    public init<S: TensorScalar>(_ scalar: S) {
        self.init(shape: [], scalars: [scalar])
    }

    /// A 1-D tensor.
    public init<S: TensorScalar>(_ scalars: [S]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A tensor of `dtype` with values converted from `Double`s (handy for literals in tests and
    /// configs, where the dtype is chosen at run time).
    public init(shape: [Int], values: [Double], dtype: DType) {
        switch dtype {
        case .float32: self.init(shape: shape, scalars: values.map { Float($0) })
        case .float64: self.init(shape: shape, scalars: values)
        }
    }

    // MARK: Basic properties

    public var rank: Int { shape.count }
    public var count: Int { storage.count }

    // MARK: Element access

    /// The elements in row-major order, converted to `S`.
    public func scalars<S: TensorScalar>(as _: S.Type = S.self) -> [S] {
        switch dtype {
        case .float32: Self.convert(storage.pointer(as: Float.self), count: count)
        case .float64: Self.convert(storage.pointer(as: Double.self), count: count)
        }
    }

    private static func convert<From: TensorScalar, To: TensorScalar>(
        _ p: UnsafeMutablePointer<From>, count: Int
    ) -> [To] {
        if From.self == To.self {
            return Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: To.self), count: count))
        }
        return (0..<count).map { To(p[$0]) }
    }

    /// The elements as `Double`s (for tests, reports and logging).
    public var doubles: [Double] { scalars(as: Double.self) }
    /// The elements as `Float`s.
    public var floats: [Float] { scalars(as: Float.self) }

    /// The value of a one-element tensor.
    public var item: Double {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, expected 1")
        return doubles[0]
    }

    /// Reads the buffer. `S` must be the tensor's scalar type.
    public func withUnsafeBuffer<S: TensorScalar, R>(
        as _: S.Type, _ body: (UnsafeBufferPointer<S>) throws -> R
    ) rethrows -> R {
        precondition(S.dtype == dtype, "withUnsafeBuffer: tensor is \(dtype), asked for \(S.dtype)")
        return try body(UnsafeBufferPointer(start: storage.pointer(as: S.self), count: count))
    }

    /// Writes the buffer in place, copying it first if another tensor shares it.
    ///
    /// Writing does not touch the tape: optimizers use this to update parameters.
    public mutating func withUnsafeMutableBuffer<S: TensorScalar, R>(
        as _: S.Type, _ body: (UnsafeMutableBufferPointer<S>) throws -> R
    ) rethrows -> R {
        precondition(S.dtype == dtype, "withUnsafeMutableBuffer: tensor is \(dtype), asked for \(S.dtype)")
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer(as: S.self), count: count))
    }

    /// Replaces the contents with those of `other` (same shape and dtype), keeping this tensor's
    /// place on the tape. Optimizers and checkpoint loading use it.
    public mutating func assign(_ other: Tensor) {
        precondition(
            other.shape == shape && other.dtype == dtype,
            "assign: expected \(dtype) \(shape), got \(other.dtype) \(other.shape)")
        storage = other.storage
    }

    // MARK: Views sharing storage

    /// The same elements with another shape (one size may be -1). Shares storage.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let target = shapeCheck { () throws(ShapeError) in try Shape.reshaped(shape, to: newShape) }
        if target == shape { return self }
        let originalShape = shape
        let result = Tensor(shape: target, storage: storage)
        return Tape.record(inputs: [self], output: result) { g in [g[0].reshaped(originalShape)] }
    }

    /// Collapses everything into one axis.
    public func flattened() -> Tensor { reshaped([-1]) }

    /// Collapses axes `start...` into one.
    public func flattened(from start: Int) -> Tensor {
        let s = shapeCheck { () throws(ShapeError) in try Shape.axis(start, rank: rank, op: "flattened(from:)") }
        return reshaped(Array(shape[..<s]) + [Shape.count(Array(shape[s...]))])
    }

    /// Inserts a size-1 axis.
    public func unsqueezed(_ axis: Int) -> Tensor {
        let a = shapeCheck { () throws(ShapeError) in try Shape.axis(axis, rank: rank + 1, op: "unsqueezed") }
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// Removes a size-1 axis.
    public func squeezed(_ axis: Int) -> Tensor {
        let a = shapeCheck { () throws(ShapeError) in try Shape.axis(axis, rank: rank, op: "squeezed") }
        precondition(shape[a] == 1, "squeezed: axis \(axis) of shape \(shape) has size \(shape[a]), expected 1")
        var s = shape
        s.remove(at: a)
        return reshaped(s)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let values = doubles
        let shown = values.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(\(dtype), shape: \(shape), [\(shown)\(values.count > 8 ? ", …" : "")])"
    }
}
