import Checkpoint
import Foundation
import HDF5
import NN
import TensorRuntime
import TestSupport
import XCTest

final class HDF5FileTests: XCTestCase {
    private func file(_ name: String) throws -> URL {
        try temporaryDirectory(self).appendingPathComponent(name)
    }

    private func roundTrip<T: HDF5Element & Equatable>(_ values: [T], shape: [Int], storage: HDF5Storage? = nil) throws
    {
        let url = try file("numbers.h5")
        try HDF5File.create(at: url).write(values, shape: shape, to: "group/data", as: storage)
        let reader = try HDF5File.open(url)
        XCTAssertEqual(try reader.shape(of: "group/data"), shape)
        XCTAssertEqual(
            try reader.read("group/data", as: T.self), values, "\(T.self) stored as \(String(describing: storage))")
    }

    func testEveryNumberTypeRoundTrips() throws {
        try roundTrip([Float(1.5), -2.25, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 0, 7], shape: [2, 3])
        try roundTrip([Double.pi, -1e300, .leastNonzeroMagnitude, 0], shape: [4])
        try roundTrip([Int8.min, -1, 0, .max], shape: [2, 2])
        try roundTrip([Int16.min, 0, .max], shape: [3])
        try roundTrip([Int32.min, 12, .max], shape: [3, 1])
        try roundTrip([Int64.min, 0, .max], shape: [3])
        try roundTrip([UInt8.min, 1, .max], shape: [3])
        try roundTrip([UInt16.min, 1, .max], shape: [3])
        try roundTrip([UInt32.min, 1, .max], shape: [3])
        try roundTrip([UInt64.min, 1, .max], shape: [3])
        try roundTrip([Float(2.5)], shape: [])
        try roundTrip([Float](), shape: [0, 4])
        // Float16 storage holds these halves exactly; integers narrowed on disk.
        try roundTrip([Float(0.5), -3.25, 1024], shape: [3], storage: .float16)
        try roundTrip([Int64(0), 255, 7], shape: [3], storage: .uint8)
    }

    func testReadingConvertsBetweenNumberTypes() throws {
        let url = try file("convert.h5")
        try HDF5File.create(at: url).write([UInt16(3), 700], to: "units")
        let reader = try HDF5File.open(url)
        XCTAssertEqual(try reader.read("units", as: Double.self), [3, 700])
        XCTAssertEqual(try reader.read("units", as: Int64.self), [3, 700])
        XCTAssertEqual(try reader.elementKind(of: "units"), .integer)
    }

    func testVariableLengthRows() throws {
        let url = try file("rows.h5")
        let rows: [[Double]] = [[0.5, 1.5], [], [3, 4, 5, 6]]
        do {
            let writer = try HDF5File.create(at: url)
            try writer.writeRows(rows, to: "spikes/times", as: .float32)
            try writer.writeRows([[Int64(1), 2], [], [3, 4, 5, 699]], to: "spikes/units", as: .uint16)
        }
        let reader = try HDF5File.open(url)
        XCTAssertEqual(try reader.elementKind(of: "spikes/times"), .variableLength(.float))
        XCTAssertEqual(try reader.shape(of: "spikes/units"), [3])
        var read: [[Double]] = []
        try reader.readRows("spikes/times", 0..<3, as: Double.self) { row, values in
            XCTAssertEqual(row, read.count)
            read.append(Array(values))
        }
        XCTAssertEqual(read, rows)
        var units: [[UInt16]] = []
        try reader.readRows("spikes/units", 1..<3, as: UInt16.self) { _, values in units.append(Array(values)) }
        XCTAssertEqual(units, [[], [3, 4, 5, 699]])
    }

    func testStringsFixedAndVariable() throws {
        let url = try file("strings.h5")
        let words = ["zero", "", "drei – ünf", "a longer one"]
        do {
            let writer = try HDF5File.create(at: url)
            try writer.writeStrings(words, to: "variable")
            try writer.writeStrings(words, to: "fixed", variableLength: false)
            try writer.writeStrings(["Affine"], shape: [], to: "scalar")
            try writer.writeStrings(["a", "b", "b", "c"], shape: [2, 2], to: "edges")
        }
        let reader = try HDF5File.open(url)
        XCTAssertEqual(try reader.readStrings("variable"), words)
        XCTAssertEqual(try reader.readStrings("fixed"), words)
        XCTAssertEqual(try reader.readStrings("scalar"), ["Affine"])
        XCTAssertEqual(try reader.shape(of: "edges"), [2, 2])
        XCTAssertEqual(try reader.readStrings("edges"), ["a", "b", "b", "c"])
        XCTAssertEqual(try reader.elementKind(of: "scalar"), .string)
    }

    func testGroupsAndAttributes() throws {
        let url = try file("groups.h5")
        do {
            let writer = try HDF5File.create(at: url)
            try writer.createGroup("node/nodes/fc")
            try writer.createGroup("node/nodes/lif")
            try writer.write([Float(1)], to: "node/nodes/fc/weight")
            try writer.setAttribute("format", "snn – ✓")
            try writer.setAttribute("version", Int64(3), on: "node")
            try writer.setAttribute("rate", 0.125, on: "node/nodes/fc/weight")
            try writer.setAttribute("empty", "", on: "node/nodes")
        }
        let reader = try HDF5File.open(url)
        XCTAssertEqual(try reader.children(of: "/"), ["node"])
        XCTAssertEqual(try reader.children(of: "node/nodes"), ["fc", "lif"])
        XCTAssertTrue(reader.isGroup("node/nodes/fc"))
        XCTAssertFalse(reader.isGroup("node/nodes/fc/weight"))
        XCTAssertTrue(reader.contains("node/nodes/fc/weight"))
        XCTAssertFalse(reader.contains("node/absent/weight"))
        XCTAssertEqual(try reader.stringAttribute("format"), "snn – ✓")
        XCTAssertEqual(try reader.stringAttribute("empty", on: "node/nodes"), "")
        XCTAssertEqual(try reader.attribute("version", on: "node", as: Int64.self), 3)
        XCTAssertEqual(try reader.attribute("version", on: "node", as: Double.self), 3)
        XCTAssertEqual(try reader.attribute("rate", on: "node/nodes/fc/weight", as: Double.self), 0.125)
        XCTAssertEqual(try reader.attributeNames(on: "/"), ["format"])
    }

    func testMissingObjectsNameFileAndPath() throws {
        let url = try file("sparse.h5")
        do {
            let writer = try HDF5File.create(at: url)
            try writer.createGroup("a")
            try writer.write([Int32(1)], to: "a/x")
        }
        let reader = try HDF5File.open(url)
        func assertError(_ body: @autoclosure () throws -> Any, _ expected: HDF5Error, mentions: String) {
            XCTAssertThrowsError(try body()) { error in
                XCTAssertEqual(error as? HDF5Error, expected)
                XCTAssertTrue("\(error)".contains(expected.file) && "\(error)".contains(mentions), "\(error)")
            }
        }
        assertError(
            try reader.read("a/y", as: Float.self), HDF5Error(file: url.path, path: "a/y", kind: .missing),
            mentions: "no a/y")
        assertError(
            try reader.shape(of: "b/c/d"), HDF5Error(file: url.path, path: "b/c/d", kind: .missing), mentions: "b/c/d")
        assertError(
            try reader.attribute("scale", on: "a/x", as: Double.self),
            HDF5Error(file: url.path, path: "a/x@scale", kind: .missing), mentions: "a/x@scale")
        assertError(
            try reader.stringAttribute("format"), HDF5Error(file: url.path, path: "/@format", kind: .missing),
            mentions: "/@format")
        assertError(
            try reader.read("a", as: Float.self),
            HDF5Error(file: url.path, path: "a", kind: .wrongType(expected: "a dataset, not a group")),
            mentions: "wrong type")
        assertError(
            try reader.readStrings("a/x"),
            HDF5Error(file: url.path, path: "a/x", kind: .wrongType(expected: "strings")),
            mentions: "expected strings")
        let text = try file("text.h5")
        try Data("not HDF5".utf8).write(to: text)
        assertError(
            try HDF5File.open(text), HDF5Error(file: text.path, path: "/", kind: .notHDF5), mentions: "not an HDF5 file"
        )
    }

    /// Every call takes the library lock: a read on another thread waits while it is held.
    func testCallsWaitForTheLibraryLock() throws {
        let url = try file("locked.h5")
        try HDF5File.create(at: url).write([Int32(4)], to: "x")
        let reads = ManagedAtomicCounter()
        var released = Date.distantFuture
        HDF5Library.withLock {
            let reader = Thread {
                if (try? HDF5File.open(url).read("x", as: Int32.self)) != [4] { reads.increment() }
                reads.finish()
            }
            reader.start()
            Thread.sleep(forTimeInterval: 0.2)
            released = Date()
        }
        reads.waitUntilFinished()
        XCTAssertEqual(reads.value, 0, "the read failed")
        XCTAssertGreaterThanOrEqual(reads.finishedAt, released, "the read ran while another thread held the lock")
    }

    /// The race the two old HDF5 wrappers had: a checkpoint saved on one thread (which never
    /// took the library lock) while a loader thread reads a dataset. On a libhdf5 built without
    /// `H5_HAVE_THREADSAFE` this needs the module's lock; the Debian 12 build is thread-safe
    /// itself, so there the test guards our handle ownership (closes under the lock, no handle
    /// shared between threads) rather than the lock alone.
    func testCheckpointWrittenWhileAnotherThreadReads() throws {
        let directory = try temporaryDirectory(self)
        let data = directory.appendingPathComponent("data.h5")
        let rows = (0..<64).map { row in (0..<(row % 17)).map { Double(row) + Double($0) / 32 } }
        try HDF5File.create(at: data).writeRows(rows, to: "spikes/times", as: .float32)
        var rng = SeededRNG(seed: 7)
        let model = Linear(inFeatures: 32, outFeatures: 16, rng: &rng)
        let iterations = 150
        let readerFailures = ManagedAtomicCounter()
        let reader = Thread {
            for _ in 0..<iterations {
                do {
                    let file = try HDF5File.open(data)
                    var read: [[Double]] = []
                    try file.readRows("spikes/times", 0..<rows.count, as: Double.self) { _, v in read.append(Array(v)) }
                    if read != rows { readerFailures.increment() }
                } catch {
                    readerFailures.increment()
                }
            }
            readerFailures.finish()
        }
        reader.start()
        for i in 0..<iterations {
            let url = directory.appendingPathComponent("model-\(i % 3).ckpt")
            try Checkpoint.save(model, metadata: ["epoch": "\(i)"], to: url)
            let restored = Linear(inFeatures: 32, outFeatures: 16, rng: &rng)
            XCTAssertEqual(try Checkpoint.load(into: restored, from: url)["epoch"], "\(i)")
            XCTAssertEqual(restored.weight.value.floats, model.weight.value.floats)
        }
        readerFailures.waitUntilFinished()
        XCTAssertEqual(readerFailures.value, 0, "reads that failed or returned other values")
    }
}

/// A counter one thread increments and another reads after it finishes (and when).
private final class ManagedAtomicCounter: @unchecked Sendable {
    private let condition = NSCondition()
    private var count = 0
    private var finished = false
    private var finishTime = Date.distantPast

    func increment() { condition.withLock { count += 1 } }
    func finish() {
        condition.withLock {
            finished = true
            finishTime = Date()
            condition.broadcast()
        }
    }
    func waitUntilFinished() {
        condition.lock()
        while !finished { condition.wait() }
        condition.unlock()
    }
    var value: Int { condition.withLock { count } }
    var finishedAt: Date { condition.withLock { finishTime } }
}
