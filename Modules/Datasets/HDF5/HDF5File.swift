import CHDF5
import Foundation

/// Serialises HDF5 calls and keeps HDF5 from printing its own error stack.
///
/// Debian's libhdf5 is the serial, non-thread-safe build, and loaders, tests and the CLI may
/// open files from several threads, so every file operation runs under one lock.
enum HDF5Library {
    private static let lock = NSLock()

    static func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        shim_silence_errors()
        return try body()
    }
}

/// One HDF5 identifier, closed with its matching `H5?close` when the last reference goes.
final class HDF5Object {
    let id: hid_t
    private let close: (hid_t) -> herr_t

    /// Wraps `id`, or returns nil when the call that produced it failed (negative id).
    init?(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
        guard id >= 0 else { return nil }
        self.id = id
        self.close = close
    }

    deinit { _ = close(id) }
}

/// Read access to one HDF5 file; errors name the file and the field.
struct HDF5Reader {
    let fileName: String
    private let file: HDF5Object

    /// Opens `url` read-only. Call inside `HDF5Library.withLock`.
    init(url: URL) throws {
        fileName = url.displayName
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DatasetError.fileNotFound(path: url.path)
        }
        guard shim_is_hdf5(url.path) > 0 else { throw DatasetError.notHDF5(path: url.path) }
        guard let file = HDF5Object(H5Fopen(url.path, shim_H5F_ACC_RDONLY(), shim_H5P_DEFAULT()), close: H5Fclose)
        else { throw DatasetError.hdf5Failure(file: fileName, field: "the file", operation: "open") }
        self.file = file
    }

    /// Whether every component of the slash-separated `path` exists.
    func contains(_ path: String) -> Bool {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += prefix.isEmpty ? String(component) : "/\(component)"
            if H5Lexists(file.id, prefix, shim_H5P_DEFAULT()) <= 0 { return false }
        }
        return true
    }

    func dataset(_ field: String) throws -> HDF5Dataset {
        guard contains(field) else { throw DatasetError.missingField(file: fileName, field: field) }
        guard let object = HDF5Object(H5Dopen2(file.id, field, shim_H5P_DEFAULT()), close: H5Dclose) else {
            throw DatasetError.wrongType(file: fileName, field: field, expected: "a dataset, not a group")
        }
        return HDF5Dataset(fileName: fileName, field: field, object: object)
    }
}

/// One open one-dimensional dataset.
struct HDF5Dataset {
    let fileName: String
    let field: String
    let object: HDF5Object

    private func failure(_ operation: String) -> DatasetError {
        .hdf5Failure(file: fileName, field: field, operation: operation)
    }

    private func fileType() throws -> HDF5Object {
        guard let type = HDF5Object(H5Dget_type(object.id), close: H5Tclose) else { throw failure("get the type of") }
        return type
    }

    /// Number of entries; the SHD layout only has one-dimensional datasets.
    func count() throws -> Int {
        guard let space = HDF5Object(H5Dget_space(object.id), close: H5Sclose) else { throw failure("get the shape of") }
        let rank = H5Sget_simple_extent_ndims(space.id)
        guard rank == 1 else {
            throw DatasetError.wrongType(file: fileName, field: field, expected: "a one-dimensional dataset, found rank \(rank)")
        }
        var extent: hsize_t = 0
        H5Sget_simple_extent_dims(space.id, &extent, nil)
        return Int(extent)
    }

    /// The class of the elements (for variable-length datasets, of the elements of each row).
    func elementClass(variableLength: Bool) throws -> H5T_class_t {
        let type = try fileType()
        guard variableLength else { return H5Tget_class(type.id) }
        guard H5Tget_class(type.id) == H5T_VLEN,
            let base = HDF5Object(H5Tget_super(type.id), close: H5Tclose)
        else {
            throw DatasetError.wrongType(file: fileName, field: field, expected: "variable-length arrays, one per sample")
        }
        return H5Tget_class(base.id)
    }

    /// Reads rows `range` of a variable-length dataset, letting HDF5 convert each element to
    /// `memoryBase`, and hands every row to `body` before HDF5's buffers are freed.
    func readRows<T>(
        _ range: Range<Int>, memoryBase: hid_t, as _: T.Type,
        _ body: (_ row: Int, _ values: UnsafeBufferPointer<T>) throws -> Void
    ) throws {
        guard !range.isEmpty else { return }
        guard let memoryType = HDF5Object(H5Tvlen_create(memoryBase), close: H5Tclose),
            let fileSpace = HDF5Object(H5Dget_space(object.id), close: H5Sclose)
        else { throw failure("prepare to read") }
        var start = hsize_t(range.lowerBound)
        var count = hsize_t(range.count)
        guard H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, &start, nil, &count, nil) >= 0,
            let memorySpace = HDF5Object(H5Screate_simple(1, &count, nil), close: H5Sclose)
        else { throw failure("select rows \(range) of") }
        var buffer = [hvl_t](repeating: hvl_t(), count: range.count)
        guard H5Dread(object.id, memoryType.id, memorySpace.id, fileSpace.id, shim_H5P_DEFAULT(), &buffer) >= 0 else {
            throw failure("read rows \(range.lowerBound)..<\(range.upperBound) of")
        }
        defer { _ = shim_vlen_reclaim(memoryType.id, memorySpace.id, &buffer) }
        for (offset, row) in buffer.enumerated() {
            let values = UnsafeBufferPointer(start: row.p?.assumingMemoryBound(to: T.self), count: row.len)
            try body(range.lowerBound + offset, values)
        }
    }

    /// Reads an integer dataset of any width and signedness.
    func readIntegers() throws -> [Int64] {
        guard try elementClass(variableLength: false) == H5T_INTEGER else {
            throw DatasetError.wrongType(file: fileName, field: field, expected: "integers")
        }
        var values = [Int64](repeating: 0, count: try count())
        guard values.isEmpty
            || H5Dread(object.id, shim_H5T_NATIVE_INT64(), shim_H5S_ALL(), shim_H5S_ALL(), shim_H5P_DEFAULT(), &values) >= 0
        else { throw failure("read") }
        return values
    }

    /// Reads a string dataset stored either as variable-length or as fixed-length strings.
    func readStrings() throws -> [String] {
        let type = try fileType()
        guard H5Tget_class(type.id) == H5T_STRING else {
            throw DatasetError.wrongType(file: fileName, field: field, expected: "strings")
        }
        let n = try count()
        guard n > 0 else { return [] }
        guard let memoryType = HDF5Object(H5Tcopy(shim_H5T_C_S1()), close: H5Tclose) else { throw failure("read") }
        // Match the file's character set (h5py writes UTF-8); HDF5 does not convert between them.
        H5Tset_cset(memoryType.id, H5Tget_cset(type.id))
        if H5Tis_variable_str(type.id) > 0 {
            H5Tset_size(memoryType.id, shim_H5T_VARIABLE())
            guard let space = HDF5Object(H5Dget_space(object.id), close: H5Sclose) else { throw failure("read") }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            guard H5Dread(object.id, memoryType.id, shim_H5S_ALL(), shim_H5S_ALL(), shim_H5P_DEFAULT(), &pointers) >= 0 else {
                throw failure("read")
            }
            defer { _ = shim_vlen_reclaim(memoryType.id, space.id, &pointers) }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        // One byte more than the file's width, null-terminated, so padded strings convert whole.
        let width = H5Tget_size(type.id) + 1
        H5Tset_size(memoryType.id, width)
        H5Tset_strpad(memoryType.id, H5T_STR_NULLTERM)
        var bytes = [CChar](repeating: 0, count: n * width)
        guard H5Dread(object.id, memoryType.id, shim_H5S_ALL(), shim_H5S_ALL(), shim_H5P_DEFAULT(), &bytes) >= 0 else {
            throw failure("read")
        }
        return (0..<n).map { i in
            bytes[(i * width)..<((i + 1) * width)].withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    }
}

/// Creates an HDF5 file and writes the one-dimensional datasets of the SHD layout.
struct HDF5Writer {
    let fileName: String
    private let file: HDF5Object

    /// Creates (or truncates) `url`. Call inside `HDF5Library.withLock`.
    init(url: URL) throws {
        fileName = url.displayName
        guard let file = HDF5Object(
            H5Fcreate(url.path, shim_H5F_ACC_TRUNC(), shim_H5P_DEFAULT(), shim_H5P_DEFAULT()), close: H5Fclose)
        else { throw DatasetError.hdf5Failure(file: url.path, field: "the file", operation: "create") }
        self.file = file
    }

    private func failure(_ field: String) -> DatasetError {
        .hdf5Failure(file: fileName, field: field, operation: "write")
    }

    func createGroup(_ name: String) throws {
        guard HDF5Object(
            H5Gcreate2(file.id, name, shim_H5P_DEFAULT(), shim_H5P_DEFAULT(), shim_H5P_DEFAULT()), close: H5Gclose) != nil
        else { throw failure(name) }
    }

    private func write(
        _ field: String, count: Int, fileType: hid_t, memoryType: hid_t, data: UnsafeRawPointer?
    ) throws {
        var extent = hsize_t(count)
        guard let space = HDF5Object(H5Screate_simple(1, &extent, nil), close: H5Sclose),
            let dataset = HDF5Object(
                H5Dcreate2(file.id, field, fileType, space.id, shim_H5P_DEFAULT(), shim_H5P_DEFAULT(), shim_H5P_DEFAULT()),
                close: H5Dclose)
        else { throw failure(field) }
        guard count == 0
            || H5Dwrite(dataset.id, memoryType, shim_H5S_ALL(), shim_H5S_ALL(), shim_H5P_DEFAULT(), data) >= 0
        else { throw failure(field) }
    }

    /// Writes one variable-length row per sample, stored on disk as `fileBase` elements.
    func writeRows<T>(_ field: String, rows: [[T]], memoryBase: hid_t, fileBase: hid_t) throws {
        guard let fileType = HDF5Object(H5Tvlen_create(fileBase), close: H5Tclose),
            let memoryType = HDF5Object(H5Tvlen_create(memoryBase), close: H5Tclose)
        else { throw failure(field) }
        var flat = rows.flatMap { $0 }
        try flat.withUnsafeMutableBufferPointer { storage in
            var offset = 0
            var descriptors = rows.map { row -> hvl_t in
                defer { offset += row.count }
                return hvl_t(len: row.count, p: row.isEmpty ? nil : UnsafeMutableRawPointer(storage.baseAddress! + offset))
            }
            try write(field, count: rows.count, fileType: fileType.id, memoryType: memoryType.id, data: &descriptors)
        }
    }

    /// Writes integers stored on disk as `fileType`.
    func writeIntegers(_ field: String, _ values: [Int64], fileType: hid_t) throws {
        try write(field, count: values.count, fileType: fileType, memoryType: shim_H5T_NATIVE_INT64(), data: values)
    }

    /// Writes strings, either variable-length (as h5py writes `str`) or fixed-length,
    /// null-padded (as h5py writes `bytes` arrays).
    func writeStrings(_ field: String, _ values: [String], variableLength: Bool) throws {
        guard let type = HDF5Object(H5Tcopy(shim_H5T_C_S1()), close: H5Tclose) else { throw failure(field) }
        if variableLength {
            H5Tset_size(type.id, shim_H5T_VARIABLE())
            H5Tset_cset(type.id, H5T_CSET_UTF8)
            var cStrings = values.map { strdup($0) }
            defer { cStrings.forEach { free($0) } }
            try write(field, count: values.count, fileType: type.id, memoryType: type.id, data: &cStrings)
        } else {
            let width = max(1, values.map { $0.utf8.count }.max() ?? 1)
            H5Tset_size(type.id, width)
            H5Tset_strpad(type.id, H5T_STR_NULLPAD)
            var bytes = [UInt8](repeating: 0, count: values.count * width)
            for (i, value) in values.enumerated() {
                for (j, byte) in value.utf8.enumerated() { bytes[i * width + j] = byte }
            }
            try write(field, count: values.count, fileType: type.id, memoryType: type.id, data: bytes)
        }
    }
}
