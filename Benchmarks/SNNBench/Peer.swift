import Foundation

/// Runs the same case in PyTorch through `Benchmarks/peers/torch_peer.py`, in this invocation,
/// with the same thread count, and reads its median back.
///
/// The peer is optional: it needs a Python with torch (`make bench PEER=1` sets one up). Tests
/// never use it.
struct TorchPeer {
    var python: String
    var script: URL

    /// Finds the peer script next to the package sources.
    init(python: String) throws {
        self.python = python
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        script = root.appendingPathComponent("peers/torch_peer.py")
        guard FileManager.default.fileExists(atPath: script.path) else {
            throw BenchError("peer script not found at \(script.path)")
        }
    }

    /// Runs `case` with `arguments` and returns the peer's JSON fields.
    func run(_ name: String, arguments: [String] = [], threads: Int, iterations: Int) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script.path, name, "--threads", "\(threads)", "--iterations", "\(iterations)"]
            + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("peer \(python) \(script.lastPathComponent) \(name) failed (status \(process.terminationStatus)): \(errorText)")
        }
        guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            throw BenchError("peer printed no JSON line for \(name)")
        }
        return object
    }

    func medianMs(_ name: String, arguments: [String] = [], threads: Int, iterations: Int) throws -> Double {
        let fields = try run(name, arguments: arguments, threads: threads, iterations: iterations)
        guard let median = fields["median_ms"] as? Double else { throw BenchError("peer JSON for \(name) has no median_ms") }
        return median
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
