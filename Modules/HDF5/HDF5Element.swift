import CHDF5

/// How numbers are stored on disk (little-endian, as numpy and h5py write them).
public enum HDF5Storage: Sendable, Equatable, CaseIterable {
    case float16, float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64

    /// A new file type; the handle closes it.
    func makeFileType() -> HDF5Handle? {
        let standard: hid_t
        switch self {
        case .float16: return HDF5Handle(shim_make_ieee_f16le(), close: H5Tclose)
        case .float32: standard = shim_H5T_IEEE_F32LE()
        case .float64: standard = shim_H5T_IEEE_F64LE()
        case .int8: standard = shim_H5T_STD_I8LE()
        case .int16: standard = shim_H5T_STD_I16LE()
        case .int32: standard = shim_H5T_STD_I32LE()
        case .int64: standard = shim_H5T_STD_I64LE()
        case .uint8: standard = shim_H5T_STD_U8LE()
        case .uint16: standard = shim_H5T_STD_U16LE()
        case .uint32: standard = shim_H5T_STD_U32LE()
        case .uint64: standard = shim_H5T_STD_U64LE()
        }
        return HDF5Handle(H5Tcopy(standard), close: H5Tclose)
    }

    /// The in-memory type of a Swift value with this storage (a library constant, never closed).
    var memoryType: hid_t {
        switch self {
        case .float16, .float32: shim_H5T_NATIVE_FLOAT()
        case .float64: shim_H5T_NATIVE_DOUBLE()
        case .int8: shim_H5T_NATIVE_INT8()
        case .int16: shim_H5T_NATIVE_INT16()
        case .int32: shim_H5T_NATIVE_INT32()
        case .int64: shim_H5T_NATIVE_INT64()
        case .uint8: shim_H5T_NATIVE_UINT8()
        case .uint16: shim_H5T_NATIVE_UINT16()
        case .uint32: shim_H5T_NATIVE_UINT32()
        case .uint64: shim_H5T_NATIVE_UINT64()
        }
    }
}

/// A Swift number type HDF5 reads and writes. Reading converts from any stored number type
/// (HDF5 does the conversion, rounding or clipping as C would).
public protocol HDF5Element {
    /// The storage a value of this type has in memory, and on disk unless the writer chooses.
    static var storage: HDF5Storage { get }
    init()
}

extension Float: HDF5Element { public static var storage: HDF5Storage { .float32 } }
extension Double: HDF5Element { public static var storage: HDF5Storage { .float64 } }
extension Int8: HDF5Element { public static var storage: HDF5Storage { .int8 } }
extension Int16: HDF5Element { public static var storage: HDF5Storage { .int16 } }
extension Int32: HDF5Element { public static var storage: HDF5Storage { .int32 } }
extension Int64: HDF5Element { public static var storage: HDF5Storage { .int64 } }
extension UInt8: HDF5Element { public static var storage: HDF5Storage { .uint8 } }
extension UInt16: HDF5Element { public static var storage: HDF5Storage { .uint16 } }
extension UInt32: HDF5Element { public static var storage: HDF5Storage { .uint32 } }
extension UInt64: HDF5Element { public static var storage: HDF5Storage { .uint64 } }
