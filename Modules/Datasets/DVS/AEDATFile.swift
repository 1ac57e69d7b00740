import Foundation

/// Polarity events of one recording from a 128×128 DVS sensor (CIFAR10-DVS's DVS128).
///
/// Coordinates have (0, 0) at the top left; polarity 1 is ON (brighter), 0 is OFF; timestamps
/// are microseconds.
public struct DVSEvents: Sendable, Equatable {
    public static let sensorSize = 128

    public var x: [UInt16] = []
    public var y: [UInt16] = []
    public var polarity: [UInt8] = []
    public var timestamps: [Int64] = []

    public init() {}

    public var count: Int { timestamps.count }

    public mutating func append(x: Int, y: Int, polarity: Int, timestamp: Int64) {
        self.x.append(UInt16(x))
        self.y.append(UInt16(y))
        self.polarity.append(UInt8(polarity))
        timestamps.append(timestamp)
    }
}

/// Reads and writes AEDAT event files, the format CIFAR10-DVS is distributed in.
///
/// Both versions start with ASCII header lines beginning with `#`; the first line names the
/// version (`#!AER-DAT2.0` or `#!AER-DAT3.1`).
///
/// **AEDAT 2.0** (jAER; the per-class archives of the original CIFAR10-DVS release on figshare
/// are in this version): after the header, 8-byte big-endian records of a UInt32 address and an
/// Int32 timestamp (µs). The DVS128 address holds the polarity in bit 0, x in bits 1–7 and y in
/// bits 8–14, with (0, 0) at the bottom left. Sources disagree on the polarity bit (iniVation's
/// format page: 1 = ON; jAER's DVS128 extractor and SpikingJelly: 1 = OFF), so coordinates and
/// polarity are mapped exactly as SpikingJelly maps them (x = 127 − y_raw, y = 127 − x_raw,
/// ON = 1 − bit 0): frames then match those most published CIFAR10-DVS results were trained
/// on. The header ends at the first line not starting with `#` (a DVS128 address is below
/// 2^15, so the first data byte is 0 and never looks like `#`).
///
/// **AEDAT 3.1** (cAER/libcaer): the header ends with `#!END-HEADER\r\n`; then packets, each a
/// 28-byte little-endian header (eventType Int16, eventSource Int16, eventSize Int32,
/// eventTSOffset Int32, eventTSOverflow Int32, eventCapacity Int32, eventNumber Int32,
/// eventValid Int32) followed by `eventCapacity · eventSize` bytes of events. Polarity packets
/// (type 1) hold 8-byte events: UInt32 data (bit 0 valid, bit 1 polarity, bits 2–16 y,
/// bits 17–31 x) and Int32 timestamp (µs), extended to 64 bits by `eventTSOverflow << 31`.
/// Other packet types are skipped, and so are events without the valid bit.
public enum AEDATFile {
    public enum Version: String, Sendable {
        case v2 = "2.0"
        case v31 = "3.1"
    }

    static let v31PacketHeaderSize = 28
    static let polarityEventType: Int16 = 1

    /// Reads the polarity events of `url`.
    public static func read(_ url: URL) throws -> (version: Version, events: DVSEvents) {
        guard FileManager.default.fileExists(atPath: url.path) else { throw DatasetError.fileNotFound(path: url.path) }
        let data = try Data(contentsOf: url)
        let name = url.displayName
        return try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            let (version, bodyStart) = try parseHeader(bytes, name: name)
            let body = UnsafeRawBufferPointer(rebasing: bytes[bodyStart...])
            switch version {
            case .v2: return (version, try readV2(body, name: name))
            case .v31: return (version, try readV31(body, name: name, bodyStart: bodyStart))
            }
        }
    }

    /// The version and the offset of the first byte after the header.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer, name: String) throws -> (Version, Int) {
        func line(at start: Int) -> (text: String, next: Int) {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            let text = String(decoding: bytes[start..<end], as: UTF8.self).trimmingCharacters(
                in: .whitespacesAndNewlines)
            return (text, min(end + 1, bytes.count))
        }
        let first = line(at: 0)
        let version: Version
        switch first.text {
        case "#!AER-DAT2.0": version = .v2
        case "#!AER-DAT3.1": version = .v31
        default:
            throw DatasetError.malformedEvents(
                file: name,
                problem: "first line is not #!AER-DAT2.0 or #!AER-DAT3.1 (not an AEDAT file of a supported version)")
        }
        var position = first.next
        while position < bytes.count, bytes[position] == UInt8(ascii: "#") {
            let current = line(at: position)
            position = current.next
            if version == .v31, current.text == "#!END-HEADER" { return (version, position) }
        }
        guard version == .v2 else {
            throw DatasetError.malformedEvents(file: name, problem: "AEDAT 3.1 header has no #!END-HEADER line")
        }
        return (version, position)
    }

    private static func readV2(_ body: UnsafeRawBufferPointer, name: String) throws -> DVSEvents {
        guard body.count % 8 == 0 else {
            throw DatasetError.malformedEvents(
                file: name,
                problem: "\(body.count) bytes of events is not a whole number of 8-byte AEDAT 2.0 records (truncated?)")
        }
        var events = DVSEvents()
        let last = DVSEvents.sensorSize - 1
        for record in 0..<(body.count / 8) {
            let address = UInt32(bigEndian: body.loadUnaligned(fromByteOffset: record * 8, as: UInt32.self))
            let time = Int32(bigEndian: body.loadUnaligned(fromByteOffset: record * 8 + 4, as: Int32.self))
            let rawX = Int((address >> 1) & 0x7F)
            let rawY = Int((address >> 8) & 0x7F)
            events.append(x: last - rawY, y: last - rawX, polarity: 1 - Int(address & 1), timestamp: Int64(time))
        }
        return events
    }

    private static func readV31(_ body: UnsafeRawBufferPointer, name: String, bodyStart: Int) throws -> DVSEvents {
        var events = DVSEvents()
        var position = 0
        while position < body.count {
            guard body.count - position >= v31PacketHeaderSize else {
                throw DatasetError.malformedEvents(
                    file: name, problem: "truncated packet header at byte \(bodyStart + position)")
            }
            func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
                T(littleEndian: body.loadUnaligned(fromByteOffset: position + offset, as: T.self))
            }
            let type = field(0, Int16.self)
            let eventSize = Int(field(4, Int32.self))
            let overflow = Int64(field(12, Int32.self))
            let capacity = Int(field(16, Int32.self))
            let payload = eventSize * capacity
            guard eventSize > 0, capacity >= 0, payload <= body.count - position - v31PacketHeaderSize else {
                throw DatasetError.malformedEvents(
                    file: name,
                    problem: "packet at byte \(bodyStart + position) claims \(capacity) events of \(eventSize) bytes, "
                        + "but only \(body.count - position - v31PacketHeaderSize) bytes remain (truncated?)")
            }
            let start = position + v31PacketHeaderSize
            if type == polarityEventType {
                guard eventSize == 8 else {
                    throw DatasetError.malformedEvents(
                        file: name,
                        problem:
                            "polarity packet at byte \(bodyStart + position) has \(eventSize)-byte events (expected 8)")
                }
                for event in 0..<capacity {
                    let data = UInt32(
                        littleEndian: body.loadUnaligned(fromByteOffset: start + event * 8, as: UInt32.self))
                    let time = Int32(
                        littleEndian: body.loadUnaligned(fromByteOffset: start + event * 8 + 4, as: Int32.self))
                    guard data & 1 == 1 else { continue }
                    let x = Int((data >> 17) & 0x7FFF)
                    let y = Int((data >> 2) & 0x7FFF)
                    guard x < DVSEvents.sensorSize, y < DVSEvents.sensorSize else {
                        throw DatasetError.malformedEvents(
                            file: name, problem: "event at (\(x), \(y)) is outside the 128×128 sensor")
                    }
                    events.append(x: x, y: y, polarity: Int((data >> 1) & 1), timestamp: overflow << 31 | Int64(time))
                }
            }
            position = start + payload
        }
        return events
    }

    /// Writes `events` in `version`'s layout (3.1: one polarity packet). Used by the synthetic
    /// generator; timestamps must fit in 31 bits.
    public static func write(_ events: DVSEvents, version: Version, to url: URL) throws {
        var data = Data()
        func append<T: FixedWidthInteger>(_ value: T, bigEndian: Bool) {
            withUnsafeBytes(of: bigEndian ? value.bigEndian : value.littleEndian) { data.append(contentsOf: $0) }
        }
        let last = DVSEvents.sensorSize - 1
        switch version {
        case .v2:
            data.append(
                contentsOf: Array("#!AER-DAT2.0\r\n# This is a raw AE data file created by the SNN toolkit\r\n".utf8))
            for i in 0..<events.count {
                let rawX = UInt32(last - Int(events.y[i]))
                let rawY = UInt32(last - Int(events.x[i]))
                let address = rawY << 8 | rawX << 1 | UInt32(1 - Int(events.polarity[i]))
                append(address, bigEndian: true)
                append(Int32(events.timestamps[i]), bigEndian: true)
            }
        case .v31:
            data.append(contentsOf: Array("#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n".utf8))
            let header: [Int32] = [8, 4, 0, Int32(events.count), Int32(events.count), Int32(events.count)]
            append(polarityEventType, bigEndian: false)
            append(Int16(1), bigEndian: false)
            for value in header { append(value, bigEndian: false) }
            for i in 0..<events.count {
                let word = UInt32(events.x[i]) << 17 | UInt32(events.y[i]) << 2 | UInt32(events.polarity[i]) << 1 | 1
                append(word, bigEndian: false)
                append(Int32(events.timestamps[i]), bigEndian: false)
            }
        }
        try data.write(to: url)
    }
}
