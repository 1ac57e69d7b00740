import CHDF5
import TensorRuntime

/// The few HDF5 operations a checkpoint needs: groups, one dataset per tensor, scalar
/// attributes. Every handle is closed on every path; every failure becomes a `CheckpointError`.
final class HDF5File {
    private let id: hid_t
    let path: String

    private init(id: hid_t, path: String) {
        self.id = id
        self.path = path
    }

    deinit { H5Fclose(id) }

    /// HDF5 prints its error stack on every failed call unless told not to; we report our own.
    private static let quiet: Void = shim_silence_errors()

    static func create(_ path: String) throws(CheckpointError) -> HDF5File {
        _ = quiet
        let id = H5Fcreate(path, shim_H5F_ACC_TRUNC(), shim_H5P_DEFAULT(), shim_H5P_DEFAULT())
        guard id >= 0 else { throw CheckpointError("cannot create checkpoint file \(path)") }
        return HDF5File(id: id, path: path)
    }

    static func open(_ path: String) throws(CheckpointError) -> HDF5File {
        _ = quiet
        guard shim_is_hdf5(path) > 0 else {
            throw CheckpointError("\(path) is missing or is not an HDF5 file")
        }
        let id = H5Fopen(path, shim_H5F_ACC_RDONLY(), shim_H5P_DEFAULT())
        guard id >= 0 else { throw CheckpointError("cannot open checkpoint file \(path)") }
        return HDF5File(id: id, path: path)
    }

    // MARK: Groups and links

    func createGroup(_ name: String) throws(CheckpointError) {
        let group = H5Gcreate2(id, name, shim_H5P_DEFAULT(), shim_H5P_DEFAULT(), shim_H5P_DEFAULT())
        guard group >= 0 else { throw CheckpointError("\(path): cannot create group \(name)") }
        H5Gclose(group)
    }

    /// Whether the object at `name` (a /-separated path) exists, checking each level so a missing
    /// parent is an answer, not an error.
    func exists(_ name: String) -> Bool {
        var prefix = ""
        for part in name.split(separator: "/") {
            prefix += prefix.isEmpty ? String(part) : "/\(part)"
            if H5Lexists(id, prefix, shim_H5P_DEFAULT()) <= 0 { return false }
        }
        return true
    }

    /// The names of the links in group `name`, or [] when it does not exist.
    func members(of name: String) -> [String] {
        guard exists(name) else { return [] }
        let group = H5Gopen2(id, name, shim_H5P_DEFAULT())
        guard group >= 0 else { return [] }
        defer { H5Gclose(group) }
        var info = H5G_info_t()
        guard H5Gget_info(group, &info) >= 0 else { return [] }
        return (0..<info.nlinks).compactMap { i -> String? in
            let length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, shim_H5P_DEFAULT())
            guard length >= 0 else { return nil }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, shim_H5P_DEFAULT())
            return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    // MARK: Datasets

    /// Writes `tensor` as a dataset of its own dtype and shape (rank 0 as a scalar dataspace).
    func write(_ tensor: Tensor, to name: String) throws(CheckpointError) {
        let space = Self.dataspace(tensor.shape)
        defer { H5Sclose(space) }
        let type = Self.nativeType(tensor.dtype)
        let dataset = H5Dcreate2(id, name, type, space, shim_H5P_DEFAULT(), shim_H5P_DEFAULT(), shim_H5P_DEFAULT())
        guard dataset >= 0 else { throw CheckpointError("\(path): cannot create dataset \(name)") }
        defer { H5Dclose(dataset) }
        let status: herr_t = switch tensor.dtype {
        case .float32: tensor.withUnsafeBuffer(as: Float.self) { H5Dwrite(dataset, type, shim_H5S_ALL(), shim_H5S_ALL(), shim_H5P_DEFAULT(), $0.baseAddress) }
        case .float64: tensor.withUnsafeBuffer(as: Double.self) { H5Dwrite(dataset, type, shim_H5S_ALL(), shim_H5S_ALL(), shim_H5P_DEFAULT(), $0.baseAddress) }
        }
        guard status >= 0 else { throw CheckpointError("\(path): cannot write dataset \(name)") }
    }

    /// The shape of dataset `name`.
    func shape(of name: String) throws(CheckpointError) -> [Int] {
        let dataset = H5Dopen2(id, name, shim_H5P_DEFAULT())
        guard dataset >= 0 else { throw CheckpointError("\(path): \(name) is not a dataset") }
        defer { H5Dclose(dataset) }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank >= 0 else { throw CheckpointError("\(path): cannot read the shape of \(name)") }
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &dims, nil)
        return dims.map { Int($0) }
    }

    /// Reads dataset `name` as a tensor of `dtype` (HDF5 converts the stored type if it differs).
    func read(_ name: String, dtype: DType) throws(CheckpointError) -> Tensor {
        let shape = try shape(of: name)
        let dataset = H5Dopen2(id, name, shim_H5P_DEFAULT())
        guard dataset >= 0 else { throw CheckpointError("\(path): \(name) is not a dataset") }
        defer { H5Dclose(dataset) }
        var tensor = Tensor.zeros(shape, dtype: dtype)
        let type = Self.nativeType(dtype)
        let status: herr_t = switch dtype {
        case .float32: tensor.withUnsafeMutableBuffer(as: Float.self) { H5Dread(dataset, type, shim_H5S_ALL(), shim_H5S_ALL(), shim_H5P_DEFAULT(), $0.baseAddress) }
        case .float64: tensor.withUnsafeMutableBuffer(as: Double.self) { H5Dread(dataset, type, shim_H5S_ALL(), shim_H5S_ALL(), shim_H5P_DEFAULT(), $0.baseAddress) }
        }
        guard status >= 0 else { throw CheckpointError("\(path): cannot read dataset \(name) as \(dtype)") }
        return tensor
    }

    // MARK: Attributes (scalars on a group or dataset)

    func setAttribute(_ name: String, _ value: String, on object: String = "/") throws(CheckpointError) {
        let bytes = Array(value.utf8)
        let type = H5Tcopy(shim_H5T_C_S1())
        defer { H5Tclose(type) }
        H5Tset_size(type, max(bytes.count, 1))
        H5Tset_cset(type, H5T_CSET_UTF8)
        try writeAttribute(name, on: object, type: type, value: bytes.isEmpty ? [0] : bytes)
    }

    func setAttribute(_ name: String, _ value: Int, on object: String = "/") throws(CheckpointError) {
        try writeAttribute(name, on: object, type: shim_H5T_NATIVE_INT64(), value: [Int64(value)])
    }

    func setAttribute(_ name: String, _ value: Double, on object: String = "/") throws(CheckpointError) {
        try writeAttribute(name, on: object, type: shim_H5T_NATIVE_DOUBLE(), value: [value])
    }

    private func writeAttribute<T>(_ name: String, on object: String, type: hid_t, value: [T]) throws(CheckpointError) {
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attribute = H5Acreate_by_name(id, object, name, type, space, shim_H5P_DEFAULT(), shim_H5P_DEFAULT(),
                                          shim_H5P_DEFAULT())
        guard attribute >= 0 else { throw CheckpointError("\(path): cannot create attribute \(name) on \(object)") }
        defer { H5Aclose(attribute) }
        let status = value.withUnsafeBytes { H5Awrite(attribute, type, $0.baseAddress) }
        guard status >= 0 else { throw CheckpointError("\(path): cannot write attribute \(name) on \(object)") }
    }

    /// The names of the attributes of `object`.
    func attributeNames(on object: String = "/") -> [String] {
        var names: [String] = []
        var index: hsize_t = 0
        while true {
            let length = H5Aget_name_by_idx(id, object, H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, shim_H5P_DEFAULT())
            guard length >= 0 else { break }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            H5Aget_name_by_idx(id, object, H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, shim_H5P_DEFAULT())
            names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            index += 1
        }
        return names
    }

    func stringAttribute(_ name: String, on object: String = "/") throws(CheckpointError) -> String {
        let attribute = try openAttribute(name, on: object)
        defer { H5Aclose(attribute) }
        let stored = H5Aget_type(attribute)
        defer { H5Tclose(stored) }
        guard H5Tget_class(stored) == H5T_STRING, H5Tis_variable_str(stored) == 0 else {
            throw CheckpointError("\(path): attribute \(name) on \(object) is not a fixed-length string")
        }
        // Read in the stored type: HDF5 has no conversion between ASCII and UTF-8 strings.
        var bytes = [UInt8](repeating: 0, count: H5Tget_size(stored))
        guard H5Aread(attribute, stored, &bytes) >= 0 else {
            throw CheckpointError("\(path): cannot read attribute \(name) on \(object)")
        }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    func intAttribute(_ name: String, on object: String = "/") throws(CheckpointError) -> Int {
        var value: Int64 = 0
        try readAttribute(name, on: object, type: shim_H5T_NATIVE_INT64(), into: &value)
        return Int(value)
    }

    func doubleAttribute(_ name: String, on object: String = "/") throws(CheckpointError) -> Double {
        var value = 0.0
        try readAttribute(name, on: object, type: shim_H5T_NATIVE_DOUBLE(), into: &value)
        return value
    }

    private func readAttribute<T>(_ name: String, on object: String, type: hid_t, into value: inout T) throws(CheckpointError) {
        let attribute = try openAttribute(name, on: object)
        defer { H5Aclose(attribute) }
        guard withUnsafeMutableBytes(of: &value, { H5Aread(attribute, type, $0.baseAddress) }) >= 0 else {
            throw CheckpointError("\(path): attribute \(name) on \(object) is not a number")
        }
    }

    private func openAttribute(_ name: String, on object: String) throws(CheckpointError) -> hid_t {
        guard H5Aexists_by_name(id, object, name, shim_H5P_DEFAULT()) > 0 else {
            throw CheckpointError("\(path): attribute \(name) is missing on \(object)")
        }
        let attribute = H5Aopen_by_name(id, object, name, shim_H5P_DEFAULT(), shim_H5P_DEFAULT())
        guard attribute >= 0 else { throw CheckpointError("\(path): cannot open attribute \(name) on \(object)") }
        return attribute
    }

    // MARK: Helpers

    private static func dataspace(_ shape: [Int]) -> hid_t {
        if shape.isEmpty { return H5Screate(H5S_SCALAR) }
        let dims = shape.map { hsize_t($0) }
        return H5Screate_simple(Int32(dims.count), dims, nil)
    }

    private static func nativeType(_ dtype: DType) -> hid_t {
        switch dtype {
        case .float32: shim_H5T_NATIVE_FLOAT()
        case .float64: shim_H5T_NATIVE_DOUBLE()
        }
    }
}
