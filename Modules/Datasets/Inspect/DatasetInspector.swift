import Foundation
import HDF5

/// A summary of a data file: what `snn data inspect` prints.
public struct InspectionReport: Sendable, CustomStringConvertible {
    public let path: String
    public let format: String
    /// Named facts in display order.
    public let facts: [(name: String, value: String)]

    public var description: String {
        let width = (["format"] + facts.map(\.name)).map(\.count).max() ?? 0
        func line(_ name: String, _ value: String) -> String {
            name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value
        }
        return ([path, line("format", format)] + facts.map { line($0.name, $0.value) }).joined(separator: "\n")
    }
}

/// Recognises a data file by its first bytes (or a CIFAR batch by its name and size) and
/// summarises it: what a researcher runs first on a new file, and a quick check that a file is
/// what it claims to be.
public enum DatasetInspector {
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    static let gzipSignature: [UInt8] = [0x1F, 0x8B]

    public static func inspect(_ url: URL) throws -> InspectionReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw DatasetError.fileNotFound(path: url.path)
        }
        if isDirectory.boolValue { return try inspectDirectory(url) }
        let handle = try FileHandle(forReadingFrom: url)
        let head = [UInt8](try handle.read(upToCount: 16) ?? Data())
        try handle.close()
        if head.starts(with: hdf5Signature) || HDF5Library.isHDF5(url) {
            return try inspectSpikes(url)
        }
        if head.starts(with: Array("#!AER-DAT".utf8)) { return try inspectEvents(url) }
        if head.starts(with: gzipSignature) {
            throw DatasetError.invalidArgument(
                "\(url.path): gzip-compressed; unpack it first (`gzip -dk`, or let `snn data fetch` do it)")
        }
        if url.pathExtension == "bin" { return try inspectCIFAR([url], variant: cifarVariant(of: url), path: url.path) }
        throw DatasetError.unknownFormat(path: url.path)
    }

    /// CIFAR-100's files are `train.bin`/`test.bin`; CIFAR-10's are `data_batch_*`/`test_batch`.
    /// Other names are told apart by which record size divides the file.
    static func cifarVariant(of url: URL) -> CIFARDataset.Variant {
        let name = url.lastPathComponent
        if CIFARDataset.Variant.cifar100.fileNames(.train).contains(name) || name == "test.bin" { return .cifar100 }
        if name.hasPrefix("data_batch") || name.hasPrefix("test_batch") { return .cifar10 }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        return size % CIFARDataset.Variant.cifar100.recordSize == 0
            && size % CIFARDataset.Variant.cifar10.recordSize != 0
            ? .cifar100 : .cifar10
    }

    private static func inspectDirectory(_ url: URL) throws -> InspectionReport {
        for variant in CIFARDataset.Variant.allCases {
            let files = (variant.fileNames(.train) + variant.fileNames(.test)).map { url.appendingPathComponent($0) }
            if files.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) {
                return try inspectCIFAR(files, variant: variant, path: url.path)
            }
        }
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent(CIFAR10DVS.classNames[0]).path) else {
            throw DatasetError.unknownFormat(path: url.path)
        }
        let recordings = try CIFAR10DVS(directory: url)
        let perClass = CIFAR10DVS.classNames.indices.map { label in recordings.labels.filter { $0 == label }.count }
        return InspectionReport(
            path: url.path, format: "CIFAR10-DVS folder (AEDAT recordings per class)",
            facts: [
                ("samples", "\(recordings.count)"), ("classes", "\(CIFAR10DVS.classNames.count)"),
                ("per class", zip(CIFAR10DVS.classNames, perClass).map { "\($0) \($1)" }.joined(separator: ", ")),
            ])
    }

    private static func inspectSpikes(_ url: URL) throws -> InspectionReport {
        let data = try SpikeDataset(contentsOf: url)
        let spikes = (0..<data.count).map { data.eventRange($0).count }
        let durations = (0..<data.count).map { data.times[data.eventRange($0)].last ?? 0 }
        var facts: [(String, String)] = [
            ("samples", "\(data.count)"),
            ("classes", "\(data.classCount)" + (data.classNames.map { " (\($0.joined(separator: ", ")))" } ?? "")),
            ("channels", "\(data.channelCount) (largest unit id + 1)"),
            ("spikes/sample", summary(spikes.map(Double.init), format: { String(format: "%g", $0) })),
            (
                "duration",
                summary(durations.map(Double.init), format: { String(format: "%.4g s", $0) }) + " (last spike)"
            ),
            ("class counts", histogram(data.labels, classes: data.classCount)),
        ]
        if let speakers = data.speakers {
            facts.append(("speakers", Set(speakers).sorted().map(String.init).joined(separator: ", ")))
        }
        return InspectionReport(
            path: url.path, format: "HDF5, SHD layout (spikes/times, spikes/units, labels)", facts: facts)
    }

    private static func inspectCIFAR(_ files: [URL], variant: CIFARDataset.Variant, path: String) throws
        -> InspectionReport
    {
        let data = try CIFARDataset(files: files, variant: variant)
        var facts: [(String, String)] = [
            ("files", files.map(\.lastPathComponent).joined(separator: ", ")),
            ("samples", "\(data.count)"), ("classes", "\(data.classCount)"),
            ("image shape", "3 × 32 × 32 (bytes, R/G/B planes)"),
            ("class counts", histogram(data.labels, classes: data.classCount)),
        ]
        if let coarse = data.coarseLabels { facts.append(("superclass counts", histogram(coarse, classes: 20))) }
        let name = variant == .cifar10 ? "CIFAR-10" : "CIFAR-100"
        return InspectionReport(path: path, format: "\(name) binary (\(variant.recordSize)-byte records)", facts: facts)
    }

    private static func inspectEvents(_ url: URL) throws -> InspectionReport {
        let (version, events) = try AEDATFile.read(url)
        let on = events.polarity.filter { $0 == 1 }.count
        let first = events.timestamps.min() ?? 0
        let last = events.timestamps.max() ?? 0
        return InspectionReport(
            path: url.path, format: "AEDAT \(version.rawValue) (DVS polarity events)",
            facts: [
                ("events", "\(events.count) (\(on) ON, \(events.count - on) OFF)"),
                ("sensor", "\(DVSEvents.sensorSize) × \(DVSEvents.sensorSize)"),
                ("duration", String(format: "%.4g s", Double(last - first) / 1e6)),
                ("x range", events.x.isEmpty ? "-" : "\(events.x.min()!)...\(events.x.max()!)"),
                ("y range", events.y.isEmpty ? "-" : "\(events.y.min()!)...\(events.y.max()!)"),
            ])
    }

    /// "min / median / max", the median of an even count being the mean of the middle two.
    static func summary(_ values: [Double], format: (Double) -> String) -> String {
        guard !values.isEmpty else { return "-" }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        return "min \(format(sorted[0])), median \(format(median)), max \(format(sorted[sorted.count - 1]))"
    }

    static func histogram(_ labels: [Int], classes: Int) -> String {
        let counts = labels.reduce(into: [Int](repeating: 0, count: classes)) { $0[$1] += 1 }
        return counts.enumerated().map { "\($0.offset):\($0.element)" }.joined(separator: " ")
    }
}
