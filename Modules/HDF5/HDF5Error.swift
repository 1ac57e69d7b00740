/// Why an HDF5 operation failed, naming the file and the object path.
public struct HDF5Error: Error, Equatable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The file does not exist or is not HDF5.
        case notHDF5
        /// No group, dataset or attribute at the path.
        case missing
        /// The object exists but is not what was asked for (`expected` says what was).
        case wrongType(expected: String)
        /// libhdf5 refused the operation.
        case failed(operation: String)
    }

    public let file: String
    /// The object path inside the file ("/" for the file itself); attributes as `path@name`.
    public let path: String
    public let kind: Kind

    public init(file: String, path: String, kind: Kind) {
        self.file = file
        self.path = path
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .notHDF5: "\(file): missing or not an HDF5 file"
        case .missing: "\(file): no \(path) in the file"
        case .wrongType(let expected): "\(file): \(path) has the wrong type (expected \(expected))"
        case .failed(let operation): "\(file): HDF5 could not \(operation) \(path)"
        }
    }
}
