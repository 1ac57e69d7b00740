import CHDF5
import Foundation

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
        try HDF5Library.withLock {
            let file = try HDF5Writer(url: url)
            try file.createGroup("spikes")
            try withTimeType { timeFileType in
                try file.writeRows(
                    "spikes/times", rows: times, memoryBase: shim_H5T_NATIVE_DOUBLE(), fileBase: timeFileType)
            }
            let unitFileType: hid_t = switch unitType {
            case .uint8: shim_H5T_STD_U8LE()
            case .uint16: shim_H5T_STD_U16LE()
            case .uint32: shim_H5T_STD_U32LE()
            }
            try file.writeRows(
                "spikes/units", rows: units.map { $0.map { Int64($0) } }, memoryBase: shim_H5T_NATIVE_INT64(),
                fileBase: unitFileType)
            try file.writeIntegers("labels", labels.map { Int64($0) }, fileType: shim_H5T_STD_U16LE())
            if speakers != nil || keys != nil { try file.createGroup("extra") }
            if let speakers {
                try file.writeIntegers("extra/speaker", speakers.map { Int64($0) }, fileType: shim_H5T_STD_U16LE())
            }
            if let keys { try file.writeStrings("extra/keys", keys, variableLength: !fixedLengthKeys) }
        }
    }

    private func withTimeType(_ body: (hid_t) throws -> Void) throws {
        switch timeType {
        case .float32: try body(shim_H5T_IEEE_F32LE())
        case .float64: try body(shim_H5T_IEEE_F64LE())
        case .float16:
            guard let half = HDF5Object(shim_make_ieee_f16le(), close: H5Tclose) else {
                throw DatasetError.hdf5Failure(file: "(new file)", field: "spikes/times", operation: "create a float16 type for")
            }
            try body(half.id)
        }
    }
}
