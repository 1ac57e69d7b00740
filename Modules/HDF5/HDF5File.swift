import CHDF5
import Foundation

/// One open HDF5 file: groups, typed n-dimensional datasets, variable-length rows, strings and
/// scalar attributes, addressed by slash-separated paths ("spikes/times", "node/nodes/fc/weight").
///
/// Every method takes `HDF5Library`'s lock, so files may be used from any thread (one file
/// object from one thread at a time); every handle it opens is closed on every path, and every
/// failure is an `HDF5Error` naming the file and the path.
public final class HDF5File {
    public let url: URL
    let file: HDF5Handle

    private init(url: URL, file: HDF5Handle) {
        self.url = url
        self.file = file
    }

    /// Creates `url`, replacing any existing file.
    public static func create(at url: URL) throws -> HDF5File {
        try HDF5Library.withLock {
            let id = H5Fcreate(url.path, shim_H5F_ACC_TRUNC(), shim_H5P_DEFAULT(), shim_H5P_DEFAULT())
            guard let file = HDF5Handle(id, close: H5Fclose) else {
                throw HDF5Error(file: url.path, path: "/", kind: .failed(operation: "create"))
            }
            return HDF5File(url: url, file: file)
        }
    }

    /// Opens `url` read-only.
    public static func open(_ url: URL) throws -> HDF5File {
        try HDF5Library.withLock {
            guard shim_is_hdf5(url.path) > 0 else { throw HDF5Error(file: url.path, path: "/", kind: .notHDF5) }
            let id = H5Fopen(url.path, shim_H5F_ACC_RDONLY(), shim_H5P_DEFAULT())
            guard let file = HDF5Handle(id, close: H5Fclose) else {
                throw HDF5Error(file: url.path, path: "/", kind: .failed(operation: "open"))
            }
            return HDF5File(url: url, file: file)
        }
    }

    func error(_ path: String, _ kind: HDF5Error.Kind) -> HDF5Error {
        HDF5Error(file: url.path, path: path, kind: kind)
    }

    // MARK: Groups

    /// Whether every component of `path` exists (a missing parent is an answer, not an error).
    public func contains(_ path: String) -> Bool {
        HDF5Library.withLock {
            var prefix = ""
            for component in path.split(separator: "/") {
                prefix += prefix.isEmpty ? String(component) : "/\(component)"
                if H5Lexists(file.id, prefix, shim_H5P_DEFAULT()) <= 0 { return false }
            }
            return true
        }
    }

    /// Whether `path` is a group ("/" is).
    public func isGroup(_ path: String) -> Bool {
        HDF5Library.withLock {
            guard path == "/" || contains(path) else { return false }
            guard let object = HDF5Handle(H5Oopen(file.id, path, shim_H5P_DEFAULT()), close: H5Oclose) else {
                return false
            }
            return H5Iget_type(object.id) == H5I_GROUP
        }
    }

    /// Creates the group `path` and any missing parents.
    public func createGroup(_ path: String) throws {
        try HDF5Library.withLock {
            var prefix = ""
            for component in path.split(separator: "/") {
                prefix += prefix.isEmpty ? String(component) : "/\(component)"
                if H5Lexists(file.id, prefix, shim_H5P_DEFAULT()) > 0 { continue }
                let id = H5Gcreate2(file.id, prefix, shim_H5P_DEFAULT(), shim_H5P_DEFAULT(), shim_H5P_DEFAULT())
                guard HDF5Handle(id, close: H5Gclose) != nil else {
                    throw error(prefix, .failed(operation: "create group"))
                }
            }
        }
    }

    /// The names of the members of group `path`, in name order.
    public func children(of path: String) throws -> [String] {
        try HDF5Library.withLock {
            guard path == "/" || contains(path) else { throw error(path, .missing) }
            guard isGroup(path),
                let group = HDF5Handle(H5Gopen2(file.id, path, shim_H5P_DEFAULT()), close: H5Gclose)
            else { throw error(path, .wrongType(expected: "a group")) }
            var info = H5G_info_t()
            guard H5Gget_info(group.id, &info) >= 0 else { throw error(path, .failed(operation: "list")) }
            return try (0..<info.nlinks).map { i in
                let length = H5Lget_name_by_idx(
                    group.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, shim_H5P_DEFAULT())
                guard length >= 0 else { throw error(path, .failed(operation: "list")) }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                H5Lget_name_by_idx(
                    group.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, shim_H5P_DEFAULT())
                return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    // MARK: Datasets

    /// The dataset at `path`, checked to exist and to be a dataset.
    func openDataset(_ path: String) throws -> HDF5Handle {
        guard contains(path) else { throw error(path, .missing) }
        guard !isGroup(path), let dataset = HDF5Handle(H5Dopen2(file.id, path, shim_H5P_DEFAULT()), close: H5Dclose)
        else { throw error(path, .wrongType(expected: "a dataset, not a group")) }
        return dataset
    }

    /// The shape of dataset `path` ([] for a scalar).
    public func shape(of path: String) throws -> [Int] {
        try HDF5Library.withLock {
            let dataset = try openDataset(path)
            guard let space = HDF5Handle(H5Dget_space(dataset.id), close: H5Sclose) else {
                throw error(path, .failed(operation: "get the shape of"))
            }
            let rank = Int(H5Sget_simple_extent_ndims(space.id))
            guard rank >= 0 else { throw error(path, .failed(operation: "get the shape of")) }
            var dims = [hsize_t](repeating: 0, count: rank)
            H5Sget_simple_extent_dims(space.id, &dims, nil)
            return dims.map { Int($0) }
        }
    }

    /// What the elements of dataset `path` are.
    public func elementKind(of path: String) throws -> HDF5ElementKind {
        try HDF5Library.withLock {
            let dataset = try openDataset(path)
            guard let type = HDF5Handle(H5Dget_type(dataset.id), close: H5Tclose) else {
                throw error(path, .failed(operation: "get the type of"))
            }
            return HDF5ElementKind(type.id)
        }
    }

    /// Creates dataset `path` (and any missing parent groups) of `shape` with file type `type`
    /// and writes `data` (memory type `memoryType`) into it.
    private func createDataset(
        _ path: String, shape: [Int], type: hid_t, memoryType: hid_t, data: UnsafeRawPointer?
    ) throws {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try createGroup(String(path[..<slash]))
        }
        var dims = shape.map { hsize_t($0) }
        let spaceID = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), &dims, nil)
        guard let space = HDF5Handle(spaceID, close: H5Sclose),
            let dataset = HDF5Handle(
                H5Dcreate2(file.id, path, type, space.id, shim_H5P_DEFAULT(), shim_H5P_DEFAULT(), shim_H5P_DEFAULT()),
                close: H5Dclose)
        else { throw error(path, .failed(operation: "create dataset")) }
        guard
            shape.reduce(1, *) == 0
                || H5Dwrite(dataset.id, memoryType, shim_H5S_ALL(), shim_H5S_ALL(), shim_H5P_DEFAULT(), data) >= 0
        else { throw error(path, .failed(operation: "write")) }
    }

    /// Writes `values` (row-major) as dataset `path` of `shape` (default: one dimension; [] is a
    /// scalar), stored as `storage` (default: the values' own type).
    public func write<T: HDF5Element>(
        _ values: [T], shape: [Int]? = nil, to path: String, as storage: HDF5Storage? = nil
    ) throws {
        let shape = shape ?? [values.count]
        precondition(shape.reduce(1, *) == values.count, "HDF5File.write: \(values.count) values for shape \(shape)")
        try HDF5Library.withLock {
            guard let type = (storage ?? T.storage).makeFileType() else {
                throw error(path, .failed(operation: "make the type of"))
            }
            try values.withUnsafeBytes {
                try createDataset(
                    path, shape: shape, type: type.id, memoryType: T.storage.memoryType, data: $0.baseAddress)
            }
        }
    }

    /// Reads the numbers of dataset `path` in row-major order (HDF5 converts from the stored type).
    public func read<T: HDF5Element>(_ path: String, as _: T.Type = T.self) throws -> [T] {
        let count = try shape(of: path).reduce(1, *)
        return try HDF5Library.withLock {
            let dataset = try openDataset(path)
            guard try elementKind(of: path).isNumber else {
                throw error(path, .wrongType(expected: "numbers"))
            }
            guard count > 0 else { return [] }
            var values = [T](repeating: T(), count: count)
            let status = values.withUnsafeMutableBytes {
                H5Dread(
                    dataset.id, T.storage.memoryType, shim_H5S_ALL(), shim_H5S_ALL(), shim_H5P_DEFAULT(), $0.baseAddress
                )
            }
            guard status >= 0 else { throw error(path, .failed(operation: "read \(T.self) from")) }
            return values
        }
    }

    // MARK: Variable-length rows

    /// Writes one variable-length row per entry as the one-dimensional dataset `path`, stored as
    /// rows of `storage` (default: the values' own type).
    public func writeRows<T: HDF5Element>(_ rows: [[T]], to path: String, as storage: HDF5Storage? = nil) throws {
        try HDF5Library.withLock {
            guard let base = (storage ?? T.storage).makeFileType(),
                let fileType = HDF5Handle(H5Tvlen_create(base.id), close: H5Tclose),
                let memoryType = HDF5Handle(H5Tvlen_create(T.storage.memoryType), close: H5Tclose)
            else { throw error(path, .failed(operation: "make the type of")) }
            var flat = rows.flatMap { $0 }
            try flat.withUnsafeMutableBufferPointer { storage in
                var offset = 0
                var descriptors = rows.map { row -> hvl_t in
                    defer { offset += row.count }
                    return hvl_t(
                        len: row.count, p: row.isEmpty ? nil : UnsafeMutableRawPointer(storage.baseAddress! + offset))
                }
                try createDataset(
                    path, shape: [rows.count], type: fileType.id, memoryType: memoryType.id, data: &descriptors)
            }
        }
    }

    /// Reads rows `range` of the variable-length dataset `path`, converting elements to `T`, and
    /// hands each row to `body` before HDF5's buffers are freed (`body` runs under the lock).
    public func readRows<T: HDF5Element>(
        _ path: String, _ range: Range<Int>, as _: T.Type,
        _ body: (_ row: Int, _ values: UnsafeBufferPointer<T>) throws -> Void
    ) throws {
        guard !range.isEmpty else { return }
        try HDF5Library.withLock {
            guard case .variableLength(let base) = try elementKind(of: path), base.isNumber else {
                throw error(path, .wrongType(expected: "variable-length rows of numbers"))
            }
            let dataset = try openDataset(path)
            guard let memoryType = HDF5Handle(H5Tvlen_create(T.storage.memoryType), close: H5Tclose),
                let fileSpace = HDF5Handle(H5Dget_space(dataset.id), close: H5Sclose)
            else { throw error(path, .failed(operation: "prepare to read")) }
            var start = hsize_t(range.lowerBound)
            var count = hsize_t(range.count)
            guard H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, &start, nil, &count, nil) >= 0,
                let memorySpace = HDF5Handle(H5Screate_simple(1, &count, nil), close: H5Sclose)
            else { throw error(path, .failed(operation: "select rows \(range) of")) }
            var buffer = [hvl_t](repeating: hvl_t(), count: range.count)
            guard H5Dread(dataset.id, memoryType.id, memorySpace.id, fileSpace.id, shim_H5P_DEFAULT(), &buffer) >= 0
            else { throw error(path, .failed(operation: "read rows \(range.lowerBound)..<\(range.upperBound) of")) }
            defer { _ = shim_vlen_reclaim(memoryType.id, memorySpace.id, &buffer) }
            for (offset, row) in buffer.enumerated() {
                try body(
                    range.lowerBound + offset,
                    UnsafeBufferPointer(start: row.p?.assumingMemoryBound(to: T.self), count: row.len))
            }
        }
    }

    // MARK: Strings

    /// Writes UTF-8 strings as dataset `path` of `shape` (default: one dimension; [] is a
    /// scalar): variable-length (as h5py writes `str`) or fixed-length null-padded (as h5py writes
    /// `bytes` arrays).
    public func writeStrings(_ values: [String], shape: [Int]? = nil, to path: String, variableLength: Bool = true)
        throws
    {
        let shape = shape ?? [values.count]
        precondition(
            shape.reduce(1, *) == values.count, "HDF5File.writeStrings: \(values.count) strings for shape \(shape)")
        try HDF5Library.withLock {
            guard let type = HDF5Handle(H5Tcopy(shim_H5T_C_S1()), close: H5Tclose) else {
                throw error(path, .failed(operation: "make the type of"))
            }
            H5Tset_cset(type.id, H5T_CSET_UTF8)
            if variableLength {
                H5Tset_size(type.id, shim_H5T_VARIABLE())
                var cStrings = values.map { strdup($0) }
                defer { for cString in cStrings { free(cString) } }
                try createDataset(path, shape: shape, type: type.id, memoryType: type.id, data: &cStrings)
            } else {
                let width = max(1, values.map(\.utf8.count).max() ?? 1)
                H5Tset_size(type.id, width)
                H5Tset_strpad(type.id, H5T_STR_NULLPAD)
                var bytes = [UInt8](repeating: 0, count: values.count * width)
                for (i, value) in values.enumerated() {
                    for (j, byte) in value.utf8.enumerated() { bytes[i * width + j] = byte }
                }
                try createDataset(path, shape: shape, type: type.id, memoryType: type.id, data: bytes)
            }
        }
    }

    /// Reads the strings of dataset `path` (variable- or fixed-length, ASCII or UTF-8) in
    /// row-major order.
    public func readStrings(_ path: String) throws -> [String] {
        let count = try shape(of: path).reduce(1, *)
        return try HDF5Library.withLock {
            let dataset = try openDataset(path)
            guard let stored = HDF5Handle(H5Dget_type(dataset.id), close: H5Tclose),
                let space = HDF5Handle(H5Dget_space(dataset.id), close: H5Sclose)
            else { throw error(path, .failed(operation: "read")) }
            guard H5Tget_class(stored.id) == H5T_STRING else { throw error(path, .wrongType(expected: "strings")) }
            return try readStrings(count: count, stored: stored.id, space: space.id, path: path) { type, buffer in
                H5Dread(dataset.id, type, shim_H5S_ALL(), shim_H5S_ALL(), shim_H5P_DEFAULT(), buffer)
            }
        }
    }

    /// Reads `count` strings of file type `stored` through `read(memoryType, buffer)`.
    private func readStrings(
        count: Int, stored: hid_t, space: hid_t, path: String,
        read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        guard count > 0 else { return [] }
        guard let memoryType = HDF5Handle(H5Tcopy(shim_H5T_C_S1()), close: H5Tclose) else {
            throw error(path, .failed(operation: "read"))
        }
        // Match the file's character set: HDF5 does not convert between ASCII and UTF-8.
        H5Tset_cset(memoryType.id, H5Tget_cset(stored))
        if H5Tis_variable_str(stored) > 0 {
            H5Tset_size(memoryType.id, shim_H5T_VARIABLE())
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            guard read(memoryType.id, &pointers) >= 0 else { throw error(path, .failed(operation: "read")) }
            defer { _ = shim_vlen_reclaim(memoryType.id, space, &pointers) }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        // One byte more than the file's width, null-terminated, so padded strings convert whole.
        let width = H5Tget_size(stored) + 1
        H5Tset_size(memoryType.id, width)
        H5Tset_strpad(memoryType.id, H5T_STR_NULLTERM)
        var bytes = [UInt8](repeating: 0, count: count * width)
        guard read(memoryType.id, &bytes) >= 0 else { throw error(path, .failed(operation: "read")) }
        return (0..<count).map { i in
            String(decoding: bytes[(i * width)..<((i + 1) * width)].prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    // MARK: Attributes (scalars on a group or dataset)

    /// Sets a fixed-length UTF-8 string attribute `name` on the object at `path`.
    public func setAttribute(_ name: String, _ value: String, on path: String = "/") throws {
        try HDF5Library.withLock {
            let bytes = Array(value.utf8)
            guard let type = HDF5Handle(H5Tcopy(shim_H5T_C_S1()), close: H5Tclose) else {
                throw error("\(path)@\(name)", .failed(operation: "make the type of"))
            }
            H5Tset_size(type.id, max(bytes.count, 1))
            H5Tset_cset(type.id, H5T_CSET_UTF8)
            try writeAttribute(name, on: path, type: type.id, memoryType: type.id, value: bytes.isEmpty ? [0] : bytes)
        }
    }

    /// Sets a numeric scalar attribute `name` on the object at `path`, stored as the value's type.
    public func setAttribute<T: HDF5Element>(_ name: String, _ value: T, on path: String = "/") throws {
        try HDF5Library.withLock {
            guard let type = T.storage.makeFileType() else {
                throw error("\(path)@\(name)", .failed(operation: "make the type of"))
            }
            try writeAttribute(name, on: path, type: type.id, memoryType: T.storage.memoryType, value: [value])
        }
    }

    private func writeAttribute<T>(_ name: String, on path: String, type: hid_t, memoryType: hid_t, value: [T]) throws {
        guard let space = HDF5Handle(H5Screate(H5S_SCALAR), close: H5Sclose),
            let attribute = HDF5Handle(
                H5Acreate_by_name(
                    file.id, path, name, type, space.id, shim_H5P_DEFAULT(), shim_H5P_DEFAULT(),
                    shim_H5P_DEFAULT()),
                close: H5Aclose)
        else { throw error("\(path)@\(name)", .failed(operation: "create attribute")) }
        guard value.withUnsafeBytes({ H5Awrite(attribute.id, memoryType, $0.baseAddress) }) >= 0 else {
            throw error("\(path)@\(name)", .failed(operation: "write attribute"))
        }
    }

    /// The names of the attributes of the object at `path`, in name order.
    public func attributeNames(on path: String = "/") throws -> [String] {
        try HDF5Library.withLock {
            guard path == "/" || contains(path) else { throw error(path, .missing) }
            var names: [String] = []
            var index: hsize_t = 0
            while true {
                let length = H5Aget_name_by_idx(
                    file.id, path, H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, shim_H5P_DEFAULT())
                guard length >= 0 else { break }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                H5Aget_name_by_idx(
                    file.id, path, H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, shim_H5P_DEFAULT())
                names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
                index += 1
            }
            return names
        }
    }

    /// The string attribute `name` of the object at `path` (fixed- or variable-length).
    public func stringAttribute(_ name: String, on path: String = "/") throws -> String {
        try HDF5Library.withLock {
            let attribute = try openAttribute(name, on: path)
            guard let stored = HDF5Handle(H5Aget_type(attribute.id), close: H5Tclose),
                let space = HDF5Handle(H5Aget_space(attribute.id), close: H5Sclose)
            else { throw error("\(path)@\(name)", .failed(operation: "read")) }
            guard H5Tget_class(stored.id) == H5T_STRING else {
                throw error("\(path)@\(name)", .wrongType(expected: "a string"))
            }
            let strings = try readStrings(count: 1, stored: stored.id, space: space.id, path: "\(path)@\(name)") {
                H5Aread(attribute.id, $0, $1)
            }
            return strings[0]
        }
    }

    /// The numeric scalar attribute `name` of the object at `path`, converted to `T`.
    public func attribute<T: HDF5Element>(_ name: String, on path: String = "/", as _: T.Type = T.self) throws -> T {
        try HDF5Library.withLock {
            let attribute = try openAttribute(name, on: path)
            guard let stored = HDF5Handle(H5Aget_type(attribute.id), close: H5Tclose),
                HDF5ElementKind(stored.id).isNumber
            else { throw error("\(path)@\(name)", .wrongType(expected: "a number")) }
            var value = T()
            guard
                withUnsafeMutableBytes(of: &value, { H5Aread(attribute.id, T.storage.memoryType, $0.baseAddress) }) >= 0
            else { throw error("\(path)@\(name)", .failed(operation: "read")) }
            return value
        }
    }

    private func openAttribute(_ name: String, on path: String) throws -> HDF5Handle {
        guard path == "/" || contains(path), H5Aexists_by_name(file.id, path, name, shim_H5P_DEFAULT()) > 0 else {
            throw error("\(path)@\(name)", .missing)
        }
        guard
            let attribute = HDF5Handle(
                H5Aopen_by_name(file.id, path, name, shim_H5P_DEFAULT(), shim_H5P_DEFAULT()), close: H5Aclose)
        else { throw error("\(path)@\(name)", .failed(operation: "open attribute")) }
        return attribute
    }
}

/// What the elements of a dataset are.
public indirect enum HDF5ElementKind: Equatable, Sendable {
    case integer, float, string
    case variableLength(HDF5ElementKind)
    case other

    init(_ type: hid_t) {
        switch H5Tget_class(type) {
        case H5T_INTEGER: self = .integer
        case H5T_FLOAT: self = .float
        case H5T_STRING: self = .string
        case H5T_VLEN:
            guard let base = HDF5Handle(H5Tget_super(type), close: H5Tclose) else {
                self = .other
                return
            }
            self = .variableLength(HDF5ElementKind(base.id))
        default: self = .other
        }
    }

    public var isNumber: Bool { self == .integer || self == .float }
}
