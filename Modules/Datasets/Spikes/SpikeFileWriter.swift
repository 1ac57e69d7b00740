import Foundation
import HDF5

/// Writes files in the SHD layout, with a choice of on-disk element types.
///
/// The synthetic generators use it, and so do tests that need files the reader must reject: it
/// writes exactly what it is given, without validation.
public struct SpikeFileWriter: Sendable {
    /// How spike times are stored on disk.
    public enum TimeType: Sendable, CaseIterable { case float16, float32, float64 }
    /// How channel ids are stored on disk.
    public enum UnitType: Sendable, CaseIterable { case uint8, uint16, uint32 }

    public var timeType: TimeType
    public var unitType: UnitType
    /// Store `extra/keys` as fixed-length (null-padded) rather than variable-length strings.
    public var fixedLengthKeys: Bool

    public init(timeType: TimeType = .float32, unitType: UnitType = .uint16, fixedLengthKeys: Bool = false) {
        self.timeType = timeType
        self.unitType = unitType
        self.fixedLengthKeys = fixedLengthKeys
    }

    /// Writes `times[i]`/`units[i]` as sample `i`, `labels`, and `extra/speaker` and
    /// `extra/keys` when given.
    public func write(
        to url: URL, times: [[Double]], units: [[Int]], labels: [Int], speakers: [Int]? = nil, keys: [String]? = nil
    ) throws {
        let file = try HDF5File.create(at: url)
        try file.createGroup("spikes")
        let timeStorage: HDF5Storage =
            switch timeType {
            case .float16: .float16
            case .float32: .float32
            case .float64: .float64
            }
        try file.writeRows(times, to: "spikes/times", as: timeStorage)
        let unitStorage: HDF5Storage =
            switch unitType {
            case .uint8: .uint8
            case .uint16: .uint16
            case .uint32: .uint32
            }
        try file.writeRows(units.map { $0.map { Int64($0) } }, to: "spikes/units", as: unitStorage)
        try file.write(labels.map { Int64($0) }, to: "labels", as: .uint16)
        if speakers != nil || keys != nil { try file.createGroup("extra") }
        if let speakers { try file.write(speakers.map { Int64($0) }, to: "extra/speaker", as: .uint16) }
        if let keys { try file.writeStrings(keys, to: "extra/keys", variableLength: !fixedLengthKeys) }
    }
}
