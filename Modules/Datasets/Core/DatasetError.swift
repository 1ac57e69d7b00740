import Foundation

/// Everything that can go wrong while fetching, reading or converting a dataset.
///
/// Each message names the file, the field and what was expected, so a researcher can tell a
/// truncated download from a file of the wrong kind without opening a debugger.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case notHDF5(path: String)
    /// A group or dataset of the SHD layout is absent.
    case missingField(file: String, field: String)
    /// A folder or file lacks an expected entry (a class folder, a checksum line, …).
    case missingContent(path: String, what: String)
    case wrongType(file: String, field: String, expected: String)
    case hdf5Failure(file: String, field: String, operation: String)
    case lengthMismatch(file: String, sample: Int, timeCount: Int, unitCount: Int)
    case unitOutOfRange(file: String, sample: Int, event: Int, unit: Int, channels: Int)
    case invalidTime(file: String, sample: Int, event: Int, value: Double)
    case labelOutOfRange(file: String, field: String, sample: Int, label: Int, classes: Int)
    case countMismatch(file: String, field: String, count: Int, expected: Int)
    case truncatedRecords(file: String, size: Int, recordSize: Int)
    case malformedEvents(file: String, problem: String)
    case unknownFormat(path: String)
    case checksumMismatch(file: String, expected: String, actual: String)
    case downloadFailed(url: String, destination: String, reason: String)
    case extractionFailed(archive: String, command: String, reason: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file"
        case .notHDF5(let path):
            return "\(path): not an HDF5 file (expected the SHD layout: spikes/times, spikes/units, labels)"
        case .missingField(let file, let field):
            return "\(file): missing \(field) (expected the SHD layout: spikes/times, spikes/units, labels)"
        case .missingContent(let path, let what):
            return "\(path): missing \(what)"
        case .wrongType(let file, let field, let expected):
            return "\(file): \(field) has the wrong type (expected \(expected))"
        case .hdf5Failure(let file, let field, let operation):
            return "\(file): HDF5 could not \(operation) \(field)"
        case .lengthMismatch(let file, let sample, let timeCount, let unitCount):
            return
                "\(file): spikes/units[\(sample)] has \(unitCount) entries but spikes/times[\(sample)] has \(timeCount)"
        case .unitOutOfRange(let file, let sample, let event, let unit, let channels):
            return
                "\(file): spikes/units[\(sample)][\(event)] is \(unit), outside the \(channels) channels (expected 0..<\(channels))"
        case .invalidTime(let file, let sample, let event, let value):
            return "\(file): spikes/times[\(sample)][\(event)] is \(value) (expected a finite time ≥ 0)"
        case .labelOutOfRange(let file, let field, let sample, let label, let classes):
            return "\(file): \(field)[\(sample)] is \(label), outside the \(classes) classes (expected 0..<\(classes))"
        case .countMismatch(let file, let field, let count, let expected):
            return "\(file): \(field) has \(count) entries (expected \(expected), one per sample)"
        case .truncatedRecords(let file, let size, let recordSize):
            return "\(file): \(size) bytes is not a whole number of \(recordSize)-byte records "
                + "(\(size / recordSize) full records and \(size % recordSize) bytes left over; the file is truncated or not this format)"
        case .malformedEvents(let file, let problem):
            return "\(file): \(problem)"
        case .unknownFormat(let path):
            return
                "\(path): unrecognised format (expected an SHD-layout HDF5 file, a CIFAR binary batch file or folder, an AEDAT event file or a CIFAR10-DVS folder)"
        case .checksumMismatch(let file, let expected, let actual):
            return
                "\(file): MD5 is \(actual) but the published checksum is \(expected) (the download is corrupt or incomplete; delete it and fetch again)"
        case .downloadFailed(let url, let destination, let reason):
            return
                "could not download \(url) (\(reason)).\nDownload it by hand from \(url) and put it at \(destination); "
                + "then run the same command again to verify and extract it."
        case .extractionFailed(let archive, let command, let reason):
            return "\(archive): extraction with `\(command)` failed (\(reason))"
        case .invalidArgument(let message):
            return message
        }
    }
}

extension URL {
    /// The name used in error messages: short, but enough to tell files apart.
    var displayName: String { lastPathComponent }
}
