import Foundation
import HDF5

extension SpikeDataset {
    /// Reads a file in the SHD layout: `spikes/times` and `spikes/units` (one variable-length
    /// array per sample), `labels`, and, when present, `extra/speaker` and `extra/keys`.
    ///
    /// The same code reads SHD (20 classes), SSC (35 classes, three files) and any other file in
    /// this layout. Times may be stored as float16/32/64 and units as any integer type: HDF5
    /// converts them while reading. Every value is checked, and a bad one is reported with the
    /// file, the field and the sample index.
    ///
    /// - Parameters:
    ///   - channels: the channel count (SHD and SSC: 700); `nil` infers the largest unit + 1.
    ///   - classes: the class count; `nil` takes the number of `extra/keys`, else the largest
    ///     label + 1.
    public init(contentsOf url: URL, channels: Int? = nil, classes: Int? = nil) throws {
        self = try SpikeFileReader(url: url, channels: channels, classes: classes).read()
    }
}

/// Reads and validates one SHD-layout file; used only through `SpikeDataset(contentsOf:)`.
struct SpikeFileReader {
    /// Rows read per HDF5 call: bounds the memory HDF5 allocates for variable-length buffers.
    static let rowsPerRead = 512

    let file: HDF5File
    let name: String
    let channels: Int?
    let classes: Int?

    init(url: URL, channels: Int?, classes: Int?) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw DatasetError.fileNotFound(path: url.path) }
        guard HDF5Library.isHDF5(url) else { throw DatasetError.notHDF5(path: url.path) }
        file = try HDF5File.open(url)
        name = url.displayName
        self.channels = channels
        self.classes = classes
    }

    func read() throws -> SpikeDataset {
        for field in ["spikes", "spikes/times", "spikes/units", "labels"] where !file.contains(field) {
            throw DatasetError.missingField(file: name, field: field)
        }
        guard case .variableLength(let timeKind) = try file.elementKind(of: "spikes/times"), timeKind.isNumber else {
            throw DatasetError.wrongType(file: name, field: "spikes/times", expected: "arrays of float16/32/64 times")
        }
        guard try file.elementKind(of: "spikes/units") == .variableLength(.integer) else {
            throw DatasetError.wrongType(file: name, field: "spikes/units", expected: "arrays of integer channel ids")
        }
        let sampleCount = try count(of: "spikes/times")
        let unitCount = try count(of: "spikes/units")
        guard unitCount == sampleCount else {
            throw DatasetError.countMismatch(file: name, field: "spikes/units", count: unitCount, expected: sampleCount)
        }
        let labels = try readPerSample("labels", count: sampleCount)
        let speakers = file.contains("extra/speaker") ? try readPerSample("extra/speaker", count: sampleCount) : nil
        let keys = file.contains("extra/keys") ? try strings("extra/keys") : nil

        let unitLimit = channels ?? Int(UInt16.max) + 1
        guard unitLimit <= Int(UInt16.max) + 1 else {
            throw DatasetError.invalidArgument(
                "\(name): \(unitLimit) channels exceed the 65536 this reader stores per unit")
        }
        var times: [Float] = []
        var units: [UInt16] = []
        var offsets = [0]
        offsets.reserveCapacity(sampleCount + 1)
        var rowStart = 0
        while rowStart < sampleCount {
            let rows = rowStart..<min(rowStart + Self.rowsPerRead, sampleCount)
            var rowLengths: [Int] = []
            try file.readRows("spikes/times", rows, as: Double.self) { sample, values in
                for (event, time) in values.enumerated() where !(time >= 0 && Float(time).isFinite) {
                    throw DatasetError.invalidTime(file: name, sample: sample, event: event, value: time)
                }
                times.append(contentsOf: values.lazy.map { Float($0) })
                rowLengths.append(values.count)
            }
            try file.readRows("spikes/units", rows, as: Int64.self) { sample, values in
                let timeCount = rowLengths[sample - rows.lowerBound]
                guard values.count == timeCount else {
                    throw DatasetError.lengthMismatch(
                        file: name, sample: sample, timeCount: timeCount, unitCount: values.count)
                }
                for (event, unit) in values.enumerated() where unit < 0 || unit >= unitLimit {
                    throw DatasetError.unitOutOfRange(
                        file: name, sample: sample, event: event, unit: Int(unit), channels: unitLimit)
                }
                units.append(contentsOf: values.lazy.map { UInt16($0) })
                offsets.append(units.count)
            }
            rowStart = rows.upperBound
        }

        let classCount = classes ?? keys?.count ?? ((labels.max() ?? -1) + 1)
        for (sample, label) in labels.enumerated() where label < 0 || label >= classCount {
            throw DatasetError.labelOutOfRange(
                file: name, field: "labels", sample: sample, label: label, classes: classCount)
        }
        sortEventsByTime(times: &times, units: &units, offsets: offsets)
        return SpikeDataset(
            name: name, channelCount: channels ?? Int(units.max() ?? 0) + 1, classCount: classCount, classNames: keys,
            labels: labels, speakers: speakers, times: times, units: units, offsets: offsets)
    }

    /// The length of the one-dimensional dataset `field`; the SHD layout has no other rank.
    private func count(of field: String) throws -> Int {
        let shape = try file.shape(of: field)
        guard shape.count == 1 else {
            throw DatasetError.wrongType(
                file: name, field: field, expected: "a one-dimensional dataset, found rank \(shape.count)")
        }
        return shape[0]
    }

    private func strings(_ field: String) throws -> [String] {
        guard try file.elementKind(of: field) == .string else {
            throw DatasetError.wrongType(file: name, field: field, expected: "strings")
        }
        return try file.readStrings(field)
    }

    private func readPerSample(_ field: String, count expected: Int) throws -> [Int] {
        guard try file.elementKind(of: field) == .integer else {
            throw DatasetError.wrongType(file: name, field: field, expected: "integers")
        }
        _ = try count(of: field)
        let values = try file.read(field, as: Int64.self)
        guard values.count == expected else {
            throw DatasetError.countMismatch(file: name, field: field, count: values.count, expected: expected)
        }
        return values.map { Int($0) }
    }
}

/// Sorts each sample's events by time, keeping the file order of simultaneous events. Samples
/// that are already sorted (all of SHD) are left untouched.
func sortEventsByTime(times: inout [Float], units: inout [UInt16], offsets: [Int]) {
    for sample in 0..<(offsets.count - 1) {
        let range = offsets[sample]..<offsets[sample + 1]
        let sorted = zip(times[range], times[range].dropFirst()).allSatisfy { $0 <= $1 }
        if sorted { continue }
        let order = range.sorted { (times[$0], $0) < (times[$1], $1) }
        let newTimes = order.map { times[$0] }
        let newUnits = order.map { units[$0] }
        times.replaceSubrange(range, with: newTimes)
        units.replaceSubrange(range, with: newUnits)
    }
}
