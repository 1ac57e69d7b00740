import RealModule

/// The element type of a tensor.
///
/// Float32 is the training type; Float64 exists because finite-difference gradient checks and
/// exact event simulations need its precision. Tensors are dtype-erased (like PyTorch's) so that
/// layers and plugins are written once and run in either precision.
public enum DType: String, Sendable, CustomStringConvertible {
    case float32
    case float64

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .float32: MemoryLayout<Float>.stride
        case .float64: MemoryLayout<Double>.stride
        }
    }

    public var description: String { rawValue }
}

/// A Swift scalar type that a tensor can hold: `Float` or `Double`.
///
/// Kernels are written once, generic over this protocol, and specialised by the compiler for
/// both types because every call site switches on the tensor's `DType` first.
public protocol TensorScalar: Real, BinaryFloatingPoint, SIMDScalar, KernelMath, Sendable
where Self.RawSignificand: FixedWidthInteger {
    /// The dtype tag of tensors holding this scalar.
    static var dtype: DType { get }
}

extension Float: TensorScalar {
    public static var dtype: DType { .float32 }
}

extension Double: TensorScalar {
    public static var dtype: DType { .float64 }
}
