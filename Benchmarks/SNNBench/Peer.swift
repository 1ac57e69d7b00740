import Foundation

/// Runs the same case in PyTorch through `Benchmarks/peers/torch_peer.py`, in this invocation,
/// with the same thread count, warm-up and allocator settings.
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

    /// The glibc settings `TensorStorage` makes for our process (mallopt M_MMAP_THRESHOLD 256 MB,
    /// M_TRIM_THRESHOLD 1 GB), as the environment variables that make the same for the peer's:
    /// without them PyTorch's large tensors are mmapped, zero-filled and unmapped on every op.
    static let allocatorEnvironment = [
        "MALLOC_MMAP_THRESHOLD_": "\(256 << 20)", "MALLOC_TRIM_THRESHOLD_": "\(1 << 30)",
    ]

    /// Starts the peer of `name` in serving mode; it has warmed up when this returns.
    func start(_ name: String, arguments: [String] = [], options: CommonOptions) throws -> PeerSession {
        try PeerSession(python: python, script: script, name: name, options: options, arguments: arguments)
    }
}

/// A running peer process that times `n` iterations of its step on request.
final class PeerSession {
    let name: String
    private let process = Process()
    private let requests = Pipe(), replies = Pipe(), errors = Pipe()
    private var pending = Data()
    /// The peer's peak resident memory (getrusage), from its last reply.
    private(set) var peakResidentMegabytes: Double = -1

    fileprivate init(python: String, script: URL, name: String, options: CommonOptions, arguments: [String]) throws {
        self.name = name
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                python, script.path, name, "--serve", "--threads", "\(options.threads)",
                "--warmup", "\(options.warmup)",
            ] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(TorchPeer.allocatorEnvironment) { $1 }
        process.standardInput = requests
        process.standardOutput = replies
        process.standardError = errors
        try process.run()
        _ = try reply()  // "ready" after the warm-up
    }

    /// Times `iterations` steps in the peer.
    func measure(iterations: Int) throws -> [Double] {
        requests.fileHandleForWriting.write(Data("\(iterations)\n".utf8))
        let fields = try reply()
        guard let samples = fields["samples_ms"] as? [Double] else {
            throw BenchError("peer reply for \(name) has no samples_ms: \(fields)")
        }
        peakResidentMegabytes = fields["peak_rss_mb"] as? Double ?? -1
        return samples
    }

    /// Reads one JSON line from the peer; a peer that exits instead fails with its error output.
    private func reply() throws -> [String: Any] {
        while !pending.contains(UInt8(ascii: "\n")) {
            let chunk = replies.fileHandleForReading.availableData
            if chunk.isEmpty {
                process.waitUntilExit()
                let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw BenchError(
                    "peer \(process.arguments?.dropFirst().first ?? "") \(name) exited "
                        + "(status \(process.terminationStatus)): \(errorText)")
            }
            pending.append(chunk)
        }
        let newline = pending.firstIndex(of: UInt8(ascii: "\n"))!
        let line = pending[pending.startIndex..<newline]
        pending = Data(pending[(newline + 1)...])
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            throw BenchError(
                "peer \(name) printed a line that is not a JSON object: \(String(decoding: line, as: UTF8.self))")
        }
        return object
    }

    deinit {
        try? requests.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// Our step and its peers, timed in alternating rounds (ours, each peer, ours, …) so that drift
/// in the load of a shared machine hits every side; the medians are over all rounds' samples.
struct Comparison {
    var ours: Measurement
    var peers: [Measurement]

    /// `iterations` timed steps per side, in up to five rounds; ours is warmed up first, each
    /// peer warmed itself up when it started. One side follows the other with no pause: on this
    /// kind of virtual machine a core left idle for 0.1 s or more runs the next steps about 40 %
    /// slower (shd-step 12 → 17 ms after a 0.25 s sleep, with the same page faults), which a
    /// pause would charge to the side with the shorter steps.
    static func run(_ options: CommonOptions, peers: [PeerSession], _ body: () -> Void) throws -> Comparison {
        for _ in 0..<options.warmup { body() }
        let rounds = Swift.min(5, options.iterations)
        var result = Comparison(
            ours: Measurement(samplesMs: []),
            peers: peers.map { _ in Measurement(samplesMs: []) })
        for round in 0..<rounds {
            // Iterations spread over the rounds, the remainder in the first ones.
            let count = options.iterations / rounds + (round < options.iterations % rounds ? 1 : 0)
            result.ours.samplesMs += Measurement.run(warmup: 0, iterations: count, body).samplesMs
            for (index, peer) in peers.enumerated() {
                result.peers[index].samplesMs += try peer.measure(iterations: count)
            }
        }
        return result
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
